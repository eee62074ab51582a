"""Forecasts and nowcasts of a region: ``GET /api/v1/regions/{code}/forecast`` (public
aggregate figures, like the daily series they project) and
``GET /api/v1/regions/{code}/nowcast`` (from the case line list: ``READ_CASES``).

Methods: :mod:`fangkong.core.epi.forecast` (renewal equation with an uncertain R and
negative-binomial counts) and :mod:`fangkong.core.epi.nowcast` (reporting-delay model of
Lawless 1994 with Bayesian intervals after Höhle & an der Heiden 2014). Bad parameters
and data that cannot support an estimate are 422 problem+json naming the parameter.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy import Engine

from fangkong.api.caching import cached_json
from fangkong.api.deps import current_actor, get_engine, get_region_tree, get_settings
from fangkong.api.params import EARLIEST_DAY, LATEST_DAY
from fangkong.api.routing import ApiRouter
from fangkong.core.access import Actor
from fangkong.core.regions import RegionTree
from fangkong.services import forecast as fc_svc
from fangkong.services import nowcast as nc_svc
from fangkong.settings import Settings

router = ApiRouter(prefix="/api/v1/regions", tags=["analytics"])


@router.get("/{region_code}/forecast", summary="Forecast of daily new confirmed cases")
def region_forecast(
    request: Request,
    engine: Annotated[Engine, Depends(get_engine)],
    settings: Annotated[Settings, Depends(get_settings)],
    region_code: str,
    horizon: Annotated[int, Query(ge=1, le=fc_svc.MAX_HORIZON, description="Days ahead.")] = 14,
    si_mean: Annotated[
        float, Query(gt=1, le=60, description="Mean serial interval (days).")
    ] = fc_svc.DEFAULTS["si_mean"],
    si_sd: Annotated[
        float, Query(gt=0, le=60, description="SD of the serial interval (days).")
    ] = fc_svc.DEFAULTS["si_sd"],
    window: Annotated[
        int, Query(ge=1, le=90, description="Days of the last R window.")
    ] = fc_svc.DEFAULTS["window"],
    forecast_from: Annotated[
        date | None,
        Query(
            alias="from",
            description="First forecast day (data before it are used).",
            ge=EARLIEST_DAY,
            le=LATEST_DAY,
        ),
    ] = None,
    source: Annotated[str | None, Query(pattern=r"^[a-z0-9_-]{1,32}$")] = None,
    seed: Annotated[int, Query(ge=0, le=2**31 - 1, description="Random seed.")] = 1,
) -> Response:
    """Seeded, hence cached per data version with an ETag (:mod:`fangkong.api.caching`)."""
    key = ("forecast", region_code, horizon, si_mean, si_sd, window, forecast_from, source, seed)
    return cached_json(
        request,
        key,
        lambda: fc_svc.region_forecast(
            engine,
            region_code,
            horizon=horizon,
            si_mean=si_mean,
            si_sd=si_sd,
            window=window,
            forecast_from=forecast_from,
            source=source,
            priority=settings.source_priority,
            seed=seed,
        ),
    )


@router.get("/{region_code}/nowcast", summary="Nowcast of cases by onset date (line list)")
def region_nowcast(
    engine: Annotated[Engine, Depends(get_engine)],
    actor: Annotated[Actor, Depends(current_actor)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    region_code: str,
    cutoff: Annotated[date | None, Query(description="Nowcast as known on this day.")] = None,
    source: Annotated[str | None, Query(pattern=r"^[a-z0-9_-]{1,64}$")] = None,
    report_event: Annotated[
        Literal["auto", "report_date", "confirmation_date"],
        Query(description="Which date counts as the report of a case."),
    ] = "auto",
    max_delay: Annotated[int, Query(ge=0, le=60)] = nc_svc.DEFAULTS["max_delay"],
    delay_window: Annotated[int, Query(ge=1, le=365)] = nc_svc.DEFAULTS["delay_window"],
    days: Annotated[int, Query(ge=1, le=365)] = nc_svc.DEFAULTS["days"],
    seed: Annotated[int, Query(ge=0, le=2**31 - 1)] = 1,
) -> dict[str, Any]:
    return nc_svc.region_nowcast(
        engine,
        actor,
        tree,
        region_code,
        cutoff=cutoff,
        source=source,
        report_event=report_event,
        max_delay=max_delay,
        delay_window=delay_window,
        days=days,
        seed=seed,
    )
