"""Delay likelihoods and fits (core.epi.delays): the censored probabilities against
numerical integration, recovery of known parameters, AIC choice, bootstrap, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

from fangkong.core.epi import delays as dl

CASES = [
    ("gamma", np.log([2.5, 2.0]), stats.gamma(2.5, scale=2.0)),
    ("lognormal", np.array([1.5, math.log(0.5)]), stats.lognorm(0.5, scale=math.exp(1.5))),
    ("weibull", np.log([1.8, 6.0]), stats.weibull_min(1.8, scale=6.0)),
    ("normal", np.array([4.0, math.log(3.0)]), stats.norm(4.0, 3.0)),
]


@pytest.mark.parametrize(("family", "theta", "dist"), CASES)
def test_double_censoring_is_the_triangular_kernel(family, theta, dist) -> None:
    lo = np.array([0.0, 3.0, 10.0, 25.0, 2.0])
    hi = np.array([0.0, 3.0, 10.0, 25.0, 6.0])
    got = dl.window_probabilities(family, theta, lo, hi)
    for g, a, b in zip(got, lo, hi, strict=True):
        ref = 0.0
        for d in range(int(a), int(b) + 1):
            ref += integrate.quad(lambda x, d=d: (1 - abs(x - d)) * dist.pdf(x), d - 1, d + 1)[0]
        assert g == pytest.approx(ref / (b - a + 1), abs=1e-10)


@pytest.mark.parametrize(("family", "theta", "dist"), CASES)
def test_single_and_interval_censoring(family, theta, dist) -> None:
    lo, hi = np.array([0.0, 4.0, 12.0]), np.array([0.0, 7.0, 12.0])
    single = dl.window_probabilities(family, theta, lo, hi, "single")
    ref = [(dist.cdf(b + 1) - dist.cdf(a)) / (b - a + 1) for a, b in zip(lo, hi, strict=True)]
    assert single == pytest.approx(ref, abs=1e-12)
    lo2, hi2 = np.array([1.0, 3.0, 2.5]), np.array([4.0, np.inf, 2.5])
    interval = dl.window_probabilities(family, theta, lo2, hi2, "interval")
    assert interval[0] == pytest.approx(dist.cdf(4) - dist.cdf(1), abs=1e-12)
    assert interval[1] == pytest.approx(dist.sf(3), abs=1e-12)
    assert interval[2] == pytest.approx(dist.pdf(2.5), rel=1e-6)  # exact: the density


def test_recovers_gamma_parameters_from_simulated_day_counts() -> None:
    rng = np.random.default_rng(7)
    onset_in = rng.uniform(0, 1, 4000)  # infector onset within its day
    true = rng.gamma(3.0, 1.5, 4000)
    days = np.floor(onset_in + true).astype(int)  # doubly interval-censored
    fits = dl.fit_all(dl.DelayData.from_days(days.tolist()))
    best = fits[0]
    assert best.family == "gamma"
    assert best.parameters["shape"] == pytest.approx(3.0, rel=0.06)
    assert best.mean == pytest.approx(4.5, rel=0.03)


def test_bootstrap_is_seeded_and_covers_the_estimate() -> None:
    data = dl.DelayData.from_days([1, 2, 2, 3, 3, 3, 4, 4, 5, 6, 7, 9, 12])
    a = dl.fit_delay(data, "gamma", bootstrap=50, rng=np.random.default_rng(3))
    b = dl.fit_delay(data, "gamma", bootstrap=50, rng=np.random.default_rng(3))
    assert a.ci == b.ci
    lo, hi = a.ci["mean"]
    assert lo < a.mean < hi
    assert set(a.ci) >= {"mean", "sd", "median", "shape", "scale"}
    with pytest.raises(ValueError, match="Generator"):
        dl.fit_delay(data, "gamma", bootstrap=5)


def test_negative_serial_intervals() -> None:
    data = dl.DelayData.from_days([-3, -1, 0, 1, 2, 3, 3, 4, 5, 6, 8, 10])
    with pytest.raises(ValueError, match="negative"):
        dl.fit_delay(data, "gamma")
    assert dl.candidate_families(data) == (
        "normal",
        "shifted_gamma",
        "shifted_lognormal",
        "shifted_weibull",
    )
    normal = dl.fit_delay(data, "normal")
    x = np.array([-3, -1, 0, 1, 2, 3, 3, 4, 5, 6, 8, 10], float)
    assert normal.mean == pytest.approx(x.mean(), abs=0.05)
    shifted = dl.fit_delay(data, "shifted_gamma")
    assert shifted.parameters["shift"] > 2.0  # support reaches below the smallest delay
    assert shifted.parameters["shift"] <= dl.MAX_SHIFT


def test_too_few_and_bad_windows() -> None:
    with pytest.raises(dl.TooFewObservations):
        dl.fit_delay(dl.DelayData.from_days([1, 2, 3]), "gamma")
    with pytest.raises(ValueError, match="lo > hi"):
        dl.DelayData.from_windows([(3, 1)])
    with pytest.raises(ValueError, match="interval censoring"):
        dl.fit_delay(dl.DelayData.from_windows([(1, math.inf)] * 6), "gamma")
