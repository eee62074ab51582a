"""Crash safety: SIGKILL an import after its first committed batch, then re-run it."""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from fangkong.services.case_import import import_case_file
from fangkong.settings import Settings

BENCH = Path(__file__).resolve().parents[2] / "bench" / "ingest.py"
ROWS = 200_000


def bench_module():  # the benchmark's generator writes realistic line lists
    spec = importlib.util.spec_from_file_location("fangkong_bench_ingest", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def counts(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT count(*) FROM case_records")).scalar_one()
        keys = conn.execute(
            text("SELECT count(*) FROM (SELECT DISTINCT source, case_id FROM case_records) k")
        ).scalar_one()
    return int(rows), int(keys)


@pytest.mark.slow
def test_sigkill_mid_import_then_rerun_completes_without_duplicates(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    path = bench_module().generate(tmp_path / "cases.csv", ROWS)
    url = engine.url.render_as_string(hide_password=False)
    env = {
        **os.environ,
        "FANGKONG_DATABASE_URL": url,
        "FANGKONG_VAR_DIR": str(tmp_path / "var"),
        "FANGKONG_IMPORT_BATCH_ROWS": "20000",
    }
    driver = "import sys; from fangkong.cli import main; sys.argv[0] = 'fangkong'; main()"
    child = subprocess.Popen(
        [sys.executable, "-c", driver, "import", "cases", str(path)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while counts(engine)[0] == 0:
            assert child.poll() is None, "the import ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.02)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait()
    committed, _ = counts(engine)
    assert 0 < committed < ROWS
    with engine.connect() as conn:
        status = conn.execute(text("SELECT status FROM imports")).scalar_one()
    assert status == "running"

    result = import_case_file(engine, settings, path)
    assert result.status == "completed" and result.rows_rejected == 0
    assert result.rows_inserted == ROWS - committed
    assert result.rows_unchanged == committed
    assert "did not finish" in result.notes[0]
    assert counts(engine) == (ROWS, ROWS)
