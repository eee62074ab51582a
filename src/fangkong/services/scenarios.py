"""Intervention scenarios: run the SEIR model of :mod:`fangkong.core.epi.seir` for a
region (or a given population) under alternative interventions and compare outcomes.

A request names a base set of interventions (start date, contact reduction, optional
end date and ramp) and scenarios: each either shifts the base interventions by
``delay_days`` ("Level I response a week later") or replaces them. The first scenario
is the baseline that the others are compared with. Every bad value is reported as an
:class:`~fangkong.services.errors.Invalid` whose ``field`` is a JSON pointer (RFC 6901)
into the request (``/interventions/0/end``), so the API and the CLI can name it.

Default parameters and their sources (see ``docs/validation/seir.md``): latent period
5.2 d (mean incubation, Li Q et al. NEJM 2020;382:1199-1207), infectious period 2.3 d
(so that latent + infectious = the 7.5 d mean serial interval of Li et al.), R0 2.2
(Li et al.; 2.68 in Wu JT et al. Lancet 2020;395:689-697); severity and lengths of stay
from Ferguson NM et al., Imperial College Report 9 (2020-03-16).
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Engine

from fangkong.core.epi import scenario as sc
from fangkong.core.epi import seir
from fangkong.services.errors import Invalid, NotFound
from fangkong.services.regions import get_region

MAX_DAYS = 1000
MAX_SCENARIOS = 10
MAX_POPULATION = 2_000_000_000
MAX_INTERVENTIONS = 20
MAX_GROUPS = 20
MAX_REPLICATES = 200
MAX_STEPS_PER_DAY = 48
#: Upper bound of replicates × days × groups (memory of a stochastic request).
MAX_STOCHASTIC_CELLS = 1_000_000

PARAMETER_SOURCES = {
    "r0": "2.2: Li Q et al., NEJM 2020;382:1199-1207 (95% CI 1.4-3.9); Wu JT et al., "
    "Lancet 2020;395:689-697 give 2.68 (95% CrI 2.47-2.86)",
    "latent_period": "5.2 d: mean incubation period, Li Q et al. NEJM 2020 (95% CI 4.1-7.0)",
    "infectious_period": "2.3 d: mean serial interval 7.5 d (Li Q et al. NEJM 2020) minus "
    "the latent period, the mean generation time of an SEIR model being latent + infectious",
    "hospitalised_fraction": "0.044 of infections: infection-weighted hospitalisation of "
    "Ferguson NM et al., Imperial College Report 9, 2020-03-16 (not checked against the text)",
    "icu_fraction": "0.30 of hospitalised: Ferguson NM et al., Report 9",
    "admission_delay": "infection to admission 10.2 d (sd 4.0, assumed) = incubation 5.2 d "
    "(Li et al.) + onset to admission 5 d (Ferguson NM et al., Report 9)",
    "hospital_stay": "8 d (sd 4.0, assumed) without critical care: Ferguson NM et al., Report 9",
    "icu_stay": "10 d (sd 5.0, assumed) in critical care: Ferguson NM et al., Report 9",
}


class InvalidFields(Invalid):
    """:class:`Invalid` listing every bad field: ``errors`` is ``[(pointer, message)]``;
    ``field`` is the first pointer."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        pointer, message = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(f"{pointer}: {message}{more}", field=pointer)
        self.errors = list(errors)


class _Fields:
    """Collects JSON-pointer errors and raises them all at once on check."""

    def __init__(self) -> None:
        self.errors: list[tuple[str, str]] = []

    def add(self, pointer: str, message: str) -> None:
        self.errors.append((pointer, message))

    def check(self) -> None:
        if self.errors:
            raise InvalidFields(self.errors)


@dataclass(frozen=True)
class InterventionSpec:
    """A contact reduction from ``start`` (until ``end``, exclusive, when given)."""

    start: date
    reduction: float
    end: date | None = None
    ramp_days: float = 0.0
    label: str = ""


@dataclass(frozen=True)
class ScenarioSpec:
    """One scenario: the base interventions shifted by ``delay_days``, or its own list."""

    name: str
    delay_days: int = 0
    interventions: tuple[InterventionSpec, ...] | None = None
    r0: float | None = None


@dataclass(frozen=True)
class AgeGroups:
    """Age structure: population shares (normalised to sum 1) and a contact matrix."""

    labels: tuple[str, ...]
    fractions: tuple[float, ...]
    contact_matrix: tuple[tuple[float, ...], ...]


@dataclass(frozen=True)
class Calibration:
    """Choose the initial infections so that ``cumulative_infections`` people have been
    infected by the start of ``date`` in the baseline scenario."""

    date: date
    cumulative_infections: float


