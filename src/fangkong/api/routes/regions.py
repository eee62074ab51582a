"""``/api/v1/regions``: the region list and tree, one region, its daily series."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import Engine

from fangkong.api.deps import get_engine, get_settings
from fangkong.api.params import Offset
from fangkong.api.routing import ApiRouter
from fangkong.core.regions import RegionLevel
from fangkong.services import regions as svc
from fangkong.settings import Settings

router = ApiRouter(prefix="/api/v1/regions", tags=["regions"])
CODE = r"^[A-Za-z0-9-]{2,16}$"


class RegionOut(BaseModel):
    region_code: str
    level: RegionLevel
    parent_code: str | None
    name_zh: str
    name_en: str
    population: int | None


class RegionPage(BaseModel):
    items: list[RegionOut]
    total: int
    limit: int
    offset: int


class ReportedFigures(BaseModel):
    """The figures of a daily report (``core.reports.COUNT_FIELDS``); ``None``: not
    reported."""

    new_confirmed: int | None
    new_confirmed_imported: int | None
    new_suspected: int | None
    new_deaths: int | None
    new_recovered: int | None
    new_asymptomatic: int | None
    tests: int | None
    current_severe: int | None
    current_suspected: int | None
    close_contacts_under_observation: int | None


class DailyItem(ReportedFigures):
    report_date: date
    new_confirmed_local: int | None
    cumulative_confirmed: int
    cumulative_deaths: int
    cumulative_recovered: int
    current_confirmed: int
    flags: list[str]


class DailyPage(BaseModel):
    region_code: str
    source: str | None
    available_sources: list[str]
    items: list[DailyItem]
    total: int
    limit: int
    offset: int


@router.get("", response_model=RegionPage, summary="List regions")
def list_regions(
    engine: Annotated[Engine, Depends(get_engine)],
    level: RegionLevel | None = None,
    parent: Annotated[str | None, Query(pattern=CODE)] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    items, total = svc.list_regions(
        engine,
        level=level.value if level else None,
        parent_code=parent,
        q=q,
        limit=limit,
        offset=offset,
    )
    return {"items": [i.as_dict() for i in items], "total": total, "limit": limit, "offset": offset}


@router.get("/tree", summary="Region sub-tree")
def region_tree(
    engine: Annotated[Engine, Depends(get_engine)],
    root: Annotated[str, Query(pattern=CODE)] = "CN",
    depth: Annotated[int, Query(ge=0, le=3)] = 1,
) -> dict[str, Any]:
    return svc.region_subtree(engine, root, depth)


@router.get("/{region_code}", response_model=RegionOut, summary="One region")
def get_region(
    engine: Annotated[Engine, Depends(get_engine)],
    region_code: str,
) -> dict[str, Any]:
    return svc.get_region(engine, region_code).as_dict()


@router.get("/{region_code}/daily", response_model=DailyPage, summary="Daily figures")
def region_daily(
    engine: Annotated[Engine, Depends(get_engine)],
    settings: Annotated[Settings, Depends(get_settings)],
    region_code: str,
    date_from: Annotated[date | None, Query(alias="from")] = None,
    date_to: Annotated[date | None, Query(alias="to")] = None,
    source: Annotated[str | None, Query(pattern=r"^[a-z0-9_-]{1,32}$")] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
    offset: Offset = 0,
) -> dict[str, Any]:
    return svc.daily_series(
        engine,
        region_code,
        date_from=date_from,
        date_to=date_to,
        source=source,
        priority=settings.source_priority,
        limit=limit,
        offset=offset,
    )
