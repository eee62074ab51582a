"""First views: the server time of public pages and their API calls that nobody has
requested before, over many regions.

Usage::

    .venv/bin/python bench/first_views.py BASE_URL [--regions 120] [--seed 1]

``bench/http.sh`` measures a mix that it warms first, i.e. answers kept in memory. A
visitor of a county that nobody has opened since the last data change gets a page
computed on demand instead; this script measures those: it draws ``--regions``
regions with figures (seeded; every level in proportion to its number of regions,
so mostly counties) from ``FANGKONG_DATABASE_URL``, and for each requests, one after
the other as one browser would, the Chinese page, the API calls its scripts make
(read from the page, :func:`fangkong.api.warming.page_calls`) and the English page.
Each request is the first of its path on the server, so it is computed on demand
(the server's publisher computes the provinces' answers in the background: they
are drawn like any other region and count as what a visitor gets).

Prints per kind of answer the count, p50, p95 and maximum of the server time
(``Server-Timing``), and ends with::

    metric http_first_view_p50_ms N
    metric http_first_view_p95_ms N

Exits 1 if any request failed.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import urllib.error
import urllib.request
from collections import defaultdict

import numpy as np
from sqlalchemy import select

from fangkong.api.warming import page_calls
from fangkong.store import models as m
from fangkong.store.db import make_engine


def kind_of(path: str) -> str:
    if path.startswith("/zh/region/"):
        return "page zh"
    if path.startswith("/en/region/"):
        return "page en"
    parts = path.split("?")[0].split("/")
    if path.startswith("/api/v1/regions/"):
        return parts[-1]  # rt, forecast
    return parts[3]  # risk, response


def server_ms(url: str) -> tuple[int, float, str]:
    try:
        with urllib.request.urlopen(url, timeout=120) as answer:
            body = answer.read().decode("utf-8", "replace")
            status = answer.status
            timing = answer.headers.get("server-timing", "")
    except urllib.error.HTTPError as exc:
        return exc.code, float("nan"), ""
    return status, float(timing.split("dur=")[1]), body


def sample(n: int, seed: int) -> list[str]:
    engine = make_engine(os.environ["FANGKONG_DATABASE_URL"])
    with engine.connect() as conn:
        codes = sorted(
            r[0]
            for r in conn.execute(
                select(m.DailyReportRow.region_code)
                .join(m.RegionRow, m.RegionRow.region_code == m.DailyReportRow.region_code)
                .where(m.RegionRow.level.in_(("province", "prefecture", "county")))
                .group_by(m.DailyReportRow.region_code)
            ).all()
        )
    engine.dispose()
    return random.Random(seed).sample(codes, min(n, len(codes)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base_url")
    parser.add_argument("--regions", type=int, default=120)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    times: dict[str, list[float]] = defaultdict(list)
    failures: list[tuple[str, int]] = []
    for code in sample(args.regions, args.seed):
        status, ms, page = server_ms(f"{args.base_url}/zh/region/{code}")
        if status != 200:
            failures.append((f"/zh/region/{code}", status))
            continue
        times["page zh"].append(ms)
        for path in [*page_calls(code, page), f"/en/region/{code}"]:
            status, ms, _ = server_ms(args.base_url + path)
            if status != 200:
                failures.append((path, status))
            else:
                times[kind_of(path)].append(ms)
    every = np.asarray([t for ts in times.values() for t in ts])
    print(f"{'answer':<12}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    for kind, ts in [*sorted(times.items()), ("all", list(every))]:
        a = np.asarray(ts)
        p50, p95 = np.median(a), np.percentile(a, 95)
        print(f"{kind:<12}{a.size:>6}{p50:>10.1f}{p95:>10.1f}{a.max():>10.1f}")
    for path, status in failures:
        print(f"failed: {path} answered {status}", file=sys.stderr)
    print(f"metric http_first_view_p50_ms {np.median(every):.2f}")
    print(f"metric http_first_view_p95_ms {np.percentile(every, 95):.2f}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
