"""``/api/v1/warnings``: early-warning scans and stored signals (signed in)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Body, Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy import Engine

from fangkong.api.deps import current_actor, get_engine, get_region_tree, get_settings
from fangkong.api.params import Id, Offset
from fangkong.api.routing import ApiRouter
from fangkong.core.access import Actor, Permission
from fangkong.core.regions import RegionTree
from fangkong.services import warnings as svc
from fangkong.services.auth import authorize
from fangkong.settings import Settings

router = ApiRouter(prefix="/api/v1/warnings", tags=["early warning"])
CODE = r"^[A-Za-z0-9-]{2,16}$"


class ScanRequest(BaseModel):
    date_from: date = Field(alias="from")
    date_to: date = Field(alias="to")
    level: str | None = Field(default="province", pattern=r"^(country|province|prefecture|county)$")
    regions: list[str] | None = Field(default=None, max_length=500)
    parent: str | None = Field(default=None, pattern=CODE)
    methods: list[str] | None = Field(default=None, max_length=10)
    series: str = Field(default="new_confirmed", pattern=r"^[a-z_]{1,40}$")
    store: bool = False


class StatusChange(BaseModel):
    status: str = Field(pattern=r"^(new|acknowledged|dismissed)$")
    note: str = Field(default="", max_length=2000)


@router.post("/scan", summary="Scan daily series for signals")
def scan(
    engine: Annotated[Engine, Depends(get_engine)],
    settings: Annotated[Settings, Depends(get_settings)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    body: Annotated[ScanRequest, Body()],
) -> dict[str, Any]:
    authorize(actor, Permission.READ_AGGREGATE)
    signals = svc.scan(
        engine,
        settings,
        tree,
        date_from=body.date_from,
        date_to=body.date_to,
        level=None if body.regions else body.level,
        region_codes=body.regions,
        methods=body.methods,
        field=body.series,
        parent=body.parent,
    )
    stored = svc.store_signals(engine, actor, signals, tree) if body.store else None
    return {"items": signals, "total": len(signals), "stored": stored}


@router.get("", summary="Stored signals in the caller's jurisdiction")
def list_signals(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    region: Annotated[str | None, Query(pattern=CODE)] = None,
    status: str | None = None,
    method: str | None = None,
    date_from: Annotated[date | None, Query(alias="from")] = None,
    date_to: Annotated[date | None, Query(alias="to")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    return svc.list_signals(
        engine,
        actor,
        tree,
        region_code=region,
        status=status,
        method=method,
        date_from=date_from,
        date_to=date_to,
        limit=limit,
        offset=offset,
    )


@router.post("/{signal_id}/status", summary="Acknowledge or dismiss a signal")
def set_status(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    signal_id: Id,
    body: Annotated[StatusChange, Body()],
) -> dict[str, Any]:
    return svc.set_status(engine, actor, tree, signal_id, body.status, body.note)
