"""Ingest benchmark: a 1,000,000-row ``fangkong-cases`` line list into SQLite and
PostgreSQL, against a row-by-row ORM baseline.

Usage::

    .venv/bin/python bench/ingest.py [--rows 1000000] [--pg-admin URL]

It generates ``bench/out/cases_<rows>.csv`` (seeded, so every run writes the same file:
real GB/T 2260 region codes weighted by province population, an epidemic curve of onset
dates, gamma-distributed delays to confirmation and outcome, realistic age, sex,
severity and outcome mixes), imports it into a fresh SQLite file and a fresh PostgreSQL
database — each import in its own subprocess so that its peak RSS is its own — and times
a baseline on a 20,000-row sample: SQLAlchemy ORM ``session.add`` of one mapped
``CaseRecordRow`` per row, one commit per 1,000 rows, into SQLite. It ends with the
``metric`` lines read by the project's benchmark tracking.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import subprocess
import sys
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from fangkong.core.cases import CASE_FIELDS

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SEED = 20200123
HEADER = CASE_FIELDS


def _reference_regions() -> tuple[list[str], np.ndarray]:
    """Prefecture and county codes, weighted by their province's population."""
    from importlib import resources

    text = resources.files("fangkong.data").joinpath("regions_cn.csv").read_text("utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    population = {
        r["region_code"]: int(r["population"] or 0) for r in rows if r["level"] == "province"
    }
    codes: list[str] = []
    weights: list[float] = []
    children: dict[str, int] = {}
    for r in rows:
        if r["level"] in ("prefecture", "county"):
            province = r["region_code"][:2] + "0000"
            children[province] = children.get(province, 0) + 1
    for r in rows:
        if r["level"] in ("prefecture", "county"):
            province = r["region_code"][:2] + "0000"
            codes.append(r["region_code"])
            weights.append(population.get(province, 1_000_000) / children[province])
    w = np.asarray(weights, dtype=float)
    return codes, w / w.sum()


def generate(path: Path, rows: int, seed: int = SEED) -> Path:
    """Write a realistic ``fangkong-cases`` CSV of ``rows`` cases to ``path``."""
    rng = np.random.default_rng(seed)
    codes, weights = _reference_regions()
    start = date(2020, 1, 1)
    days = [(start + timedelta(days=d)).isoformat() for d in range(400)]
    path.parent.mkdir(parents=True, exist_ok=True)
    countries = np.array(
        [
            "Wuhan",
            "Italy",
            "Iran",
            "United States",
            "United Kingdom",
            "Spain",
            "Russia",
            "Philippines",
            "Indonesia",
            "France",
        ]
    )
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(HEADER)
        chunk = 100_000
        for offset in range(0, rows, chunk):
            n = min(chunk, rows - offset)
            region = rng.choice(len(codes), size=n, p=weights)
            onset = np.clip(rng.gamma(6.0, 7.0, size=n), 0, 180).astype(int) + 10
            confirm = onset + np.clip(rng.gamma(2.2, 2.4, size=n), 0, 40).astype(int)
            report = confirm + (rng.random(n) < 0.3)
            outcome_r = rng.random(n)
            outcome_delay = np.clip(rng.gamma(4.0, 5.0, size=n), 3, 80).astype(int)
            age = np.clip(rng.normal(47, 18, size=n), 0, 99).astype(int)
            band = rng.random(n) < 0.04
            sex_r = rng.random(n)
            cls_r = rng.random(n)
            sev_r = rng.random(n)
            imported = rng.random(n) < 0.05
            origin = rng.choice(countries, size=n)
            known_onset = rng.random(n) < 0.85
            hw = rng.random(n) < 0.03
            cluster = rng.random(n) < 0.2
            cluster_no = rng.integers(1, 20_000, size=n)
            out_rows = []
            for i in range(n):
                cls = (
                    "confirmed"
                    if cls_r[i] < 0.85
                    else "asymptomatic"
                    if cls_r[i] < 0.93
                    else "clinically_diagnosed"
                    if cls_r[i] < 0.98
                    else "suspected"
                )
                if outcome_r[i] < 0.93:
                    outcome, odate = "recovered", days[confirm[i] + outcome_delay[i]]
                elif outcome_r[i] < 0.97:
                    outcome, odate = "died", days[confirm[i] + outcome_delay[i] // 2]
                else:
                    outcome, odate = "under_treatment", ""
                severity = (
                    "mild"
                    if sev_r[i] < 0.4
                    else "moderate"
                    if sev_r[i] < 0.8
                    else "severe"
                    if sev_r[i] < 0.95
                    else "critical"
                )
                if cls == "asymptomatic":
                    severity, known = "", False
                else:
                    known = known_onset[i]
                decade = age[i] // 10 * 10
                out_rows.append(
                    (
                        "bench",
                        f"B{offset + i:07d}",
                        codes[region[i]],
                        cls,
                        days[onset[i]] if known else "",
                        days[confirm[i]],
                        days[report[i]],
                        "true" if imported[i] else "false",
                        origin[i] if imported[i] else "",
                        severity,
                        outcome,
                        odate,
                        "" if band[i] else str(age[i]),
                        f"{decade}-{decade + 9}" if band[i] else "",
                        "female" if sex_r[i] < 0.49 else "male" if sex_r[i] < 0.995 else "",
                        "true" if hw[i] else "",
                        f"C{cluster_no[i]:05d}" if cluster[i] else "",
                    )
                )
            writer.writerows(out_rows)
    return path


def import_one(url: str, path: str) -> dict[str, Any]:
    """Import ``path`` into ``url`` (run in a subprocess: peak RSS is this import's)."""
    from fangkong.services.case_import import import_case_file
    from fangkong.settings import Settings
    from fangkong.store.db import make_engine

    settings = Settings(database_url=url, var_dir=OUT / "var")
    engine = make_engine(url)
    started = time.perf_counter()
    result = import_case_file(engine, settings, Path(path))
    elapsed = time.perf_counter() - started
    engine.dispose()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "rows": result.rows_inserted,
        "read": result.rows_read,
        "rejected": result.rows_rejected,
        "seconds": elapsed,
        "rows_per_s": result.rows_read / elapsed,
        "peak_rss_mb": peak_kb / 1024,
    }


