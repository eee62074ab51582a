"""``/api/v1/regions/{code}/breakdowns``: public case counts by age band, sex or area,
with small cells suppressed (see services/breakdowns.py and core/privacy)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Depends, Path, Query
from sqlalchemy import Engine

from fangkong.api.deps import get_engine, get_settings
from fangkong.api.routing import ApiRouter
from fangkong.services import breakdowns as svc
from fangkong.settings import Settings

router = ApiRouter(prefix="/api/v1/regions", tags=["breakdowns"])
CODE = r"^[A-Za-z0-9-]{2,16}$"


@router.get("/{region_code}/breakdowns", summary="Cases by age band, sex or area (suppressed)")
def breakdowns(
    engine: Annotated[Engine, Depends(get_engine)],
    settings: Annotated[Settings, Depends(get_settings)],
    region_code: Annotated[str, Path(pattern=CODE)],
    by: Annotated[
        str,
        Query(
            pattern=r"^[a-z_]+(,[a-z_]+)?$",
            max_length=32,
            description="age_band, sex, age_band,sex or area",
        ),
    ] = "age_band,sex",
    date_from: Annotated[date | None, Query(alias="from")] = None,
    date_to: Annotated[date | None, Query(alias="to")] = None,
    min_cell: Annotated[
        int | None,
        Query(
            ge=1,
            le=1000,
            description="suppress counts below this; may only raise the configured threshold",
        ),
    ] = None,
) -> dict[str, Any]:
    """Confirmed and clinically diagnosed cases of the region and its sub-regions,
    counted by confirmation date within ``from``-``to``. Suppressed counts are
    ``null`` with ``"suppressed": true``; ``suppression`` states the rule in force."""
    return svc.case_breakdown(
        engine,
        settings,
        region_code,
        by,
        date_from=date_from,
        date_to=date_to,
        min_cell=min_cell,
    )
