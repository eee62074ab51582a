"""The time-varying reproduction number R_t of Cori et al. (2013), as EpiEstim computes it.

Method (Cori A, Ferguson NM, Fraser C, Cauchemez S. A new framework and software to
estimate time-varying reproduction numbers during epidemics. Am J Epidemiol
2013;178(9):1505-1512, doi:10.1093/aje/kwt133; R package EpiEstim ``estimate_R``):

* Incidence is split into *local* cases (caused by transmission in the population)
  and *imported* cases. Both infect others; only local cases were infected locally.
  Cases of the first day are all counted as imported (EpiEstim's rule: nothing
  earlier can have infected them); a plain incidence vector therefore becomes
  ``local = I`` with ``local[0] = 0`` and ``imported = [I[0], 0, 0 …]``.
* The overall infectivity (Cori et al. eq. 1) is
  ``Λ_t = Σ_{s=1}^{t-1} w_s (local + imported)_{t-s}``, with ``w`` the discrete serial
  interval (SI) distribution (see :mod:`fangkong.core.epi.serial_interval`).
* Assuming R constant over a window ``[t_start, t_end]`` and a gamma prior with mean
  ``mean_prior`` and sd ``std_prior`` (shape ``a = (mean/sd)²``, scale
  ``b = sd²/mean``; EpiEstim's defaults 5 and 5 give shape 1, scale 5), the posterior
  is gamma (Cori et al. eq. 2, Web Appendix 1) with
  ``shape = a + Σ_{t in window} local_t`` and ``scale = 1 / (1/b + Σ_{t in window} Λ_t)``.
  Only local cases enter the numerator.
* Windows are given as 1-based days like EpiEstim (``2 ≤ t_start ≤ t_end ≤ T``); by
  default weekly sliding windows ``t_start = 2 … T-6``, ``t_end = t_start + 6``.
* A window ending on or before the mean of the SI distribution is dropped (EpiEstim's
  rule: too few generations of cases are in it).
* EpiEstim's ``cv_posterior`` check: if the first window holds fewer than
  ``ceil(1/cv² - a)`` cases, the posterior coefficient of variation will exceed ``cv``
  (0.3 by default) and a warning is given; here, in addition, every kept window whose
  posterior CV exceeds ``cv`` is counted in a warning.

SI methods: ``non_parametric_si`` (a given distribution), ``parametric_si`` (EpiEstim's
discretised offset gamma, evaluated on days ``0 … T-1``) and ``uncertain_si`` (``n1``
pairs of SI mean and sd drawn from truncated normals, ``n2`` posterior draws of R for
each; the summaries are sample mean, sd (n-1) and type-7 quantiles, as EpiEstim's).

Everything is vectorised over leading axes: an ``(n_regions, n_days)`` incidence array
gives ``(n_regions, n_windows)`` results. Window sums come from cumulative sums; the
infectivity convolution is a direct sum for one series and an FFT convolution for
many; posterior quantiles are computed once per distinct posterior shape (shapes are
the prior shape plus whole numbers of cases, so they repeat across regions) and scaled.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import signal, stats

from fangkong.core.epi.serial_interval import (
    check_si_distr,
    discr_si,
    sample_truncated_normal,
    si_moments,
)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
Method = Literal["non_parametric_si", "parametric_si", "uncertain_si"]
METHODS: tuple[str, ...] = ("non_parametric_si", "parametric_si", "uncertain_si")

#: Posterior quantiles reported for every window (EpiEstim's).
QUANTILES: tuple[float, ...] = (0.025, 0.05, 0.25, 0.5, 0.75, 0.95, 0.975)
#: Most posterior samples of R held at once by ``uncertain_si`` (it draws in chunks).
_SAMPLE_BUDGET = 20_000_000
#: Kernels up to this length are convolved by direct shifted sums, longer ones by FFT.
_DIRECT_KERNEL = 40


@dataclass(frozen=True, slots=True)
class UncertainSI:
    """Parameters of EpiEstim's ``uncertain_si`` method (Cori et al. 2013, Web Appendix 3).

    The SI mean is drawn ``n1`` times from Normal(mean_si, std_mean_si) truncated to
    ``[min_mean_si, max_mean_si]`` and the SI sd from Normal(std_si, std_std_si)
    truncated to ``[min_std_si, max_std_si]``; for each pair, ``n2`` values of R are
    drawn from the posterior.
    """

    mean_si: float
    std_mean_si: float
    min_mean_si: float
    max_mean_si: float
    std_si: float
    std_std_si: float
    min_std_si: float
    max_std_si: float
    n1: int = 100
    n2: int = 100

    def check(self) -> None:
        """EpiEstim's ``check_config`` rules for ``uncertain_si``."""
        if self.n1 < 1 or self.n2 < 1:
            raise ValueError("n1 and n2 must be positive integers")
        if self.std_mean_si <= 0 or self.std_std_si <= 0:
            raise ValueError("std_mean_si and std_std_si must be > 0")
        if self.min_mean_si < 1:
            raise ValueError("min_mean_si must be >= 1")
        if not self.min_mean_si <= self.mean_si <= self.max_mean_si:
            raise ValueError("mean_si must lie in [min_mean_si, max_mean_si]")
        if self.min_std_si <= 0:
            raise ValueError("min_std_si must be > 0")
        if not self.min_std_si <= self.std_si <= self.max_std_si:
            raise ValueError("std_si must lie in [min_std_si, max_std_si]")


