"""Outcomes of an SEIR scenario: epidemic peak, cumulative infections, hospital and ICU
bed demand, and side-by-side comparison of scenarios.

Bed demand (the "admissions convolved with length of stay" method of e.g. Ferguson NM
et al., Imperial College COVID-19 Response Team Report 9, 2020-03-16, and of the CDC
COVIDSurge/CHIME planning tools), on a daily grid:

1. admissions on day ``t``: ``a_t = f_hosp Σ_k x_{t-k} p_k``, where ``x`` is the daily
   number of new infections and ``p_k`` the infection-to-admission delay discretised
   to whole days, ``p_k = F(k+1) - F(k)`` (a delay in ``[k, k+1)`` days puts the
   admission ``k`` days after the day of infection; ``F`` a gamma CDF; a zero SD is a
   fixed delay of ``round(mean)`` days). The tail beyond the 1 - 1e-9 quantile is
   dropped (mass below 1e-9);
2. of them ``f_icu`` need intensive care; the others occupy a general ward bed for the
   hospital length of stay, ICU patients an ICU bed for the ICU length of stay (ward
   days of ICU patients before and after intensive care are not counted);
3. average beds occupied on day ``t``: ``B_t = Σ_k a_{t-k} w_k`` with
   ``w_k = ∫_k^{k+1} P(LoS > u) du``, the expected part of day ``k`` after admission
   (admission at the start of its day) still spent in hospital. For a gamma length of
   stay with shape ``α`` and scale ``θ``, ``∫_0^a P(X > u) du = a P(X > a) +
   αθ G_{α+1,θ}(a)`` (``G`` the gamma CDF), so ``Σ_k w_k`` equals the mean length of
   stay exactly: bed-days = admissions × mean stay. Demand beyond the simulated horizon
   is cut off.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from fangkong.core.epi.seir import SEIRResult

FloatArray = NDArray[np.float64]

#: Mass of a delay distribution's tail that is dropped when discretising.
TAIL = 1e-9


@dataclass(frozen=True, slots=True)
class GammaDelay:
    """A delay or length of stay given by its mean and SD in days (gamma distributed;
    ``sd == 0``: fixed)."""

    mean: float
    sd: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.mean) and self.mean >= 0):
            raise ValueError("mean must be >= 0")
        if not (math.isfinite(self.sd) and self.sd >= 0):
            raise ValueError("sd must be >= 0")
        if self.sd > 0 and self.mean == 0:
            raise ValueError("a delay with sd > 0 needs mean > 0")

    @property
    def shape(self) -> float:
        return (self.mean / self.sd) ** 2

    @property
    def scale(self) -> float:
        return self.sd**2 / self.mean

    def pmf(self) -> FloatArray:
        """Whole-day delay ``p_k = F(k+1) - F(k)``, ``k = 0..K`` (module docstring)."""
        if self.sd == 0:
            out = np.zeros(round(self.mean) + 1)
            out[-1] = 1.0
            return out
        top = math.ceil(float(stats.gamma.ppf(1 - TAIL, self.shape, scale=self.scale)))
        cdf = stats.gamma.cdf(np.arange(top + 2), self.shape, scale=self.scale)
        return np.asarray(np.diff(cdf)[: top + 1], dtype=np.float64)

    def occupancy(self) -> FloatArray:
        """``w_k = ∫_k^{k+1} P(X > u) du``, the expected time in day ``k`` after
        admission still spent in a bed; ``Σ w_k = mean`` (module docstring)."""
        if self.sd == 0:
            whole = math.floor(self.mean)
            out = np.ones(whole + 1)
            out[-1] = self.mean - whole
            return out
        a, theta = self.shape, self.scale
        top = math.ceil(float(stats.gamma.ppf(1 - TAIL, a, scale=theta)))
        grid = np.arange(top + 2, dtype=np.float64)
        integral = grid * stats.gamma.sf(grid, a, scale=theta) + a * theta * stats.gamma.cdf(
            grid, a + 1, scale=theta
        )
        return np.asarray(np.diff(integral)[: top + 1], dtype=np.float64)


@dataclass(frozen=True, slots=True)
class HospitalParameters:
    """Severity and hospital stay (module docstring). Defaults: see
    ``docs/validation/seir.md`` for their sources and how far they were checked."""

    hospitalised_fraction: float = 0.044
    icu_fraction: float = 0.30
    admission_delay: GammaDelay = field(default_factory=lambda: GammaDelay(10.2, 4.0))
    hospital_stay: GammaDelay = field(default_factory=lambda: GammaDelay(8.0, 4.0))
    icu_stay: GammaDelay = field(default_factory=lambda: GammaDelay(10.0, 5.0))

    def __post_init__(self) -> None:
        for name in ("hospitalised_fraction", "icu_fraction"):
            value = getattr(self, name)
            if not 0 <= value <= 1:
                raise ValueError(f"{name} must be within [0, 1]")


def _convolve(x: FloatArray, kernel: FloatArray) -> FloatArray:
    """Causal discrete convolution ``y_t = Σ_k x_{t-k} kernel_k``, cut to ``len(x)``."""
    return np.asarray(np.convolve(x, kernel)[: x.size], dtype=np.float64)


@dataclass(frozen=True)
class BedDemand:
    """Daily admissions and average beds occupied (same length as the infections)."""

    admissions: FloatArray
    icu_admissions: FloatArray
    hospital_beds: FloatArray
    icu_beds: FloatArray


def bed_demand(new_infections: FloatArray, params: HospitalParameters) -> BedDemand:
    """Hospital and ICU admissions and bed occupancy from daily new infections."""
    x = np.asarray(new_infections, dtype=np.float64)
    admissions = params.hospitalised_fraction * _convolve(x, params.admission_delay.pmf())
    icu = params.icu_fraction * admissions
    ward = admissions - icu
    return BedDemand(
        admissions=admissions,
        icu_admissions=icu,
        hospital_beds=_convolve(ward, params.hospital_stay.occupancy()),
        icu_beds=_convolve(icu, params.icu_stay.occupancy()),
    )


@dataclass(frozen=True)
class Peak:
    day: int
    value: float


def peak(series: FloatArray) -> Peak:
    """The largest value and the first day it is reached."""
    day = int(np.argmax(series))
    return Peak(day, float(series[day]))


@dataclass(frozen=True)
class Outcome:
    """Summary of one scenario. Days count from the start of the run (day 0).

    ``new_infections`` and the bed series cover days ``0..days-1`` (infections during
    the day); ``prevalence`` (``E + I``) and ``cumulative_infections`` are at the start
    of days ``0..days``.
    """

    new_infections: FloatArray
    prevalence: FloatArray
    cumulative_infections: FloatArray
    beds: BedDemand
    peak_infections: Peak
    peak_prevalence: Peak
    peak_hospital_beds: Peak
    peak_icu_beds: Peak
    total_infections: float
    attack_rate: float
    group_attack_rates: FloatArray


def summarise(result: SEIRResult, population: FloatArray, params: HospitalParameters) -> Outcome:
    """Outcomes of a deterministic run (or of the mean of stochastic runs)."""
    new = result.new_infections()
    prevalence = result.prevalence()
    cumulative = result.cumulative_infections()
    beds = bed_demand(new, params)
    pop = np.asarray(population, dtype=np.float64)
    s = result.S
    group_total = s[0] - s[-1] + (result.E[0] + result.I[0])
    return Outcome(
        new_infections=new,
        prevalence=prevalence,
        cumulative_infections=cumulative,
        beds=beds,
        peak_infections=peak(new),
        peak_prevalence=peak(prevalence),
        peak_hospital_beds=peak(beds.hospital_beds),
        peak_icu_beds=peak(beds.icu_beds),
        total_infections=float(cumulative[-1]),
        attack_rate=float(cumulative[-1] / pop.sum()),
        group_attack_rates=np.asarray(group_total / pop, dtype=np.float64),
    )


def mean_result(result: SEIRResult) -> SEIRResult:
    """The replicate mean of a stochastic run, as a deterministic-shaped result."""
    return SEIRResult(
        S=result.S.mean(axis=0),
        E=result.E.mean(axis=0),
        I=result.I.mean(axis=0),
        R=result.R.mean(axis=0),
        initial_infections=result.initial_infections,
    )


def differences(base: Outcome, other: Outcome) -> dict[str, float]:
    """``other - base`` for the headline figures (days for peak timing)."""
    return {
        "peak_infections_day": other.peak_infections.day - base.peak_infections.day,
        "peak_infections": other.peak_infections.value - base.peak_infections.value,
        "peak_prevalence_day": other.peak_prevalence.day - base.peak_prevalence.day,
        "peak_prevalence": other.peak_prevalence.value - base.peak_prevalence.value,
        "total_infections": other.total_infections - base.total_infections,
        "attack_rate": other.attack_rate - base.attack_rate,
        "peak_hospital_beds": other.peak_hospital_beds.value - base.peak_hospital_beds.value,
        "peak_icu_beds": other.peak_icu_beds.value - base.peak_icu_beds.value,
    }
