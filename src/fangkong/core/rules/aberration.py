"""Aberration detection on daily counts: EARS C1, C2, C3 and a negative-binomial
regression threshold (Farrington-type), for many series at once.

Every function takes a (series × days) array of daily counts (NaN = not reported) and
returns, per day, the statistic, the threshold it is compared with, and the signal.
Days without a full baseline get NaN statistics and no signal.

EARS (Hutwagner L. et al., "The bioterrorism preparedness and response Early Aberration
Reporting System (EARS)", J Urban Health 2003;80(2 Suppl 1):i89–96; definitions as
written out in Fricker R.D. et al., Stat Med 2008;27:3407–29):

* **C1** — baseline days *t−7 … t−1*; ``C1_t = (y_t − mean) / sd`` (sample sd);
  signal when ``C1_t > 3``.
* **C2** — the same with a two-day guard band: baseline *t−9 … t−3*; signal when
  ``C2_t > 3``.
* **C3** — ``C3_t = Σ_{i=0..2} max(0, C2_{t−i} − 1)``; signal when ``C3_t > 2``.

The baseline sd is floored at ``min_sd`` (default 1 case): a week of zeros otherwise
has sd 0 and any single case would be an infinitely large excess. This floor is our
choice, stated because the EARS papers leave the zero-variance case open.

**Negative-binomial regression** (after Farrington C.P. et al., J R Stat Soc A
1996;159:547–63, with the negative-binomial threshold of Noufaily A. et al., Stat Med
2013;32:1206–22). A new pathogen has no earlier seasons, so the baseline is the
``baseline_days`` (28) days before a ``guard_days`` (2) gap: days *t−30 … t−3*. A
log-linear quasi-Poisson model ``log μ = α + β·s`` is fitted by iteratively reweighted
least squares; the overdispersion is ``φ = max(1, Pearson χ² / (n − p))``. As in
Farrington's algorithm the trend is kept only when significant (|β/se| > 1.96, se
scaled by √φ) and when the prediction does not exceed the baseline maximum; otherwise
the intercept-only model is used. The threshold is the ``1 − alpha`` (0.99) quantile of
a negative binomial with mean ``μ_t`` and variance ``φ μ_t`` (Poisson when φ = 1).
Farrington's reporting rule applies: no signal unless at least 5 cases were reported
over days *t−3 … t* (``limit54`` of R ``surveillance``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray
from scipy import stats

Array = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Detection:
    """Per series and day: ``statistic`` compared against ``threshold``; ``expected``
    is the baseline mean (EARS) or the model prediction μ_t (NB)."""

    method: str
    statistic: Array
    threshold: Array
    expected: Array
    signal: NDArray[np.bool_]


def _baseline(y: Array, start: int, stop: int) -> tuple[Array, Array]:
    """Mean and sample sd of days t−start … t−stop (start > stop ≥ 1) for every t."""
    length = start - stop + 1
    units, days = y.shape
    mean = np.full((units, days), np.nan)
    sd = np.full((units, days), np.nan)
    if days > start:
        windows = sliding_window_view(y, length, axis=1)  # windows[:, k] = days k … k+len-1
        # Day t uses the window starting at t−start: k = t − start, for t = start … days−1.
        w = windows[:, : days - start]
        with np.errstate(invalid="ignore"):
            mean[:, start:] = np.mean(w, axis=2)
            sd[:, start:] = np.std(w, axis=2, ddof=1)
    return mean, sd


def _ears(y: Array, start: int, stop: int, min_sd: float, method: str) -> Detection:
    mean, sd = _baseline(y, start, stop)
    with np.errstate(invalid="ignore", divide="ignore"):
        stat = (y - mean) / np.maximum(sd, min_sd)
    threshold = np.where(np.isnan(stat), np.nan, 3.0)
    signal = np.nan_to_num(stat, nan=-np.inf) > 3.0
    return Detection(method, stat, threshold, mean, signal)


def ears_c1(y: Array, min_sd: float = 1.0) -> Detection:
    """EARS C1: baseline t−7 … t−1, signal when (y − mean)/sd > 3."""
    return _ears(np.asarray(y, dtype=float), 7, 1, min_sd, "ears_c1")


def ears_c2(y: Array, min_sd: float = 1.0) -> Detection:
    """EARS C2: baseline t−9 … t−3 (two-day guard band), signal when the statistic > 3."""
    return _ears(np.asarray(y, dtype=float), 9, 3, min_sd, "ears_c2")


def ears_c3(y: Array, min_sd: float = 1.0) -> Detection:
    """EARS C3: the sum over t−2 … t of max(0, C2 − 1); signal when it exceeds 2."""
    c2 = ears_c2(y, min_sd)
    excess = np.maximum(c2.statistic - 1.0, 0.0)
    stat = np.full(excess.shape, np.nan)
    if excess.shape[1] >= 3:
        stat[:, 2:] = excess[:, 2:] + excess[:, 1:-1] + excess[:, :-2]
    threshold = np.where(np.isnan(stat), np.nan, 2.0)
    signal = np.nan_to_num(stat, nan=-np.inf) > 2.0
    return Detection("ears_c3", stat, threshold, c2.expected, signal)


def _irls(y: Array, s: Array, mask: Array, iterations: int = 30) -> tuple[Array, Array, Array]:
    """Batch IRLS of log μ = α + β s (Poisson working weights, ``mask`` = 1 for observed
    days) for the rows of ``y``. Returns α, β and the unscaled variance of β."""
    n = np.maximum(mask.sum(axis=1), 1.0)
    start = np.maximum((y * mask).sum(axis=1) / n, 0.1)
    eta = np.log(start)[:, None] * np.ones_like(y)
    mu = np.exp(eta)
    alpha = np.log(start)
    beta = np.zeros(y.shape[0])
    var_b = np.full(y.shape[0], np.inf)
    for _ in range(iterations):
        z = eta + (y - mu) / mu
        w = mu * mask
        sw = w.sum(axis=1)
        sws = (w * s).sum(axis=1)
        swss = (w * s * s).sum(axis=1)
        swz = (w * z).sum(axis=1)
        swsz = (w * s * z).sum(axis=1)
        det = sw * swss - sws * sws
        ok = det > 1e-12
        safe = np.where(ok, det, 1.0)
        beta = np.where(ok, (sw * swsz - sws * swz) / safe, 0.0)
        alpha = np.where(ok, (swss * swz - sws * swsz) / safe, np.log(start))
        var_b = np.where(ok, sw / safe, np.inf)
        eta = np.clip(alpha[:, None] + beta[:, None] * s, -30.0, 30.0)
        mu = np.exp(eta)
    return alpha, beta, var_b


def negative_binomial(
    y: Array,
    baseline_days: int = 28,
    guard_days: int = 2,
    alpha: float = 0.01,
    limit_cases: int = 5,
    limit_days: int = 4,
    min_baseline: int = 7,
) -> Detection:
    """The Farrington-type negative-binomial regression threshold (see module text).
    Early in a series the baseline is whatever of the 28 days exists, if at least
    ``min_baseline`` days were reported."""
    y = np.asarray(y, dtype=float)
    units, days = y.shape
    lag = baseline_days + guard_days
    padded = np.concatenate([np.full((units, lag), np.nan), y], axis=1)
    base = sliding_window_view(padded, baseline_days, axis=1)[:, :days].reshape(-1, baseline_days)
    observed = y.reshape(-1)
    mask = (~np.isnan(base)).astype(float)
    n_obs = mask.sum(axis=1)
    complete = (n_obs >= min_baseline) & ~np.isnan(observed)
    b = np.where(np.isnan(base), 0.0, base)
    s = np.arange(baseline_days, dtype=float) - (baseline_days - 1) / 2.0
    s_target = (baseline_days - 1) / 2.0 + guard_days + 1.0
    all_zero = b.sum(axis=1) <= 0
    fit_y = np.where(all_zero[:, None], 0.1, b)
    a1, b1, vb = _irls(fit_y, np.broadcast_to(s, b.shape), mask)
    mu_fit = np.exp(np.clip(a1[:, None] + b1[:, None] * s, -30.0, 30.0))
    dof = np.maximum(n_obs - 2.0, 1.0)
    pearson = ((((b - mu_fit) ** 2) / mu_fit) * mask).sum(axis=1)
    phi_trend = np.maximum(1.0, pearson / dof)
    se = np.sqrt(vb * phi_trend)
    with np.errstate(divide="ignore", invalid="ignore"):
        significant = np.abs(b1 / se) > 1.96
    mu_trend = np.exp(np.clip(a1 + b1 * s_target, -30.0, 30.0))
    keep_trend = significant & (mu_trend <= b.max(axis=1))
    mean = b.sum(axis=1) / np.maximum(n_obs, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = (((b - mean[:, None]) ** 2) * mask).sum(axis=1) / np.maximum(mean, 1e-12)
    phi_flat = np.maximum(1.0, spread / np.maximum(n_obs - 1.0, 1.0))
    mu = np.where(keep_trend, mu_trend, mean)
    phi = np.where(keep_trend, phi_trend, phi_flat)
    mu = np.where(all_zero, 0.0, mu)
    upper = np.zeros_like(mu)
    positive = complete & (mu > 0)
    poisson = positive & (phi <= 1.0 + 1e-9)
    negbin = positive & ~poisson
    upper[poisson] = stats.poisson.ppf(1.0 - alpha, mu[poisson])
    size = mu[negbin] / (phi[negbin] - 1.0)
    upper[negbin] = stats.nbinom.ppf(1.0 - alpha, size, size / (size + mu[negbin]))
    pad_recent = np.concatenate([np.zeros((units, limit_days - 1)), np.nan_to_num(y)], axis=1)
    recent = sliding_window_view(pad_recent, limit_days, axis=1).sum(axis=2).reshape(-1)
    sig = complete & (np.nan_to_num(observed, nan=-1.0) > upper) & (recent >= limit_cases)
    shape = (units, days)
    stat = np.where(complete, observed, np.nan).reshape(shape)
    threshold = np.where(complete, upper, np.nan).reshape(shape)
    expected = np.where(complete, mu, np.nan).reshape(shape)
    return Detection("negbin", stat, threshold, expected, sig.reshape(shape))


METHODS: dict[str, Callable[[Array], Detection]] = {
    "ears_c1": ears_c1,
    "ears_c2": ears_c2,
    "ears_c3": ears_c3,
    "negbin": negative_binomial,
}
