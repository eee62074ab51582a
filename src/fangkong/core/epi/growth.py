"""Exponential growth rate, doubling/halving time and the reproduction number from it.

Growth rate: log-linear regression of daily counts on time, ``log E[y_t] = a + r t``,
fitted as a generalised linear model (McCullagh & Nelder 1989, ch. 2 and 6) by
iteratively reweighted least squares:

* Poisson: ``Var y = μ``, IRLS weights ``μ``;
* negative binomial (NB2): ``Var y = μ + μ²/k``, weights ``μ / (1 + μ/k)``; the size
  ``k`` is estimated by maximising the profile log-likelihood over ``log k`` (Lawless
  1987, Can J Stat 15:209), which lets the interval widen for over-dispersed counts
  (reporting batches, weekday effects).

The 95% interval for ``r`` is the Wald interval ``r ± 1.96 se`` from the inverse Fisher
information (for NB2 with ``k`` fixed at its estimate). Doubling time ``ln 2 / r``
(halving time ``ln 2 / |r|`` when ``r < 0``) has the interval mapped from the interval of
``r``; when that interval contains 0 the doubling time is unbounded on one side.

Reproduction number from the growth rate (Wallinga & Lipsitch 2007, Proc R Soc B
274:599-604): ``R = 1 / M(-r)`` with ``M`` the moment-generating function of the
generation-interval distribution (their eq. 2.7). Closed forms: gamma (shape ``k``,
scale ``θ``) ``R = (1 + rθ)^k`` (eq. 3.2), exponential ``R = 1 + rT``, fixed interval
``R = exp(rT)``; a discretised distribution ``g_i`` on days ``i`` gives
``R = 1 / Σ g_i exp(-r i)`` (eq. 2.9); any density by numerical integration.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import integrate, optimize, special

FloatArray = NDArray[np.float64]
MODELS: tuple[str, ...] = ("poisson", "negbin")
Z95 = 1.959963984540054
#: Fewest days with counts for a growth fit (two parameters plus a margin).
MIN_DAYS = 5


class GrowthError(ValueError):
    """The counts cannot support a growth-rate estimate (too few days, all zero...)."""


@dataclass(frozen=True, slots=True)
class GrowthFit:
    """Growth rate ``r`` per day with its 95% interval and the derived doubling time."""

    model: str
    n_days: int
    total: int
    intercept: float
    r: float
    r_se: float
    r_ci: tuple[float, float]
    doubling_time: float | None
    doubling_time_ci: tuple[float, float] | None
    halving_time: float | None
    halving_time_ci: tuple[float, float] | None
    dispersion_k: float | None
    log_likelihood: float
    aic: float
    iterations: int

    def as_dict(self) -> dict[str, object]:
        def pair(p: tuple[float, float] | None) -> list[float | None] | None:
            if p is None:
                return None
            return [None if math.isinf(v) else v for v in p]

        return {
            "model": self.model,
            "n_days": self.n_days,
            "total": self.total,
            "growth_rate": self.r,
            "growth_rate_se": self.r_se,
            "growth_rate_ci95": list(self.r_ci),
            "doubling_time": self.doubling_time,
            "doubling_time_ci95": pair(self.doubling_time_ci),
            "halving_time": self.halving_time,
            "halving_time_ci95": pair(self.halving_time_ci),
            "dispersion_k": self.dispersion_k,
            "log_likelihood": self.log_likelihood,
            "aic": self.aic,
        }


def _irls(
    t: FloatArray, y: FloatArray, k: float | None, start: FloatArray | None = None
) -> tuple[FloatArray, FloatArray, int]:
    """IRLS for the log link; returns coefficients, covariance and iteration count."""
    x = np.column_stack([np.ones_like(t), t])
    beta = np.linalg.lstsq(x, np.log(y + 0.5), rcond=None)[0] if start is None else start.copy()
    iterations = 0
    while iterations < 100:
        iterations += 1
        eta = x @ beta
        mu = np.exp(np.clip(eta, -700, 700))
        w = mu if k is None else mu / (1.0 + mu / k)
        z = eta + (y - mu) / mu
        xtw = x.T * w
        new = np.linalg.solve(xtw @ x, xtw @ z)
        converged = bool(np.max(np.abs(new - beta)) < 1e-10)
        beta = new
        if converged:
            break
    eta = x @ beta
    mu = np.exp(eta)
    w = mu if k is None else mu / (1.0 + mu / k)
    cov = np.linalg.inv((x.T * w) @ x)
    return beta, cov, iterations


def _loglik_poisson(y: FloatArray, mu: FloatArray) -> float:
    return float(np.sum(y * np.log(mu) - mu - special.gammaln(y + 1.0)))


def _loglik_negbin(y: FloatArray, mu: FloatArray, k: float) -> float:
    return float(
        np.sum(
            special.gammaln(y + k)
            - special.gammaln(k)
            - special.gammaln(y + 1.0)
            + k * np.log(k / (k + mu))
            + y * np.log(mu / (k + mu))
        )
    )


def _interval_time(
    r: float, lo: float, hi: float
) -> tuple[float | None, tuple[float, float] | None]:
    """ln 2 / r with the interval mapped from [lo, hi] (for r > 0; infinite when lo <= 0)."""
    if r <= 0:
        return None, None
    upper = math.inf if lo <= 0 else math.log(2) / lo
    return math.log(2) / r, (math.log(2) / hi, upper)


def fit_growth(days: Sequence[float], counts: Sequence[int], model: str = "poisson") -> GrowthFit:
    """Fit ``log E[y] = a + r·day`` to daily ``counts`` observed on ``days`` (day numbers;
    gaps allowed) with the Poisson or NB2 model (module docstring)."""
    if model not in MODELS:
        raise GrowthError(f"model must be one of {', '.join(MODELS)}")
    t = np.asarray(days, dtype=np.float64)
    y = np.asarray(counts, dtype=np.float64)
    if t.shape != y.shape:
        raise GrowthError("days and counts differ in length")
    if y.size < MIN_DAYS:
        raise GrowthError(f"{y.size} day(s) of counts; a growth rate needs at least {MIN_DAYS}")
    if np.any(y < 0) or np.any(y != np.round(y)):
        raise GrowthError("counts must be non-negative whole numbers")
    if np.count_nonzero(y) < 2:
        raise GrowthError("fewer than two days with cases: the growth rate is not identifiable")
    if np.unique(t).size != t.size:
        raise GrowthError("a day appears twice")
    t0 = float(t.min())
    tt = t - t0
    k: float | None = None
    beta, cov, its = _irls(tt, y, None)
    if model == "negbin":

        def profile(logk: float) -> float:
            b, _c, _i = _irls(tt, y, math.exp(logk), beta)
            return -_loglik_negbin(y, np.exp(b[0] + b[1] * tt), math.exp(logk))

        res = optimize.minimize_scalar(profile, bounds=(-6.0, 16.0), method="bounded")
        k = math.exp(float(res.x))
        beta, cov, its = _irls(tt, y, k, beta)
    mu = np.exp(beta[0] + beta[1] * tt)
    ll = _loglik_poisson(y, mu) if k is None else _loglik_negbin(y, mu, k)
    n_par = 2 if k is None else 3
    r, se = float(beta[1]), math.sqrt(float(cov[1, 1]))
    lo, hi = r - Z95 * se, r + Z95 * se
    doubling, doubling_ci = _interval_time(r, lo, hi)
    halving, halving_ci = _interval_time(-r, -hi, -lo)
    return GrowthFit(
        model=model,
        n_days=int(y.size),
        total=int(y.sum()),
        intercept=float(beta[0] - beta[1] * t0),
        r=r,
        r_se=se,
        r_ci=(lo, hi),
        doubling_time=doubling,
        doubling_time_ci=doubling_ci,
        halving_time=halving,
        halving_time_ci=halving_ci,
        dispersion_k=k,
        log_likelihood=ll,
        aic=2 * n_par - 2 * ll,
        iterations=its,
    )


# --- Wallinga & Lipsitch 2007 --------------------------------------------------------


def r_to_R_gamma(r: float, shape: float, scale: float) -> float:
    """``R = (1 + r·scale)^shape`` for a gamma generation interval (W&L eq. 3.2)."""
    base = 1.0 + r * scale
    if base <= 0:
        raise ValueError("1 + r·scale must be positive (decline too fast for this interval)")
    return float(base**shape)


def r_to_R_gamma_moments(r: float, mean: float, sd: float) -> float:
    """Gamma generation interval given by its mean and standard deviation."""
    scale = sd * sd / mean
    return r_to_R_gamma(r, mean / scale, scale)


def r_to_R_discrete(r: float, pmf: Sequence[float], days: Sequence[float] | None = None) -> float:
    """``R = 1 / Σ g_i exp(-r·i)`` for a discretised generation interval ``g_i`` on
    ``days`` (default 0, 1, 2, ...; W&L eq. 2.9). ``pmf`` is normalised first."""
    g = np.asarray(pmf, dtype=np.float64)
    if g.size == 0 or np.any(g < 0) or g.sum() <= 0:
        raise ValueError("pmf must be non-negative with a positive sum")
    d = np.arange(g.size, dtype=np.float64) if days is None else np.asarray(days, float)
    return float(1.0 / np.sum(g / g.sum() * np.exp(-r * d)))


def r_to_R_density(r: float, pdf: Callable[[float], float], upper: float = math.inf) -> float:
    """``R = 1 / ∫ exp(-r a) g(a) da`` by adaptive quadrature, for any density ``g`` on
    ``[0, upper)`` (e.g. a lognormal generation interval, which has no closed-form MGF)."""
    value, _err = integrate.quad(lambda a: math.exp(-r * a) * pdf(a), 0.0, upper, limit=200)
    return 1.0 / float(value)


def doubling_time(r: float) -> float:
    """``ln 2 / r`` (days); infinite for r <= 0."""
    return math.log(2) / r if r > 0 else math.inf


def growth_rate_from_doubling(days: float) -> float:
    return math.log(2) / days
