"""``/api/v1/timeliness``: reporting accountability (signed in): the scorecard of daily
reports per region and period, late/missing alerts, deadline rules, and urgent event
reports timed against the 1-hour/2-hour limits. See services/timeliness.py.

A deadline rule is edited with optimistic concurrency (services/versions.py): its GET
(and each item of the list) gives its ETag; ``PUT`` of a rule that exists needs
``If-Match`` with it (428 without, 412 when someone changed the rule since, with the
current ETag); a new rule is created without one."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Body, Depends, Header, Path, Query, Response
from pydantic import BaseModel, Field
from sqlalchemy import Engine

from fangkong.api.caching import versioned
from fangkong.api.deps import current_actor, get_engine, get_region_tree
from fangkong.api.params import Id, Offset
from fangkong.api.routing import ApiRouter
from fangkong.core.access import Actor
from fangkong.core.regions import RegionLevel, RegionTree
from fangkong.services import timeliness as svc

router = ApiRouter(prefix="/api/v1/timeliness", tags=["reporting accountability"])
CODE = r"^[A-Za-z0-9-]{2,16}$"
SOURCE = r"^[a-z0-9_-]{1,32}$"
KEY = r"^(\*|@(country|province|prefecture|county)|[A-Za-z0-9-]{2,16})$"


class DeadlineIn(BaseModel):
    due_time: str = Field(pattern=r"^\d{2}:\d{2}$", examples=["09:00"])
    day_offset: int = Field(default=1, ge=0, le=7)
    timezone: str = Field(default="Asia/Shanghai", max_length=64)
    urgent_limit_minutes: int | None = Field(default=None, ge=1, le=1440)
    reason: str = Field(default="", max_length=4000)


class EventIn(BaseModel):
    region_code: str = Field(pattern=CODE)
    title: str = Field(min_length=1, max_length=256)
    detected_at: datetime
    reported_at: datetime | None = None


class Reported(BaseModel):
    reported_at: datetime | None = None


@router.get("/scorecard", summary="On-time, late, missing, corrected reports per region")
def scorecard(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    date_from: Annotated[date, Query(alias="from")],
    date_to: Annotated[date, Query(alias="to")],
    region: Annotated[str | None, Query(pattern=CODE)] = None,
    level: RegionLevel | None = None,
    source: Annotated[str | None, Query(pattern=SOURCE)] = None,
) -> dict[str, Any]:
    return svc.scorecard(
        engine,
        actor,
        tree,
        date_from=date_from,
        date_to=date_to,
        region=region,
        level=level.value if level else None,
        source=source,
    )


@router.get("/alerts", summary="Late and missing reports, late or overdue event reports")
def alerts(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    date_from: Annotated[date, Query(alias="from")],
    date_to: Annotated[date, Query(alias="to")],
    region: Annotated[str | None, Query(pattern=CODE)] = None,
    level: RegionLevel | None = None,
    source: Annotated[str | None, Query(pattern=SOURCE)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    return svc.alerts(
        engine,
        actor,
        tree,
        date_from=date_from,
        date_to=date_to,
        region=region,
        level=level.value if level else None,
        source=source,
        limit=limit,
        offset=offset,
    )


@router.get("/deadlines", summary="Configured deadline rules and the defaults")
def deadlines(
    engine: Annotated[Engine, Depends(get_engine)],
    actor: Annotated[Actor, Depends(current_actor)],
) -> dict[str, Any]:
    return svc.list_deadlines(engine, actor)


@router.get("/deadlines/{key}", summary="The rule configured for a region, @level or *")
def get_deadline(
    engine: Annotated[Engine, Depends(get_engine)],
    actor: Annotated[Actor, Depends(current_actor)],
    key: Annotated[str, Path(pattern=KEY)],
    response: Response,
) -> dict[str, Any]:
    found = svc.get_deadline(engine, actor, key)
    versioned(response, found["etag"])
    return found


@router.put(
    "/deadlines/{key}",
    summary="Set the rule of a region, @level or * (If-Match to replace one)",
    responses={
        201: {"description": "Created"},
        412: {"description": "The rule changed since it was read (body: current ETag)"},
        428: {"description": "If-Match is required to replace an existing rule"},
    },
)
def put_deadline(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    key: Annotated[str, Path(pattern=KEY)],
    body: Annotated[DeadlineIn, Body()],
    response: Response,
    if_match: Annotated[str | None, Header(max_length=1024)] = None,
    if_none_match: Annotated[str | None, Header(max_length=1024)] = None,
) -> dict[str, Any]:
    stored = svc.set_deadline(
        engine,
        actor,
        tree,
        key,
        due_time=body.due_time,
        day_offset=body.day_offset,
        timezone=body.timezone,
        urgent_limit_minutes=body.urgent_limit_minutes,
        reason=body.reason,
        if_match=if_match,
        if_none_match=if_none_match,
    )
    versioned(response, stored["etag"], created=stored["result"] == "created")
    return stored


@router.delete("/deadlines/{key}", status_code=204, summary="Remove a configured rule")
def delete_deadline(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    key: Annotated[str, Path(pattern=KEY)],
    reason: Annotated[str, Query(max_length=4000)] = "",
) -> Response:
    svc.delete_deadline(engine, actor, tree, key, reason)
    return Response(status_code=204)


@router.get("/events", summary="Urgent event reports and their timeliness")
def events(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    region: Annotated[str | None, Query(pattern=CODE)] = None,
    status: Annotated[str | None, Query(pattern=r"^(on_time|late|overdue|pending)$")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    return svc.list_events(
        engine, actor, tree, region=region, status=status, limit=limit, offset=offset
    )


@router.post("/events", status_code=201, summary="Record an urgent event report")
def record_event(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    body: Annotated[EventIn, Body()],
) -> dict[str, Any]:
    return svc.record_event(
        engine,
        actor,
        tree,
        region_code=body.region_code,
        title=body.title,
        detected_at=body.detected_at,
        reported_at=body.reported_at,
    )


@router.post("/events/{event_id}/reported", summary="Record that an event was reported")
def event_reported(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    event_id: Id,
    body: Annotated[Reported, Body()],
) -> dict[str, Any]:
    return svc.mark_event_reported(engine, actor, tree, event_id, body.reported_at)
