"""``/api/v1/audit``: the audit log (administrators only).

``GET /api/v1/audit`` lists entries newest first, filtered by actor, action (exact, or
a prefix ending in ``.`` or ``*``) and UTC dates, paged; ``GET /api/v1/audit/verify``
recomputes the hash chain and names the first broken entry. Both need ``READ_AUDIT``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import Engine

from fangkong.api.auth import require_permission
from fangkong.api.deps import get_engine
from fangkong.api.routing import ApiRouter
from fangkong.core.access import Actor, Permission
from fangkong.services import audit as svc

router = ApiRouter(prefix="/api/v1/audit", tags=["audit"])
Auditor = Annotated[Actor, Depends(require_permission(Permission.READ_AUDIT))]


class AuditEntryOut(BaseModel):
    id: int
    occurred_at: str
    actor: str
    action: str
    target_type: str
    target_id: str | None
    details: dict[str, Any]
    prev_hash: str
    hash: str


class AuditPage(BaseModel):
    items: list[AuditEntryOut]
    total: int
    limit: int
    offset: int


class ChainProblemOut(BaseModel):
    entry_id: int
    kind: str
    detail: str


class VerifyOut(BaseModel):
    ok: bool
    entries: int
    last_id: int
    last_hash: str
    problem: ChainProblemOut | None


@router.get("", response_model=AuditPage, summary="List audit entries (newest first)")
def list_audit(
    engine: Annotated[Engine, Depends(get_engine)],
    actor: Auditor,
    who: Annotated[
        str | None, Query(alias="actor", max_length=128, description="Exact actor")
    ] = None,
    action: Annotated[
        str | None,
        Query(max_length=96, description="Exact action, or a prefix ending in '.' or '*'"),
    ] = None,
    date_from: Annotated[date | None, Query(description="First UTC day")] = None,
    date_to: Annotated[date | None, Query(description="Last UTC day")] = None,
    limit: Annotated[int, Query(ge=1, le=svc.MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    return svc.list_entries(
        engine,
        actor,
        who=who or None,
        action=action or None,
        date_from=date_from,
        date_to=date_to,
        limit=limit,
        offset=offset,
    )


@router.get("/verify", response_model=VerifyOut, summary="Verify the hash chain")
def verify_audit(
    engine: Annotated[Engine, Depends(get_engine)],
    actor: Auditor,
    anchor: Annotated[
        list[str] | None,
        Query(description="ID:SHA256 recorded earlier (repeatable); checked too"),
    ] = None,
) -> dict[str, Any]:
    anchors = dict(svc.parse_anchor(a) for a in anchor or [])
    return svc.verify_for(engine, actor, anchors=anchors).as_dict()
