"""Crash safety: SIGKILL a 1,000,000-row import in the middle, then re-run it.

The import runs as ``fangkong import cases`` in a child process (its own process
group, so the forked parser of the SQLite path dies with it). Once some of its batches
are committed — the test polls the row count until it passes a threshold well inside
the file — the whole group gets ``SIGKILL``: no handler runs, nothing is flushed. The
re-run must then complete the import with exactly the file's rows: the right count, no
duplicate ``(source, case_id)`` key, and every row's content equal to its line in the
file, compared through an order-independent checksum (the sum modulo 2**64 of a
BLAKE2b digest of each row's canonical text), so a lost, doubled or altered row fails.
"""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, text

from fangkong.core.cases import CASE_FIELDS
from fangkong.services.case_import import import_case_file
from fangkong.settings import Settings
from fangkong.store import models as m

BENCH = Path(__file__).resolve().parents[2] / "bench" / "ingest.py"
ROWS = 1_000_000
BATCH_ROWS = 20_000
#: Kill once at least this many rows are committed (the file is ~4 % through per batch).
KILL_AFTER = 300_000


def bench_module() -> Any:  # the benchmark's generator writes realistic line lists
    spec = importlib.util.spec_from_file_location("fangkong_bench_ingest", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def line_list(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 1,000,000-row file, written once for both databases."""
    path: Path = bench_module().generate(tmp_path_factory.mktemp("kill") / "cases.csv", ROWS)
    return path


@pytest.fixture(scope="module")
def expected(line_list: Path) -> tuple[int, int]:
    """The file's row count and checksum, computed once for both databases."""
    return file_checksum(line_list)


def canonical(values: Sequence[Any]) -> str:
    """One row as text: empty and NULL alike, booleans and dates spelled as in the file."""
    out = []
    for v in values:
        if v is None:
            out.append("")
        elif isinstance(v, bool):
            out.append("true" if v else "false")
        elif isinstance(v, date):
            out.append(v.isoformat())
        else:
            out.append(str(v))
    return "\x1f".join(out)


def checksum(rows: Iterable[Sequence[Any]]) -> tuple[int, int]:
    """(row count, sum mod 2**64 of each canonical row's 8-byte BLAKE2b digest)."""
    count = total = 0
    for row in rows:
        digest = hashlib.blake2b(canonical(row).encode(), digest_size=8).digest()
        total = (total + int.from_bytes(digest, "big")) & 0xFFFFFFFFFFFFFFFF
        count += 1
    return count, total


def file_checksum(path: Path) -> tuple[int, int]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        assert tuple(next(reader)) == CASE_FIELDS
        # The file writes "health_worker" only when true; the store keeps blank as NULL.
        return checksum(reader)


def stored_checksum(engine: Engine) -> tuple[int, int]:
    table = m.CaseRecordRow.__table__
    query = select(*[table.c[name] for name in CASE_FIELDS])  # typed: booleans, dates
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=50_000).execute(query)
        return checksum(result)


def counts(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT count(*) FROM case_records")).scalar_one()
        keys = conn.execute(
            text("SELECT count(*) FROM (SELECT DISTINCT source, case_id FROM case_records) k")
        ).scalar_one()
    return int(rows), int(keys)


@pytest.mark.slow
def test_sigkill_mid_import_then_rerun_stores_exactly_the_file(
    engine: Engine, settings: Settings, tmp_path: Path, line_list: Path, expected: tuple[int, int]
) -> None:
    url = engine.url.render_as_string(hide_password=False)
    env = {
        **os.environ,
        "FANGKONG_DATABASE_URL": url,
        "FANGKONG_VAR_DIR": str(tmp_path / "var"),
        "FANGKONG_IMPORT_BATCH_ROWS": str(BATCH_ROWS),
    }
    driver = "import sys; from fangkong.cli import main; sys.argv[0] = 'fangkong'; main()"
    started = time.monotonic()
    child = subprocess.Popen(
        [sys.executable, "-c", driver, "import", "cases", str(line_list)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 300
        while counts(engine)[0] < KILL_AFTER:
            assert child.poll() is None, "the import ended before it could be killed"
            assert time.monotonic() < deadline, "the import stored too little in 300 s"
            time.sleep(0.05)
        os.killpg(child.pid, signal.SIGKILL)
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
        child.wait()
    killed_at = time.monotonic() - started
    committed, _ = counts(engine)
    assert KILL_AFTER <= committed < ROWS
    with engine.connect() as conn:
        status = conn.execute(text("SELECT status FROM imports")).scalar_one()
    assert status == "running"

    rerun_started = time.monotonic()
    result = import_case_file(engine, settings, line_list)
    rerun = time.monotonic() - rerun_started
    assert result.status == "completed" and result.rows_rejected == 0
    assert result.rows_read == ROWS
    assert result.rows_inserted == ROWS - committed
    assert result.rows_unchanged == committed
    assert "did not finish" in result.notes[0]
    assert counts(engine) == (ROWS, ROWS)
    assert stored_checksum(engine) == expected
    print(
        f"\n{engine.dialect.name}: killed after {killed_at:.1f} s with {committed:,} rows "
        f"committed; re-run {rerun:.1f} s ({ROWS - committed:,} inserted)"
    )