@dataclass(frozen=True)
class ScenarioRequest:
    start: date
    days: int = 180
    region_code: str | None = None
    population: float | None = None
    r0: float = seir.DEFAULT_R0
    latent_period: float = seir.DEFAULT_LATENT_PERIOD
    infectious_period: float = seir.DEFAULT_INFECTIOUS_PERIOD
    initial_infections: float = 1.0
    calibrate: Calibration | None = None
    interventions: tuple[InterventionSpec, ...] = ()
    scenarios: tuple[ScenarioSpec, ...] = ()
    hospital: sc.HospitalParameters = field(default_factory=sc.HospitalParameters)
    age_groups: AgeGroups | None = None
    stochastic: bool = False
    seed: int | None = None
    replicates: int = 20
    steps_per_day: int = 10
    include_series: bool = True


def _finite(value: float) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


def _check_interventions(
    errs: _Fields, pointer: str, items: tuple[InterventionSpec, ...], start: date
) -> None:
    if len(items) > MAX_INTERVENTIONS:
        errs.add(pointer, f"at most {MAX_INTERVENTIONS} interventions")
    for k, iv in enumerate(items):
        where = f"{pointer}/{k}"
        if not (_finite(iv.reduction) and 0 <= iv.reduction <= 1):
            errs.add(f"{where}/reduction", "must be a fraction within [0, 1]")
        if iv.end is not None and iv.end <= iv.start:
            errs.add(f"{where}/end", f"must be after the start {iv.start.isoformat()}")
        if not (_finite(iv.ramp_days) and 0 <= iv.ramp_days <= 365):
            errs.add(f"{where}/ramp_days", "must be within 0..365 days")
        if abs((iv.start - start).days) > 10 * MAX_DAYS:
            errs.add(f"{where}/start", "is too far from the start of the run")


def validate(req: ScenarioRequest) -> None:
    """Check bounds and consistency; raises :class:`Invalid` naming the first bad field."""
    errs = _Fields()
    if not 1 <= req.days <= MAX_DAYS:
        errs.add("/days", f"must be within 1..{MAX_DAYS}")
    if req.population is not None and not (
        _finite(req.population) and 1 <= req.population <= MAX_POPULATION
    ):
        errs.add("/population", f"must be within 1..{MAX_POPULATION:,}")
    if req.region_code is None and req.population is None:
        errs.add("/population", "give region_code or population")
    if not (_finite(req.r0) and 0 < req.r0 <= 30):
        errs.add("/r0", "must be within (0, 30]")
    for name in ("latent_period", "infectious_period"):
        value = getattr(req, name)
        if not (_finite(value) and 0.05 <= value <= 365):
            errs.add(f"/{name}", "must be within 0.05..365 days")
    if not (_finite(req.initial_infections) and req.initial_infections > 0):
        errs.add("/initial_infections", "must be positive")
    elif req.population is not None and req.initial_infections >= req.population:
        errs.add("/initial_infections", "must be below the population")
    if req.calibrate is not None:
        day = (req.calibrate.date - req.start).days
        if not 1 <= day <= MAX_DAYS:
            errs.add("/calibrate/date", "must be 1..1000 days after the start")
        if not (
            _finite(req.calibrate.cumulative_infections)
            and req.calibrate.cumulative_infections >= 1
        ):
            errs.add("/calibrate/cumulative_infections", "must be >= 1")
    _check_interventions(errs, "/interventions", req.interventions, req.start)
    if len(req.scenarios) > MAX_SCENARIOS:
        errs.add("/scenarios", f"at most {MAX_SCENARIOS} scenarios")
    seen: set[str] = set()
    for k, s in enumerate(req.scenarios):
        if not s.name.strip() or len(s.name) > 80:
            errs.add(f"/scenarios/{k}/name", "must be 1-80 characters")
        elif s.name in seen:
            errs.add(f"/scenarios/{k}/name", f"duplicate scenario name {s.name!r}")
        seen.add(s.name)
        if abs(s.delay_days) > MAX_DAYS:
            errs.add(f"/scenarios/{k}/delay_days", f"must be within ±{MAX_DAYS}")
        if s.r0 is not None and not (_finite(s.r0) and 0 < s.r0 <= 30):
            errs.add(f"/scenarios/{k}/r0", "must be within (0, 30]")
        if s.interventions is not None:
            _check_interventions(errs, f"/scenarios/{k}/interventions", s.interventions, req.start)
    hp = req.hospital
    for name in ("hospitalised_fraction", "icu_fraction"):
        if not (_finite(getattr(hp, name)) and 0 <= getattr(hp, name) <= 1):
            errs.add(f"/hospital/{name}", "must be a fraction within [0, 1]")
    if req.age_groups is not None:
        _check_age_groups(errs, req.age_groups)
    if req.stochastic:
        if not 1 <= req.replicates <= MAX_REPLICATES:
            errs.add("/replicates", f"must be within 1..{MAX_REPLICATES}")
        if not 1 <= req.steps_per_day <= MAX_STEPS_PER_DAY:
            errs.add("/steps_per_day", f"must be within 1..{MAX_STEPS_PER_DAY}")
        elif req.steps_per_day * min(req.latent_period, req.infectious_period) < 1:
            errs.add("/steps_per_day", "must be at least 1 / the shorter of the two periods")
        groups = len(req.age_groups.fractions) if req.age_groups else 1
        if req.replicates * (req.days + 1) * groups > MAX_STOCHASTIC_CELLS:
            errs.add(
                "/replicates",
                f"replicates × days × groups must stay below {MAX_STOCHASTIC_CELLS:,}",
            )
    errs.check()


