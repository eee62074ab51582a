"""Open data: every published table as CSV or JSON, with a data dictionary.

Tables (stable names, served under ``/api/v1/opendata/``):

* ``regions`` — the regions (GB/T 2260 codes in China, ISO 3166-1 alpha-2 abroad).
* ``daily_reports`` — the stored daily reports by region, date and source, with the
  cumulative figures derived by summation in SQL (a window sum per region and source,
  so a filtered download still carries the totals of the earlier days).
* ``who_daily`` — country figures in the layout of WHO's COVID-19 daily file
  (``Date_reported,Country_code,Country,WHO_region,New_cases,Cumulative_cases,
  New_deaths,Cumulative_deaths``); a country's figures are its own rows, or the sum of
  its provinces where the source has no country row (JHU reports China by province).

Only aggregates are published: no table holds an individual case record.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Engine, func, select

from fangkong.core.privacy.csv_safety import SafeDictWriter
from fangkong.core.reports import COUNT_FIELDS
from fangkong.services.errors import Invalid, NotFound
from fangkong.services.public import SOURCES, country_filter, country_key, world_sources
from fangkong.services.who_regions import who_region
from fangkong.store import models as m

R = m.RegionRow
D = m.DailyReportRow


def N_(text: str) -> str:
    """Marks a message for the catalogues (translated where it is shown)."""
    return text


#: Licence of the tables compiled by the platform (each source keeps its own terms,
#: listed in :data:`fangkong.services.public.SOURCES`).
LICENCE = {
    "name": "CC BY 4.0",
    "url": "https://creativecommons.org/licenses/by/4.0/",
}

_COUNT_DOC: dict[str, tuple[str, str]] = {
    "new_confirmed": ("cases", N_("New confirmed cases reported in the day (local + imported).")),
    "new_confirmed_imported": ("cases", N_("New confirmed cases imported from abroad.")),
    "new_suspected": ("cases", N_("New suspected cases.")),
    "new_deaths": ("deaths", N_("New deaths.")),
    "new_recovered": ("people", N_("New recoveries (discharged from hospital).")),
    "new_asymptomatic": ("people", N_("New asymptomatic infections.")),
    "tests": ("tests", N_("Tests performed in the day.")),
    "current_severe": ("cases", N_("Severe cases in hospital at 24:00 of the day.")),
    "current_suspected": ("cases", N_("Suspected cases at 24:00 of the day.")),
    "close_contacts_under_observation": (
        "people",
        N_("Close contacts under medical observation at 24:00 of the day."),
    ),
}

#: Units of the dictionary's columns (marked for the catalogues).
UNITS = (N_("cases"), N_("deaths"), N_("people"), N_("tests"))

#: The data dictionary: table -> (title, description, columns (name, type, unit, text)).
TABLES: dict[str, dict[str, Any]] = {
    "regions": {
        "title": N_("Regions"),
        "description": N_(
            "Administrative regions: China's divisions by GB/T 2260 code, other countries "
            "by ISO 3166-1 alpha-2 code; population from the census."
        ),
        "columns": [
            ("region_code", "string", "", N_("GB/T 2260 code or ISO 3166-1 alpha-2 code.")),
            ("level", "string", "", N_("country, province, prefecture or county.")),
            ("parent_code", "string", "", N_("Code of the region it belongs to (empty: none).")),
            ("name_zh", "string", "", N_("Name in Chinese.")),
            ("name_en", "string", "", N_("Name in English.")),
            ("population", "integer", "people", N_("Resident population (census).")),
        ],
    },
    "daily_reports": {
        "title": N_("Daily reports by region and source"),
        "description": N_(
            "One row per region, report date and source, as published (figures as of "
            "24:00 of the date). An empty cell means not reported, which differs from 0. "
            "Negative new figures are publishers' corrections of earlier days."
        ),
        "columns": [
            ("region_code", "string", "", N_("GB/T 2260 code or ISO 3166-1 alpha-2 code.")),
            ("source", "string", "", N_("Who published the figures (see the sources).")),
            ("report_date", "date", "", N_("Date of the report (ISO 8601).")),
            *((name, "integer", unit, text) for name, (unit, text) in _COUNT_DOC.items()),
            ("new_confirmed_local", "integer", "cases", N_("New local cases (new − imported).")),
            (
                "cumulative_confirmed",
                "integer",
                "cases",
                N_("Sum of new confirmed cases up to the date."),
            ),
            ("cumulative_deaths", "integer", "deaths", N_("Sum of new deaths up to the date.")),
            (
                "cumulative_recovered",
                "integer",
                "people",
                N_("Sum of new recoveries up to the date."),
            ),
            (
                "current_confirmed",
                "integer",
                "cases",
                N_("Cumulative confirmed − cumulative recovered − cumulative deaths."),
            ),
            ("flags", "string", "", N_("Comma-separated notes on the row (e.g. corrections).")),
        ],
    },
    "who_daily": {
        "title": N_("Country figures in the WHO daily layout"),
        "description": N_(
            "Countries' daily new and cumulative cases and deaths in the column layout of "
            "WHO's COVID-19 daily file, from one source. China includes its provinces, "
            "Hong Kong, Macao and Taiwan."
        ),
        "columns": [
            ("Date_reported", "date", "", N_("Date of the report (ISO 8601).")),
            ("Country_code", "string", "", N_("ISO 3166-1 alpha-2 code.")),
            ("Country", "string", "", N_("Country name (English).")),
            ("WHO_region", "string", "", N_("WHO region: AFR, AMR, EMR, EUR, SEAR, WPR, OTHER.")),
            ("New_cases", "integer", "cases", N_("New confirmed cases.")),
            ("Cumulative_cases", "integer", "cases", N_("Cumulative confirmed cases.")),
            ("New_deaths", "integer", "deaths", N_("New deaths.")),
            ("Cumulative_deaths", "integer", "deaths", N_("Cumulative deaths.")),
        ],
    },
}
FORMATS = ("csv", "json")


def columns_of(table: str) -> list[str]:
    return [c[0] for c in TABLES[table]["columns"]]


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def regions_rows(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                R.region_code, R.level, R.parent_code, R.name_zh, R.name_en, R.population
            ).order_by(R.region_code)
        ).all()
    return [r._asdict() for r in rows]


def _running(column: Any, partition: Sequence[Any], order: Any) -> Any:
    return func.sum(func.coalesce(column, 0)).over(partition_by=list(partition), order_by=order)


def daily_report_rows(
    engine: Engine,
    *,
    source: str | None = None,
    region_code: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> list[dict[str, Any]]:
    """Rows of ``daily_reports`` ordered by source, region and date; cumulative figures
    count every earlier stored day of the same region and source."""
    if date_from and date_to and date_from > date_to:
        raise Invalid("'from' is after 'to'", field="from")
    part = (D.region_code, D.source)
    inner = select(
        D.region_code,
        D.source,
        D.report_date,
        *(getattr(D, f) for f in COUNT_FIELDS),
        D.flags,
        _running(D.new_confirmed, part, D.report_date).label("cumulative_confirmed"),
        _running(D.new_deaths, part, D.report_date).label("cumulative_deaths"),
        _running(D.new_recovered, part, D.report_date).label("cumulative_recovered"),
    )
    if source is not None:
        inner = inner.where(D.source == source)
    if region_code is not None:
        inner = inner.where(D.region_code == region_code)
    if date_to is not None:
        inner = inner.where(D.report_date <= date_to)
    sub = inner.subquery()
    query = select(sub)
    if date_from is not None:
        query = query.where(sub.c.report_date >= date_from)
    query = query.order_by(sub.c.source, sub.c.region_code, sub.c.report_date)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    out: list[dict[str, Any]] = []
    for row in rows:
        item = row._asdict()
        item["report_date"] = _iso(item["report_date"])
        new, imported = item["new_confirmed"], item["new_confirmed_imported"]
        item["new_confirmed_local"] = None if new is None or imported is None else new - imported
        for k in ("cumulative_confirmed", "cumulative_deaths", "cumulative_recovered"):
            item[k] = int(item[k])
        item["current_confirmed"] = (
            item["cumulative_confirmed"] - item["cumulative_recovered"] - item["cumulative_deaths"]
        )
        item["flags"] = item["flags"] or ""
        out.append(item)
    return out


def who_daily_rows(engine: Engine, source: str) -> list[dict[str, Any]]:
    """Country rows of ``source`` in WHO's daily layout, by country and date."""
    if source not in world_sources(engine):
        raise NotFound(
            f"no country has figures from source {source!r}; available: "
            f"{', '.join(world_sources(engine)) or 'none'}",
            field="source",
        )
    key = country_key().label("country")
    grouped = (
        select(
            key,
            D.report_date,
            func.sum(D.new_confirmed).label("new_cases"),
            func.sum(D.new_deaths).label("new_deaths"),
        )
        .select_from(D)
        .join(R, R.region_code == D.region_code)
        .where(D.source == source, country_filter(engine, source))
        .group_by(country_key(), D.report_date)
        .subquery()
    )
    g = grouped.c
    query = (
        select(
            g.country,
            g.report_date,
            g.new_cases,
            g.new_deaths,
            _running(g.new_cases, [g.country], g.report_date).label("cum_cases"),
            _running(g.new_deaths, [g.country], g.report_date).label("cum_deaths"),
            R.name_en,
        )
        .join(R, R.region_code == g.country)
        .order_by(g.country, g.report_date)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [
        {
            "Date_reported": _iso(r.report_date),
            "Country_code": r.country,
            "Country": r.name_en,
            "WHO_region": who_region(r.country),
            "New_cases": None if r.new_cases is None else int(r.new_cases),
            "Cumulative_cases": int(r.cum_cases),
            "New_deaths": None if r.new_deaths is None else int(r.new_deaths),
            "Cumulative_deaths": int(r.cum_deaths),
        }
        for r in rows
    ]


def to_csv(columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> bytes:
    """UTF-8 CSV (RFC 4180, ``\\n`` line ends); an empty cell is a missing figure."""
    out = io.StringIO()
    writer = SafeDictWriter(
        out, fieldnames=list(columns), lineterminator="\n", extrasaction="ignore"
    )
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def to_json(table: str, rows: Sequence[dict[str, Any]], **meta: Any) -> bytes:
    """A JSON document: the table's name, licence, filters in ``meta`` and the rows."""
    sources = sorted({r["source"] for r in rows if "source" in r})
    if meta.get("source"):
        sources = [meta["source"]]
    document = {
        "table": table,
        **meta,
        "licence": LICENCE,
        "sources": {s: SOURCES.get(s, {}).get("en", s) for s in sources},
        "columns": columns_of(table),
        "items": list(rows),
    }
    return (json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
