"""``fangkong import daily`` and ``fangkong export daily``: exit codes and output."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner, Result

from fangkong.cli import app
from fangkong.settings import Settings
from support import DEMO_DATA

NATIONAL = DEMO_DATA / "canghailan_china_national_daily_2020-01-10_2020-06-30.csv"
Run = Callable[..., Result]


@pytest.fixture
def run(settings: Settings) -> Run:
    runner = CliRunner()
    env = {
        "FANGKONG_DATABASE_URL": settings.database_url,
        "FANGKONG_VAR_DIR": str(settings.var_dir),
    }
    return lambda *args: runner.invoke(app, list(args), env=env)


def test_import_exit_codes(run: Run, engine: Engine, tmp_path: Path) -> None:
    clean = run("import", "daily", str(NATIONAL))
    assert clean.exit_code == 0, clean.output
    assert "173 rows, 173 inserted" in clean.stdout
    assert run("import", "daily", str(NATIONAL)).exit_code == 0

    bad = tmp_path / "bad.csv"
    bad.write_text(
        "date,confirmed,suspected,cured,dead\n2020-01-10,41,0,2,1\n2020-01-11,x,0,2,1\n",
        encoding="utf-8",
    )
    rejected = run("import", "daily", str(bad))
    assert rejected.exit_code == 1
    assert "bad.csv:3: column 'confirmed' value 'x': not a whole number" in rejected.stderr
    assert run("import", "daily", str(bad), "--strict").exit_code == 1

    odd = tmp_path / "odd.csv"
    odd.write_text("when,where\n1,2\n", encoding="utf-8")
    unknown = run("import", "daily", str(odd))
    assert unknown.exit_code == 2
    assert "known formats: fangkong-daily" in unknown.stderr
    assert run("import", "daily", str(NATIONAL), "--format", "nope").exit_code == 2
    assert run("import", "daily", str(NATIONAL), "--actor", "nobody").exit_code == 2


def test_export(run: Run, engine: Engine, tmp_path: Path) -> None:
    assert run("import", "daily", str(NATIONAL)).exit_code == 0
    shown = run(
        "export",
        "daily",
        "--region",
        "CN",
        "--from",
        "2020-02-12",
        "--to",
        "2020-02-13",
        "--format",
        "csv",
    )
    assert shown.exit_code == 0, shown.output
    lines = shown.stdout.strip().splitlines()
    assert lines[0].startswith("region_code,source,report_date,new_confirmed")
    assert lines[1].startswith("CN,canghailan,2020-02-12,14109,")
    out = tmp_path / "cn.parquet"
    done = run("export", "daily", "--region", "CN", "--format", "parquet", "--output", str(out))
    assert done.exit_code == 0 and out.stat().st_size > 0
    assert run("export", "daily", "--region", "CN", "--format", "parquet").exit_code == 2
    assert run("export", "daily", "--region", "XX", "--format", "csv").exit_code == 2
