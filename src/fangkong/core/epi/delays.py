"""Delay distributions (incubation period, serial interval, onset-to-confirmation) fitted
by maximum likelihood to day-resolution data, with AIC model choice and bootstrap CIs.

Observation model (Reich et al. 2009, "Estimating incubation period distributions with
coarse data", Stat Med 28:2769-2784). Each observation is a pair of whole days
``(lo, hi)``: the start event (infection, or onset in the infector, or onset of the case)
happened on one of the days ``hi - lo`` ... counted back from the end event, i.e. the
delay counted in calendar days lies in ``lo..hi`` (``lo == hi`` for an exact day count).
Two censoring schemes are offered:

* ``double`` (default): both events are known to the day only, and each happened at a
  uniformly distributed time within its day; the start day itself is uniform over the
  window. For a delay density ``f`` with CDF ``F`` the probability of an observation is

      P(lo, hi) = [H(hi+1) - H(hi) - H(lo) + H(lo-1)] / (hi - lo + 1),

  with ``H(x) = ∫_{-inf}^x F(t) dt = E[(x - X)+]``. For ``lo == hi == d`` this is the
  triangular kernel ``∫ (1 - |x - d|) f(x) dx`` over ``(d-1, d+1)`` (Reich et al. 2009,
  "doubly interval-censored"; the same kernel is used by Vink et al. 2014 for serial
  intervals). The second difference of the linear part of ``H`` vanishes, so right-tail
  observations are evaluated with ``K(x) = E[(X - x)+]`` instead (no cancellation).
* ``single``: the start event is exact at the beginning of its day, the end event is
  known to the day: an observed delay of ``d`` days means the delay lies in ``[d, d+1)``,
  ``P = F(d+1) - F(d)``, averaged over the window.
* ``interval``: the delay lies in the continuous interval ``[lo, hi]`` (``hi`` may be
  ``inf``: right-censored), ``P = F(hi) - F(lo)``; this is the likelihood of
  ``icenReg::ic_par`` with ``Surv(type = "interval2")`` that Tindale et al. 2020 used for
  the incubation period.

Families: gamma, lognormal and Weibull (positive delays), normal (signed delays, e.g.
serial intervals with pre-symptomatic transmission, as Du et al. 2020 and the Vink et al.
mixture of Tindale et al. 2020 use), and the three positive families shifted by an
estimated offset ``shift`` (delay = Y - shift, Y from the family) so that negative serial
intervals are supported with a skewed shape. AIC = 2k - 2 log L (Akaike 1974) chooses the
family. Confidence intervals come from the nonparametric bootstrap (Efron & Tibshirani
1993, percentile intervals), resampling observations with an explicit
``numpy.random.Generator``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy import optimize, special

FloatArray = NDArray[np.float64]

#: Positive-support families, their shifted variants and the normal.
POSITIVE_FAMILIES: tuple[str, ...] = ("gamma", "lognormal", "weibull")
FAMILIES: tuple[str, ...] = (
    "gamma",
    "lognormal",
    "weibull",
    "normal",
    "shifted_gamma",
    "shifted_lognormal",
    "shifted_weibull",
)
CENSORING: tuple[str, ...] = ("double", "single", "interval")
#: Fewest observations for which a two-parameter fit is attempted.
MIN_OBSERVATIONS = 5
#: Largest shift of a shifted family, in days: a serial interval is at least minus the
#: infector's incubation period, and incubation periods beyond 21 days are not observed
#: (quarantine rules use 14 days), so the shift is bounded to keep the fit away from the
#: degenerate normal limit (shape -> inf, shift -> inf).
MAX_SHIFT = 21.0
_TINY = 1e-300


class TooFewObservations(ValueError):
    """Fewer usable observations than a fit needs."""


@dataclass(frozen=True, slots=True)
class DelayData:
    """Day-resolution delay observations as windows ``lo..hi`` (whole days, lo <= hi).

    Identical windows are merged with a count so the likelihood is evaluated once per
    distinct window (the line lists have a few dozen distinct values at most).
    """

    lo: FloatArray
    hi: FloatArray
    count: NDArray[np.int64]

    @classmethod
    def from_windows(cls, windows: Sequence[tuple[float, float]]) -> DelayData:
        """Windows ``(lo, hi)``: whole days for ``double``/``single`` censoring; for
        ``interval`` censoring any reals, ``hi = inf`` for a right-censored delay."""
        if not windows:
            return cls(np.zeros(0), np.zeros(0), np.zeros(0, np.int64))
        arr = np.asarray(windows, dtype=np.float64).reshape(-1, 2)
        if np.any(np.isnan(arr)) or np.any(np.isinf(arr[:, 0])):
            raise ValueError("a delay window has a missing or infinite lower end")
        if np.any(arr[:, 0] > arr[:, 1]):
            raise ValueError("a delay window has lo > hi")
        uniq, counts = np.unique(arr, axis=0, return_counts=True)
        return cls(uniq[:, 0].copy(), uniq[:, 1].copy(), counts.astype(np.int64))

    @classmethod
    def from_days(cls, days: Sequence[int]) -> DelayData:
        return cls.from_windows([(int(d), int(d)) for d in days])

    @property
    def n(self) -> int:
        return int(self.count.sum())

    @property
    def finite(self) -> bool:
        return bool(np.all(np.isfinite(self.hi)))

    def expanded(self) -> NDArray[np.int64]:
        """Index of the distinct window of every observation (for resampling)."""
        return np.repeat(np.arange(self.lo.size), self.count)

    def midpoints(self) -> FloatArray:
        """Window midpoints, one per observation (for starting values and summaries)."""
        hi = np.where(np.isfinite(self.hi), self.hi, self.lo + 1.0)
        mid = (self.lo + hi) / 2.0
        return np.repeat(mid, self.count)


# --- the families: H(x) = E[(x - X)+], K(x) = E[(X - x)+], CDF, survival -------------


def _gamma_parts(theta: FloatArray) -> tuple[float, float]:
    return math.exp(theta[0]), math.exp(theta[1])


def _h_gamma(x: FloatArray, theta: FloatArray) -> FloatArray:
    k, s = _gamma_parts(theta)
    xp = np.maximum(x, 0.0)
    out = xp * special.gammainc(k, xp / s) - k * s * special.gammainc(k + 1.0, xp / s)
    return np.asarray(np.where(x > 0, out, 0.0), dtype=np.float64)


def _k_gamma(x: FloatArray, theta: FloatArray) -> FloatArray:
    k, s = _gamma_parts(theta)
    xp = np.maximum(x, 0.0)
    out = k * s * special.gammaincc(k + 1.0, xp / s) - xp * special.gammaincc(k, xp / s)
    return np.asarray(np.where(x > 0, out, k * s - x), dtype=np.float64)


def _cdf_gamma(x: FloatArray, theta: FloatArray) -> FloatArray:
    k, s = _gamma_parts(theta)
    return np.asarray(special.gammainc(k, np.maximum(x, 0.0) / s), dtype=np.float64)


def _sf_gamma(x: FloatArray, theta: FloatArray) -> FloatArray:
    k, s = _gamma_parts(theta)
    return np.asarray(special.gammaincc(k, np.maximum(x, 0.0) / s), dtype=np.float64)


def _logs(x: FloatArray) -> FloatArray:
    with np.errstate(divide="ignore"):
        return np.log(np.maximum(x, _TINY))


def _h_lognormal(x: FloatArray, theta: FloatArray) -> FloatArray:
    mu, sig = float(theta[0]), math.exp(theta[1])
    lx = _logs(x)
    mean = math.exp(mu + sig * sig / 2.0)
    out = x * special.ndtr((lx - mu) / sig) - mean * special.ndtr((lx - mu - sig * sig) / sig)
    return np.asarray(np.where(x > 0, out, 0.0), dtype=np.float64)


def _k_lognormal(x: FloatArray, theta: FloatArray) -> FloatArray:
    mu, sig = float(theta[0]), math.exp(theta[1])
    lx = _logs(x)
    mean = math.exp(mu + sig * sig / 2.0)
    out = mean * special.ndtr((mu + sig * sig - lx) / sig) - x * special.ndtr((mu - lx) / sig)
    return np.asarray(np.where(x > 0, out, mean - x), dtype=np.float64)


def _cdf_lognormal(x: FloatArray, theta: FloatArray) -> FloatArray:
    mu, sig = float(theta[0]), math.exp(theta[1])
    out = special.ndtr((_logs(x) - mu) / sig)
    return np.asarray(np.where(x > 0, out, 0.0), dtype=np.float64)


def _sf_lognormal(x: FloatArray, theta: FloatArray) -> FloatArray:
    mu, sig = float(theta[0]), math.exp(theta[1])
    out = special.ndtr((mu - _logs(x)) / sig)
    return np.asarray(np.where(x > 0, out, 1.0), dtype=np.float64)


def _weibull_parts(theta: FloatArray) -> tuple[float, float]:
    return math.exp(theta[0]), math.exp(theta[1])


def _h_weibull(x: FloatArray, theta: FloatArray) -> FloatArray:
    k, lam = _weibull_parts(theta)
    xp = np.maximum(x, 0.0)
    m = lam * math.gamma(1.0 + 1.0 / k)
    out = xp - m * special.gammainc(1.0 / k, (xp / lam) ** k)
    return np.asarray(np.where(x > 0, out, 0.0), dtype=np.float64)


def _k_weibull(x: FloatArray, theta: FloatArray) -> FloatArray:
    k, lam = _weibull_parts(theta)
    xp = np.maximum(x, 0.0)
    m = lam * math.gamma(1.0 + 1.0 / k)
    out = m * special.gammaincc(1.0 / k, (xp / lam) ** k)
    return np.asarray(np.where(x > 0, out, m - x), dtype=np.float64)


def _cdf_weibull(x: FloatArray, theta: FloatArray) -> FloatArray:
    k, lam = _weibull_parts(theta)
    return np.asarray(-np.expm1(-((np.maximum(x, 0.0) / lam) ** k)), dtype=np.float64)


def _sf_weibull(x: FloatArray, theta: FloatArray) -> FloatArray:
    k, lam = _weibull_parts(theta)
    return np.asarray(np.exp(-((np.maximum(x, 0.0) / lam) ** k)), dtype=np.float64)


def _h_normal(x: FloatArray, theta: FloatArray) -> FloatArray:
    mu, sig = float(theta[0]), math.exp(theta[1])
    z = (x - mu) / sig
    return np.asarray((x - mu) * special.ndtr(z) + sig * np.exp(-z * z / 2) / _SQRT2PI)


def _k_normal(x: FloatArray, theta: FloatArray) -> FloatArray:
    mu, sig = float(theta[0]), math.exp(theta[1])
    z = (x - mu) / sig
    return np.asarray((mu - x) * special.ndtr(-z) + sig * np.exp(-z * z / 2) / _SQRT2PI)


def _cdf_normal(x: FloatArray, theta: FloatArray) -> FloatArray:
    return np.asarray(special.ndtr((x - theta[0]) / math.exp(theta[1])), dtype=np.float64)


def _sf_normal(x: FloatArray, theta: FloatArray) -> FloatArray:
    return np.asarray(special.ndtr((theta[0] - x) / math.exp(theta[1])), dtype=np.float64)


_SQRT2PI = math.sqrt(2.0 * math.pi)
_Fn = Callable[[FloatArray, FloatArray], FloatArray]


@dataclass(frozen=True, slots=True)
class _Family:
    h: _Fn
    k: _Fn
    cdf: _Fn
    sf: _Fn


_BASE: dict[str, _Family] = {
    "gamma": _Family(_h_gamma, _k_gamma, _cdf_gamma, _sf_gamma),
    "lognormal": _Family(_h_lognormal, _k_lognormal, _cdf_lognormal, _sf_lognormal),
    "weibull": _Family(_h_weibull, _k_weibull, _cdf_weibull, _sf_weibull),
    "normal": _Family(_h_normal, _k_normal, _cdf_normal, _sf_normal),
}


def base_family(family: str) -> str:
    return family.removeprefix("shifted_")


def n_parameters(family: str) -> int:
    return 3 if family.startswith("shifted_") else 2


def natural_parameters(family: str, theta: Sequence[float] | FloatArray) -> dict[str, float]:
    """The usual parameters from the unconstrained optimisation vector ``theta``."""
    base = base_family(family)
    out: dict[str, float]
    if base == "gamma":
        out = {"shape": math.exp(theta[0]), "scale": math.exp(theta[1])}
    elif base == "lognormal":
        out = {"meanlog": float(theta[0]), "sdlog": math.exp(theta[1])}
    elif base == "weibull":
        out = {"shape": math.exp(theta[0]), "scale": math.exp(theta[1])}
    else:
        out = {"mean": float(theta[0]), "sd": math.exp(theta[1])}
    if family.startswith("shifted_"):
        out["shift"] = float(theta[2])
    return out


def moments(family: str, params: dict[str, float]) -> tuple[float, float]:
    """Mean and standard deviation of the delay (shift subtracted)."""
    base = base_family(family)
    if base == "gamma":
        k, s = params["shape"], params["scale"]
        mean, sd = k * s, math.sqrt(k) * s
    elif base == "lognormal":
        mu, sig = params["meanlog"], params["sdlog"]
        mean = math.exp(mu + sig * sig / 2.0)
        sd = mean * math.sqrt(math.expm1(sig * sig))
    elif base == "weibull":
        k, lam = params["shape"], params["scale"]
        g1, g2 = math.gamma(1 + 1 / k), math.gamma(1 + 2 / k)
        mean, sd = lam * g1, lam * math.sqrt(max(g2 - g1 * g1, 0.0))
    else:
        mean, sd = params["mean"], params["sd"]
    return mean - params.get("shift", 0.0), sd


def quantile(family: str, params: dict[str, float], q: float) -> float:
    """The ``q`` quantile of the delay (continuous, shift subtracted)."""
    from scipy import stats

    base = base_family(family)
    if base == "gamma":
        value = float(stats.gamma.ppf(q, params["shape"], scale=params["scale"]))
    elif base == "lognormal":
        value = float(stats.lognorm.ppf(q, params["sdlog"], scale=math.exp(params["meanlog"])))
    elif base == "weibull":
        value = float(stats.weibull_min.ppf(q, params["shape"], scale=params["scale"]))
    else:
        value = float(stats.norm.ppf(q, params["mean"], params["sd"]))
    return value - params.get("shift", 0.0)


def window_probabilities(
    family: str, theta: FloatArray, lo: FloatArray, hi: FloatArray, censoring: str = "double"
) -> FloatArray:
    """Probability of each window ``lo..hi`` under ``family`` with parameters ``theta``
    (formulas in the module docstring)."""
    fam = _BASE[base_family(family)]
    base_theta = theta[:2]
    shift = float(theta[2]) if family.startswith("shifted_") else 0.0
    a, b = lo + shift, hi + shift  # in the unshifted variable Y = X + shift
    width = hi - lo + 1.0
    # Evaluate in the tail where the partial expectations are small: below the
    # median with H, above it with K (their second differences are equal).
    centre, _sd = moments(base_family(family), natural_parameters(base_family(family), base_theta))
    right = a >= centre
    if censoring == "double":
        h = np.where(
            right[:, None],
            np.stack(
                [
                    fam.k(a - 1, base_theta),
                    fam.k(a, base_theta),
                    fam.k(b, base_theta),
                    fam.k(b + 1, base_theta),
                ],
                axis=1,
            ),
            np.stack(
                [
                    fam.h(a - 1, base_theta),
                    fam.h(a, base_theta),
                    fam.h(b, base_theta),
                    fam.h(b + 1, base_theta),
                ],
                axis=1,
            ),
        )
        p = h[:, 3] - h[:, 2] - h[:, 1] + h[:, 0]
    elif censoring == "interval":
        upper_sf = np.where(
            np.isfinite(b), fam.sf(np.where(np.isfinite(b), b, 0.0), base_theta), 0.0
        )
        upper_cdf = np.where(
            np.isfinite(b), fam.cdf(np.where(np.isfinite(b), b, 0.0), base_theta), 1.0
        )
        p = np.where(right, fam.sf(a, base_theta) - upper_sf, upper_cdf - fam.cdf(a, base_theta))
        # lo == hi is an exactly observed delay: it contributes the density (as in
        # icenReg), here by a central difference of the CDF.
        step = 1e-5
        dens = (fam.cdf(a + step, base_theta) - fam.cdf(a - step, base_theta)) / (2 * step)
        return np.asarray(np.where(a == b, dens, p), dtype=np.float64)
    elif censoring == "single":
        p = np.where(
            right,
            fam.sf(a, base_theta) - fam.sf(b + 1, base_theta),
            fam.cdf(b + 1, base_theta) - fam.cdf(a, base_theta),
        )
    else:
        raise ValueError(f"censoring must be one of {', '.join(CENSORING)}")
    return np.asarray(p / width, dtype=np.float64)


def log_likelihood(
    family: str,
    theta: FloatArray,
    data: DelayData,
    weights: FloatArray | None = None,
    censoring: str = "double",
) -> float:
    """Σ w_i log P(lo_i, hi_i); ``weights`` default to the window counts."""
    w = data.count.astype(np.float64) if weights is None else weights
    p = window_probabilities(family, theta, data.lo, data.hi, censoring)
    if not np.all(np.isfinite(p)):
        return -math.inf
    return float(np.sum(w * np.log(np.maximum(p, _TINY))))


@dataclass(frozen=True, slots=True)
class DelayFit:
    """One fitted family: parameters, log-likelihood, AIC, mean/sd and bootstrap CIs."""

    family: str
    censoring: str
    n: int
    parameters: dict[str, float]
    log_likelihood: float
    aic: float
    mean: float
    sd: float
    median: float
    ci: dict[str, tuple[float, float]] = field(default_factory=dict)
    bootstrap_replicates: int = 0
    theta: tuple[float, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {
            "family": self.family,
            "censoring": self.censoring,
            "n": self.n,
            "parameters": dict(self.parameters),
            "log_likelihood": self.log_likelihood,
            "aic": self.aic,
            "mean": self.mean,
            "sd": self.sd,
            "median": self.median,
            "ci95": {k: [v[0], v[1]] for k, v in self.ci.items()},
            "bootstrap_replicates": self.bootstrap_replicates,
        }


def _start(family: str, data: DelayData) -> list[FloatArray]:
    """Moment-based starting points (several, the best is kept)."""
    x = data.midpoints()
    m, s = float(np.mean(x)), max(float(np.std(x)), 0.5)
    base = base_family(family)
    shift = 0.0
    if family.startswith("shifted_"):
        shift = min(max(0.0, 1.0 - float(np.min(data.lo))) + 0.5, MAX_SHIFT - 1.0)
    mp = max(m + shift, 0.5)
    if base == "gamma":
        k = max(mp * mp / (s * s), 0.3)
        core = [math.log(k), math.log(mp / k)]
    elif base == "lognormal":
        sig2 = math.log1p(s * s / (mp * mp))
        core = [math.log(mp) - sig2 / 2.0, 0.5 * math.log(max(sig2, 1e-3))]
    elif base == "weibull":
        k = max(min(1.2 * mp / s, 10.0), 0.5)
        core = [math.log(k), math.log(mp / math.gamma(1 + 1 / k))]
    else:
        core = [m, math.log(s)]
    starts = [np.array(core + ([shift] if family.startswith("shifted_") else []), float)]
    if family.startswith("shifted_"):
        starts.append(np.array([*core, shift + 2.0], float))
    return starts


def _check_feasible(family: str, data: DelayData, censoring: str) -> None:
    if family.startswith("shifted_") and -float(data.lo.min()) - 1.0 >= MAX_SHIFT - 1.0:
        raise ValueError(
            f"a delay of {float(data.lo.min()):g} days is beyond the largest shift "
            f"({MAX_SHIFT:g} days) of the shifted families; check the data or use normal"
        )
    if family in POSITIVE_FAMILIES:
        least = float(data.lo.min())
        if least < 0:
            raise ValueError(
                f"{family} has positive support and cannot fit negative delays "
                f"(smallest {least} days); use normal or shifted_{family}"
            )


def _maximise(
    family: str,
    data: DelayData,
    weights: FloatArray,
    censoring: str,
    starts: list[FloatArray],
    polish: bool = True,
) -> tuple[FloatArray, float]:
    def nll(theta: FloatArray) -> float:
        if family.startswith("shifted_") and (
            theta[2] <= -float(np.min(data.lo)) - 1.0 or theta[2] > MAX_SHIFT
        ):
            return 1e300
        if abs(theta[1]) > 12 or (base_family(family) != "normal" and abs(theta[0]) > 12):
            return 1e300
        value = -log_likelihood(family, theta, data, weights, censoring)
        return value if math.isfinite(value) else 1e300

    best_theta, best_value = starts[0], math.inf
    for start in starts:
        res = optimize.minimize(
            nll,
            start,
            method="Nelder-Mead",
            options={"xatol": 1e-7, "fatol": 1e-9, "maxiter": 4000, "maxfev": 8000},
        )
        if polish:  # a restart guards against a collapsed simplex
            res = optimize.minimize(
                nll,
                res.x,
                method="Nelder-Mead",
                options={"xatol": 1e-8, "fatol": 1e-10, "maxiter": 4000, "maxfev": 8000},
            )
        if res.fun < best_value:
            best_theta, best_value = np.asarray(res.x, float), float(res.fun)
    return best_theta, -best_value


def fit_delay(
    data: DelayData,
    family: str,
    *,
    censoring: str = "double",
    bootstrap: int = 0,
    rng: np.random.Generator | None = None,
) -> DelayFit:
    """Maximum-likelihood fit of one ``family`` to ``data``.

    ``bootstrap`` > 0 resamples the observations that many times with ``rng`` (required
    then) and refits; CIs are the 2.5% and 97.5% percentiles of the replicates for the
    mean, sd, median and every parameter.
    """
    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}; one of {', '.join(FAMILIES)}")
    if censoring not in CENSORING:
        raise ValueError(f"censoring must be one of {', '.join(CENSORING)}")
    needed = max(MIN_OBSERVATIONS, n_parameters(family) + 3)
    if data.n < needed:
        raise TooFewObservations(
            f"{data.n} usable observation(s); a {family} fit needs at least {needed}"
        )
    _check_feasible(family, data, censoring)
    if censoring != "interval" and not data.finite:
        raise ValueError("open-ended (right-censored) windows need interval censoring")
    weights = data.count.astype(np.float64)
    theta, ll = _maximise(family, data, weights, censoring, _start(family, data))
    params = natural_parameters(family, theta)
    mean, sd = moments(family, params)
    k = n_parameters(family)
    ci: dict[str, tuple[float, float]] = {}
    if bootstrap > 0:
        if rng is None:
            raise ValueError("a bootstrap needs an explicit numpy.random.Generator")
        index = data.expanded()
        rows: list[dict[str, float]] = []
        for _ in range(bootstrap):
            pick = rng.choice(index, size=index.size, replace=True)
            w = np.bincount(pick, minlength=data.lo.size).astype(np.float64)
            bt, _ll = _maximise(family, data, w, censoring, [theta], polish=False)
            bp = natural_parameters(family, bt)
            bm, bs = moments(family, bp)
            rows.append({**bp, "mean": bm, "sd": bs, "median": quantile(family, bp, 0.5)})
        for name in rows[0]:
            values = np.array([r[name] for r in rows])
            lo, hi = np.percentile(values, [2.5, 97.5])
            ci[name] = (float(lo), float(hi))
    return DelayFit(
        family=family,
        censoring=censoring,
        n=data.n,
        parameters=params,
        log_likelihood=ll,
        aic=2 * k - 2 * ll,
        mean=mean,
        sd=sd,
        median=quantile(family, params, 0.5),
        ci=ci,
        bootstrap_replicates=bootstrap,
        theta=tuple(float(t) for t in theta),
    )


def candidate_families(data: DelayData, include_shifted: bool = True) -> tuple[str, ...]:
    """Families that can describe the data: the positive families only when no delay is
    negative; the normal and the shifted families always (when ``include_shifted``)."""
    out: list[str] = []
    if data.n and float(data.lo.min()) >= 0:
        out.extend(POSITIVE_FAMILIES)
    out.append("normal")
    if include_shifted and data.n and float(data.lo.min()) < 0:
        out.extend(f"shifted_{f}" for f in POSITIVE_FAMILIES)
    return tuple(out)


def fit_all(
    data: DelayData,
    families: Sequence[str] | None = None,
    *,
    censoring: str = "double",
    bootstrap: int = 0,
    rng: np.random.Generator | None = None,
) -> list[DelayFit]:
    """Fit every family (default :func:`candidate_families`) and sort by AIC, best first."""
    chosen = tuple(families) if families is not None else candidate_families(data)
    fits = [fit_delay(data, f, censoring=censoring, bootstrap=bootstrap, rng=rng) for f in chosen]
    return sorted(fits, key=lambda f: f.aic)


def delta_aic(fits: Sequence[DelayFit]) -> list[float]:
    """AIC differences from the best fit (Burnham & Anderson 2002: < 2 is no preference)."""
    best = min(f.aic for f in fits)
    return [f.aic - best for f in fits]
