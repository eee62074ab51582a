"""Growth rate by Poisson / negative-binomial log-linear regression, doubling time, and
R = 1/M(-r) (Wallinga & Lipsitch 2007) against closed forms and published values."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from fangkong.core.epi import growth as gr

PUB = json.loads((Path(__file__).parents[2] / "fixtures" / "delays" / "published.json").read_text())


def test_exact_exponential_is_recovered() -> None:
    t = np.arange(15)
    y = [round(20 * math.exp(0.2 * i)) for i in t]
    fit = gr.fit_growth(t, y)
    assert fit.r == pytest.approx(0.2, abs=2e-3)
    assert fit.doubling_time == pytest.approx(math.log(2) / 0.2, rel=0.01)
    assert fit.halving_time is None


def test_poisson_standard_error_is_the_fisher_information() -> None:
    """For the Poisson log-linear model the information is Σ μ_t [1, t; t, t²]."""
    t = np.arange(10.0)
    y = np.array([3, 5, 4, 8, 9, 14, 13, 22, 25, 31])
    fit = gr.fit_growth(t, y)
    mu = np.exp(fit.intercept + fit.r * t)
    info = np.array([[mu.sum(), (mu * t).sum()], [(mu * t).sum(), (mu * t * t).sum()]])
    assert fit.r_se == pytest.approx(math.sqrt(np.linalg.inv(info)[1, 1]), rel=1e-8)
    # score equations of the MLE: Σ (y - μ) = 0 and Σ t (y - μ) = 0
    assert float(np.sum(y - mu)) == pytest.approx(0.0, abs=1e-6)
    assert float(np.sum(t * (y - mu))) == pytest.approx(0.0, abs=1e-5)


def test_negbin_widens_for_overdispersed_counts_and_detects_decline() -> None:
    rng = np.random.default_rng(5)
    t = np.arange(40)
    mean = 200 * np.exp(-0.05 * t)
    y = rng.negative_binomial(4, 4 / (4 + mean))
    pois, nb = gr.fit_growth(t, y), gr.fit_growth(t, y, "negbin")
    assert nb.r_se > 2 * pois.r_se
    assert nb.dispersion_k == pytest.approx(4, rel=0.6)
    assert nb.r_ci[0] < -0.05 < nb.r_ci[1]
    assert nb.doubling_time is None and nb.halving_time == pytest.approx(math.log(2) / -nb.r)


def test_growth_errors() -> None:
    with pytest.raises(gr.GrowthError, match="at least"):
        gr.fit_growth([0, 1, 2], [1, 2, 3])
    with pytest.raises(gr.GrowthError, match="non-negative"):
        gr.fit_growth(range(6), [1, 2, -3, 4, 5, 6])
    with pytest.raises(gr.GrowthError, match="two days"):
        gr.fit_growth(range(6), [0, 0, 0, 5, 0, 0])
    with pytest.raises(gr.GrowthError, match="model"):
        gr.fit_growth(range(6), [1, 2, 3, 4, 5, 6], "gaussian")


@pytest.mark.parametrize(("r", "mean", "sd"), [(0.1, 7.5, 3.4), (0.25, 4.7, 2.9), (-0.05, 5, 2)])
def test_gamma_closed_form_matches_numeric_integration(r: float, mean: float, sd: float) -> None:
    scale = sd * sd / mean
    shape = mean / scale
    closed = gr.r_to_R_gamma(r, shape, scale)
    numeric = gr.r_to_R_density(r, lambda a: float(stats.gamma.pdf(a, shape, scale=scale)))
    assert closed == pytest.approx(numeric, rel=1e-9)
    grid = np.arange(0.0005, 80, 0.001)
    discrete = gr.r_to_R_discrete(r, stats.gamma.pdf(grid, shape, scale=scale), grid)
    assert discrete == pytest.approx(closed, rel=1e-6)


def test_wallinga_lipsitch_limits() -> None:
    """Exponential interval: R = 1 + rT; fixed interval: R = exp(rT) (W&L 2007 §3)."""
    assert gr.r_to_R_gamma(0.2, 1.0, 5.0) == pytest.approx(2.0)
    assert gr.r_to_R_gamma_moments(0.2, 5.0, 1e-3) == pytest.approx(math.exp(1.0), rel=1e-6)
    assert gr.r_to_R_discrete(0.2, [0, 0, 0, 0, 0, 1]) == pytest.approx(math.exp(1.0))
    with pytest.raises(ValueError):
        gr.r_to_R_gamma(-1.0, 2.0, 3.0)


def test_li_et_al_growth_and_serial_interval_give_their_R0() -> None:
    """Li et al. NEJM 2020: r = 0.10 (0.050-0.16), SI mean 7.5 sd 3.4 -> R0 2.2 (1.4-3.9)."""
    r, r_lo, r_hi = PUB["li2020_growth_rate"]
    mean, sd = PUB["li2020_serial_interval_mean_sd"]
    _, lo, hi = PUB["li2020_R0"]
    values = [gr.r_to_R_gamma_moments(x, mean, sd) for x in (r, r_lo, r_hi)]
    assert all(lo <= v <= hi for v in values)
    assert gr.doubling_time(r) == pytest.approx(PUB["li2020_doubling_time"][0], abs=0.5)
