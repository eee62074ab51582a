"""Short-term forecasts of daily cases: the renewal equation with an uncertain R, and a
naive baseline to judge it against.

Renewal model (Fraser C. PLoS One 2007;2:e758; Cori et al. Am J Epidemiol 2013;178:
1505-1512, eq. 1; the forecasting set-up of the R package ``projections`` and of
EpiNow2, Abbott S et al. Wellcome Open Res 2020;5:112):

* Expected incidence follows ``μ_t = R_t · Σ_{s≥1} w_s I_{t-s}`` where ``w`` is the
  discrete serial interval (SI) and ``I`` the observed incidence up to the forecast
  date, then the expected incidence itself (:func:`renewal_expected`, deterministic).
* ``R`` at the forecast date is drawn from the Cori et al. gamma posterior of the last
  ``window`` days (:func:`fangkong.core.epi.rt.estimate_r`, reused as is).
* Over the horizon, ``log R`` follows a damped random walk
  ``log R_{h} = φ · log R_{h-1} + σ ε_h`` (``ε`` standard normal): ``φ = 1, σ = 0``
  keeps R fixed; ``φ < 1`` pulls R towards 1 (growth or decline slows, as it did when
  epidemics met control measures and depletion — the damped trend of Gardner ES,
  McKenzie E. Manage Sci 1985;31:1237-1246, applied to log R); ``σ > 0`` widens the
  intervals with the horizon.
* Observed counts are negative binomial around ``μ_t`` with size ``k`` (variance
  ``μ + μ²/k``), ``k`` estimated by the method of moments from the one-step-ahead
  errors of the same model over the last ``dispersion_days`` days
  (:func:`estimate_dispersion`); this absorbs weekday reporting effects and noise.

Every sample path gets its own R path and observation draw from the
``numpy.random.Generator`` passed in; prediction quantiles are the empirical quantiles
of the draws.

Baseline (:func:`baseline_forecast`): the level of the last ``window`` days (their
mean) carried forward, with prediction quantiles from the empirical distribution of
that baseline's own past errors at the same horizon, mirrored around 0 so that the
median stays at the level — the construction of the COVID-19 Forecast Hub baseline
(Cramer EY et al. PNAS 2022;119:e2113561119), applied to the level rather than the last
value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from fangkong.core.epi.rt import estimate_r, overall_infectivity
from fangkong.core.epi.scoring import FORECAST_LEVELS

FloatArray = NDArray[np.float64]

#: Largest size ``k`` of the negative binomial; above it the counts are as Poisson.
MAX_DISPERSION = 1e4
#: Smallest size ``k`` allowed (a variance of at most ``μ + 10 μ²``).
MIN_DISPERSION = 0.1


@dataclass(frozen=True, slots=True)
class Forecast:
    """Prediction quantiles of the daily counts of the next ``horizon`` days.

    ``quantiles`` has shape ``(horizon, len(levels))``; ``mean`` the mean of the draws;
    ``expected`` the mean expected incidence ``μ``; ``r_quantiles`` the quantiles of the
    R paths per day (same levels). ``r_shape``/``r_scale`` are the gamma posterior of R
    on the last window, ``dispersion`` the negative-binomial size ``k`` (``inf`` for
    Poisson).
    """

    quantiles: FloatArray
    levels: tuple[float, ...]
    mean: FloatArray
    expected: FloatArray
    r_quantiles: FloatArray
    r_shape: float
    r_scale: float
    dispersion: float
    n_samples: int


def renewal_expected(history: ArrayLike, r_path: ArrayLike, si_distr: ArrayLike) -> FloatArray:
    """Expected incidence of the days after ``history`` by the renewal equation
    ``I_t = R_t Σ_{s≥1} w_s I_{t-s}``, with the expected values fed back.

    ``r_path`` has shape ``(horizon,)`` or ``(n, horizon)`` (one row per sample path);
    the result has the same shape. ``si_distr`` is ``w_0, w_1, …`` (``w_0`` unused).
    Deterministic: with ``w = (0, 1)``, 100 cases and ``R = 1.2`` the next days are 120,
    144, 172.8 … (the EpiNow2 renewal check).
    """
    hist = np.asarray(history, dtype=np.float64)
    r = np.asarray(r_path, dtype=np.float64)
    w = np.asarray(si_distr, dtype=np.float64)
    if hist.ndim != 1 or hist.size == 0:
        raise ValueError("history must be a non-empty incidence vector")
    if r.ndim not in (1, 2) or r.shape[-1] == 0:
        raise ValueError("r_path must be (horizon,) or (samples, horizon)")
    if w.ndim != 1 or w.size < 2 or np.any(w < 0):
        raise ValueError("si_distr must be a non-negative vector w_0, w_1, …")
    horizon = r.shape[-1]
    lead = r.shape[:-1]
    width = min(w.size - 1, hist.size + horizon)
    ws = np.zeros(max(width, horizon) + 1)  # w_0 … (zero beyond ``width``)
    ws[1 : width + 1] = w[1 : width + 1]
    # The observed history is the same for every sample path: its share of each future
    # day's infectiousness, sum over s >= h+1 of w_s I_{T+h-s}, is computed once
    # (one small matrix product) and only the h earlier forecast days vary per path.
    steps = np.arange(horizon)[:, None]
    lags = steps + 1 + np.arange(hist.size)[None, :]  # lag of history day T-1-j at T+h
    weights = np.where(lags <= width, ws[np.minimum(lags, width)], 0.0)
    from_history = weights @ hist[::-1]  # (horizon,)
    out = np.zeros((*lead, horizon))
    for h in range(horizon):
        recent = out[..., :h] @ ws[h:0:-1] if h else 0.0  # w_1 … w_h on the forecast days
        out[..., h] = r[..., h] * (from_history[h] + recent)
    result: FloatArray = out
    return result


def r_paths(
    r0: ArrayLike, horizon: int, rng: np.random.Generator, *, damping: float, rw_sd: float
) -> FloatArray:
    """R over the next ``horizon`` days from starting values ``r0`` (one per path):
    ``log R_h = φ log R_{h-1} + σ ε_h`` (``φ`` = ``damping``, ``σ`` = ``rw_sd``)."""
    if not 0 <= damping <= 1:
        raise ValueError("damping must be in [0, 1]")
    if rw_sd < 0:
        raise ValueError("rw_sd must be >= 0")
    log_r = np.log(np.asarray(r0, dtype=np.float64))
    out = np.empty((log_r.size, horizon))
    shocks = rng.standard_normal((log_r.size, horizon)) * rw_sd if rw_sd > 0 else None
    cur = log_r.copy()
    for h in range(horizon):
        cur = damping * cur
        if shocks is not None:
            cur = cur + shocks[:, h]
        out[:, h] = cur
    result: FloatArray = np.exp(out)
    return result


def estimate_dispersion(
    incidence: ArrayLike, si_distr: ArrayLike, *, window: int, days: int
) -> float:
    """Negative-binomial size ``k`` of the one-step-ahead errors of the renewal model.

    For each of the last ``days`` days ``t``, the prediction is ``μ_t = R̂ Λ_t`` with
    ``R̂`` the posterior mean of the ``window``-day window ending on day ``t - 1`` and
    ``Λ_t`` the infectivity (Cori et al. eq. 1). Method of moments on
    ``Var = μ + μ²/k``: ``k = Σ μ² / Σ ((y - μ)² - μ)``, within
    [:data:`MIN_DISPERSION`, :data:`MAX_DISPERSION`] (the maximum when the errors are
    no larger than Poisson's).
    """
    y = np.asarray(incidence, dtype=np.float64)
    w = np.asarray(si_distr, dtype=np.float64)
    n = y.size
    first_end = max(window + 1, n - days)  # 1-based last day of the first window used
    if first_end >= n:
        return MAX_DISPERSION
    ends = np.arange(first_end, n, dtype=np.int64)
    est = estimate_r(
        y, method="non_parametric_si", si_distr=_padded(w, n), t_start=ends - window + 1, t_end=ends
    )
    lam = overall_infectivity(y, _padded(w, n))
    r_hat = np.full(ends.size, np.nan)
    r_hat[np.isin(ends, est.t_end)] = est.mean
    mu = r_hat * lam[ends]  # day ends + 1 (1-based) is index ends (0-based)
    obs = y[ends]
    ok = np.isfinite(mu) & (mu > 0)
    if not np.any(ok):
        return MAX_DISPERSION
    num = float(np.sum(mu[ok] ** 2))
    den = float(np.sum((obs[ok] - mu[ok]) ** 2 - mu[ok]))
    if den <= num / MAX_DISPERSION:
        return MAX_DISPERSION
    return float(np.clip(num / den, MIN_DISPERSION, MAX_DISPERSION))


def _padded(w: FloatArray, n: int) -> FloatArray:
    """The SI renormalised to sum 1 over ``w_0 … w_n`` (EpiEstim's check needs it)."""
    out = np.zeros(max(n + 1, 2))
    m = min(w.size, out.size)
    out[:m] = w[:m]
    total = out.sum()
    if total <= 0:
        raise ValueError("the serial interval has no mass")
    result: FloatArray = out / total
    return result


def forecast_renewal(
    incidence: ArrayLike,
    si_distr: ArrayLike,
    horizon: int,
    rng: np.random.Generator,
    *,
    window: int = 7,
    n_samples: int = 2000,
    damping: float = 1.0,
    rw_sd: float = 0.0,
    dispersion: float | None = None,
    dispersion_days: int = 28,
    mean_prior: float = 5.0,
    std_prior: float = 5.0,
    levels: tuple[float, ...] = FORECAST_LEVELS,
) -> Forecast:
    """Forecast the next ``horizon`` days of a daily incidence series by the renewal
    equation (see the module docstring): R from the Cori posterior of the last
    ``window`` days, a damped random walk on log R, negative-binomial counts.

    ``incidence`` is the observed series up to the forecast date (non-negative, at
    least ``window + 1`` days); ``si_distr`` the discrete SI ``w_0, w_1 …``.
    ``dispersion`` fixes ``k``; by default it is estimated (:func:`estimate_dispersion`).
    """
    y = np.asarray(incidence, dtype=np.float64)
    w = np.asarray(si_distr, dtype=np.float64)
    if y.ndim != 1:
        raise ValueError("incidence must be one series")
    if not (1 <= horizon <= 365):
        raise ValueError("horizon must be 1..365 days")
    if n_samples < 1:
        raise ValueError("n_samples must be >= 1")
    if window < 1 or y.size < window + 1:
        raise ValueError(
            f"a {window}-day window needs at least {window + 1} days of incidence (got {y.size})"
        )
    if any(not 0 < q < 1 for q in levels):
        raise ValueError("quantile levels must lie in (0, 1)")
    n = y.size
    ws = _padded(w, n)
    est = estimate_r(
        y,
        method="non_parametric_si",
        si_distr=ws,
        t_start=[n - window + 1],
        t_end=[n],
        mean_prior=mean_prior,
        std_prior=std_prior,
    )
    if est.shape is None or est.scale is None or est.t_end.size != 1:
        raise ValueError("the last window could not be estimated")
    shape, scale = float(est.shape[0]), float(est.scale[0])
    r0 = np.maximum(rng.gamma(shape, scale, size=n_samples), 1e-9)
    paths = r_paths(r0, horizon, rng, damping=damping, rw_sd=rw_sd)
    mu = renewal_expected(y, paths, w)
    k = (
        estimate_dispersion(y, w, window=window, days=dispersion_days)
        if dispersion is None
        else float(dispersion)
    )
    if not k > 0:
        raise ValueError("dispersion must be > 0")
    draws = _observe(mu, k, rng)
    quant = np.moveaxis(np.quantile(draws, levels, axis=0), 0, -1)
    r_quant = np.moveaxis(np.quantile(paths, levels, axis=0), 0, -1)
    return Forecast(
        quantiles=quant,
        levels=tuple(levels),
        mean=draws.mean(axis=0),
        expected=mu.mean(axis=0),
        r_quantiles=r_quant,
        r_shape=shape,
        r_scale=scale,
        dispersion=float("inf") if k >= MAX_DISPERSION else k,
        n_samples=n_samples,
    )


def _observe(mu: FloatArray, k: float, rng: np.random.Generator) -> FloatArray:
    """Negative-binomial (size ``k``, mean ``mu``) or, for very large ``k``, Poisson
    draws; means are capped at 1e12 to keep the samplers finite."""
    m = np.minimum(mu, 1e12)
    if k >= MAX_DISPERSION:
        out: FloatArray = rng.poisson(m).astype(np.float64)
        return out
    p = k / (k + m)
    draws: FloatArray = rng.negative_binomial(k, np.clip(p, 1e-12, 1.0)).astype(np.float64)
    return draws


def baseline_forecast(
    incidence: ArrayLike,
    horizon: int,
    *,
    window: int = 7,
    history: int = 56,
    levels: tuple[float, ...] = FORECAST_LEVELS,
) -> FloatArray:
    """Quantiles (``(horizon, len(levels))``) of the naive baseline: the mean of the
    last ``window`` days carried forward, spread by the mirrored empirical distribution
    of the baseline's past errors ``y_{s+h} - level_s`` at each horizon ``h`` over
    forecast origins ``s`` of the last ``history`` days; counts clipped at 0. With fewer
    than ``window`` past errors at a horizon, a Poisson distribution around the level is
    used instead (documented fallback)."""
    y = np.asarray(incidence, dtype=np.float64)
    if y.ndim != 1 or y.size < window:
        raise ValueError(f"the baseline needs at least {window} days of incidence")
    if not (1 <= horizon <= 365):
        raise ValueError("horizon must be 1..365 days")
    n = y.size
    cs = np.concatenate([[0.0], np.cumsum(y)])
    level_at = (cs[window:] - cs[:-window]) / window  # level at origin index window-1 … n-1
    level = float(level_at[-1])
    lv = np.asarray(levels, dtype=np.float64)
    out = np.empty((horizon, lv.size))
    from scipy import stats  # local: scipy.stats is heavy to import

    for h in range(1, horizon + 1):
        origins = np.arange(max(window - 1, n - 1 - h - history + 1), n - h)
        if origins.size >= window:
            errors = y[origins + h] - level_at[origins - (window - 1)]
            sym = np.concatenate([errors, -errors])
            out[h - 1] = np.maximum(level + np.quantile(sym, lv), 0.0)
        else:
            out[h - 1] = stats.poisson.ppf(lv, max(level, 1e-9))
    return out
