"""A deterministic national dataset: every county of China × 365 days of daily reports.

Usage::

    .venv/bin/python bench/national_dataset.py [--database-url URL] [--seed N] [--days N]
        [--provinces 420000,530000]

Without ``--database-url`` it writes ``bench/out/national.db`` (SQLite), once: a file
already holding the dataset of the same seed, days and provinces is kept. It prints the
row count and the seconds taken. ``--provinces`` keeps only those provinces (the
national row is then their sum): a small dataset for tests.

**What is generated** (source ``synthetic``, from 2022-01-01; nothing here is real
data and the source's attribution says so):

* Every *leaf* region of ``fangkong/data/regions_cn.csv`` — the 2,841 counties plus
  the prefectures and provinces that have no counties in the reference table (Taiwan,
  and prefecture-level cities without districts) — gets a daily series of new confirmed
  cases from a stochastic renewal equation (Fraser 2007; Cori et al. 2013):
  ``local_t ~ NegBin(mean = R_t · Λ_t + s_t, k = 2)`` with the force of infection
  ``Λ_t = Σ_s w_s (local_{t-s} + imported_{t-s})`` and ``w`` the discretised serial
  interval of Nishiura et al. (2020) (mean 4.7 d, sd 2.9 d, EpiEstim's ``discr_si``,
  the product's default), so that the R_t the platform estimates is the R_t simulated.
* ``R_t`` is 0.6 outside outbreaks (sporadic chains die out). About one seeded outbreak
  per 60 leaves (≈ 48 nationally) starts on a random day with 1-10 index cases, grows
  with ``R ~ U(1.6, 3.2)`` for 7-21 days, then falls over 7 days to ``R ~ U(0.2,
  0.6)`` as control measures act. While an outbreak runs, the other leaves under the
  same parent get 2% of its daily cases as seeds ``s_t`` and ``R = 0.9`` (spill-over
  with limited local spread).
* Imported cases (``new_confirmed_imported``): Poisson, 0.3 a day on average in 3% of
  leaves (ports of entry), 0.002 a day elsewhere; they are part of ``new_confirmed``.
* Outcomes by cohort, so that current confirmed (cumulative confirmed − recovered −
  deaths) never goes negative: each day's cases die with probability 0.004 (reported
  12 days later, ``new_deaths``) and the others recover (reported 14 days later,
  ``new_recovered``). ``new_asymptomatic ~ Poisson(0.4 · local_t)``.

**Rows at every level**: the public pages read each level's own reported rows (the
national page reads ``CN``, its table the provinces' rows, a region page the region's
and its children's rows; see :mod:`fangkong.services.public`), as the health
commissions publish them. So every prefecture, province and ``CN`` gets rows equal to
the sums over the leaves below it, and the figures agree between levels. Days without
cases are stored as reports of 0 (a complete county × day grid: (2,841 + 399 regions
with leaves below) × 365 = 1,182,600 rows).

**Determinism**: one :class:`numpy.random.Generator` (PCG64) seeded with ``seed`` drives
every draw, in a fixed order, so a seed gives the same rows on every machine.

**Loading**: :func:`load` records one import (kind ``daily``, format ``synthetic``)
and writes the rows with :func:`fangkong.store.bulk.copy_rows` — ``COPY`` on PostgreSQL,
``executemany`` on SQLite — in one transaction (about 30 s for the full dataset on
SQLite, most of it index upkeep), then runs ``ANALYZE``. The read models see it as any
import: the data version changes and cached answers are recomputed.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine, func, select, text

from fangkong.core.epi.serial_interval import discr_si

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
SEED = 20220101
START = date(2022, 1, 1)
DAYS = 365
SOURCE = "synthetic"
FORMAT = "synthetic"
#: Serial interval of Nishiura et al. (2020), the product's default.
SI_MEAN, SI_SD = 4.7, 2.9
#: Days of the serial interval kept (the mass beyond 30 days is below 1e-4).
SI_DAYS = 30
R_BASE, R_SPILL = 0.6, 0.9
LEAVES_PER_OUTBREAK = 60
SPILL_SHARE = 0.02
NB_K = 2.0
PORT_SHARE, PORT_RATE, OTHER_RATE = 0.03, 0.3, 0.002
CFR, DEATH_LAG, RECOVERY_LAG = 0.004, 12, 14
ASYMPTOMATIC_RATIO = 0.4
FIELDS = (
    "new_confirmed",
    "new_confirmed_imported",
    "new_deaths",
    "new_recovered",
    "new_asymptomatic",
)


@dataclass(slots=True)
class NationalDataset:
    """Daily figures of every region with rows, on a common day axis.

    ``codes[i]`` has the series ``figures[field][i, t]`` for day ``start + t``.
    """

    start: date
    days: int
    seed: int
    codes: list[str]
    levels: list[str]
    leaves: list[str]
    figures: dict[str, np.ndarray]
    provinces: tuple[str, ...] | None = None

    def rows(self) -> int:
        return len(self.codes) * self.days

    def series(self, code: str, field: str = "new_confirmed") -> np.ndarray:
        return self.figures[field][self.codes.index(code)]


def reference_regions() -> list[dict[str, str]]:
    text_ = resources.files("fangkong.data").joinpath("regions_cn.csv").read_text("utf-8")
    return list(csv.DictReader(text_.splitlines()))


def _renewal(
    rng: np.random.Generator,
    r: np.ndarray,
    imported: np.ndarray,
    sibling_index: np.ndarray,
    outbreak_active: np.ndarray,
) -> np.ndarray:
    """Local cases of every leaf and day (leaves × days) by the renewal equation."""
    n, days = r.shape
    w = discr_si(np.arange(SI_DAYS + 1), SI_MEAN, SI_SD)
    local = np.zeros((n, days), dtype=np.int64)
    n_groups = int(sibling_index.max()) + 1 if n else 0
    group_size = np.bincount(sibling_index, minlength=n_groups).astype(float)
    for t in range(days):
        lo = max(t - SI_DAYS, 0)
        recent = local[:, lo:t] + imported[:, lo:t]
        force = recent[:, ::-1] @ w[1 : t - lo + 1] if t else np.zeros(n)
        # Seeds from outbreaks elsewhere under the same parent (spill-over).
        outbreak_cases = (
            np.where(outbreak_active[:, t - 1], local[:, t - 1], 0) if t else np.zeros(n)
        )
        by_group = np.bincount(sibling_index, weights=outbreak_cases * 1.0, minlength=n_groups)
        others = by_group[sibling_index] - outbreak_cases
        seeds = SPILL_SHARE * others / np.maximum(group_size[sibling_index] - 1, 1)
        mean = r[:, t] * force + seeds
        # Negative binomial as a gamma-Poisson mixture (day-level overdispersion).
        lam = np.where(mean > 0, rng.gamma(NB_K, 1.0 / NB_K, size=n) * mean, 0.0)
        local[:, t] = rng.poisson(lam)
    return local


def generate(
    seed: int = SEED,
    *,
    start: date = START,
    days: int = DAYS,
    provinces: Sequence[str] | None = None,
) -> NationalDataset:
    """The dataset of ``seed``: every leaf region (of ``provinces`` only, when given)
    simulated over ``days`` days from ``start``, and the sums at every level above."""
    rng = np.random.default_rng(seed)
    regions = reference_regions()
    wanted = set(provinces) if provinces is not None else None
    parent = {r["region_code"]: r["parent_code"] for r in regions}
    level = {r["region_code"]: r["level"] for r in regions}
    level["CN"] = "country"

    def province_of(code: str) -> str:
        while parent.get(code, "CN") != "CN":
            code = parent[code]
        return code

    kept = [
        r["region_code"]
        for r in regions
        if wanted is None or province_of(r["region_code"]) in wanted
    ]
    has_children = {parent[c] for c in kept}
    leaves = sorted(c for c in kept if c not in has_children)
    n = len(leaves)

    # Imported cases: ports of entry and the rest.
    port = rng.random(n) < PORT_SHARE
    rate = np.where(port, rng.gamma(2.0, PORT_RATE / 2.0, size=n), OTHER_RATE)
    imported = rng.poisson(rate[:, None] * np.ones((n, days)))

    # R_t: baseline, outbreaks, spill-over under the same parent.
    r = np.full((n, days), R_BASE)
    active = np.zeros((n, days), dtype=bool)
    seeds = np.zeros((n, days), dtype=np.int64)
    sibling_keys = sorted({parent[c] for c in leaves})
    sibling_index = np.array([sibling_keys.index(parent[c]) for c in leaves], dtype=np.int64)
    n_outbreaks = max(1, round(n / LEAVES_PER_OUTBREAK))
    for _ in range(n_outbreaks):
        i = int(rng.integers(n))
        t0 = int(rng.integers(0, max(days - 60, 1)))
        grow = int(rng.integers(7, 22))
        r_hi, r_lo = rng.uniform(1.6, 3.2), rng.uniform(0.2, 0.6)
        seeds[i, t0] += int(rng.integers(1, 11))
        t1, t2 = min(t0 + grow, days), min(t0 + grow + 7, days)
        r[i, t0:t1] = r_hi
        r[i, t1:t2] = np.linspace(r_hi, r_lo, 7)[: t2 - t1]
        r[i, t2:] = r_lo
        end = min(t2 + 21, days)
        active[i, t0:end] = True
        siblings = (sibling_index == sibling_index[i]) & (np.arange(n) != i)
        r[siblings, t0:end] = np.maximum(r[siblings, t0:end], R_SPILL)
    local = _renewal(rng, r, imported + seeds, sibling_index, active)
    local += seeds  # index cases are local cases

    confirmed = local + imported
    deaths_cohort = rng.binomial(confirmed, CFR)
    deaths = np.zeros_like(confirmed)
    deaths[:, DEATH_LAG:] = deaths_cohort[:, : days - DEATH_LAG]
    recovered = np.zeros_like(confirmed)
    recovered[:, RECOVERY_LAG:] = (confirmed - deaths_cohort)[:, : days - RECOVERY_LAG]
    asymptomatic = rng.poisson(ASYMPTOMATIC_RATIO * local)
    leaf_figures = {
        "new_confirmed": confirmed,
        "new_confirmed_imported": imported,
        "new_deaths": deaths,
        "new_recovered": recovered,
        "new_asymptomatic": asymptomatic,
    }

    # Sums at every level above the leaves (each region once, from its leaves).
    below: dict[str, list[int]] = defaultdict(list)
    for i, code in enumerate(leaves):
        up = parent[code]
        while True:
            below[up].append(i)
            if up == "CN":
                break
            up = parent[up]
    aggregates = sorted(below, key=lambda c: (c != "CN", c))
    codes = [*aggregates, *leaves]
    figures: dict[str, np.ndarray] = {}
    for field, values in leaf_figures.items():
        sums = np.stack([values[below[c]].sum(axis=0) for c in aggregates])
        figures[field] = np.concatenate([sums, values]).astype(np.int64)
    return NationalDataset(
        start=start,
        days=days,
        seed=seed,
        codes=codes,
        levels=[level[c] for c in codes],
        leaves=leaves,
        figures=figures,
        provinces=tuple(sorted(provinces)) if provinces is not None else None,
    )


def fingerprint(data: NationalDataset) -> str:
    """SHA-256 of the figures (recorded as the import's ``sha256``)."""
    digest = hashlib.sha256(f"{data.seed}|{data.start}|{data.days}|".encode())
    digest.update("|".join(data.codes).encode())
    for field in FIELDS:
        digest.update(np.ascontiguousarray(data.figures[field]).tobytes())
    return digest.hexdigest()


def _rows(data: NationalDataset, import_id: int, stamp: Any) -> list[tuple[Any, ...]]:
    """Every row, region by region and day by day (the order of the unique index)."""
    n = len(data.codes)
    days = [data.start + timedelta(days=t) for t in range(data.days)]
    columns: list[list[Any]] = [
        np.repeat(np.asarray(data.codes), data.days).tolist(),
        days * n,
        [SOURCE] * (n * data.days),
        *(data.figures[f].ravel().tolist() for f in FIELDS),
        [import_id] * (n * data.days),
        [stamp] * (n * data.days),
    ]
    return list(zip(*columns, strict=True))


def import_name(seed: int, days: int, provinces: Sequence[str] | None) -> str:
    """The file name recorded for the import (also how a loaded dataset is found)."""
    name = f"national_dataset seed={seed} days={days}"
    return name + (f" provinces={','.join(sorted(provinces))}" if provinces else "")


def load(engine: Engine, data: NationalDataset, *, chunk: int = 200_000) -> int:
    """Store ``data`` as one import of source ``synthetic``; returns the import id."""
    from fangkong.services.import_runs import finish_import, now, start_import
    from fangkong.store.bulk import copy_rows

    result = start_import(
        engine,
        kind="daily",
        format_name=FORMAT,
        filename=import_name(data.seed, data.days, data.provinces),
        sha256=fingerprint(data),
        actor="bench",
    )
    columns = ("region_code", "report_date", "source", *FIELDS, "import_id", "updated_at")
    rows = _rows(data, result.import_id, now())
    with engine.begin() as conn:
        for first in range(0, len(rows), chunk):
            copy_rows(conn, "daily_reports", columns, rows[first : first + chunk])
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    result.rows_read = result.rows_inserted = data.rows()
    result.notes.append(f"source: {SOURCE}; generated by bench/national_dataset.py")
    finish_import(engine, result, "completed")
    return result.import_id


def already_loaded(engine: Engine, name: str) -> bool:
    from fangkong.store import models as m

    with engine.connect() as conn:
        found = conn.execute(
            select(func.count()).where(
                m.ImportRow.filename == name, m.ImportRow.status == "completed"
            )
        ).scalar_one()
    return bool(found)


def build(
    database_url: str,
    *,
    seed: int = SEED,
    days: int = DAYS,
    provinces: Sequence[str] | None = None,
) -> tuple[int, float]:
    """Create (or reuse) a database holding the dataset; returns (rows, seconds)."""
    from fangkong.services.database import upgrade_database
    from fangkong.settings import Settings
    from fangkong.store.db import make_engine

    began = time.perf_counter()
    upgrade_database(Settings(database_url=database_url))
    engine = make_engine(database_url)
    try:
        if already_loaded(engine, import_name(seed, days, provinces)):
            return 0, time.perf_counter() - began
        data = generate(seed, days=days, provinces=provinces)
        load(engine, data)
        return data.rows(), time.perf_counter() - began
    finally:
        engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=f"sqlite:///{OUT / 'national.db'}")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--days", type=int, default=DAYS)
    parser.add_argument("--provinces", help="comma-separated province codes (default: all)")
    args = parser.parse_args(argv)
    provinces = args.provinces.split(",") if args.provinces else None
    rows, seconds = build(args.database_url, seed=args.seed, days=args.days, provinces=provinces)
    if rows:
        print(f"national dataset: {rows:,} daily reports loaded in {seconds:.1f} s")
    else:
        print(f"national dataset: already loaded ({args.database_url})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
