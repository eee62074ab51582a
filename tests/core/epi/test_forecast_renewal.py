"""Renewal-equation forecasts (core.epi.forecast): the EpiNow2 deterministic renewal
check, seeded determinism, the R paths and the baseline."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from fangkong.core.epi import forecast as fc
from fangkong.core.epi.scoring import FORECAST_LEVELS
from fangkong.core.epi.serial_interval import discr_si

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "forecast"


def test_epinow2_deterministic_renewal_check_holds_exactly() -> None:
    with (FIX / "renewal_epinow2.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    r_path = [float(r["R"]) for r in rows[1:]]
    expected = [float(r["expected"]) for r in rows[1:]]
    out = fc.renewal_expected([100.0], r_path, [0.0, 1.0])
    np.testing.assert_allclose(out, expected, rtol=1e-14, atol=0)
    assert out[6] == pytest.approx(358.318, abs=5e-4)
    assert out[7] == pytest.approx(286.654, abs=5e-4)


def test_renewal_uses_the_whole_serial_interval_and_sample_rows() -> None:
    w = np.array([0.0, 0.5, 0.3, 0.2])
    hist = np.array([10.0, 20.0, 40.0])
    out = fc.renewal_expected(hist, np.array([[2.0, 1.0], [1.0, 1.0]]), w)
    first = 0.5 * 40 + 0.3 * 20 + 0.2 * 10
    assert out[0, 0] == pytest.approx(2 * first)
    assert out[0, 1] == pytest.approx(0.5 * 2 * first + 0.3 * 40 + 0.2 * 20)
    assert out[1, 0] == pytest.approx(first)


def naive_renewal(hist: np.ndarray, r: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The renewal equation day by day, one path at a time, straight from its definition."""
    out = np.zeros_like(r)
    for p in range(r.shape[0]):
        series = list(hist)
        for h in range(r.shape[1]):
            t = len(series)
            total = sum(w[s] * series[t - s] for s in range(1, min(len(w), t + 1)))
            series.append(r[p, h] * total)
            out[p, h] = series[-1]
    return out


@pytest.mark.parametrize("days, horizon, si_days", [(1, 14, 3), (30, 7, 60), (120, 21, 200)])
def test_renewal_equals_the_definition(days: int, horizon: int, si_days: int) -> None:
    rng = np.random.default_rng(days)
    hist = rng.poisson(40, size=days).astype(float)
    r = rng.gamma(4.0, 0.3, size=(5, horizon))
    w = discr_si(np.arange(si_days), 4.7, 2.9)
    np.testing.assert_allclose(fc.renewal_expected(hist, r, w), naive_renewal(hist, r, w), 1e-12)


def test_r_paths_damp_towards_one_and_are_fixed_without_noise() -> None:
    rng = np.random.default_rng(3)
    fixed = fc.r_paths([1.5], 5, rng, damping=1.0, rw_sd=0.0)
    np.testing.assert_allclose(fixed, 1.5)
    damped = fc.r_paths([2.0], 3, rng, damping=0.5, rw_sd=0.0)
    np.testing.assert_allclose(np.log(damped[0]), np.log(2.0) * np.array([0.5, 0.25, 0.125]))
    with pytest.raises(ValueError, match="damping"):
        fc.r_paths([1.0], 3, rng, damping=1.5, rw_sd=0.0)


def _series() -> np.ndarray:
    rng = np.random.default_rng(11)
    return rng.poisson(30 * np.exp(0.04 * np.arange(60))).astype(float)


def test_forecast_is_seeded_and_quantiles_are_ordered() -> None:
    y = _series()
    w = discr_si(np.arange(100), 4.7, 2.9)
    a = fc.forecast_renewal(y, w, 14, np.random.default_rng(7), damping=0.9, rw_sd=0.05)
    b = fc.forecast_renewal(y, w, 14, np.random.default_rng(7), damping=0.9, rw_sd=0.05)
    c = fc.forecast_renewal(y, w, 14, np.random.default_rng(8), damping=0.9, rw_sd=0.05)
    np.testing.assert_array_equal(a.quantiles, b.quantiles)
    assert not np.array_equal(a.quantiles, c.quantiles)
    assert a.quantiles.shape == (14, len(FORECAST_LEVELS))
    assert np.all(np.diff(a.quantiles, axis=1) >= 0)
    # intervals widen with the horizon
    width = a.quantiles[:, -1] - a.quantiles[:, 0]
    assert width[-1] > width[0]


def test_forecast_of_steady_poisson_series_is_centred_and_calibrated() -> None:
    rng = np.random.default_rng(5)
    w = discr_si(np.arange(200), 4.7, 2.9)
    hits90 = []
    for _ in range(20):
        y = rng.poisson(200.0, size=120).astype(float)
        truth = rng.poisson(200.0, size=7)
        f = fc.forecast_renewal(y, w, 7, rng, window=14, damping=1.0, rw_sd=0.0)
        assert f.dispersion == float("inf") or f.dispersion > 50
        med = f.quantiles[:, FORECAST_LEVELS.index(0.5)]
        assert np.all(np.abs(med - 200) < 25)
        lo, hi = f.quantiles[:, 1], f.quantiles[:, -2]
        hits90.append(np.mean((truth >= lo) & (truth <= hi)))
    assert 0.8 <= float(np.mean(hits90)) <= 1.0


def test_dispersion_detects_overdispersion() -> None:
    rng = np.random.default_rng(9)
    w = discr_si(np.arange(200), 4.7, 2.9)
    y = rng.negative_binomial(5, 5 / (5 + 300.0), size=120).astype(float)
    k = fc.estimate_dispersion(y, w, window=14, days=100)
    assert 2 < k < 15


def test_forecast_rejects_short_series() -> None:
    with pytest.raises(ValueError, match="at least 8 days"):
        fc.forecast_renewal([1, 2, 3], [0, 1], 7, np.random.default_rng(1))


def test_baseline_carries_the_weekly_level_forward() -> None:
    y = np.array([10.0] * 30 + [0, 20] * 14)
    q = fc.baseline_forecast(y, 7)
    med = q[:, FORECAST_LEVELS.index(0.5)]
    np.testing.assert_allclose(med, np.mean(y[-7:]))
    assert np.all(q[:, 0] >= 0)
    assert np.all(np.diff(q, axis=1) >= 0)
    flat = fc.baseline_forecast(np.full(40, 5.0), 3)
    np.testing.assert_allclose(flat, 5.0)
