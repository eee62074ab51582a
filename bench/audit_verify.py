"""Audit-chain verification benchmark: the full walk against the incremental check from
the checkpoint (what the console's audit page runs on every load).

Usage::

    .venv/bin/python bench/audit_verify.py [--entries 100000] [--new 100]
                                           [--database-url URL]

Builds a chain of ``--entries`` entries (details shaped like a daily-report write with
its request context) in a fresh SQLite file (or the empty, migrated database at
``--database-url``), then times: a full verification (``fangkong audit verify``), an
incremental check with nothing new (the checkpoint entry re-hashed), and one after
``--new`` entries were appended. Prints the times, then the ``metric`` lines.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from fangkong.services import audit
from fangkong.store import audit as hook
from fangkong.store.db import make_engine
from fangkong.store.migrate import upgrade

BATCH = 5000


def entries(n: int, offset: int) -> list[hook.Entry]:
    return [
        hook.Entry(
            actor="hubei.rep",
            action="daily.submit_daily",
            target_type="daily",
            target_id=None,
            details={
                "writes": {"daily_reports": {"insert": 1, "update": 2}},
                "context": {"method": "POST", "path": "/api/v1/daily", "client": "10.0.0.7"},
                "n": offset + i,
            },
        )
        for i in range(n)
    ]


def append(engine: object, n: int, offset: int = 0) -> None:
    done = 0
    while done < n:
        size = min(BATCH, n - done)
        with engine.begin() as conn:  # type: ignore[attr-defined]
            hook.append(conn, entries(size, offset + done))
        done += size


def timed(label: str, run: object) -> tuple[float, audit.Verification]:
    start = time.perf_counter()
    result = run()  # type: ignore[operator]
    seconds = time.perf_counter() - start
    report = result.report
    print(
        f"{label:<32} {seconds:8.3f} s  ok={report.ok} entries checked={report.entries:,} "
        f"(entries {report.first_id}-{report.last_id})"
    )
    assert report.ok, report.problem
    return seconds, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--new", type=int, default=100)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="fangkong-audit-bench-")
    url = args.database_url or f"sqlite:///{folder}/audit.db"
    engine = make_engine(url)
    upgrade(engine)
    start = time.perf_counter()
    append(engine, args.entries)
    print(f"built {args.entries:,} entries in {time.perf_counter() - start:.1f} s ({url})")
    full, _ = timed("full verification", lambda: audit.verify_full(engine))
    quiet, _ = timed("incremental, nothing new", lambda: audit.verify_incremental(engine))
    append(engine, args.new, args.entries)
    new, _ = timed(f"incremental, {args.new} new", lambda: audit.verify_incremental(engine))
    engine.dispose()
    print(f"metric audit_entries {args.entries}")
    print(f"metric audit_verify_full_s {full:.3f}")
    print(f"metric audit_verify_incremental_nothing_new_s {quiet:.4f}")
    print(f"metric audit_verify_incremental_{args.new}_new_s {new:.4f}")
    print(f"metric audit_verify_speedup {full / new:.0f}")


if __name__ == "__main__":
    main()
