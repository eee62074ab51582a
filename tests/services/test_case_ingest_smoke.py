"""Smoke test of the ingest benchmark's generator and import path on 10,000 rows."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from sqlalchemy import Engine, text

from fangkong.services.case_import import import_case_file
from fangkong.settings import Settings

BENCH = Path(__file__).resolve().parents[2] / "bench" / "ingest.py"


def test_generated_line_list_imports_cleanly(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    spec = importlib.util.spec_from_file_location("fangkong_bench_ingest_smoke", BENCH)
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    path = bench.generate(tmp_path / "cases.csv", 10_000)
    settings.import_batch_rows = 3_000
    result = import_case_file(engine, settings, path)
    assert (result.rows_read, result.rows_inserted, result.rows_rejected) == (10_000, 10_000, 0)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM case_records")).scalar_one() == 10_000