@dataclass(frozen=True, slots=True)
class RtEstimate:
    """Posterior summaries of R per window.

    ``t_start``/``t_end`` are 1-based days (EpiEstim's convention) of the kept windows.
    ``mean``, ``std`` have shape ``lead + (n_windows,)`` where ``lead`` is ``()`` for one
    series and ``(n_regions,)`` for a 2-D input; ``quantiles`` adds a last axis in the
    order of :data:`QUANTILES`. ``shape``/``scale`` are the gamma posterior parameters
    (``None`` for ``uncertain_si``, whose posterior is a mixture). ``si_distr`` is the SI
    distribution used (one row per draw for ``uncertain_si``), ``si_mean``/``si_std``
    its moments (one per draw for ``uncertain_si``). ``warnings`` are EpiEstim's
    warnings, worded for people.
    """

    method: str
    t_start: IntArray
    t_end: IntArray
    mean: FloatArray
    std: FloatArray
    quantiles: FloatArray
    shape: FloatArray | None
    scale: FloatArray | None
    si_distr: FloatArray
    si_mean: FloatArray
    si_std: FloatArray
    mean_prior: float
    std_prior: float
    warnings: tuple[str, ...] = field(default=())

    @property
    def cv(self) -> FloatArray:
        """Posterior coefficient of variation (sd / mean) per window."""
        out: FloatArray = self.std / self.mean
        return out

    def quantile(self, q: float) -> FloatArray:
        """The posterior ``q`` quantile per window (``q`` one of :data:`QUANTILES`)."""
        try:
            i = QUANTILES.index(q)
        except ValueError:
            raise ValueError(f"quantile {q} not computed; available: {QUANTILES}") from None
        out: FloatArray = self.quantiles[..., i]
        return out


def split_incidence(
    local: ArrayLike, imported: ArrayLike | None = None
) -> tuple[FloatArray, FloatArray, list[str]]:
    """Local and imported incidence under EpiEstim's rule for the first day.

    Without ``imported`` the series is a plain incidence: day 1's cases become imported,
    every later case local. With ``imported``, local cases on day 1 are moved to the
    imported cases with a warning (EpiEstim's ``process_I``). Counts must be finite and
    non-negative; the time axis is the last one.
    """
    loc = np.array(local, dtype=np.float64, copy=True)
    if loc.ndim not in (1, 2) or loc.shape[-1] < 2:
        raise ValueError("incidence must be a series of at least 2 days (or regions x days)")
    if not np.all(np.isfinite(loc)):
        raise ValueError("incidence must not contain missing or infinite values")
    if np.any(loc < 0):
        raise ValueError("incidence must contain only non-negative counts")
    notes: list[str] = []
    if imported is None:
        imp = np.zeros_like(loc)
        imp[..., 0] = loc[..., 0]
        loc[..., 0] = 0.0
        return loc, imp, notes
    imp = np.array(imported, dtype=np.float64, copy=True)
    if imp.shape != loc.shape:
        raise ValueError(f"imported incidence has shape {imp.shape}, local has {loc.shape}")
    if not np.all(np.isfinite(imp)):
        raise ValueError("imported incidence must not contain missing or infinite values")
    if np.any(imp < 0):
        raise ValueError("imported incidence must contain only non-negative counts")
    moved = loc[..., 0] > 0
    if np.any(moved):
        n = int(np.count_nonzero(moved))
        notes.append(
            f"local cases on day 1 were counted as imported ({n} series): all cases of the "
            "first day are assumed imported (EpiEstim's rule)"
        )
        imp[..., 0] += loc[..., 0]
        loc[..., 0] = 0.0
    return loc, imp, notes