def _subprocess_import(url: str, path: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--import-one", url, str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _fresh_sqlite(name: str) -> str:
    from fangkong.services.database import upgrade_database
    from fangkong.settings import Settings

    db = OUT / name
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    url = f"sqlite:///{db}"
    upgrade_database(Settings(database_url=url))
    return url


def orm_baseline(path: Path, rows: int = 20_000) -> float:
    """Rows per second of the naive way: one ORM object per row, commit per 1,000."""
    from sqlalchemy.orm import Session

    from fangkong.store.db import make_engine
    from fangkong.store.models import CaseRecordRow

    url = _fresh_sqlite("orm_baseline.db")
    engine = make_engine(url)
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        sample = [next(reader) for _ in range(rows)]

    def day(text: str) -> date | None:
        return date.fromisoformat(text) if text else None

    def flag(text: str) -> bool | None:
        return None if not text else text == "true"

    started = time.perf_counter()
    with Session(engine) as session:
        for n, r in enumerate(sample, start=1):
            session.add(
                CaseRecordRow(
                    source=r["source"],
                    case_id=r["case_id"],
                    region_code=r["region_code"],
                    classification=r["classification"],
                    onset_date=day(r["onset_date"]),
                    confirmation_date=day(r["confirmation_date"]),
                    report_date=day(r["report_date"]),
                    imported=flag(r["imported"]),
                    origin=r["origin"] or None,
                    severity=r["severity"] or None,
                    outcome=r["outcome"] or None,
                    outcome_date=day(r["outcome_date"]),
                    age_years=int(r["age_years"]) if r["age_years"] else None,
                    age_band=r["age_band"] or None,
                    sex=r["sex"] or None,
                    health_worker=flag(r["health_worker"]),
                    cluster_id=r["cluster_id"] or None,
                )
            )
            if n % 1000 == 0:
                session.commit()
        session.commit()
    elapsed = time.perf_counter() - started
    engine.dispose()
    return rows / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--pg-admin", default=PG_ADMIN)
    parser.add_argument("--import-one", nargs=2, metavar=("URL", "FILE"))
    args = parser.parse_args()
    if args.import_one:
        print(json.dumps(import_one(*args.import_one)))
        return
    from sqlalchemy import create_engine, text

    from fangkong.services.database import upgrade_database
    from fangkong.settings import Settings

    path = OUT / f"cases_{args.rows}.csv"
    if not path.exists():
        started = time.perf_counter()
        generate(path, args.rows)
        print(f"generated {path} in {time.perf_counter() - started:.1f} s", flush=True)

    sqlite = _subprocess_import(_fresh_sqlite("ingest.db"), path)
    print(f"sqlite: {sqlite}", flush=True)

    admin = create_engine(args.pg_admin, isolation_level="AUTOCOMMIT")
    name = f"fangkong_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        pg_url = args.pg_admin.rsplit("/", 1)[0] + "/" + name
        upgrade_database(Settings(database_url=pg_url))
        postgres = _subprocess_import(pg_url, path)
        print(f"postgres: {postgres}", flush=True)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    orm = orm_baseline(path, min(20_000, args.rows))
    print(f"orm baseline (20,000 rows, SQLite): {orm:,.0f} rows/s", flush=True)
    for result in (sqlite, postgres):
        if result["rejected"] or result["rows"] != args.rows:
            raise SystemExit(f"import incomplete: {result}")
    print(f"metric ingest_sqlite_rows_per_s {sqlite['rows_per_s']:.0f}")
    print(f"metric ingest_postgres_rows_per_s {postgres['rows_per_s']:.0f}")
    print(f"metric ingest_peak_rss_mb {max(sqlite['peak_rss_mb'], postgres['peak_rss_mb']):.0f}")
    print(f"metric ingest_speedup_vs_orm {sqlite['rows_per_s'] / orm:.1f}")


if __name__ == "__main__":
    main()
