"""A stream of daily reports during a benchmark: reporters keep entering figures.

Usage::

    .venv/bin/python bench/report_stream.py BASE_URL TOKEN --per-second 2 --seconds 20
                                            --date 2022-12-31 --source synthetic

Every ``1 / per-second`` seconds it stores, through ``POST /api/v1/daily`` with the
bearer ``TOKEN``, one report of a random county (seeded) for ``--date`` in
``--source``: each changes the stored figures, hence the data version, as county
reporters do all day during an outbreak. ``bench/http.sh`` runs it beside wrk (with
``FANGKONG_BENCH_REPORTS_PER_S``) to measure the public pages while the figures
change. Prints ``reports_stored N`` and ``reports_failed N``; exits 1 if any failed.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time

import httpx2
from sqlalchemy import select

from fangkong.store import models as m
from fangkong.store.db import make_engine


def counties() -> list[str]:
    engine = make_engine(os.environ["FANGKONG_DATABASE_URL"])
    with engine.connect() as conn:
        codes = [
            r[0]
            for r in conn.execute(
                select(m.RegionRow.region_code)
                .where(m.RegionRow.level == "county")
                .order_by(m.RegionRow.region_code)
            ).all()
        ]
    engine.dispose()
    return codes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base_url")
    parser.add_argument("token")
    parser.add_argument("--per-second", type=float, default=2.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--date", required=True)
    parser.add_argument("--source", default="synthetic")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    codes = counties()
    stored = failed = 0
    step = 1.0 / args.per_second
    headers = {"Authorization": f"Bearer {args.token}"}
    with httpx2.Client(base_url=args.base_url, headers=headers, timeout=30) as client:
        start = time.monotonic()
        for n in range(int(args.seconds * args.per_second)):
            pause = start + n * step - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            item = {
                "region_code": rng.choice(codes),
                "report_date": args.date,
                "new_confirmed": rng.randint(0, 30),
            }
            try:
                answer = client.post("/api/v1/daily", json={"source": args.source, "items": [item]})
                ok = answer.status_code == 200
            except httpx2.HTTPError:
                ok = False
            stored, failed = stored + ok, failed + (not ok)
            if not ok and failed <= 3:
                print(f"report failed: {item}", file=sys.stderr)
    print(f"reports_stored {stored}")
    print(f"reports_failed {failed}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
