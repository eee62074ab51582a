"""``fangkong bulletin draft|publish|show``: output and exit codes on the real files."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner, Result

from fangkong.cli import app
from fangkong.core.access import CLI_ACTOR
from fangkong.services.daily_import import import_daily_file
from fangkong.services.daily_reports import submit_daily_reports
from fangkong.services.demo import demo_dir
from fangkong.settings import Settings

NATIONAL = "canghailan_china_national_daily_2020-01-10_2020-06-30.csv"
PROVINCES = "canghailan_china_province_daily_2020-01-10_2020-06-30.csv"
Run = Callable[..., Result]


@pytest.fixture
def run(settings: Settings) -> Run:
    runner = CliRunner()
    env = {
        "FANGKONG_DATABASE_URL": settings.database_url,
        "FANGKONG_VAR_DIR": str(settings.var_dir),
    }
    return lambda *args: runner.invoke(app, list(args), env=env)


def test_draft_publish_show(run: Run, engine: Engine, settings: Settings) -> None:
    for name in (NATIONAL, PROVINCES):
        assert import_daily_file(engine, settings, demo_dir() / name, actor=CLI_ACTOR).ok
    drafted = run("bulletin", "draft", "CN", "2020-02-13", "--json")
    assert drafted.exit_code == 0, drafted.output
    draft = json.loads(drafted.stdout)
    assert draft["figures"]["figures"]["cumulative_confirmed"] == 63851
    text = run("bulletin", "draft", "CN", "2020-02-13", "--lang", "zh")
    assert "截至2月13日24时" in text.stdout and "[ok  ] current_identity" in text.stdout
    published = run("bulletin", "publish", str(draft["id"]))
    assert published.exit_code == 0, published.output
    assert "published CN 2020-02-13 version 1" in published.stdout
    shown = run("bulletin", "show", "CN", "2020-02-13", "--lang", "en")
    assert shown.exit_code == 0 and "version 1, published by cli" in shown.stdout
    assert "5,090 new confirmed cases" in shown.stdout
    assert run("bulletin", "show", "CN", "2020-02-14").exit_code == 1
    assert run("bulletin", "show", "CN", "14.02.2020").exit_code == 2
    assert run("bulletin", "draft", "CN", "2020-02-13", "--lang", "fr").exit_code == 2
    assert run("bulletin", "draft", "CN", "2020-02-13", "--reason", "bad").exit_code == 2


def test_blocked_draft_exits_1_and_publish_says_why(
    run: Run, engine: Engine, settings: Settings
) -> None:
    submit_daily_reports(
        engine,
        settings,
        [
            {"region_code": "420000", "report_date": "2020-02-12", "new_confirmed": 100},
            {"region_code": "420000", "report_date": "2020-02-13", "new_confirmed": -5},
        ],
        actor=CLI_ACTOR,
    )
    drafted = run("bulletin", "draft", "420000", "2020-02-13")
    assert drafted.exit_code == 1
    assert "[FAIL] cumulative_not_decreasing" in drafted.stdout
    draft_id = json.loads(run("bulletin", "draft", "420000", "2020-02-13", "--json").stdout)["id"]
    blocked = run("bulletin", "publish", str(draft_id))
    assert blocked.exit_code == 1 and "publishing is blocked" in blocked.stderr
    fixed = run(
        "bulletin",
        "draft",
        "420000",
        "2020-02-13",
        "--reason",
        "420000:cumulative_confirmed:duplicates removed",
    )
    assert fixed.exit_code == 0, fixed.output
    assert "核减5例" in fixed.stdout
