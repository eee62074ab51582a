"""``/api/v1/cases``: submit cases, list them with filters, read one, export the list.

Submitted cases are all-or-nothing; a rejected request answers 422 problem+json whose
``errors`` name each bad field by a JSON pointer into the body (``/items/3/onset_date``).

Personal fields (``age_years``, ``origin``, ``health_worker``, ``cluster_id``) are
returned only to roles holding ``read_personal``, and each such answer is recorded in
the audit log; others get them as ``null`` with ``masked`` naming them (and the age as
its ten-year ``age_band``). ``personal=false`` leaves them out for anyone (no audit
entry). ``GET /api/v1/cases/export`` needs ``export_line_list`` and is audited with the
file's SHA-256, which the answer also carries in ``Repr-Digest`` (RFC 9530).
"""

from __future__ import annotations

import base64
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import Body, Depends, Path, Query, Response
from pydantic import BaseModel
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from fangkong.api.deps import current_actor, get_engine, get_region_tree
from fangkong.api.params import Offset
from fangkong.api.problems import Problem, json_pointer
from fangkong.api.routing import ApiRouter
from fangkong.core.access import Actor
from fangkong.core.cases import Classification, Outcome, Severity, Sex
from fangkong.core.regions import RegionTree
from fangkong.services import cases as svc
from fangkong.services import export as export_svc

router = ApiRouter(prefix="/api/v1/cases", tags=["cases"])
CODE = r"^[A-Za-z0-9-]{2,16}$"
PERSONAL = Query(
    description="Include the personal fields when the role may see them (audited); "
    "false leaves them out"
)


class CaseOut(BaseModel):
    source: str
    case_id: str
    region_code: str
    classification: Classification
    onset_date: date | None
    confirmation_date: date | None
    report_date: date | None
    imported: bool | None
    origin: str | None
    severity: Severity | None
    outcome: Outcome | None
    outcome_date: date | None
    age_years: int | None
    age_band: str | None
    sex: Sex | None
    health_worker: bool | None
    cluster_id: str | None
    #: Personal fields withheld from this reader (``core.privacy.personal``).
    masked: list[str] = []


class CasePage(BaseModel):
    items: list[CaseOut]
    total: int
    limit: int
    offset: int


class SubmitOut(BaseModel):
    received: int
    inserted: int
    updated: int
    unchanged: int
    revisions: int


def _items(body: Any) -> tuple[list[Any], str]:
    if isinstance(body, dict) and isinstance(body.get("items"), list):
        return body["items"], "items"
    if isinstance(body, list):
        return body, ""
    raise Problem(
        422,
        "Invalid request",
        'the body is an array of cases or {"items": [...]}',
        errors=[{"pointer": "", "detail": "expected an array or an object with an items array"}],
    )


@router.post("", response_model=SubmitOut, summary="Submit cases (all or nothing)")
def submit_cases(
    engine: Annotated[Engine, Depends(get_engine)],
    actor: Annotated[Actor, Depends(current_actor)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    body: Annotated[
        Any,
        Body(
            description='{"items": [case, ...]} or [case, ...]; fields as '
            "in the fangkong-cases format"
        ),
    ],
) -> dict[str, Any]:
    items, prefix = _items(body)
    try:
        return svc.submit_cases(engine, actor, tree, items).as_dict()
    except svc.CaseItemsInvalid as exc:
        errors = []
        for issue in exc.issues:
            parts: list[str | int] = [prefix] if prefix else []
            parts.append(issue.line - 1)
            if issue.column != "*":
                parts.append(issue.column)
            errors.append(
                {"pointer": json_pointer(parts), "detail": issue.reason, "value": issue.value}
            )
        raise Problem(422, "Invalid request", exc.message, errors=errors) from exc


@router.get("", response_model=CasePage, summary="List cases")
async def list_cases(
    engine: Annotated[Engine, Depends(get_engine)],
    actor: Annotated[Actor, Depends(current_actor)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    region_code: Annotated[
        str | None, Query(pattern=CODE, description="Region and its sub-tree")
    ] = None,
    classification: Classification | None = None,
    onset_from: date | None = None,
    onset_to: date | None = None,
    source: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 100,
    offset: Offset = 0,
    personal: Annotated[bool, PERSONAL] = True,
) -> CasePage:
    # ``async`` with the query and the validation of the page in one thread-pool call
    # (a plain ``def`` route costs two: the route, then FastAPI's validation of what it
    # returned; the page returned here is already a ``CasePage``).

    def page() -> CasePage:
        items, total = svc.list_cases(
            engine,
            actor,
            tree,
            region_code=region_code,
            classification=classification,
            onset_from=onset_from,
            onset_to=onset_to,
            source=source,
            limit=limit,
            offset=offset,
            personal=personal,
        )
        return CasePage.model_validate(
            {"items": items, "total": total, "limit": limit, "offset": offset}
        )

    return await run_in_threadpool(page)


@router.get(
    "/export",
    summary="Export the line list (CSV or JSON; needs export_line_list; audited)",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}, "application/json": {}}}},
)
def export_cases(
    engine: Annotated[Engine, Depends(get_engine)],
    actor: Annotated[Actor, Depends(current_actor)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    fmt: Annotated[Literal["csv", "json"], Query(alias="format")] = "csv",
    region_code: Annotated[
        str | None, Query(pattern=CODE, description="Region and its sub-tree")
    ] = None,
    classification: Classification | None = None,
    onset_from: date | None = None,
    onset_to: date | None = None,
    source: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
) -> Response:
    out = export_svc.export_line_list(
        engine,
        actor,
        tree,
        fmt=fmt,
        region_code=region_code,
        classification=classification,
        onset_from=onset_from,
        onset_to=onset_to,
        source=source,
    )
    digest = base64.b64encode(bytes.fromhex(out.sha256)).decode("ascii")
    return Response(
        out.content,
        media_type=out.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{out.filename}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            "Repr-Digest": f"sha-256=:{digest}:",
        },
    )


@router.get("/{source}/{case_id}", response_model=CaseOut, summary="One case")
def get_case(
    engine: Annotated[Engine, Depends(get_engine)],
    actor: Annotated[Actor, Depends(current_actor)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    source: Annotated[str, Path(max_length=64)],
    case_id: Annotated[str, Path(max_length=64)],
    personal: Annotated[bool, PERSONAL] = True,
) -> dict[str, Any]:
    return svc.get_case(engine, actor, tree, source, case_id, personal=personal)
