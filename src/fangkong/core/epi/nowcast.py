"""Nowcasting: the onset-date curve corrected for cases not yet reported.

Cases with a recent onset have often not been reported (confirmed) yet, so the
onset-date curve of a line list falls off at its right end even when the epidemic does
not ("right truncation"). A nowcast estimates how many cases with onset on each recent
day will eventually be reported, from the *reporting triangle* ``n[t, d]``: the number
of cases with onset on day ``t`` reported ``d`` days later, known for ``t + d ≤ T`` (the
cut-off day ``T``).

Method:

* **Multiplicative delay model** (Kalbfleisch JD, Lawless JF. Biometrika 1991;78:
  263-271; Lawless JF. Can J Stat 1994;22:15-31): ``E n[t, d] = λ_t · p_d`` with a
  delay distribution ``p_d`` (``d = 0 … D``; longer delays are counted at ``D``). Under
  right truncation its likelihood factorises over the *reverse-time hazards*
  ``g_d = P(delay = d | delay ≤ d)`` into binomials: ``a_d = Σ_t n[t, d]`` successes
  out of ``a_d + b_d`` with ``b_d = Σ_t Σ_{j<d} n[t, j]``, both summed over the rows
  ``t`` in which delay ``d`` is observable (``t + d ≤ T``). The maximum-likelihood
  estimate ``ĝ_d = a_d / (a_d + b_d)`` gives the cumulative distribution
  ``F(d) = Π_{j=d+1}^{D} (1 - g_j)`` and the *chain-ladder* nowcast
  ``N̂_t = n[t, ≤ T-t] / F(T - t)`` (the actuaries' development factors
  ``1/(1 - g_j)``).
* **Bayesian intervals** in the manner of Höhle M, an der Heiden M. Bayesian nowcasting
  during the STEC O104:H4 outbreak in Germany, 2011. Biometrics 2014;70:993-1002: the
  hazards get independent beta posteriors ``g_d ~ Beta(a_d + h, b_d + h)`` (a
  generalised-Dirichlet posterior for the delay distribution, prior ``h`` = 1 by
  default); for each posterior draw of ``F``, with a gamma prior
  ``λ_t ~ Gamma(shape c, rate β_t)`` on the expected count and Poisson counts, the
  not-yet-reported cases of day ``t`` given the ``n_t`` reported are negative binomial
  with size ``c + n_t`` and success probability ``(β_t + F)/(β_t + 1)`` (the
  Poisson-gamma mixture; Höhle & an der Heiden section 2.3). The draws of
  ``N_t = n_t + U_t`` give the predictive quantiles; the randomness comes from the
  ``numpy.random.Generator`` passed in.
* **Prior on the expected counts.** ``prior="flat"`` takes ``β_t = 0`` (a vague prior:
  the predictive mean is ``(n_t + c)/F``, the chain ladder for small ``c``). When only a
  few per cent of a day's cases are reported by the cut-off, dividing by ``F`` turns
  one case more or less into dozens; ``prior="level"`` (the default) therefore centres
  the prior on the recent level, ``β_t = c / m`` with ``m`` the mean chain-ladder
  estimate of the last ``level_days`` days that are at least ``min_completeness``
  complete (empirical Bayes; the same idea as the random-walk smoothing of the
  expected counts in NobBS, McGough SF et al. PLoS Comput Biol 2020;16:e1007735). The
  posterior mean ``(c + n_t)/(c/m + F)`` then moves from the level ``m`` (nothing
  reported yet) to the data (``F`` near 1).
* **Moving window** (Höhle & an der Heiden, section 3.2): with ``delay_window = W``,
  only cells reported in the last ``W`` days (``t + d > T - W``) inform the delays, so
  a delay distribution that shortens as testing speeds up is followed.

Days are integers ``0 … T``; the service layer maps them to dates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Predictive quantiles reported for every day.
NOWCAST_LEVELS: tuple[float, ...] = (0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.975)
PRIORS: tuple[str, ...] = ("level", "flat")
#: Lowest level (cases per day) the ``level`` prior is centred on.
LEVEL_FLOOR = 0.5


@dataclass(frozen=True, slots=True)
class Nowcast:
    """A nowcast of cases by onset day ``0 … T`` (``T`` the cut-off).

    ``reported`` are the cases known by the cut-off; ``chain_ladder`` the point
    estimate ``reported / F`` (NaN where ``F`` is 0); ``mean``, ``median`` and
    ``quantiles`` (last axis in the order of ``levels``) summarise the predictive
    draws of the eventual counts; ``completeness`` is ``F(T - t)``, the estimated share
    of day ``t``'s cases reported by the cut-off (1 for days at least ``max_delay`` old).
    ``delay_pmf`` is the estimated delay distribution ``p_0 … p_D``; ``hazard_counts``
    the ``(a_d, b_d)`` of every delay; ``prior_level`` the level ``m`` the prior is
    centred on (NaN for the flat prior).
    """

    reported: FloatArray
    chain_ladder: FloatArray
    mean: FloatArray
    median: FloatArray
    quantiles: FloatArray
    levels: tuple[float, ...]
    completeness: FloatArray
    delay_pmf: FloatArray
    hazard_counts: FloatArray
    max_delay: int
    n_draws: int
    prior: str
    prior_level: float


def reporting_triangle(
    onset_day: ArrayLike, report_day: ArrayLike, n_days: int, max_delay: int
) -> FloatArray:
    """The reporting triangle ``n[t, d]`` (shape ``(n_days, max_delay + 1)``) of cases
    with onset on day ``t`` and report ``d`` days later, for days ``0 … n_days - 1``.

    Cells not observable by the last day (``t + d ≥ n_days``) are NaN; delays above
    ``max_delay`` are counted at ``max_delay`` once observable. Cases reported after the
    last day are ignored (unknown at the cut-off); onsets before day 0 or after their
    report are errors for the caller to have removed.
    """
    on = np.asarray(onset_day, dtype=np.int64)
    rep = np.asarray(report_day, dtype=np.int64)
    if on.shape != rep.shape or on.ndim != 1:
        raise ValueError("onset and report days must be vectors of the same length")
    if n_days < 1:
        raise ValueError("the triangle needs at least one day")
    if max_delay < 0:
        raise ValueError("max_delay must be >= 0")
    if np.any(rep < on):
        raise ValueError("a case is reported before its onset: remove it first")
    if np.any(on < 0):
        raise ValueError("onset days must be >= 0")
    known = rep < n_days
    t = on[known]
    d = np.minimum(rep[known] - t, max_delay)
    tri = np.zeros((n_days, max_delay + 1), dtype=np.float64)
    np.add.at(tri, (t, d), 1.0)
    rows = np.arange(n_days)[:, None]
    cols = np.arange(max_delay + 1)[None, :]
    tri[rows + cols >= n_days] = np.nan
    return tri


def _observable(n_days: int, max_delay: int, delay_window: int | None) -> NDArray[np.bool_]:
    rows = np.arange(n_days)[:, None]
    cols = np.arange(max_delay + 1)[None, :]
    obs = rows + cols <= n_days - 1
    if delay_window is not None:
        obs &= rows > n_days - 1 - delay_window
    return obs


def hazard_counts(triangle: ArrayLike, delay_window: int | None = None) -> FloatArray:
    """``(a_d, b_d)`` per delay ``d`` (shape ``(D + 1, 2)``): cases reported with delay
    exactly ``d`` and with a shorter delay, over the rows where delay ``d`` is observable
    (and, with ``delay_window``, reported in the last ``delay_window`` days).
    Kalbfleisch & Lawless (1991), reverse-time hazard likelihood."""
    tri = np.asarray(triangle, dtype=np.float64)
    n_days, width = tri.shape
    if delay_window is not None and delay_window < 1:
        raise ValueError("delay_window must be at least 1 day")
    obs = _observable(n_days, width - 1, delay_window)
    filled = np.where(np.isnan(tri), 0.0, tri)
    shorter = np.cumsum(filled, axis=1) - filled
    a = np.sum(np.where(obs, filled, 0.0), axis=0)
    b = np.sum(np.where(obs, shorter, 0.0), axis=0)
    out: FloatArray = np.stack([a, b], axis=1)
    return out


def cdf_from_hazards(g: ArrayLike) -> FloatArray:
    """``F(d) = Π_{j=d+1}^{D} (1 - g_j)`` along the last axis (``g_0`` is ignored: a
    delay of 0 is always ≤ 0)."""
    gg = np.asarray(g, dtype=np.float64)
    keep = 1.0 - gg[..., 1:]
    rev = np.cumprod(keep[..., ::-1], axis=-1)[..., ::-1]
    ones = np.ones((*gg.shape[:-1], 1))
    out: FloatArray = np.concatenate([rev, ones], axis=-1)
    return out


def nowcast(
    triangle: ArrayLike,
    rng: np.random.Generator,
    *,
    n_draws: int = 2000,
    delay_window: int | None = None,
    hazard_prior: float = 1.0,
    prior: str = "level",
    prior_shape: float = 1.0,
    min_completeness: float = 0.5,
    level_days: int = 7,
    levels: tuple[float, ...] = NOWCAST_LEVELS,
) -> Nowcast:
    """Nowcast the eventual counts per onset day from a reporting triangle (see the
    module docstring for the model; Lawless 1994, Höhle & an der Heiden 2014).

    ``triangle`` comes from :func:`reporting_triangle`; its last row is the cut-off day.
    ``hazard_prior`` is the Beta(h, h) prior of each reverse-time hazard,
    ``prior`` (``level`` or ``flat``) and ``prior_shape`` (``c``) the gamma prior of each
    day's expected count, ``min_completeness`` and ``level_days`` define the level it is
    centred on; ``n_draws`` is the number of posterior draws.
    """
    tri = np.asarray(triangle, dtype=np.float64)
    if tri.ndim != 2 or tri.shape[0] < 1 or tri.shape[1] < 1:
        raise ValueError("the reporting triangle must be a (days x delays) matrix")
    if n_draws < 1:
        raise ValueError("n_draws must be >= 1")
    if not (hazard_prior > 0 and prior_shape > 0):
        raise ValueError("hazard_prior and prior_shape must be > 0")
    if prior not in PRIORS:
        raise ValueError(f"prior must be one of {', '.join(PRIORS)}")
    if not 0 < min_completeness <= 1 or level_days < 1:
        raise ValueError("min_completeness must be in (0, 1] and level_days >= 1")
    if any(not 0 < q < 1 for q in levels):
        raise ValueError("quantile levels must lie in (0, 1)")
    n_days, width = tri.shape
    max_delay = width - 1
    counts = hazard_counts(tri, delay_window)
    a, b = counts[:, 0], counts[:, 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        g_hat = np.where(a + b > 0, a / (a + b), 0.0)
    g_hat[0] = 1.0
    f_hat = cdf_from_hazards(g_hat)
    pmf = np.diff(np.concatenate([[0.0], f_hat]))

    reported = np.nansum(tri, axis=1)
    lag = np.minimum(n_days - 1 - np.arange(n_days), max_delay)
    completeness = f_hat[lag]
    with np.errstate(invalid="ignore", divide="ignore"):
        chain = np.where(completeness > 0, reported / completeness, np.nan)

    rate = np.zeros(n_days)
    level = float("nan")
    if prior == "level":
        level = recent_level(chain, completeness, min_completeness, level_days)
        rate = np.where(completeness < 1.0, prior_shape / level, 0.0)

    g_draws = rng.beta(a + hazard_prior, b + hazard_prior, size=(n_draws, width))
    g_draws[:, 0] = 1.0
    f_draws = cdf_from_hazards(g_draws)[:, lag]  # (n_draws, n_days)
    p = np.clip((rate[None, :] + f_draws) / (rate[None, :] + 1.0), 1e-6, 1.0)
    size = np.broadcast_to(prior_shape + reported, p.shape)
    unreported = np.where(p < 1.0, rng.negative_binomial(size, p), 0).astype(np.float64)
    totals = reported[None, :] + unreported
    quant = np.moveaxis(np.quantile(totals, levels, axis=0), 0, -1)
    return Nowcast(
        reported=reported,
        chain_ladder=chain,
        mean=totals.mean(axis=0),
        median=np.median(totals, axis=0),
        quantiles=quant,
        levels=tuple(levels),
        completeness=completeness,
        delay_pmf=pmf,
        hazard_counts=counts,
        max_delay=max_delay,
        n_draws=n_draws,
        prior=prior,
        prior_level=level,
    )


def recent_level(
    chain_ladder: ArrayLike, completeness: ArrayLike, min_completeness: float, days: int
) -> float:
    """Mean of the chain-ladder estimates of the last ``days`` days whose completeness is
    at least ``min_completeness`` (cases per day; at least :data:`LEVEL_FLOOR`, so that
    a run of empty days still allows a few cases)."""
    chain = np.asarray(chain_ladder, dtype=np.float64)
    comp = np.asarray(completeness, dtype=np.float64)
    ok = np.flatnonzero((comp >= min_completeness) & np.isfinite(chain))
    if ok.size == 0:
        return LEVEL_FLOOR
    return max(float(np.mean(chain[ok[-days:]])), LEVEL_FLOOR)
