"""Reference data: the regions (GB/T 2260, ISO 3166-1), their aliases and populations.

Loaded by ``fangkong db upgrade`` so that a new database is usable at once. The files
are built by ``scripts/build_reference_data.py`` and shipped in ``fangkong/data``; see
``DATA_SOURCES.md`` for origins and licences.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from importlib import resources
from typing import Any

from sqlalchemy import Engine, func, select

from fangkong.core.regions import Region, RegionLevel, RegionTree
from fangkong.store import models as m
from fangkong.store.upsert import upsert_rows

LEVEL_ORDER = {level: i for i, level in enumerate(RegionLevel)}


def _read(name: str) -> Iterator[dict[str, str]]:
    with resources.files("fangkong.data").joinpath(name).open(encoding="utf-8") as fh:
        yield from csv.DictReader(fh)


def _int_or_none(text: str) -> int | None:
    return int(text) if text.strip() else None


def bundled_regions() -> list[Region]:
    """All shipped regions, parents before children."""
    regions: list[Region] = []
    for row in _read("countries.csv"):
        regions.append(
            Region(
                row["region_code"],
                RegionLevel.COUNTRY,
                None,
                row["name_zh"],
                row["name_en"],
                _int_or_none(row.get("population", "")),
            )
        )
    for row in _read("regions_cn.csv"):
        regions.append(
            Region(
                row["region_code"],
                RegionLevel(row["level"]),
                row["parent_code"] or None,
                row["name_zh"],
                row["name_en"],
                _int_or_none(row["population"]),
            )
        )
    regions.sort(key=lambda r: LEVEL_ORDER[r.level])
    return regions


def bundled_aliases() -> list[dict[str, str]]:
    return [
        {"scheme": row["scheme"], "alias": row["alias"], "region_code": row["region_code"]}
        for row in _read("region_aliases.csv")
    ]


def load_reference_data(engine: Engine) -> dict[str, int]:
    """Insert or refresh every bundled region and alias. Idempotent."""
    regions = bundled_regions()
    region_rows: list[dict[str, Any]] = [
        {
            "region_code": r.region_code,
            "level": r.level.value,
            "parent_code": r.parent_code,
            "name_zh": r.name_zh,
            "name_en": r.name_en,
            "population": r.population,
        }
        for r in regions
    ]
    with engine.begin() as conn:
        upsert_rows(conn, m.table_of(m.RegionRow), region_rows, ["region_code"])
        upsert_rows(conn, m.table_of(m.RegionAliasRow), bundled_aliases(), ["scheme", "alias"])
        count = conn.execute(select(func.count()).select_from(m.RegionRow)).scalar_one()
    return {"regions": int(count)}


def region_tree(engine: Engine) -> RegionTree:
    with engine.connect() as conn:
        rows = conn.execute(select(m.RegionRow.region_code, m.RegionRow.parent_code)).all()
    return RegionTree({code: parent for code, parent in rows})
