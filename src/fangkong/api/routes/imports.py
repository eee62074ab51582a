"""``/api/v1/imports``: file uploads, import reports and the downloadable templates.

Sections: templates (public), daily-report upload, import reports. Uploads (only from
users with the ``import`` permission) are saved under ``<var_dir>/uploads`` before
they are imported, so the file of every import is kept beside its report. A body
over the upload limit (:mod:`fangkong.api.limits`) is refused with 413 as soon as its
``Content-Length`` or the bytes received pass it, before it is spooled to disk."""

from __future__ import annotations

import re
import uuid
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy import Engine

from fangkong.api.deps import (
    current_actor,
    get_engine,
    get_region_tree,
    get_settings,
    require_permission,
)
from fangkong.api.limits import MAX_UPLOAD_BYTES
from fangkong.api.params import Id, Offset
from fangkong.api.problems import Problem
from fangkong.api.routing import ApiRouter
from fangkong.api.threads import run_long
from fangkong.core.access import Actor, Permission
from fangkong.core.regions import RegionTree
from fangkong.services import daily_import
from fangkong.services.import_reports import import_report
from fangkong.settings import Settings

router = ApiRouter(prefix="/api/v1/imports", tags=["imports"])

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


# --- templates ----------------------------------------------------------------------------

TEMPLATES = {
    "daily.csv": ("daily_template.csv", "text/csv; charset=utf-8"),
    "daily.schema.json": ("daily.schema.json", "application/schema+json"),
    "cases.csv": ("cases_template.csv", "text/csv; charset=utf-8"),
    "cases.schema.json": ("cases.schema.json", "application/schema+json"),
}


@router.get(
    "/templates/{name}",
    summary="Download a file template",
    responses={
        200: {
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/schema+json": {"schema": {"type": "object"}},
            }
        }
    },
)
def get_template(name: str) -> Response:
    if name not in TEMPLATES:
        raise Problem(404, "Not found", f"no template {name!r}; templates: {', '.join(TEMPLATES)}")
    filename, media_type = TEMPLATES[name]
    data = resources.files("fangkong.data").joinpath("templates").joinpath(filename).read_bytes()
    return Response(
        data,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# --- uploads ------------------------------------------------------------------------------


async def save_upload(upload: UploadFile, settings: Settings) -> tuple[Path, str]:
    """Copy an upload to ``<var_dir>/uploads`` in blocks; 413 when too large."""
    original = Path(upload.filename or "upload.csv").name
    folder = settings.var_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex[:12]}-{_SAFE_NAME.sub('_', original)[-120:]}"
    size = 0
    with path.open("wb") as out:
        while block := await upload.read(1 << 20):
            size += len(block)
            if size > MAX_UPLOAD_BYTES:
                out.close()
                path.unlink()
                raise Problem(
                    413,
                    "Payload too large",
                    f"uploads are limited to {MAX_UPLOAD_BYTES // 2**20} MB",
                )
            out.write(block)
    return path, original


@router.post(
    "/daily",
    summary="Import a daily-report file",
)
async def post_daily_import(
    request: Request,
    engine: Annotated[Engine, Depends(get_engine)],
    settings: Annotated[Settings, Depends(get_settings)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(require_permission(Permission.IMPORT))],
    file: Annotated[UploadFile, File(description="CSV or JSON file")],
    format: Annotated[str | None, Form(description="format name; detected when absent")] = None,
    source: Annotated[str | None, Form(pattern=r"^[a-z0-9_-]{1,32}$")] = None,
    measure: Annotated[
        str | None, Form(description="jhu-wide: confirmed, deaths or recovered")
    ] = None,
    strict: Annotated[bool, Form(description="store nothing when any row is bad")] = False,
) -> dict[str, Any]:
    """Returns the import report; rows rejected are listed in ``issues`` (all of them at
    ``GET /api/v1/imports/{id}``)."""
    path, original = await save_upload(file, settings)
    result = await run_long(
        request,
        daily_import.import_daily_file,
        engine,
        settings,
        path,
        actor=actor,
        format_name=format or None,
        source=source or None,
        measure=measure or None,
        strict=strict,
        filename=original,
        tree=tree,
    )
    return result.as_dict()


@router.post(
    "/cases",
    summary="Import a case line-list file",
)
async def post_case_import(
    request: Request,
    engine: Annotated[Engine, Depends(get_engine)],
    settings: Annotated[Settings, Depends(get_settings)],
    actor: Annotated[Actor, Depends(require_permission(Permission.IMPORT))],
    file: Annotated[UploadFile, File(description="CSV or JSON case line list")],
    format: Annotated[str | None, Form(description="format name; detected when absent")] = None,
    source: Annotated[str | None, Form(min_length=1, max_length=64)] = None,
    strict: Annotated[bool, Form(description="store nothing when any row is bad")] = False,
) -> dict[str, Any]:
    """Returns the import report (see ``docs/formats.md``, cases section)."""
    from fangkong.core.validation import ImportFormatError
    from fangkong.services import case_import
    from fangkong.services.errors import Invalid

    path, original = await save_upload(file, settings)
    try:
        result = await run_long(
            request,
            case_import.import_case_file,
            engine,
            settings,
            path,
            format_name=format or None,
            source=source or None,
            strict=strict,
            actor=actor,
            filename=original,
        )
    except ImportFormatError as exc:
        raise Invalid(f"{original}: {exc}", field="file") from exc
    return result.as_dict()


# --- reports ------------------------------------------------------------------------------


@router.get("/{import_id}", summary="An import report with its issues")
def get_import(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    import_id: Id,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
    personal: Annotated[
        bool,
        Query(description="false: mask personal values of a line-list import for anyone"),
    ] = True,
) -> dict[str, Any]:
    """Issue values of a case line-list import that may be personal fields are shown
    only to callers with ``read_personal`` (each such answer is an
    ``import.read_personal`` audit entry); for the others they are ``null`` with
    ``masked: true``."""
    return import_report(
        engine, import_id, actor=actor, limit=limit, offset=offset, tree=tree, personal=personal
    )
