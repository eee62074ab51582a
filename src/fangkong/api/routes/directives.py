"""``/api/v1/directives``: directives of a command and guidance teams (signed in).

Issue (JSON), attach files (multipart), acknowledge, report progress, cancel; the
issuer's escalation dashboard; guidance teams under ``/api/v1/directives/teams``.
Rules and permissions: services/directives.py."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Body, Depends, File, Query, Request, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from sqlalchemy import Engine

from fangkong.api.deps import current_actor, get_engine, get_region_tree, get_settings
from fangkong.api.params import MAX_INT, Id, Offset
from fangkong.api.routing import ApiRouter
from fangkong.api.threads import run_long
from fangkong.core.access import Actor
from fangkong.core.regions import RegionTree
from fangkong.services import directives as svc
from fangkong.settings import Settings

router = ApiRouter(prefix="/api/v1/directives", tags=["directives"])
CODE = r"^[A-Za-z0-9-]{2,16}$"


class DirectiveIn(BaseModel):
    title: str = Field(min_length=1, max_length=256)
    body: str = Field(min_length=1, max_length=svc.MAX_BODY)
    priority: str = Field(default="normal", max_length=32, examples=["urgent"])
    due_at: datetime
    regions: list[Annotated[str, Field(pattern=CODE)]] = Field(
        default_factory=list, max_length=svc.MAX_RECIPIENTS
    )
    team_ids: list[Annotated[int, Field(ge=1, le=MAX_INT)]] = Field(
        default_factory=list, max_length=svc.MAX_RECIPIENTS
    )


class Target(BaseModel):
    recipient_id: int | None = Field(default=None, ge=1, le=MAX_INT)
    region_code: str | None = Field(default=None, pattern=CODE)
    note: str = Field(default="", max_length=4000)


class Progress(Target):
    percent: int = Field(ge=0, le=100)


class Cancel(BaseModel):
    note: str = Field(min_length=1, max_length=4000)


class TeamIn(BaseModel):
    name: str = Field(min_length=1, max_length=128)
    leader: str = Field(min_length=1, max_length=128)
    members: list[Annotated[str, Field(max_length=128)]] = Field(
        default_factory=list, max_length=200
    )
    region_code: str = Field(pattern=CODE)


# --- guidance teams (before /{directive_id}) ------------------------------------------------


@router.get("/teams", summary="Guidance teams in the caller's jurisdiction")
def teams(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    include_disbanded: bool = False,
) -> dict[str, Any]:
    items = svc.list_teams(engine, actor, tree, active_only=not include_disbanded)
    return {"items": items, "total": len(items)}


@router.post("/teams", status_code=201, summary="Form a guidance team sent to a region")
def create_team(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    body: Annotated[TeamIn, Body()],
) -> dict[str, Any]:
    return svc.create_team(
        engine,
        actor,
        tree,
        name=body.name,
        leader=body.leader,
        members=body.members,
        region_code=body.region_code,
    )


@router.post("/teams/{team_id}/disband", summary="Disband a guidance team")
def disband_team(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    team_id: Id,
) -> dict[str, Any]:
    return svc.disband_team(engine, actor, tree, team_id)


# --- directives -------------------------------------------------------------------------------


@router.get("/dashboard", summary="The issuer's overdue and unacknowledged directives")
def dashboard(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
) -> dict[str, Any]:
    return svc.dashboard(engine, actor, tree)


@router.get("", summary="Directives the caller may read")
def list_directives(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    box: Annotated[str, Query(pattern=r"^(all|issued|received)$")] = "all",
    status: Annotated[str | None, Query(pattern=r"^(open|completed|cancelled)$")] = None,
    region: Annotated[str | None, Query(pattern=CODE)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    return svc.list_directives(
        engine, actor, tree, box=box, status=status, region=region, limit=limit, offset=offset
    )


@router.post("", status_code=201, summary="Issue a directive")
def issue(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    body: Annotated[DirectiveIn, Body()],
) -> dict[str, Any]:
    return svc.issue(
        engine,
        actor,
        tree,
        title=body.title,
        body=body.body,
        priority=body.priority,
        due_at=body.due_at,
        regions=body.regions,
        team_ids=body.team_ids,
    )


@router.get("/{directive_id}", summary="A directive with recipients, files and audit trail")
def get_directive(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    directive_id: Id,
) -> dict[str, Any]:
    return svc.get(engine, actor, tree, directive_id)


@router.post("/{directive_id}/acknowledge", summary="Acknowledge receipt")
def acknowledge(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    directive_id: Id,
    body: Annotated[Target, Body()],
) -> dict[str, Any]:
    return svc.acknowledge(
        engine,
        actor,
        tree,
        directive_id,
        recipient_id=body.recipient_id,
        region_code=body.region_code,
        note=body.note,
    )


@router.post("/{directive_id}/progress", summary="Report progress (percent and note)")
def progress(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    directive_id: Id,
    body: Annotated[Progress, Body()],
) -> dict[str, Any]:
    return svc.report_progress(
        engine,
        actor,
        tree,
        directive_id,
        percent=body.percent,
        note=body.note,
        recipient_id=body.recipient_id,
        region_code=body.region_code,
    )


@router.post("/{directive_id}/cancel", summary="Withdraw an open directive")
def cancel(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    directive_id: Id,
    body: Annotated[Cancel, Body()],
) -> dict[str, Any]:
    return svc.cancel(engine, actor, tree, directive_id, note=body.note)


@router.post("/{directive_id}/attachments", status_code=201, summary="Attach a file")
async def attach(
    request: Request,
    engine: Annotated[Engine, Depends(get_engine)],
    settings: Annotated[Settings, Depends(get_settings)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    directive_id: Id,
    file: Annotated[UploadFile, File(description="PDF, OFD, Office, image, CSV, text, ZIP")],
) -> dict[str, Any]:
    """Files up to 20 MB; the type is decided by the extension."""
    result: dict[str, Any] = await run_long(
        request,
        svc.add_attachment,
        engine,
        settings,
        actor,
        tree,
        directive_id,
        filename=file.filename or "",
        stream=file.file,
    )
    return result


@router.get(
    "/{directive_id}/attachments/{attachment_id}",
    summary="Download an attachment",
    responses={200: {"content": {"*/*": {}}, "description": "The file, in its own media type"}},
)
def download(
    engine: Annotated[Engine, Depends(get_engine)],
    settings: Annotated[Settings, Depends(get_settings)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    directive_id: Id,
    attachment_id: Id,
) -> FileResponse:
    path, name, media = svc.attachment_file(
        engine, settings, actor, tree, directive_id, attachment_id
    )
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    return FileResponse(
        path,
        media_type=media,
        headers={
            "Content-Disposition": (
                f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
            ),
            "X-Content-Type-Options": "nosniff",
        },
    )
