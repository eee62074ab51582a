"""``/api/v1/opendata``: the published tables (CSV, JSON, WHO layout) and the read
models of the public pages, at stable addresses.

Every answer carries a strong ``ETag`` derived from the data version and the request,
plus ``Cache-Control: public``; a request whose ``If-None-Match`` matches gets ``304
Not Modified`` without the body. Bodies are built once per data version and kept in the
app's cache (:mod:`fangkong.api.caching`). Public aggregate figures:
no authentication.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy import Engine

from fangkong.api.caching import cache_of, conditional
from fangkong.api.caching import etag_matches as etag_matches  # used by bulletins_publish
from fangkong.api.deps import get_engine, get_settings
from fangkong.api.routing import ApiRouter
from fangkong.services import opendata as od
from fangkong.services import public as pub
from fangkong.services.errors import NotFound
from fangkong.settings import Settings
from fangkong.web.i18n import translations

router = ApiRouter(prefix="/api/v1/opendata", tags=["open data"])
SOURCE = r"^[a-z0-9_-]{1,32}$"
CODE = r"^[A-Za-z0-9-]{2,16}$"
MEDIA = {"csv": "text/csv; charset=utf-8", "json": "application/json"}
#: The answers of a cached table, for the OpenAPI document: JSON or CSV, or 304.
TABLE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The table (its ETag and Cache-Control headers are set)",
        "content": {"application/json": {}, "text/csv": {"schema": {"type": "string"}}},
    },
    304: {"description": "Not modified: If-None-Match names the current ETag"},
}
JSON_RESPONSES: dict[int | str, dict[str, Any]] = {
    304: TABLE_RESPONSES[304],
}


def _fmt(fmt: str) -> str:
    if fmt not in od.FORMATS:
        raise NotFound(f"no format {fmt!r}; one of {', '.join(od.FORMATS)}", field="format")
    return fmt


def _json(document: Any) -> bytes:
    return (json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


def dictionary() -> dict[str, Any]:
    """The data dictionary in both languages."""
    zh = translations("zh")
    tables: dict[str, Any] = {}
    for name, table in od.TABLES.items():
        tables[name] = {
            "title": {"en": table["title"], "zh": zh.gettext(table["title"])},
            "description": {"en": table["description"], "zh": zh.gettext(table["description"])},
            "formats": {f: f"/api/v1/opendata/{name}.{f}" for f in od.FORMATS},
            "columns": [
                {
                    "name": col,
                    "type": typ,
                    "unit": unit,
                    "description": {"en": text, "zh": zh.gettext(text)},
                }
                for col, typ, unit, text in table["columns"]
            ],
        }
    return {
        "licence": od.LICENCE,
        "sources": pub.SOURCES,
        "tables": tables,
        "dictionary_page": {"zh": "/zh/opendata", "en": "/en/opendata"},
    }


@router.get(
    "", summary="Catalogue of the open data tables and their dictionary", responses=JSON_RESPONSES
)
def catalogue(request: Request) -> Response:
    return conditional(request, ("catalogue",), lambda: (_json(dictionary()), MEDIA["json"]))


@router.get("/regions.{fmt}", summary="Regions (CSV or JSON)", responses=TABLE_RESPONSES)
def regions_table(
    request: Request, engine: Annotated[Engine, Depends(get_engine)], fmt: str
) -> Response:
    fmt = _fmt(fmt)

    def build() -> tuple[bytes, str]:
        rows = od.regions_rows(engine)
        if fmt == "csv":
            return od.to_csv(od.columns_of("regions"), rows), MEDIA["csv"]
        return od.to_json("regions", rows), MEDIA["json"]

    return conditional(request, ("regions", fmt), build, f"regions.{fmt}")


@router.get(
    "/daily_reports.{fmt}",
    summary="Daily reports by region and source (CSV or JSON)",
    responses=TABLE_RESPONSES,
)
def daily_reports_table(
    request: Request,
    engine: Annotated[Engine, Depends(get_engine)],
    fmt: str,
    source: Annotated[str | None, Query(pattern=SOURCE)] = None,
    region_code: Annotated[str | None, Query(pattern=CODE)] = None,
    date_from: Annotated[date | None, Query(alias="from")] = None,
    date_to: Annotated[date | None, Query(alias="to")] = None,
) -> Response:
    fmt = _fmt(fmt)

    def build() -> tuple[bytes, str]:
        rows = od.daily_report_rows(
            engine, source=source, region_code=region_code, date_from=date_from, date_to=date_to
        )
        if fmt == "csv":
            return od.to_csv(od.columns_of("daily_reports"), rows), MEDIA["csv"]
        meta = {
            "source": source,
            "region_code": region_code,
            "from": date_from.isoformat() if date_from else None,
            "to": date_to.isoformat() if date_to else None,
        }
        return od.to_json("daily_reports", rows, **meta), MEDIA["json"]

    key = ("daily_reports", fmt, source, region_code, date_from, date_to)
    name = "_".join(x for x in ("daily_reports", source, region_code) if x) + f".{fmt}"
    return conditional(request, key, build, name)


@router.get(
    "/who_daily.{fmt}",
    summary="Country figures in the WHO daily CSV layout",
    responses=TABLE_RESPONSES,
)
def who_daily_table(
    request: Request,
    engine: Annotated[Engine, Depends(get_engine)],
    settings: Annotated[Settings, Depends(get_settings)],
    fmt: str,
    source: Annotated[str | None, Query(pattern=SOURCE)] = None,
) -> Response:
    fmt = _fmt(fmt)
    chosen = source
    if chosen is None:
        chosen = cache_of(request).get(
            ("world-source",),
            lambda: pub.world_table(engine, None, priority=settings.source_priority)["source"],
        )
        if chosen is None:
            raise NotFound("no country figures have been loaded", field="source")

    def build() -> tuple[bytes, str]:
        rows = od.who_daily_rows(engine, chosen)
        if fmt == "csv":
            return od.to_csv(od.columns_of("who_daily"), rows), MEDIA["csv"]
        return od.to_json("who_daily", rows, source=chosen), MEDIA["json"]

    return conditional(request, ("who_daily", fmt, chosen), build, f"who_daily_{chosen}.{fmt}")


@router.get(
    "/overview.json",
    summary="National overview: headline figures, curve, provinces",
    responses=JSON_RESPONSES,
)
def overview(
    request: Request,
    engine: Annotated[Engine, Depends(get_engine)],
    settings: Annotated[Settings, Depends(get_settings)],
    day: Annotated[date | None, Query(alias="date")] = None,
    source: Annotated[
        str | None, Query(pattern=SOURCE, description="Source of the provinces.")
    ] = None,
) -> Response:
    def build() -> tuple[bytes, str]:
        data = cache_of(request).get(
            ("overview", day, source),
            lambda: pub.national_overview(
                engine, day, province_source=source, priority=settings.source_priority
            ),
        )
        return _json(data), MEDIA["json"]

    return conditional(request, ("overview.json", day, source), build)


@router.get(
    "/region/{region_code}.json",
    summary="A region: headline figures, curve, sub-regions",
    responses=JSON_RESPONSES,
)
def region(
    request: Request,
    engine: Annotated[Engine, Depends(get_engine)],
    settings: Annotated[Settings, Depends(get_settings)],
    region_code: str,
    day: Annotated[date | None, Query(alias="date")] = None,
    source: Annotated[str | None, Query(pattern=SOURCE)] = None,
) -> Response:
    def build() -> tuple[bytes, str]:
        data = pub.region_overview(
            engine, region_code, day, source=source, priority=settings.source_priority
        )
        as_of = pub.parse_day(data["date"]) or day
        data["subregions"] = pub.subregion_table(
            engine, region_code, as_of, priority=settings.source_priority
        )
        return _json(data), MEDIA["json"]

    return conditional(request, ("region.json", region_code, day, source), build)


@router.get(
    "/world.json",
    summary="Countries: cumulative and new figures on a day",
    responses=JSON_RESPONSES,
)
def world(
    request: Request,
    engine: Annotated[Engine, Depends(get_engine)],
    settings: Annotated[Settings, Depends(get_settings)],
    day: Annotated[date | None, Query(alias="date")] = None,
    source: Annotated[str | None, Query(pattern=SOURCE)] = None,
) -> Response:
    def build() -> tuple[bytes, str]:
        data = pub.world_table(engine, day, source=source, priority=settings.source_priority)
        return _json(data), MEDIA["json"]

    return conditional(request, ("world.json", day, source), build)
