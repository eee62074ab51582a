"""Scores of forecasts given as prediction quantiles: interval coverage and the weighted
interval score (WIS).

Method: Bracher J, Ray EL, Gneiting T, Reich NG. Evaluating epidemic forecasts in an
interval format. PLoS Comput Biol 2021;17(2):e1008618, doi:10.1371/journal.pcbi.1008618.

* The interval score of a central ``(1 - α)`` prediction interval ``[l, u]`` for the
  observation ``y`` (Gneiting & Raftery 2007; Bracher et al. eq. 1) is
  ``IS_α = (u - l) + (2/α)(l - y)·1(y < l) + (2/α)(y - u)·1(y > u)``.
* The weighted interval score of the median ``m`` and ``K`` central intervals
  (Bracher et al. eq. 2) is
  ``WIS = 1/(K + 1/2) · (w_0·|y - m| + Σ_k w_k·IS_{α_k})`` with ``w_0 = 1/2`` and
  ``w_k = α_k / 2``. It is a proper score, in the units of ``y``, and approximates the
  continuous ranked probability score as ``K`` grows. Lower is better.
* It splits into *dispersion* (the interval widths) plus *underprediction* and
  *overprediction* (the penalties for ``y`` above or below the intervals and the
  median), as Bracher et al. (section 2.2) report it.

Quantile levels are given as a vector; each central interval is the pair of levels
``(α/2, 1 - α/2)`` and the median is level 0.5, which must be present. All functions
are vectorised: ``y`` has any shape ``S`` and the quantile values shape ``S + (Q,)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]

#: The quantile levels of the forecasts in this package: 0.025, 0.05, 0.1 … 0.95, 0.975
#: (21 levels: the median and K = 10 central intervals; the COVID-19 Forecast Hubs
#: add 0.01 and 0.99).
FORECAST_LEVELS: tuple[float, ...] = (
    0.025,
    *(round(0.05 * i, 2) for i in range(1, 20)),
    0.975,
)
_TOL = 1e-9


@dataclass(frozen=True, slots=True)
class WIS:
    """The weighted interval score and its three parts (``wis = dispersion +
    underprediction + overprediction``), each of the shape of ``y``."""

    wis: FloatArray
    dispersion: FloatArray
    underprediction: FloatArray
    overprediction: FloatArray


def central_intervals(levels: ArrayLike) -> tuple[FloatArray, list[tuple[int, int]], int]:
    """The ``α`` of every central interval that the quantile ``levels`` hold, with the
    indexes of its lower and upper quantile, and the index of the median.

    Raises ``ValueError`` if the levels are not in (0, 1), not increasing, have no 0.5,
    or a level below 0.5 has no symmetric partner.
    """
    lv = np.asarray(levels, dtype=np.float64)
    if lv.ndim != 1 or lv.size == 0:
        raise ValueError("quantile levels must be a non-empty vector")
    if np.any((lv <= 0) | (lv >= 1)) or np.any(np.diff(lv) <= 0):
        raise ValueError("quantile levels must be increasing and inside (0, 1)")
    med = np.flatnonzero(np.abs(lv - 0.5) < _TOL)
    if med.size != 1:
        raise ValueError("the quantile levels must include the median (0.5)")
    alphas: list[float] = []
    pairs: list[tuple[int, int]] = []
    for i, q in enumerate(lv):
        if q >= 0.5 - _TOL:
            break
        j = np.flatnonzero(np.abs(lv - (1.0 - q)) < _TOL)
        if j.size != 1:
            raise ValueError(f"quantile level {q:g} has no symmetric partner {1 - q:g}")
        alphas.append(2.0 * float(q))
        pairs.append((i, int(j[0])))
    if sum(1 for q in lv if q > 0.5 + _TOL) != len(pairs):
        raise ValueError("every quantile level above 0.5 needs a symmetric partner below")
    return np.asarray(alphas, dtype=np.float64), pairs, int(med[0])


def interval_score(y: ArrayLike, lower: ArrayLike, upper: ArrayLike, alpha: float) -> FloatArray:
    """``IS_α`` of the central ``(1 - α)`` interval ``[lower, upper]`` (Bracher et al.
    2021, eq. 1)."""
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    yy = np.asarray(y, dtype=np.float64)
    lo = np.asarray(lower, dtype=np.float64)
    hi = np.asarray(upper, dtype=np.float64)
    out: FloatArray = (
        (hi - lo)
        + (2.0 / alpha) * np.maximum(lo - yy, 0.0)
        + (2.0 / alpha) * np.maximum(yy - hi, 0.0)
    )
    return out


def weighted_interval_score(y: ArrayLike, levels: ArrayLike, values: ArrayLike) -> WIS:
    """WIS of quantile forecasts ``values`` (shape ``y.shape + (Q,)``, quantiles at
    ``levels``) for the observations ``y`` (Bracher et al. 2021, eq. 2; weights
    ``w_0 = 1/2``, ``w_k = α_k/2``), with its decomposition."""
    alphas, pairs, med = central_intervals(levels)
    yy = np.asarray(y, dtype=np.float64)
    qv = np.asarray(values, dtype=np.float64)
    if qv.shape != (*yy.shape, len(np.asarray(levels))):
        raise ValueError(f"quantile values have shape {qv.shape}, expected {yy.shape} + (Q,)")
    if not (np.all(np.isfinite(yy)) and np.all(np.isfinite(qv))):
        raise ValueError("observations and quantiles must be finite")
    m = qv[..., med]
    disp = np.zeros_like(yy)
    under = 0.5 * np.maximum(yy - m, 0.0)
    over = 0.5 * np.maximum(m - yy, 0.0)
    for a, (i, j) in zip(alphas, pairs, strict=True):
        lo, hi = qv[..., i], qv[..., j]
        w = a / 2.0
        disp = disp + w * (hi - lo)
        under = under + w * (2.0 / a) * np.maximum(yy - hi, 0.0)
        over = over + w * (2.0 / a) * np.maximum(lo - yy, 0.0)
    k = len(pairs) + 0.5
    disp, under, over = disp / k, under / k, over / k
    return WIS(disp + under + over, disp, under, over)


def coverage(y: ArrayLike, levels: ArrayLike, values: ArrayLike, interval: float) -> FloatArray:
    """Whether ``y`` lies inside the central ``interval`` (e.g. 0.5 or 0.9) prediction
    interval, bounds included: 1.0 or 0.0 per observation (average it for the empirical
    coverage, which a calibrated forecast brings close to ``interval``)."""
    lv = np.asarray(levels, dtype=np.float64)
    lo_level = (1.0 - interval) / 2.0
    i = np.flatnonzero(np.abs(lv - lo_level) < _TOL)
    j = np.flatnonzero(np.abs(lv - (1.0 - lo_level)) < _TOL)
    if i.size != 1 or j.size != 1:
        raise ValueError(
            f"the {interval:g} interval needs quantile levels {lo_level:g} and {1 - lo_level:g}"
        )
    yy = np.asarray(y, dtype=np.float64)
    qv = np.asarray(values, dtype=np.float64)
    inside = (yy >= qv[..., int(i[0])]) & (yy <= qv[..., int(j[0])])
    return inside.astype(np.float64)
