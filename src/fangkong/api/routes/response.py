"""``/api/v1/response``: emergency response levels (public reads, commanders write)
and the measures catalogue."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Annotated, Any

from fastapi import Body, Depends, Header, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import Engine

from fangkong.api.caching import cached_json
from fangkong.api.deps import current_actor, get_engine, get_region_tree
from fangkong.api.params import Offset
from fangkong.api.routing import ApiRouter
from fangkong.core.access import Actor
from fangkong.core.regions import RegionLevel, RegionTree
from fangkong.services import response as svc

router = ApiRouter(prefix="/api/v1/response", tags=["response levels"])
CODE = r"^[A-Za-z0-9-]{2,16}$"
LEVEL = r"^(?i:none|I|II|III|IV|[0-4])$"


class Declaration(BaseModel):
    region_code: str = Field(pattern=CODE, examples=["420000"])
    level: str = Field(pattern=LEVEL, examples=["I"])
    reason: str = Field(min_length=1, max_length=4000)
    authority: str | None = Field(default=None, max_length=128)
    effective_at: datetime | None = None


class Measure(BaseModel):
    category: str = Field(default="general", max_length=32)
    text_zh: str = Field(min_length=1, max_length=2000)
    text_en: str = Field(min_length=1, max_length=2000)


class MeasureList(BaseModel):
    items: list[Measure] = Field(max_length=100)
    reason: str = Field(min_length=1, max_length=4000)


def _moment(at: datetime | None) -> tuple[datetime | int, int | None]:
    """The cache key of the moment asked about, and how long its answer may be kept: a
    given ``at`` for as long as the data version holds; "now" (no ``at``, the service
    reads the clock when it computes) the current second, kept for one second, so that
    a level declared to take effect later shows within a second."""
    if at is not None:
        return at, None
    return int(time.time()), 1


@router.get("/levels", summary="Response level in effect for a listing of regions")
def levels(
    request: Request,
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    parent: Annotated[str | None, Query(pattern=CODE)] = None,
    level: RegionLevel | None = None,
    at: datetime | None = None,
    active: bool = False,
) -> Response:
    """Cached per data version with an ETag (:mod:`fangkong.api.caching`)."""
    moment, keep = _moment(at)

    def compute() -> dict[str, Any]:
        items = svc.levels(
            engine,
            tree,
            at=at,
            parent_code=parent,
            region_level=level.value if level else None,
            only_active=active,
        )
        return {"items": items, "total": len(items)}

    key = ("response-levels", parent, level, moment, active)
    return cached_json(request, key, compute, keep_seconds=keep)


@router.get("/regions/{region_code}", summary="One region's level, source and measures")
def region(
    request: Request,
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    region_code: str,
    at: datetime | None = None,
) -> Response:
    """Cached per data version with an ETag (:mod:`fangkong.api.caching`)."""
    moment, keep = _moment(at)
    return cached_json(
        request,
        ("response-region", region_code, moment),
        lambda: svc.region_response(engine, tree, region_code, at),
        keep_seconds=keep,
    )


@router.get("/history", summary="Every recorded change (signed in)")
def history(
    engine: Annotated[Engine, Depends(get_engine)],
    _actor: Annotated[Actor, Depends(current_actor)],
    region: Annotated[str | None, Query(pattern=CODE)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    return svc.history(engine, region_code=region, limit=limit, offset=offset)


@router.post("/declarations", status_code=201, summary="Declare, raise, lower or lift")
def declare(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    body: Annotated[Declaration, Body()],
) -> dict[str, Any]:
    return svc.declare(
        engine,
        actor,
        tree,
        region_code=body.region_code,
        level=body.level,
        reason=body.reason,
        authority=body.authority,
        effective_at=body.effective_at,
    )


@router.get("/measures/{level}", summary="Measures of a level (zh/en), with their ETag")
def measures(
    engine: Annotated[Engine, Depends(get_engine)],
    level: str,
    response: Response,
) -> dict[str, Any]:
    items = svc.list_measures(engine, level)
    tag = svc.measures_etag(items)
    response.headers["ETag"] = tag
    return {"level": svc.level_of(level).value, "items": items, "etag": tag}


@router.put(
    "/measures/{level}",
    summary="Replace the measures of a level (national; If-Match: their ETag)",
    responses={412: {"description": "Changed since read"}, 428: {"description": "No If-Match"}},
)
def put_measures(
    engine: Annotated[Engine, Depends(get_engine)],
    actor: Annotated[Actor, Depends(current_actor)],
    level: str,
    body: Annotated[MeasureList, Body()],
    response: Response,
    if_match: Annotated[str | None, Header(max_length=1024)] = None,
) -> dict[str, Any]:
    items = svc.replace_measures(
        engine,
        actor,
        level,
        [i.model_dump() for i in body.items],
        body.reason,
        if_match=if_match,
    )
    tag = svc.measures_etag(items)
    response.headers["ETag"] = tag
    return {"level": svc.level_of(level).value, "items": items, "etag": tag}
