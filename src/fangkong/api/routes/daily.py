"""``POST /api/v1/daily``: reports entered by hand, as a JSON batch (all or nothing).

Each bad field is named in the problem document by a JSON pointer (RFC 6901) into the
request body, e.g. ``/items/3/new_deaths``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine

from fangkong.api.deps import current_actor, get_engine, get_region_tree, get_settings
from fangkong.api.problems import Problem, json_pointer
from fangkong.core.access import Actor
from fangkong.core.regions import RegionTree
from fangkong.services import daily_reports as svc
from fangkong.settings import Settings

router = APIRouter(prefix="/api/v1/daily", tags=["daily reports"])

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
