"""``POST /api/v1/imports/bulletin``: read an official daily bulletin, and store it on request.

The body is the bulletin itself (``text/plain``, UTF-8 or GB18030) or JSON
``{"text": …, "dry_run": …, "date": …, "region_code": …, "source": …, "filename": …}``;
with a text body the options are query parameters. ``dry_run`` defaults to true: the
answer is what was read (the keys of ``fangkong import bulletin --dry-run``) for review
beside the text. Storing (``dry_run=false``) needs the ``write_reports`` permission for
every region concerned."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from sqlalchemy import Engine

from fangkong.api.deps import current_actor, get_engine, get_region_tree, get_settings
from fangkong.api.problems import Problem
from fangkong.api.routing import ApiRouter
from fangkong.api.threads import run_long
from fangkong.core.access import Actor
from fangkong.core.importing.reading import load_json
from fangkong.core.regions import RegionTree
from fangkong.core.validation import ImportFormatError
from fangkong.services import bulletin_import as svc
from fangkong.services.errors import Invalid
from fangkong.settings import Settings

router = ApiRouter(prefix="/api/v1/imports", tags=["imports"])

_OPTIONS = ("dry_run", "date", "region_code", "source", "filename")


def _json_body(data: bytes) -> dict[str, Any]:
    try:
        body = load_json(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise Invalid(f"the body is not UTF-8: {exc}", field="body") from exc
    except ImportFormatError as exc:  # invalid, too deep, NaN, a member named twice
        raise Invalid(f"the body is not valid JSON: {exc}", field="body") from exc
    if not isinstance(body, dict) or not isinstance(body.get("text"), str):
        raise Invalid('the JSON body must be an object with a string member "text"', field="text")
    unknown = sorted(set(body) - {"text", *_OPTIONS})
    if unknown:
        raise Invalid(f"unknown member(s): {', '.join(unknown)}", field=unknown[0])
    return body


def _as_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise Invalid(f"date {value!r} is not an ISO date (YYYY-MM-DD)", field="date") from exc


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise Invalid("dry_run must be true or false", field="dry_run")


@router.post(
    "/bulletin",
    summary="Read (and optionally store) an official daily bulletin",
    openapi_extra={
        "requestBody": {
            "content": {
                "text/plain": {"schema": {"type": "string"}},
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["text"],
                        "properties": {
                            "text": {"type": "string"},
                            "dry_run": {"type": "boolean", "default": True},
                            "date": {"type": "string", "format": "date"},
                            "region_code": {"type": "string"},
                            "source": {"type": "string"},
                            "filename": {"type": "string"},
                        },
                    }
                },
            },
            "required": True,
        }
    },
)
async def post_bulletin(
    request: Request,
    engine: Annotated[Engine, Depends(get_engine)],
    settings: Annotated[Settings, Depends(get_settings)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    dry_run: Annotated[bool, Query(description="read only, store nothing")] = True,
    as_of: Annotated[str | None, Query(alias="date", description="as-of date")] = None,
    region_code: Annotated[str | None, Query(max_length=16)] = None,
    source: Annotated[str | None, Query(pattern=r"^[a-z0-9_-]{1,32}$")] = None,
    filename: Annotated[str | None, Query(max_length=200)] = None,
) -> dict[str, Any]:
    """Returns what was read: ``date``, ``region_code``, the figures, ``unread``,
    ``breakdowns``, ``corrections``, ``flags``; and ``stored`` when not a dry run."""
    data = await request.body()
    options: dict[str, Any] = {
        "dry_run": dry_run,
        "date": as_of,
        "region_code": region_code,
        "source": source,
        "filename": filename,
    }
    if request.headers.get("content-type", "").startswith("application/json"):
        body = _json_body(data)
        text = body["text"]
        options.update({k: body[k] for k in _OPTIONS if k in body})
    else:
        if len(data) > svc.MAX_BYTES:
            raise Problem(
                413, "Payload too large", f"a bulletin is at most {svc.MAX_BYTES} bytes of text"
            )
        text = svc.decode(data)
    if not text.strip():
        raise Invalid("the bulletin text is empty", field="text")
    return await run_long(
        request,
        svc.import_bulletin,
        engine,
        settings,
        text,
        actor=actor,
        filename=options["filename"],
        as_of=_as_date(options["date"]),
        region_code=options["region_code"],
        source=options["source"],
        dry_run=_as_bool(options["dry_run"]),
        tree=tree,
    )
