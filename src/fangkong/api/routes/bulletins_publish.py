"""``/api/v1/bulletins``: draft, check, approve and publish daily bulletins (zh/en);
the public reads of published versions and the public corrections log.

* ``POST /api/v1/bulletins/drafts`` (``write_reports`` on the region) — compose a draft
  for a region (``CN`` or a province) and a date; the answer carries both texts and every
  check result (``publishable`` is false while a blocking check fails).
* ``POST /api/v1/bulletins/{id}/publish`` (``command``: a commander approves) — freeze the
  draft as the next version; 409 problem+json listing the failed checks
  (``failed_checks``) when a check blocks it; a correction needs ``reason``.
* ``GET /api/v1/bulletins?region=&date=`` and ``GET /api/v1/bulletins/{region}/{date}``
  (public; ``?version=N`` for an older version).
* ``GET /api/v1/corrections.json`` and ``/api/v1/corrections.csv`` (public, with a strong
  ``ETag``; ``If-None-Match`` answers 304).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

from fastapi import Body, Depends, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import Engine

from fangkong.api.deps import current_actor, get_engine, get_region_tree, get_settings
from fangkong.api.params import MAX_INT, Id, Offset
from fangkong.api.problems import Problem
from fangkong.api.routes.opendata import JSON_RESPONSES, etag_matches
from fangkong.api.routing import ApiRouter
from fangkong.core.access import Actor
from fangkong.core.regions import RegionTree
from fangkong.services import bulletins as svc
from fangkong.services.errors import Invalid
from fangkong.settings import Settings

router = ApiRouter(prefix="/api/v1", tags=["bulletins"])
CODE = r"^[A-Za-z0-9-]{2,16}$"
CACHE_CONTROL = "public, max-age=60"


class Reason(BaseModel):
    region_code: str = Field(pattern=CODE, examples=["420000"])
    field: str = Field(examples=["cumulative_confirmed"])
    reason: str = Field(min_length=1, max_length=4000)


class DraftRequest(BaseModel):
    region_code: str = Field(pattern=CODE, examples=["CN"])
    report_date: date
    source: str | None = Field(default=None, pattern=r"^[a-z0-9_-]{1,32}$")
    reasons: list[Reason] = Field(default_factory=list, max_length=200)


class PublishRequest(BaseModel):
    reason: str | None = Field(default=None, max_length=4000)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Invalid(f"{text!r} is not an ISO date (YYYY-MM-DD)", field="date") from None


@router.post("/bulletins/drafts", status_code=201, summary="Draft a bulletin, with its checks")
def create_draft(
    body: DraftRequest,
    engine: Annotated[Engine, Depends(get_engine)],
    settings: Annotated[Settings, Depends(get_settings)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
) -> dict[str, Any]:
    reasons = svc.parse_reasons([r.model_dump() for r in body.reasons])
    return svc.draft_bulletin(
        engine,
        settings,
        actor,
        tree,
        body.region_code,
        body.report_date,
        source=body.source,
        reasons=reasons,
    )


@router.get("/bulletins/drafts", summary="Latest drafts in the caller's jurisdiction")
def drafts(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    items = svc.list_drafts(engine, limit=limit, actor=actor, tree=tree)
    return {"items": items, "total": len(items)}


@router.get("/bulletins/drafts/{bulletin_id}", summary="One draft (in the jurisdiction) or version")
def draft(
    bulletin_id: Id,
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
) -> dict[str, Any]:
    return svc.readable_bulletin(engine, actor, tree, bulletin_id)


@router.post("/bulletins/{bulletin_id}/publish", summary="Approve and publish (commander)")
def publish(
    bulletin_id: Id,
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    body: Annotated[PublishRequest | None, Body()] = None,
) -> dict[str, Any]:
    try:
        return svc.publish_bulletin(
            engine, actor, tree, bulletin_id, reason=body.reason if body else None
        )
    except svc.ChecksFailed as exc:
        raise Problem(
            409,
            "Consistency checks failed",
            f"{len(exc.failed)} consistency check(s) failed; publishing is blocked "
            "(each is listed in errors and failed_checks)",
            errors=[
                {"parameter": "checks", "detail": c["message"], "check": c["check"]}
                for c in exc.failed
            ],
            failed_checks=exc.failed,
        ) from exc


@router.get("/bulletins", summary="Published bulletins (latest version of each)")
def published(
    engine: Annotated[Engine, Depends(get_engine)],
    region: Annotated[str | None, Query(pattern=CODE)] = None,
    day: Annotated[str | None, Query(alias="date")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    when = _day(day) if day else None
    return svc.list_published(engine, region_code=region, day=when, limit=limit, offset=offset)


@router.get("/bulletins/{region_code}/{day}", summary="A published bulletin (latest or ?version=N)")
def bulletin(
    region_code: str,
    day: str,
    engine: Annotated[Engine, Depends(get_engine)],
    version: Annotated[int | None, Query(ge=1, le=MAX_INT)] = None,
) -> dict[str, Any]:
    return svc.published_bulletin(engine, region_code, _day(day), version)


def _log_response(request: Request, engine: Engine, fmt: str) -> Response:
    etag = svc.corrections_etag(engine)
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    entries = svc.corrections_log(engine)
    if fmt == "csv":
        headers["Content-Disposition"] = 'attachment; filename="corrections.csv"'
        return Response(
            svc.corrections_csv(entries), media_type="text/csv; charset=utf-8", headers=headers
        )
    body = json.dumps(
        {"items": entries, "total": len(entries), "columns": list(svc.CORRECTION_COLUMNS)},
        ensure_ascii=False,
    )
    return Response(body, media_type="application/json", headers=headers)


@router.get("/corrections.json", summary="Public corrections log (JSON)", responses=JSON_RESPONSES)
def corrections_json(request: Request, engine: Annotated[Engine, Depends(get_engine)]) -> Response:
    return _log_response(request, engine, "json")


@router.get(
    "/corrections.csv",
    summary="Public corrections log (CSV)",
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
        304: JSON_RESPONSES[304],
    },
)
def corrections_csv(request: Request, engine: Annotated[Engine, Depends(get_engine)]) -> Response:
    return _log_response(request, engine, "csv")