def _check_age_groups(errs: _Fields, ag: AgeGroups) -> None:
    g = len(ag.fractions)
    if not 1 <= g <= MAX_GROUPS:
        errs.add("/age_groups/fractions", f"must have 1..{MAX_GROUPS} entries")
        return
    if len(ag.labels) != g:
        errs.add("/age_groups/labels", f"must have {g} entries, one per fraction")
    for k, f in enumerate(ag.fractions):
        if not (_finite(f) and f > 0):
            errs.add(f"/age_groups/fractions/{k}", "must be positive")
    if len(ag.contact_matrix) != g:
        errs.add("/age_groups/contact_matrix", f"must be {g} × {g}")
        return
    for i, row in enumerate(ag.contact_matrix):
        if len(row) != g:
            errs.add(f"/age_groups/contact_matrix/{i}", f"must have {g} entries")
            continue
        for j, v in enumerate(row):
            if not (_finite(v) and v >= 0):
                errs.add(f"/age_groups/contact_matrix/{i}/{j}", "must be >= 0")
    if not errs.errors and not any(v > 0 for row in ag.contact_matrix for v in row):
        errs.add("/age_groups/contact_matrix", "must not be all zero")


def _population(engine: Engine | None, req: ScenarioRequest) -> tuple[float, dict[str, Any] | None]:
    region: dict[str, Any] | None = None
    if req.region_code is not None:
        if engine is None:
            raise Invalid(
                "a region needs the database; give population instead", field="/region_code"
            )
        try:
            info = get_region(engine, req.region_code)
        except NotFound as exc:
            raise Invalid(exc.message, field="/region_code") from exc
        region = info.as_dict()
        if req.population is None and info.population is None:
            raise Invalid(
                f"region {req.region_code} has no population on record; give population",
                field="/region_code",
            )
    population = req.population
    if population is None:
        population = float(region["population"]) if region else 0.0
    if req.initial_infections >= population:
        raise Invalid("must be below the population", field="/initial_infections")
    return float(population), region


def _model(req: ScenarioRequest, population: float, r0: float) -> seir.SEIRModel:
    if req.age_groups is None:
        return seir.SEIRModel(np.array([population]), r0, req.latent_period, req.infectious_period)
    shares = np.asarray(req.age_groups.fractions, dtype=np.float64)
    return seir.SEIRModel(
        population * shares / shares.sum(),
        r0,
        req.latent_period,
        req.infectious_period,
        np.asarray(req.age_groups.contact_matrix, dtype=np.float64),
    )


def _interventions(
    items: tuple[InterventionSpec, ...], start: date, shift: int
) -> list[seir.Intervention]:
    out = []
    for iv in items:
        end = None if iv.end is None else float((iv.end - start).days + shift)
        out.append(
            seir.Intervention(
                float((iv.start - start).days + shift), iv.reduction, end, iv.ramp_days
            )
        )
    return out


def _iv_out(items: tuple[InterventionSpec, ...], shift: int) -> list[dict[str, Any]]:
    delta = timedelta(days=shift)
    return [
        {
            "start": (iv.start + delta).isoformat(),
            "end": None if iv.end is None else (iv.end + delta).isoformat(),
            "reduction": iv.reduction,
            "ramp_days": iv.ramp_days,
            "label": iv.label,
        }
        for iv in items
    ]


def _peak(p: sc.Peak, start: date) -> dict[str, Any]:
    return {"date": (start + timedelta(days=p.day)).isoformat(), "day": p.day, "value": p.value}


