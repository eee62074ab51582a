"""The demo data: real 2020 figures bundled in ``fangkong/data/demo`` (see its sources).

``load_demo_data`` imports them idempotently: a file whose SHA-256 was already imported
to completion is skipped, so a second ``make demo`` is fast; anything else is imported
normally (and, being idempotent, adds nothing twice)."""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Iterator
from contextlib import nullcontext
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from fangkong.core.access import CLI_ACTOR
from fangkong.services.daily_import import import_daily_file
from fangkong.services.import_reports import completed_import_exists
from fangkong.services.import_runs import ImportResult, sha256_of
from fangkong.settings import Settings
from fangkong.store.db import make_engine

#: Daily-report files, in loading order.
DAILY_FILES: tuple[str, ...] = (
    "canghailan_china_national_daily_2020-01-10_2020-06-30.csv",
    "canghailan_china_province_daily_2020-01-10_2020-06-30.csv",
    "canghailan_hubei_city_daily_2020-01-10_2020-06-30.csv",
    "ccdc_dashboard_china_province_daily_2020-01-17_2020-03-04.csv",
    "time_series_covid19_confirmed_global.csv",
    "time_series_covid19_deaths_global.csv",
    "time_series_covid19_recovered_global.csv",
)
#: Case line lists, loaded when the case importer is installed.
CASE_FILES: tuple[str, ...] = (
    "beoutbreakprepared_ncov_hubei_20200221.csv",
    "beoutbreakprepared_ncov_outside_hubei_20200221.csv",
)


def demo_dir() -> Path:
    return Path(str(resources.files("fangkong.data").joinpath("demo")))


def describe(name: str, result: ImportResult) -> str:
    """One human line about an import."""
    line = (
        f"{name}: {result.rows_read:,} rows, {result.rows_inserted:,} inserted, "
        f"{result.rows_updated:,} updated, {result.rows_unchanged:,} unchanged, "
        f"{result.rows_rejected:,} rejected"
    )
    if result.revisions:
        line += f", {result.revisions:,} revisions"
    return line + (f" (rejected rows: {result.reject_file})" if result.reject_file else "")


def _already_loaded(engine: Engine, path: Path, kind: str) -> bool:
    with path.open("rb") as fh:
        return completed_import_exists(engine, sha256_of(fh), kind)


def load_demo_data(settings: Settings, progress: Any = None) -> Iterator[str]:
    """Import every bundled demo file; yield one line per file. ``progress`` may be a
    Rich console (its ``status`` spinner is shown while a file loads)."""
    engine = make_engine(settings.database_url)
    folder = demo_dir()
    jobs: list[tuple[str, str]] = [(name, "daily") for name in DAILY_FILES]
    case_import: Any = None
    if importlib.util.find_spec("fangkong.services.case_import") is not None:
        case_import = importlib.import_module("fangkong.services.case_import")
        jobs += [(name, case_import.KIND) for name in CASE_FILES]
    try:
        for name, kind in jobs:
            path = folder / name
            if not path.exists():
                yield f"{name}: not bundled, skipped"
                continue
            if _already_loaded(engine, path, kind):
                yield f"{name}: already loaded"
                continue
            status = (
                progress.status(f"loading {name}…")
                if hasattr(progress, "status")
                else nullcontext()
            )
            with status:
                if kind == "daily":
                    result = import_daily_file(engine, settings, path, actor=CLI_ACTOR)
                else:
                    result = case_import.import_case_file(engine, settings, path, actor=CLI_ACTOR)
            yield describe(name, result)
    finally:
        engine.dispose()
