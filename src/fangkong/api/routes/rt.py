"""``GET /api/v1/regions/{code}/rt``: the time-varying reproduction number of a region.

Public aggregate figures (no authentication), like the daily series they derive from.
Method: Cori et al. (2013) as EpiEstim's ``estimate_R`` with a parametric (offset gamma)
serial interval; see :mod:`fangkong.core.epi.rt`. Bad parameters get a problem+json
answer naming the parameter.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy import Engine

from fangkong.api.caching import cached_json
from fangkong.api.deps import get_engine, get_settings
from fangkong.api.routing import ApiRouter
from fangkong.services import rt as svc
from fangkong.settings import Settings

router = ApiRouter(prefix="/api/v1/regions", tags=["analytics"])


class RtWindow(BaseModel):
    t_start: int = Field(description="First day of the window (1 = first day of the series).")
    t_end: int
    date_start: date
    date_end: date
    mean: float = Field(description="Posterior mean of R.")
    std: float
    q0_025: float = Field(alias="q0.025")
    q0_05: float = Field(alias="q0.05")
    q0_25: float = Field(alias="q0.25")
    q0_5: float = Field(alias="q0.5")
    q0_75: float = Field(alias="q0.75")
    q0_95: float = Field(alias="q0.95")
    q0_975: float = Field(alias="q0.975")


class RtOut(BaseModel):
    region_code: str
    basis: str
    source: str
    available_sources: list[str]
    method: str
    si_mean: float
    si_sd: float
    window: int
    mean_prior: float
    std_prior: float
    series_start: date
    series_end: date
    items: list[RtWindow]
    notes: list[str] = Field(description="How the stored series was turned into incidence.")
    warnings: list[str] = Field(description="EpiEstim's warnings (precision, dropped windows).")
    reference: str


@router.get(
    "/{region_code}/rt",
    response_model=RtOut,
    response_model_by_alias=True,
    summary="Reproduction number R_t (Cori et al. 2013)",
)
def region_rt(
    request: Request,
    engine: Annotated[Engine, Depends(get_engine)],
    settings: Annotated[Settings, Depends(get_settings)],
    region_code: str,
    si_mean: Annotated[float, Query(gt=1, le=60, description="Mean serial interval (days).")],
    si_sd: Annotated[float, Query(gt=0, le=60, description="SD of the serial interval (days).")],
    window: Annotated[int, Query(ge=1, le=365, description="Sliding window length (days).")] = 7,
    date_from: Annotated[date | None, Query(alias="from")] = None,
    date_to: Annotated[date | None, Query(alias="to")] = None,
    source: Annotated[str | None, Query(pattern=r"^[a-z0-9_-]{1,32}$")] = None,
    basis: Annotated[
        Literal["report", "onset"],
        Query(description="report: new confirmed by report date; onset: line list by onset."),
    ] = "report",
) -> Response:
    """Cached per data version with an ETag (:mod:`fangkong.api.caching`)."""

    def compute() -> dict[str, Any]:
        data = svc.region_rt(
            engine,
            region_code,
            si_mean=si_mean,
            si_sd=si_sd,
            window=window,
            date_from=date_from,
            date_to=date_to,
            source=source,
            basis=basis,
            priority=settings.source_priority,
        )
        return RtOut.model_validate(data).model_dump(mode="json", by_alias=True)

    key = ("rt", region_code, si_mean, si_sd, window, date_from, date_to, source, basis)
    return cached_json(request, key, compute)
