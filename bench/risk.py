"""Risk-zoning benchmark: every province and prefecture unit, every day of the real 2020
data, by the three shipped rule sets, end to end from the database.

Usage::

    .venv/bin/python bench/risk.py [--database-url sqlite:///…] [--repeat 3]

Without ``--database-url`` a fresh SQLite database in a temporary folder is migrated and
loaded with the bundled demo data (the real 2020 figures: canghailan province and Hubei
city series, CCDC dashboard, JHU CSSE), which takes about 10 s and is not timed.

Timed (best of ``--repeat``): for each shipped rule set and each unit level with data
(province: 34 units; prefecture: the Hubei cities), ``services.risk.classify_units`` —
reading the reports, choosing each unit's source, building the (units × days) matrix,
computing the features and levels of every unit on every day — plus the explanation of
every unit on the last day. The total is reported as ``risk_classify_s``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date
from pathlib import Path

from fangkong.services import risk
from fangkong.services.database import upgrade_database
from fangkong.services.demo import load_demo_data
from fangkong.services.reference import region_tree
from fangkong.settings import Settings
from fangkong.store.db import make_engine

UNTIL = date(2020, 6, 30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="fangkong-bench-risk-")
    url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
    settings = Settings(database_url=url, var_dir=Path(tmp) / "var")
    if not args.database_url:
        upgrade_database(settings)
        for _ in load_demo_data(settings):
            pass
    engine = make_engine(url)
    tree = region_tree(engine)
    keys = list(risk.shipped_rulesets())
    cells = 0

    def run() -> int:
        total = 0
        for key in keys:
            for unit in ("province", "prefecture"):
                cls, data = risk.classify_units(
                    engine, settings, tree, ruleset=key, unit=unit, until=UNTIL
                )
                for u in range(len(data.codes)):
                    cls.explain(u, cls.days - 1)
                total += cls.levels.size
        return total

    best = float("inf")
    for _ in range(args.repeat):
        start = time.perf_counter()
        cells = run()
        best = min(best, time.perf_counter() - start)
    engine.dispose()
    print(
        f"{len(keys)} rule sets x (province + prefecture) units x days up to {UNTIL}: "
        f"{cells:,} unit-days classified, best of {args.repeat}: {best:.3f} s"
    )
    print(f"metric risk_classify_s {best:.4f}")


if __name__ == "__main__":
    main()
