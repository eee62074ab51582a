"""Concurrent reporters: no lost update under optimistic concurrency (ETag / If-Match).

Usage::

    .venv/bin/python bench/reporters.py [--reporters 50] [--seconds 60] [--records 10]
                                        [--unsafe]

It serves the database of ``FANGKONG_DATABASE_URL`` (default: a fresh SQLite file under
``bench/out``; a PostgreSQL URL works the same) with ``fangkong serve`` on a free
loopback port, creates a reporter account and ``--records`` daily reports of a source
of its own, then runs ``--reporters`` threads, each with its own HTTP client, assigned
round-robin to the records. For ``--seconds`` each reporter repeats a read-modify-write:
``GET`` the report (its ETag), add one to ``new_confirmed``, ``PUT`` it back with
``If-Match``; a ``412`` (someone else wrote first) is counted as a conflict and the
reporter reads again. At the end the stored figures are read from the database itself:
with no lost update, each record's increase equals the writes acknowledged for it.

``--unsafe`` writes through the batch endpoint (``POST /api/v1/daily``, last write wins,
no precondition) instead, to show that the check does catch lost updates.

Ends with the ``metric`` lines read by the project's benchmark tracking:
``reporters_writes``, ``reporters_conflicts``, ``reporters_lost_updates``,
``reporters_errors`` and ``reporters_writes_per_s``; exits 1 if an update was lost or a
request failed.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
#: Provinces whose reports the reporters edit (one record per province).
PROVINCES = (
    "110000", "120000", "130000", "140000", "150000", "210000", "220000", "230000",
    "310000", "320000", "330000", "340000", "350000", "360000", "370000", "410000",
    "420000", "430000", "440000", "450000",
)  # fmt: skip
REPORT_DATE = "2020-02-12"
DRIVER = "import sys; from fangkong.cli import main; sys.argv[0] = 'fangkong'; main()"


@dataclass
class Tally:
    """What one reporter saw; ``unknown`` counts writes whose answer never came."""

    writes: int = 0
    conflicts: int = 0
    errors: int = 0
    unknown: int = 0
    statuses: dict[int, int] = field(default_factory=dict)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(url: str, source: str, records: int) -> dict[str, str]:
    """Migrate, create a reporter with an API token, and the reports to edit (value 0)."""
    from fangkong.core.access import CLI_ACTOR, Actor, Role
    from fangkong.services import users
    from fangkong.services.daily_reports import edit_daily_report
    from fangkong.services.database import upgrade_database
    from fangkong.services.reference import region_tree
    from fangkong.settings import Settings
    from fangkong.store.db import make_engine

    upgrade_database(Settings(database_url=url, var_dir=OUT / "var"))
    engine = make_engine(url)
    try:
        tree = region_tree(engine)
        name = f"bench-{source}"
        users.create_user(
            engine, CLI_ACTOR, username=name, password=uuid.uuid4().hex, role="reporter",
            jurisdiction="CN", tree=tree,
        )  # fmt: skip
        token, _ = users.create_token(engine, CLI_ACTOR, name)
        actor = Actor(name, Role.REPORTER, "CN")
        from datetime import date

        for code in PROVINCES[:records]:
            edit_daily_report(
                engine, {"new_confirmed": 0}, region_code=code,
                report_date=date.fromisoformat(REPORT_DATE), source=source, actor=actor,
                if_match=None, if_none_match="*", tree=tree,
            )  # fmt: skip
    finally:
        engine.dispose()
    return {"Authorization": f"Bearer {token}"}


def stored_values(url: str, source: str) -> dict[str, int]:
    """``new_confirmed`` of every record, read from the database (not through the API)."""
    from sqlalchemy import select

    from fangkong.store import models as m
    from fangkong.store.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(m.DailyReportRow.region_code, m.DailyReportRow.new_confirmed).where(
                    m.DailyReportRow.source == source
                )
            ).all()
    finally:
        engine.dispose()
    return {code: int(value or 0) for code, value in rows}


def reporter(
    base: str, headers: dict[str, str], source: str, code: str, until: float, unsafe: bool
) -> Tally:
    tally = Tally()
    path = f"/api/v1/daily/{source}/{code}/{REPORT_DATE}"
    with httpx2.Client(base_url=base, headers=headers, timeout=30) as client:
        while time.monotonic() < until:
            try:
                got = client.get(path)
            except httpx2.HTTPError:
                tally.errors += 1
                continue
            if got.status_code != 200:
                tally.errors += 1
                tally.statuses[got.status_code] = tally.statuses.get(got.status_code, 0) + 1
                continue
            value = got.json()["new_confirmed"] + 1
            try:
                if unsafe:
                    item = {"region_code": code, "report_date": REPORT_DATE, "new_confirmed": value}
                    put = client.post("/api/v1/daily", json={"source": source, "items": [item]})
                else:
                    put = client.put(
                        path,
                        json={"new_confirmed": value},
                        headers={"If-Match": got.headers["ETag"]},
                    )
            except httpx2.HTTPError:
                tally.unknown += 1  # the write may or may not have been applied
                continue
            tally.statuses[put.status_code] = tally.statuses.get(put.status_code, 0) + 1
            if put.status_code == 200:
                tally.writes += 1
            elif put.status_code == 412:
                tally.conflicts += 1
            else:
                tally.errors += 1
    return tally


def run(
    url: str, *, reporters: int = 50, seconds: float = 60, records: int = 10, unsafe: bool = False
) -> dict[str, Any]:
    """Serve ``url``, run the reporters, and compare the stored totals with the writes."""
    records = max(1, min(records, len(PROVINCES), reporters))
    source = f"b{uuid.uuid4().hex[:10]}"
    headers = prepare(url, source, records)
    before = stored_values(url, source)
    port = free_port()
    env = {**os.environ, "FANGKONG_DATABASE_URL": url, "FANGKONG_VAR_DIR": str(OUT / "var")}
    OUT.mkdir(parents=True, exist_ok=True)
    log = (OUT / "reporters_server.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-c", DRIVER, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx2.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx2.HTTPError:
                pass
            if server.poll() is not None:
                raise RuntimeError(f"the server exited ({server.returncode}); see {log.name}")
            time.sleep(0.1)
        else:
            raise RuntimeError("the server did not answer within 30 s")
        codes = PROVINCES[:records]
        tallies: list[Tally] = [Tally() for _ in range(reporters)]
        started = time.monotonic()
        until = started + seconds

        def work(n: int) -> None:
            tallies[n] = reporter(base, headers, source, codes[n % records], until, unsafe)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(reporters)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - started
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
    after = stored_values(url, source)
    writes_by_code = {c: 0 for c in codes}
    unknown_by_code = {c: 0 for c in codes}
    for n, t in enumerate(tallies):
        writes_by_code[codes[n % records]] += t.writes
        unknown_by_code[codes[n % records]] += t.unknown
    lost = 0
    phantom = 0
    for code in codes:
        increase = after[code] - before[code]
        lost += max(0, writes_by_code[code] - increase)
        phantom += max(0, increase - writes_by_code[code] - unknown_by_code[code])
    statuses: dict[int, int] = {}
    for t in tallies:
        for status, n in t.statuses.items():
            statuses[status] = statuses.get(status, 0) + n
    writes = sum(t.writes for t in tallies)
    return {
        "database": url.split(":", 1)[0],
        "reporters": reporters,
        "records": records,
        "seconds": elapsed,
        "writes": writes,
        "conflicts": sum(t.conflicts for t in tallies),
        "errors": sum(t.errors for t in tallies),
        "unknown": sum(t.unknown for t in tallies),
        "lost_updates": lost,
        "phantom_updates": phantom,
        "stored_increase": sum(after[c] - before[c] for c in codes),
        "writes_per_s": writes / elapsed if elapsed else 0.0,
        "statuses": statuses,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reporters", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--records", type=int, default=10)
    parser.add_argument("--unsafe", action="store_true", help="last-write-wins batch endpoint")
    args = parser.parse_args()
    url = os.environ.get("FANGKONG_DATABASE_URL") or f"sqlite:///{OUT / 'reporters.db'}"
    result = run(
        url,
        reporters=args.reporters,
        seconds=args.seconds,
        records=args.records,
        unsafe=args.unsafe,
    )
    print(
        f"{result['database']}: {result['reporters']} reporters on {result['records']} "
        f"records for {result['seconds']:.1f} s; statuses {result['statuses']}; stored "
        f"increase {result['stored_increase']}, unanswered writes {result['unknown']}"
    )
    print(f"metric reporters_writes {result['writes']}")
    print(f"metric reporters_conflicts {result['conflicts']}")
    print(f"metric reporters_lost_updates {result['lost_updates']}")
    print(f"metric reporters_errors {result['errors']}")
    print(f"metric reporters_writes_per_s {result['writes_per_s']:.1f}")
    bad = result["lost_updates"] or result["phantom_updates"] or result["errors"]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
