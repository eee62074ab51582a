"""``POST /api/v1/scenarios``: SEIR intervention scenarios compared side by side.

Requires a signed-in caller holding ``read_aggregate`` (every role). The body gives the
population (``region_code`` for the census figure, or ``population``), the model
parameters, the base interventions and the scenarios (each shifts the base interventions
by ``delay_days`` or brings its own); the first scenario is the baseline of the
comparison. Bad values answer 422 problem+json naming each field by JSON pointer.
Method and parameter sources: :mod:`fangkong.services.scenarios`.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine

from fangkong.api.deps import current_actor, get_engine
from fangkong.api.problems import Problem
from fangkong.api.routing import ApiRouter
from fangkong.api.threads import run_long
from fangkong.core.access import Actor, Permission, has_permission
from fangkong.core.epi import seir
from fangkong.services import scenarios as svc
from fangkong.services.errors import Invalid

router = ApiRouter(prefix="/api/v1/scenarios", tags=["analytics"])


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InterventionIn(_Strict):
    start: date = Field(description="First day of the contact reduction.")
    reduction: float = Field(ge=0, le=1, description="Fraction of contacts removed.")
    end: date | None = Field(None, description="First day without it (lifted at once).")
    ramp_days: float = Field(0, ge=0, le=365, description="Linear ramp-up from start.")
    label: str = Field("", max_length=80)


class ScenarioIn(_Strict):
    name: str = Field(min_length=1, max_length=80)
    delay_days: int = Field(
        0, ge=-svc.MAX_DAYS, le=svc.MAX_DAYS, description="Shift of the base interventions (days)."
    )
    interventions: list[InterventionIn] | None = Field(
        None,
        max_length=svc.MAX_INTERVENTIONS,
        description="Own interventions instead of the base ones.",
    )
    r0: float | None = Field(None, gt=0, le=30)


class DelayIn(_Strict):
    mean: float = Field(ge=0, le=120, description="Mean, days.")
    sd: float = Field(ge=0, le=120, description="Standard deviation, days (gamma; 0: fixed).")


class HospitalIn(_Strict):
    hospitalised_fraction: float = Field(0.044, ge=0, le=1)
    icu_fraction: float = Field(0.30, ge=0, le=1, description="Of those hospitalised.")
    admission_delay: DelayIn = DelayIn(mean=10.2, sd=4.0)
    hospital_stay: DelayIn = DelayIn(mean=8.0, sd=4.0)
    icu_stay: DelayIn = DelayIn(mean=10.0, sd=5.0)


class AgeGroupsIn(_Strict):
    labels: list[str] = Field(min_length=1, max_length=svc.MAX_GROUPS)
    fractions: list[float] = Field(min_length=1, max_length=svc.MAX_GROUPS)
    contact_matrix: list[list[float]] = Field(min_length=1, max_length=svc.MAX_GROUPS)


class CalibrateIn(_Strict):
    date: date
    cumulative_infections: float = Field(ge=1)


class ScenarioRequestIn(_Strict):
    region_code: str | None = Field(None, pattern=r"^[A-Za-z0-9-]{2,16}$")
    population: float | None = Field(None, ge=1, le=svc.MAX_POPULATION)
    start: date
    days: int = Field(180, ge=1, le=svc.MAX_DAYS)
    r0: float = Field(seir.DEFAULT_R0, gt=0, le=30)
    latent_period: float = Field(seir.DEFAULT_LATENT_PERIOD, ge=0.05, le=365)
    infectious_period: float = Field(seir.DEFAULT_INFECTIOUS_PERIOD, ge=0.05, le=365)
    initial_infections: float = Field(1.0, gt=0)
    calibrate: CalibrateIn | None = None
    interventions: list[InterventionIn] = Field([], max_length=svc.MAX_INTERVENTIONS)
    scenarios: list[ScenarioIn] = Field([], max_length=svc.MAX_SCENARIOS)
    hospital: HospitalIn | None = None
    age_groups: AgeGroupsIn | None = None
    stochastic: bool = False
    seed: int | None = Field(None, ge=0, le=2**63 - 1)
    replicates: int = Field(20, ge=1, le=svc.MAX_REPLICATES)
    steps_per_day: int = Field(10, ge=1, le=svc.MAX_STEPS_PER_DAY)
    include_series: bool = True


def _ivs(items: list[InterventionIn]) -> tuple[svc.InterventionSpec, ...]:
    return tuple(
        svc.InterventionSpec(i.start, i.reduction, i.end, i.ramp_days, i.label) for i in items
    )


def to_request(body: ScenarioRequestIn) -> svc.ScenarioRequest:
    """The service request for a validated body (hospital parameters checked here)."""
    h = body.hospital or HospitalIn.model_validate({})
    hospital = svc.hospital_parameters(
        h.hospitalised_fraction,
        h.icu_fraction,
        (h.admission_delay.mean, h.admission_delay.sd),
        (h.hospital_stay.mean, h.hospital_stay.sd),
        (h.icu_stay.mean, h.icu_stay.sd),
    )
    ages = body.age_groups
    return svc.ScenarioRequest(
        start=body.start,
        days=body.days,
        region_code=body.region_code,
        population=body.population,
        r0=body.r0,
        latent_period=body.latent_period,
        infectious_period=body.infectious_period,
        initial_infections=body.initial_infections,
        calibrate=None
        if body.calibrate is None
        else svc.Calibration(body.calibrate.date, body.calibrate.cumulative_infections),
        interventions=_ivs(body.interventions),
        scenarios=tuple(
            svc.ScenarioSpec(
                s.name,
                s.delay_days,
                None if s.interventions is None else _ivs(s.interventions),
                s.r0,
            )
            for s in body.scenarios
        ),
        hospital=hospital,
        age_groups=None
        if ages is None
        else svc.AgeGroups(
            tuple(ages.labels),
            tuple(ages.fractions),
            tuple(tuple(row) for row in ages.contact_matrix),
        ),
        stochastic=body.stochastic,
        seed=body.seed,
        replicates=body.replicates,
        steps_per_day=body.steps_per_day,
        include_series=body.include_series,
    )


@router.post("", summary="Compare SEIR intervention scenarios")
async def run_scenarios(
    http_request: Request,
    body: ScenarioRequestIn,
    engine: Annotated[Engine, Depends(get_engine)],
    actor: Annotated[Actor, Depends(current_actor)],
) -> dict[str, Any]:
    """Run the scenarios (deterministic ODE, or the stochastic binomial chain) and
    return per-scenario summaries, daily series and differences from the first."""
    if not has_permission(actor.role, Permission.READ_AGGREGATE):
        raise Problem(
            403,
            "Forbidden",
            f"{actor.username} ({actor.role.value}) lacks the "
            f"permission {Permission.READ_AGGREGATE.value}",
        )
    try:
        request = to_request(body)
        return await run_long(http_request, svc.run, engine, request)
    except svc.InvalidFields as exc:
        errors = [{"pointer": p, "detail": m} for p, m in exc.errors]
        raise Problem(422, "Invalid request", exc.message, errors=errors) from exc
    except Invalid as exc:
        errors = [{"pointer": exc.field or "", "detail": exc.message}]
        raise Problem(422, "Invalid request", exc.message, errors=errors) from exc
