"""``/api/v1/daily``: reports entered by hand.

* ``POST /api/v1/daily``: a JSON batch (all or nothing), stored as an import is (a
  changed figure becomes a revision). Each bad field is named in the problem document
  by a JSON pointer (RFC 6901) into the request body, e.g. ``/items/3/new_deaths``.
* ``GET /api/v1/daily/{source}/{region_code}/{report_date}``: one report, with its
  ``ETag``.
* ``PUT`` on the same path: edit that report in place with optimistic concurrency
  (services/versions.py): ``If-Match`` with the ETag read is required when the report
  exists (428 without, 412 when someone else changed it first, with the current ETag);
  a report that does not exist yet is created (``If-None-Match: *`` makes sure of it).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Body, Depends, Header, Path, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine

from fangkong.api.caching import versioned
from fangkong.api.deps import current_actor, get_engine, get_region_tree, get_settings
from fangkong.api.problems import Problem, json_pointer
from fangkong.api.routes.regions import ReportedFigures
from fangkong.api.routing import ApiRouter
from fangkong.core.access import Actor
from fangkong.core.regions import RegionTree
from fangkong.core.reports import COUNT_FIELDS
from fangkong.services import daily_reports as svc
from fangkong.settings import Settings

router = ApiRouter(prefix="/api/v1/daily", tags=["daily reports"])

EXAMPLE: dict[str, Any] = {
    "source": "fangkong",
    "items": [
        {
            "region_code": "420100",
            "report_date": "2020-02-12",
            "new_confirmed": 13436,
            "new_deaths": 72,
            "current_severe": None,
        }
    ],
}


class DailyBatch(BaseModel):
    """Reports of the ``fangkong-daily`` format: ``region_code``, ``report_date`` and
    any count fields; an absent member is left as stored, ``null`` is *not reported*."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE]})

    source: str = Field(default="fangkong", pattern=r"^[a-z0-9_-]{1,32}$")
    items: list[Any] = Field(min_length=1, max_length=svc.MAX_BATCH_ITEMS)


class DailyBatchResult(BaseModel):
    source: str
    received: int
    inserted: int
    updated: int
    unchanged: int
    revisions: int
    notes: list[str]


def _item_path(line: int, column: str) -> list[str | int]:
    """The body path of an issue: ``items``, the item's index, the member."""
    path: list[str | int] = ["items", line - 1]
    return path if column == "*" else [*path, column]


@router.post("", response_model=DailyBatchResult, summary="Enter daily reports")
def post_daily(
    engine: Annotated[Engine, Depends(get_engine)],
    settings: Annotated[Settings, Depends(get_settings)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    batch: Annotated[DailyBatch, Body()],
) -> dict[str, Any]:
    try:
        return svc.submit_daily_reports(
            engine, settings, batch.items, actor=actor, source=batch.source, tree=tree
        )
    except svc.InvalidReports as exc:
        errors = [
            {
                "pointer": json_pointer(_item_path(i.line, i.column)),
                "detail": i.reason,
                "value": i.value,
            }
            for i in exc.issues
        ]
        raise Problem(422, "Invalid reports", exc.message, errors=errors) from exc


SOURCE = Path(pattern=r"^[a-z0-9_-]{1,32}$", examples=["fangkong"])
REGION = Path(pattern=r"^[A-Za-z0-9-]{2,16}$", examples=["420100"])
FIGURE = Field(default=None, ge=-(10**9), le=10**9)


class DailyFigures(BaseModel):
    """Count fields of one report: an absent member is left as stored, ``null`` is
    *not reported*; negatives only for the daily figures a publisher may correct."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"new_confirmed": 13436, "new_deaths": 72}]},
    )

    new_confirmed: int | None = FIGURE
    new_confirmed_imported: int | None = FIGURE
    new_suspected: int | None = FIGURE
    new_deaths: int | None = FIGURE
    new_recovered: int | None = FIGURE
    new_asymptomatic: int | None = FIGURE
    tests: int | None = FIGURE
    current_severe: int | None = FIGURE
    current_suspected: int | None = FIGURE
    close_contacts_under_observation: int | None = FIGURE


class DailyReportOut(ReportedFigures):
    region_code: str
    report_date: str
    source: str
    flags: list[str]
    version: int
    etag: str
    updated_at: str | None
    result: str | None = None


@router.get(
    "/{source}/{region_code}/{report_date}",
    response_model=DailyReportOut,
    response_model_exclude_none=False,
    summary="One report, with its ETag",
)
def get_daily_report(
    engine: Annotated[Engine, Depends(get_engine)],
    actor: Annotated[Actor, Depends(current_actor)],
    source: Annotated[str, SOURCE],
    region_code: Annotated[str, REGION],
    report_date: date,
    response: Response,
) -> dict[str, Any]:
    found = svc.get_daily_report(engine, region_code, report_date, source)
    versioned(response, found["etag"])
    return found


@router.put(
    "/{source}/{region_code}/{report_date}",
    response_model=DailyReportOut,
    summary="Edit one report (If-Match required when it exists)",
    responses={
        201: {"description": "Created"},
        412: {"description": "The report changed since it was read (body: current ETag)"},
        428: {"description": "If-Match is required to edit an existing report"},
    },
)
def put_daily_report(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    source: Annotated[str, SOURCE],
    region_code: Annotated[str, REGION],
    report_date: date,
    figures: Annotated[DailyFigures, Body()],
    response: Response,
    if_match: Annotated[str | None, Header(max_length=1024)] = None,
    if_none_match: Annotated[str | None, Header(max_length=1024)] = None,
) -> dict[str, Any]:
    try:
        stored, outcome = svc.edit_daily_report(
            engine,
            figures.model_dump(exclude_unset=True),
            region_code=region_code,
            report_date=report_date,
            source=source,
            actor=actor,
            if_match=if_match,
            if_none_match=if_none_match,
            tree=tree,
        )
    except svc.InvalidReports as exc:
        errors = [
            {
                "pointer" if i.column in COUNT_FIELDS else "parameter": (
                    json_pointer([i.column]) if i.column in COUNT_FIELDS else i.column
                ),
                "detail": i.reason,
                "value": i.value,
            }
            for i in exc.issues
        ]
        raise Problem(422, "Invalid report", exc.message, errors=errors) from exc
    versioned(response, stored["etag"], created=outcome == "created")
    return {**stored, "result": outcome}