def overall_infectivity(total: ArrayLike, si_distr: ArrayLike) -> FloatArray:
    """Λ_t = Σ_{s≥1} w_s · total_{t-s} along the last axis (Cori et al. 2013, eq. 1).

    ``total`` is local + imported incidence; ``w_0`` (zero by construction) is included
    like EpiEstim's ``overall_infectivity``. EpiEstim leaves Λ on day 1 undefined; it is
    0 here, and no window may start on day 1. One series is convolved directly; many
    series by FFT (``scipy.signal.fftconvolve``) when the SI is long, the result clipped
    at 0 to remove rounding noise.
    """
    x = np.asarray(total, dtype=np.float64)
    w = np.asarray(si_distr, dtype=np.float64)
    n = x.shape[-1]
    w = w[:n]
    nz = np.flatnonzero(w)
    w = w[: (int(nz[-1]) + 1 if nz.size else 1)]
    if x.ndim == 1:
        direct: FloatArray = np.convolve(x, w)[:n]
        direct[0] = 0.0
        return direct
    if w.size <= _DIRECT_KERNEL:
        lam: FloatArray = np.zeros_like(x)
        for s in range(1, w.size):
            if w[s] != 0.0:
                lam[..., s:] += w[s] * x[..., : n - s]
        return lam
    conv: FloatArray = signal.fftconvolve(x, w.reshape((1,) * (x.ndim - 1) + (-1,)), axes=-1)
    out: FloatArray = np.maximum(conv[..., :n], 0.0)
    out[..., 0] = 0.0
    return out


def sliding_windows(n_days: int, window: int = 7) -> tuple[IntArray, IntArray]:
    """EpiEstim's default windows: ``t_start = 2 … T-window+1``, ``t_end = t_start+window-1``
    (1-based days; weekly by default)."""
    if window < 1:
        raise ValueError(f"window must be at least 1 day (got {window})")
    if n_days - window + 1 < 2:
        raise ValueError(
            f"a {window}-day window needs at least {window + 1} days of incidence "
            f"(got {n_days}): day 1 is only a source of infection"
        )
    t_start = np.arange(2, n_days - window + 2, dtype=np.int64)
    return t_start, t_start + (window - 1)


def check_windows(t_start: ArrayLike, t_end: ArrayLike, n_days: int) -> tuple[IntArray, IntArray]:
    """Validate explicit windows as EpiEstim's ``check_times`` does (1-based, whole days,
    ``2 ≤ t_start ≤ t_end ≤ T``)."""
    ts = np.atleast_1d(np.asarray(t_start, dtype=np.float64))
    te = np.atleast_1d(np.asarray(t_end, dtype=np.float64))
    if ts.ndim != 1 or te.ndim != 1 or ts.size != te.size or ts.size == 0:
        raise ValueError("t_start and t_end must be non-empty vectors of the same length")
    if np.any(ts != np.floor(ts)) or np.any(te != np.floor(te)):
        raise ValueError("t_start and t_end must be whole days")
    if np.any(ts > te):
        i = int(np.flatnonzero(ts > te)[0])
        raise ValueError(f"window {i + 1}: t_start {int(ts[i])} is after t_end {int(te[i])}")
    for name, v in (("t_start", ts), ("t_end", te)):
        bad = (v < 2) | (v > n_days)
        if np.any(bad):
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"{name} {int(v[i])} (window {i + 1}) is outside 2..{n_days}: windows are "
                "1-based days and day 1 cannot be estimated"
            )
    return ts.astype(np.int64), te.astype(np.int64)