def _summary(o: sc.Outcome, start: date) -> dict[str, Any]:
    return {
        "peak_infections": _peak(o.peak_infections, start),
        "peak_prevalence": _peak(o.peak_prevalence, start),
        "total_infections": o.total_infections,
        "attack_rate": o.attack_rate,
        "group_attack_rates": o.group_attack_rates.tolist(),
        "peak_hospital_beds": _peak(o.peak_hospital_beds, start),
        "peak_icu_beds": _peak(o.peak_icu_beds, start),
        "total_admissions": float(o.beds.admissions.sum()),
        "total_icu_admissions": float(o.beds.icu_admissions.sum()),
    }


def _quantiles(values: list[float]) -> dict[str, float]:
    q = np.quantile(np.asarray(values), [0.025, 0.5, 0.975])
    return {"q0.025": float(q[0]), "q0.5": float(q[1]), "q0.975": float(q[2])}


def hospital_parameters(
    hospitalised_fraction: float = 0.044,
    icu_fraction: float = 0.30,
    admission_delay: tuple[float, float] = (10.2, 4.0),
    hospital_stay: tuple[float, float] = (8.0, 4.0),
    icu_stay: tuple[float, float] = (10.0, 5.0),
) -> sc.HospitalParameters:
    """Build checked hospital parameters ((mean, sd) pairs in days, gamma distributed);
    bad values raise :class:`Invalid` naming ``/hospital/...``."""
    errs = _Fields()
    for name, value in (
        ("hospitalised_fraction", hospitalised_fraction),
        ("icu_fraction", icu_fraction),
    ):
        if not (_finite(value) and 0 <= value <= 1):
            errs.add(f"/hospital/{name}", "must be a fraction within [0, 1]")
    delays = {
        "admission_delay": admission_delay,
        "hospital_stay": hospital_stay,
        "icu_stay": icu_stay,
    }
    for name, (mean, sd) in delays.items():
        if not (_finite(mean) and 0 <= mean <= 120):
            errs.add(f"/hospital/{name}/mean", "must be within 0..120 days")
        elif name != "admission_delay" and mean <= 0:
            errs.add(f"/hospital/{name}/mean", "a length of stay must be positive")
        if not (_finite(sd) and 0 <= sd <= 120):
            errs.add(f"/hospital/{name}/sd", "must be within 0..120 days")
        elif sd > 0 and _finite(mean) and mean > 0 and mean / sd < 0.05**0.5:  # no overflow
            errs.add(f"/hospital/{name}/sd", "too large for the mean (gamma shape < 0.05)")
        elif sd > 0 and _finite(mean) and mean / sd > 1e6:
            errs.add(
                f"/hospital/{name}/sd",
                "too small for the mean (gamma shape > 10^12): give 0 for a fixed delay",
            )
        elif sd > 0 and mean == 0:
            errs.add(f"/hospital/{name}/sd", "must be 0 when the mean is 0")
    errs.check()
    return sc.HospitalParameters(
        hospitalised_fraction,
        icu_fraction,
        sc.GammaDelay(*admission_delay),
        sc.GammaDelay(*hospital_stay),
        sc.GammaDelay(*icu_stay),
    )


def scenario_names(req: ScenarioRequest) -> list[ScenarioSpec]:
    """The scenarios to run: those given, or one baseline of the base interventions."""
    return list(req.scenarios) or [ScenarioSpec("baseline")]


