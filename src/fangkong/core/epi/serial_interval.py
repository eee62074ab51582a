"""Discrete serial-interval distributions for the renewal equation.

The Cori et al. (2013) estimator needs the serial interval (SI) as a discrete
distribution ``w_k``, k = 0, 1, 2 … days, with ``w_0 = 0`` (a case cannot infect on
the day of its own onset). Two ways to get one:

* :func:`discr_si` — EpiEstim's discretisation of a gamma SI offset by one day
  (Cori et al., Am J Epidemiol 2013;178:1505-1512, Web Appendix 11; R package
  EpiEstim, ``discr_si``). The continuous SI minus one day is gamma with mean
  ``mu - 1`` and standard deviation ``sigma``; ``w_k`` is the probability that an
  event uniformly distributed within a day, followed by that delay, ends on day k::

      a = ((mu - 1) / sigma)**2,  b = sigma**2 / (mu - 1)     (shape, scale)
      w_k = k G(k) + (k-2) G(k-2) - 2 (k-1) G(k-1)
            + a b (2 G+(k-1) - G+(k-2) - G+(k))

  with ``G`` the gamma(a, scale b) CDF, ``G+`` the gamma(a + 1, scale b) CDF, both
  zero for negative arguments, and ``w_k`` clipped at 0 (rounding).
* :func:`check_si_distr` — a user-given distribution (EpiEstim's method
  ``non_parametric_si``): non-negative, ``w_0 = 0``, summing to 1 within 0.01.

:func:`sample_truncated_normal` draws the (mean, sd) pairs of EpiEstim's method
``uncertain_si``: each from a normal distribution restricted to ``[low, high]`` by
rejection, as EpiEstim does (Cori et al. 2013, Web Appendix 3).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

FloatArray = NDArray[np.float64]

#: Largest (mean − 1) / sd accepted: beyond it the gamma is a point mass for any practical
#: purpose and its shape overflows double precision.
MAX_SHAPE_ROOT = 1e3
#: EpiEstim's tolerance on the sum of a user-given SI distribution.
SUM_TOLERANCE = 0.01


def discr_si(k: ArrayLike, mu: float, sigma: float) -> FloatArray:
    """EpiEstim's ``discr_si``: P(SI = k days) for a gamma SI offset by one day.

    ``mu`` (> 1) and ``sigma`` (> 0) are the mean and standard deviation of the SI in
    days; ``k`` are non-negative integers. ``w_0`` is 0 by construction (and ``w_1``
    carries the mass of SIs below 2 days). Reference: Cori et al. 2013, Web Appendix 11.
    """
    if not np.isfinite(mu) or mu <= 1:
        raise ValueError(f"the mean serial interval must be > 1 day (got {mu})")
    if not np.isfinite(sigma) or sigma <= 0:
        raise ValueError(f"the serial interval sd must be > 0 (got {sigma})")
    kk = np.asarray(k, dtype=np.float64)
    if np.any(kk < 0) or np.any(kk != np.floor(kk)):
        raise ValueError("k must be non-negative integers")
    ratio = (mu - 1.0) / sigma
    if not np.isfinite(ratio) or ratio > MAX_SHAPE_ROOT:
        raise ValueError(
            f"serial interval mean {mu} and sd {sigma} describe a degenerate distribution "
            f"((mean - 1) / sd must be at most {MAX_SHAPE_ROOT:g})"
        )
    shape = ratio**2
    scale = sigma**2 / (mu - 1.0)

    def cdf(x: FloatArray, a: float) -> FloatArray:
        out: FloatArray = stats.gamma.cdf(np.maximum(x, 0.0), a, scale=scale)
        return np.where(x > 0, out, 0.0)

    w = (
        kk * cdf(kk, shape)
        + (kk - 2) * cdf(kk - 2, shape)
        - 2 * (kk - 1) * cdf(kk - 1, shape)
        + shape * scale * (2 * cdf(kk - 1, shape + 1) - cdf(kk - 2, shape + 1) - cdf(kk, shape + 1))
    )
    result: FloatArray = np.maximum(w, 0.0)
    return result


def check_si_distr(si_distr: ArrayLike) -> FloatArray:
    """Validate a discrete SI distribution as EpiEstim's ``check_si_distr`` does.

    It must be a non-empty 1-D vector of finite non-negative probabilities with
    ``si_distr[0] == 0`` that sums to 1 within :data:`SUM_TOLERANCE`. Returns it as
    a float array (not renormalised, like EpiEstim).
    """
    w = np.asarray(si_distr, dtype=np.float64)
    if w.ndim != 1 or w.size < 2:
        raise ValueError("si_distr must be a vector of at least two probabilities")
    if not np.all(np.isfinite(w)):
        raise ValueError("si_distr must contain only finite numbers")
    if w[0] != 0:
        raise ValueError(
            f"si_distr[0] must be 0 (a case cannot infect on its own onset day), got {w[0]}"
        )
    if np.any(w < 0):
        raise ValueError("si_distr must contain only non-negative probabilities")
    total = float(w.sum())
    if abs(total - 1.0) > SUM_TOLERANCE:
        raise ValueError(f"si_distr must sum to 1 (within {SUM_TOLERANCE}), got {total:.6g}")
    return w


def si_moments(si_distr: ArrayLike) -> tuple[float, float]:
    """Mean and standard deviation (days) of a discrete SI distribution, computed as
    EpiEstim does (``sum(k w_k)`` and ``sqrt(sum(k^2 w_k) - mean^2)``, unnormalised)."""
    w = np.asarray(si_distr, dtype=np.float64)
    k = np.arange(w.size, dtype=np.float64)
    mean = float(np.sum(k * w))
    var = float(np.sum(k * k * w)) - mean * mean
    return mean, float(np.sqrt(max(var, 0.0)))


def sample_truncated_normal(
    rng: np.random.Generator, mean: float, sd: float, low: float, high: float, size: int
) -> FloatArray:
    """``size`` draws of Normal(mean, sd) restricted to ``[low, high]`` by rejection.

    This is EpiEstim's way of drawing the SI mean and sd for method ``uncertain_si``
    (redraw until the value falls inside the bounds); the distribution is the
    truncated normal. Fails when the interval has negligible probability.
    """
    if sd <= 0:
        raise ValueError(f"the sd of a truncated normal must be > 0 (got {sd})")
    if low > high:
        raise ValueError(f"empty interval [{low}, {high}]")
    p_in = float(stats.norm.cdf(high, mean, sd) - stats.norm.cdf(low, mean, sd))
    if p_in < 1e-6:
        raise ValueError(
            f"Normal({mean}, {sd}) has probability {p_in:.2g} in [{low}, {high}]: "
            "cannot sample it by rejection"
        )
    out = np.empty(size, dtype=np.float64)
    filled = 0
    while filled < size:
        draws = rng.normal(mean, sd, size=max(2 * (size - filled), 16))
        draws = draws[(draws >= low) & (draws <= high)]
        take = min(draws.size, size - filled)
        out[filled : filled + take] = draws[:take]
        filled += take
    return out