def window_dates(
    dates: Sequence[date], t_start: IntArray, t_end: IntArray
) -> tuple[list[date], list[date]]:
    """The first and last date of each window, for a series whose day 1 is ``dates[0]``."""
    return [dates[int(t) - 1] for t in t_start], [dates[int(t) - 1] for t in t_end]


def _window_sums(x: FloatArray, t_start: IntArray, t_end: IntArray) -> FloatArray:
    """Σ x over each 1-based window, by differences of cumulative sums."""
    cs = np.zeros((*x.shape[:-1], x.shape[-1] + 1), dtype=np.float64)
    np.cumsum(x, axis=-1, out=cs[..., 1:])
    out: FloatArray = cs[..., t_end] - cs[..., t_start - 1]
    return out


def gamma_posterior_summary(
    shape: FloatArray, scale: FloatArray, a_prior: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Mean, sd and :data:`QUANTILES` of gamma(shape, scale) distributions.

    Quantiles are ``scipy.stats.gamma.ppf`` (regularised incomplete gamma inversion, as
    R's ``qgamma``) of the standard gamma times the scale. Shapes are ``a_prior`` plus
    case counts, which repeat; each distinct shape is inverted once.
    """
    mean: FloatArray = shape * scale
    std: FloatArray = np.sqrt(shape) * scale
    flat = shape.ravel()
    qs = np.asarray(QUANTILES, dtype=np.float64)
    n = np.rint(flat - a_prior)
    if flat.size and np.all(n >= 0) and float(n.max()) < 5e6 and np.all(a_prior + n == flat):
        idx = n.astype(np.int64)
        present = np.zeros(int(idx.max()) + 1, dtype=bool)
        present[idx] = True
        values = np.flatnonzero(present)
        table = np.zeros((present.size, qs.size), dtype=np.float64)
        table[values] = stats.gamma.ppf(qs[None, :], (a_prior + values)[:, None])
        std_q = table[idx]
    else:
        uniq, inverse = np.unique(flat, return_inverse=True)
        std_q = stats.gamma.ppf(qs[None, :], uniq[:, None])[inverse.ravel()]
    quant: FloatArray = std_q.reshape((*shape.shape, qs.size)) * scale[..., None]
    return mean, std, quant


def _prior(mean_prior: float, std_prior: float) -> tuple[float, float]:
    if not (mean_prior > 0 and std_prior > 0):
        raise ValueError("the prior mean and sd of R must be > 0")
    return (mean_prior / std_prior) ** 2, std_prior**2 / mean_prior


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _cv_warnings(
    first_window_cases: FloatArray, a_prior: float, cv: FloatArray, cv_posterior: float
) -> list[str]:
    notes: list[str] = []
    needed = math.ceil(1.0 / cv_posterior**2 - a_prior)
    short = np.asarray(first_window_cases < needed)
    if np.any(short):
        where = "" if short.ndim == 0 else f" ({int(np.count_nonzero(short))} series)"
        notes.append(
            f"estimating R too early in the epidemic to get the desired posterior CV "
            f"{cv_posterior}{where}: the first window has fewer than {needed} cases "
            "(EpiEstim's cv_posterior check)"
        )
    high = cv > cv_posterior
    if np.any(high):
        notes.append(
            f"posterior coefficient of variation above {cv_posterior} in "
            f"{int(np.count_nonzero(high))} of {high.size} window estimates: too few cases "
            "for a precise estimate there"
        )
    return notes


def _drop_note(dropped: IntArray, si_mean: float) -> list[str]:
    if dropped.size == 0:
        return []
    return [
        f"{_plural(int(dropped.size), 'window')} ending on or before day {si_mean:.4g} "
        f"(the mean serial interval) dropped (t_end {', '.join(map(str, dropped[:10]))}"
        f"{' …' if dropped.size > 10 else ''}): EpiEstim's rule"
    ]


def estimate_r(
    local: ArrayLike,
    imported: ArrayLike | None = None,
    *,
    method: str = "parametric_si",
    si_distr: ArrayLike | None = None,
    mean_si: float | None = None,
    std_si: float | None = None,
    uncertain: UncertainSI | None = None,
    t_start: ArrayLike | None = None,
    t_end: ArrayLike | None = None,
    window: int = 7,
    mean_prior: float = 5.0,
    std_prior: float = 5.0,
    cv_posterior: float = 0.3,
    rng: np.random.Generator | None = None,
) -> RtEstimate:
    """Cori et al. (2013) R_t per window, exactly as EpiEstim's ``estimate_R``.

    ``local`` is a daily incidence series (or a regions x days array); ``imported`` the
    imported cases, if known (otherwise day 1's cases are taken as imported). ``method``
    selects the SI: ``non_parametric_si`` needs ``si_distr``; ``parametric_si`` needs
    ``mean_si`` and ``std_si`` (days); ``uncertain_si`` needs ``uncertain`` and ``rng``.
    Windows: explicit ``t_start``/``t_end`` (1-based) or sliding ``window``-day windows.
    Raises ``ValueError`` on invalid input, naming what is wrong.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; one of {', '.join(METHODS)}")
    if not cv_posterior > 0:
        raise ValueError("cv_posterior must be > 0")
    loc, imp, notes = split_incidence(local, imported)
    n_days = loc.shape[-1]
    if t_start is None and t_end is None:
        ts, te = sliding_windows(n_days, window)
    elif t_start is None or t_end is None:
        raise ValueError("give both t_start and t_end, or neither")
    else:
        ts, te = check_windows(t_start, t_end, n_days)
    a_prior, b_prior = _prior(mean_prior, std_prior)
    total = loc + imp
    first_window_cases = _window_sums(total, ts[:1], te[:1])[..., 0]
    local_sums = _window_sums(loc, ts, te)

    if method == "uncertain_si":
        if uncertain is None:
            raise ValueError("method uncertain_si needs the SI mean/sd distributions")
        if rng is None:
            raise ValueError("method uncertain_si draws random numbers: give an rng")
        return _uncertain(
            loc, total, ts, te, local_sums, uncertain, a_prior, b_prior, mean_prior,
            std_prior, cv_posterior, first_window_cases, notes, rng,
        )  # fmt: skip

    if method == "parametric_si":
        if mean_si is None or std_si is None:
            raise ValueError("method parametric_si needs mean_si and std_si")
        w = discr_si(np.arange(n_days), mean_si, std_si)
    else:
        if si_distr is None:
            raise ValueError("method non_parametric_si needs si_distr")
        w = check_si_distr(si_distr)
    if w.size < n_days + 1:
        w = np.concatenate([w, np.zeros(n_days + 1 - w.size)])
    si_mean, si_std = si_moments(w)
    lam_sums = _window_sums(overall_infectivity(total, w), ts, te)
    keep = te > si_mean
    notes += _drop_note(te[~keep], si_mean)
    if not np.any(keep):
        raise ValueError(
            f"every window ends on or before day {si_mean:.4g}, the mean serial interval: "
            "there is nothing to estimate (give more days or later windows)"
        )
    shape = a_prior + local_sums[..., keep]
    scale = 1.0 / (1.0 / b_prior + lam_sums[..., keep])
    mean, std, quant = gamma_posterior_summary(shape, scale, a_prior)
    notes += _cv_warnings(first_window_cases, a_prior, 1.0 / np.sqrt(shape), cv_posterior)
    return RtEstimate(
        method=method,
        t_start=ts[keep],
        t_end=te[keep],
        mean=mean,
        std=std,
        quantiles=quant,
        shape=shape,
        scale=scale,
        si_distr=w,
        si_mean=np.array([si_mean]),
        si_std=np.array([si_std]),
        mean_prior=mean_prior,
        std_prior=std_prior,
        warnings=tuple(notes),
    )


def _uncertain(
    loc: FloatArray,
    total: FloatArray,
    ts: IntArray,
    te: IntArray,
    local_sums: FloatArray,
    u: UncertainSI,
    a_prior: float,
    b_prior: float,
    mean_prior: float,
    std_prior: float,
    cv_posterior: float,
    first_window_cases: FloatArray,
    notes: list[str],
    rng: np.random.Generator,
) -> RtEstimate:
    """EpiEstim's ``uncertain_si``: R sampled over SI distributions with uncertain
    mean and sd (Cori et al. 2013, Web Appendix 3)."""
    u.check()
    n_days = loc.shape[-1]
    means = np.empty(u.n1)
    sds = np.empty(u.n1)
    # EpiEstim draws the mean then the sd for each of the n1 distributions.
    for k in range(u.n1):
        means[k] = sample_truncated_normal(rng, u.mean_si, u.std_mean_si, u.min_mean_si,
                                           u.max_mean_si, 1)[0]  # fmt: skip
        sds[k] = sample_truncated_normal(rng, u.std_si, u.std_std_si, u.min_std_si,
                                         u.max_std_si, 1)[0]  # fmt: skip
    if np.any(means <= 1):
        raise ValueError("a sampled SI mean is <= 1 day: raise min_mean_si above 1")
    days = np.arange(n_days)
    distrs = np.zeros((u.n1, n_days + 1))
    lead = loc.shape[:-1]
    n_win = ts.size
    shape = a_prior + local_sums
    # Posterior scale per SI draw; NaN where EpiEstim leaves the window out for that
    # draw (t_end not beyond the draw's discrete or sampled mean SI).
    scales = np.full((u.n1, *lead, n_win), np.nan)
    for k in range(u.n1):
        w = discr_si(days, float(means[k]), float(sds[k]))
        distrs[k, :n_days] = w
        valid = (te > si_moments(w)[0]) & (te > means[k])
        if np.any(valid):
            lam_sums = _window_sums(overall_infectivity(total, w), ts, te)
            scales[k][..., valid] = 1.0 / (1.0 / b_prior + lam_sums[..., valid])
    keep_mask = np.any(~np.isnan(scales.reshape(u.n1, -1, n_win)), axis=(0, 1))
    notes += _drop_note(te[~keep_mask], float(np.mean(means)))
    if not np.any(keep_mask):
        raise ValueError("every window ends on or before the sampled mean serial intervals")
    shape = shape[..., keep_mask]
    scales = scales[..., keep_mask]
    n_kept = int(np.count_nonzero(keep_mask))
    # Draw R in chunks of series so that the n1 x n2 samples fit in memory.
    sh2 = shape.reshape(-1, n_kept)
    sc2 = scales.reshape(u.n1, -1, n_kept)
    n_series = sh2.shape[0]
    step = max(1, _SAMPLE_BUDGET // (u.n1 * u.n2 * n_kept))
    mean2 = np.empty((n_series, n_kept))
    std2 = np.empty((n_series, n_kept))
    quant2 = np.empty((n_series, n_kept, len(QUANTILES)))
    for lo in range(0, n_series, step):
        hi = min(lo + step, n_series)
        sc = sc2[:, lo:hi]
        ok = ~np.isnan(sc)
        draws = rng.gamma(sh2[None, None, lo:hi], np.where(ok, sc, 1.0)[:, None],
                          size=(u.n1, u.n2, hi - lo, n_kept))  # fmt: skip
        draws[~np.broadcast_to(ok[:, None], draws.shape)] = np.nan
        flat = draws.reshape(u.n1 * u.n2, hi - lo, n_kept)
        mean2[lo:hi] = np.nanmean(flat, axis=0)
        std2[lo:hi] = np.nanstd(flat, axis=0, ddof=1)
        quant2[lo:hi] = np.moveaxis(np.nanquantile(flat, QUANTILES, axis=0), 0, -1)
    mean = mean2.reshape(*lead, n_kept)
    std = std2.reshape(*lead, n_kept)
    quant = quant2.reshape(*lead, n_kept, len(QUANTILES))
    notes += _cv_warnings(first_window_cases, a_prior, std / mean, cv_posterior)
    return RtEstimate(
        method="uncertain_si",
        t_start=ts[keep_mask],
        t_end=te[keep_mask],
        mean=mean,
        std=std,
        quantiles=quant,
        shape=None,
        scale=None,
        si_distr=distrs,
        si_mean=means,
        si_std=sds,
        mean_prior=mean_prior,
        std_prior=std_prior,
        warnings=tuple(notes),
    )