def run(engine: Engine | None, req: ScenarioRequest) -> dict[str, Any]:
    """Run every scenario and compare each with the first. JSON-ready answer."""
    validate(req)
    population, region = _population(engine, req)
    specs = scenario_names(req)
    base_model = _model(req, population, specs[0].r0 or req.r0)
    initial = req.initial_infections
    if req.calibrate is not None:
        spec0 = specs[0]
        base_items = spec0.interventions if spec0.interventions is not None else req.interventions
        day = (req.calibrate.date - req.start).days
        try:
            initial = seir.seed_for_cumulative(
                base_model,
                day,
                req.calibrate.cumulative_infections,
                _interventions(base_items, req.start, spec0.delay_days),
            )
        except ValueError as exc:
            raise Invalid(str(exc), field="/calibrate/cumulative_infections") from exc
    # Common random numbers: every scenario draws from the same seed, so differences
    # between scenarios are not blurred by independent noise.
    seed = req.seed if req.seed is not None else secrets.randbits(63)
    dates = [(req.start + timedelta(days=t)).isoformat() for t in range(req.days)]
    out_scenarios: list[dict[str, Any]] = []
    outcomes: list[sc.Outcome] = []
    for spec in specs:
        model = _model(req, population, spec.r0 or req.r0)
        items = spec.interventions if spec.interventions is not None else req.interventions
        shift = spec.delay_days
        ivs = _interventions(items, req.start, shift)
        det = seir.simulate(model, req.days, ivs, initial)
        entry: dict[str, Any] = {
            "name": spec.name,
            "delay_days": shift,
            "r0": model.r0,
            "interventions": _iv_out(items, shift),
        }
        if not req.stochastic:
            outcome = sc.summarise(det, model.population, req.hospital)
        else:
            runs = seir.simulate_stochastic(
                model,
                req.days,
                np.random.default_rng(seed),
                ivs,
                initial,
                replicates=req.replicates,
                steps_per_day=req.steps_per_day,
            )
            outcome = sc.summarise(sc.mean_result(runs), model.population, req.hospital)
            each = [
                sc.summarise(
                    seir.SEIRResult(
                        runs.S[k], runs.E[k], runs.I[k], runs.R[k], runs.initial_infections
                    ),
                    model.population,
                    req.hospital,
                )
                for k in range(req.replicates)
            ]
            entry["stochastic"] = {
                "replicates": req.replicates,
                "total_infections": _quantiles([o.total_infections for o in each]),
                "peak_prevalence": _quantiles([o.peak_prevalence.value for o in each]),
                "peak_prevalence_day": _quantiles([o.peak_prevalence.day for o in each]),
                "peak_hospital_beds": _quantiles([o.peak_hospital_beds.value for o in each]),
                "peak_icu_beds": _quantiles([o.peak_icu_beds.value for o in each]),
                "extinct": sum(
                    1
                    for k in range(req.replicates)
                    if runs.E[k, -1].sum() + runs.I[k, -1].sum() == 0
                ),
            }
        entry["summary"] = _summary(outcome, req.start)
        if req.include_series:
            rt = seir.effective_r(model, det, ivs)
            entry["series"] = {
                "date": dates,
                "new_infections": outcome.new_infections.tolist(),
                "prevalence": outcome.prevalence[:-1].tolist(),
                "cumulative_infections": outcome.cumulative_infections[1:].tolist(),
                "admissions": outcome.beds.admissions.tolist(),
                "hospital_beds": outcome.beds.hospital_beds.tolist(),
                "icu_beds": outcome.beds.icu_beds.tolist(),
                "effective_r": rt[:-1].tolist(),
                "contact_multiplier": [
                    seir.contact_multiplier(float(t), ivs) for t in range(req.days)
                ],
            }
        outcomes.append(outcome)
        out_scenarios.append(entry)
    comparison = [
        {
            "scenario": specs[k].name,
            "baseline": specs[0].name,
            "differences": sc.differences(outcomes[0], outcomes[k]),
        }
        for k in range(1, len(specs))
    ]
    hp = req.hospital
    return {
        "region": region,
        "population": population,
        "start": req.start.isoformat(),
        "days": req.days,
        "model": {
            "kind": "SEIR" + (" (age-structured)" if req.age_groups else ""),
            "method": (
                f"binomial chain tau-leap, {req.steps_per_day} steps/day, "
                f"{req.replicates} replicates (seed {seed}, the same for every scenario); "
                "summary of the replicate mean"
                if req.stochastic
                else "deterministic ODE, DOP853 (rtol 1e-10), piecewise between break points"
            ),
            "r0": req.r0,
            "beta": base_model.beta,
            "latent_period": req.latent_period,
            "infectious_period": req.infectious_period,
            "growth_rate": seir.growth_rate(base_model),
            "doubling_time": (
                math.log(2) / seir.growth_rate(base_model)
                if seir.growth_rate(base_model) > 0
                else None
            ),
            "final_size_without_intervention": (
                float(
                    np.dot(seir.final_size_structured(base_model), base_model.population)
                    / population
                )
                if req.age_groups
                else seir.final_size(req.r0, 1 - initial / population)
            ),
            "initial_infections": initial,
            "age_groups": None
            if req.age_groups is None
            else {
                "labels": list(req.age_groups.labels),
                "population": base_model.population.tolist(),
            },
        },
        "hospital": {
            "hospitalised_fraction": hp.hospitalised_fraction,
            "icu_fraction": hp.icu_fraction,
            "admission_delay": {"mean": hp.admission_delay.mean, "sd": hp.admission_delay.sd},
            "hospital_stay": {"mean": hp.hospital_stay.mean, "sd": hp.hospital_stay.sd},
            "icu_stay": {"mean": hp.icu_stay.mean, "sd": hp.icu_stay.sd},
        },
        "parameter_sources": PARAMETER_SOURCES,
        "scenarios": out_scenarios,
        "comparison": comparison,
    }
