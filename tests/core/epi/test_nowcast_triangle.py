"""Nowcasting (core.epi.nowcast): the reporting triangle, the chain ladder on an exact
multiplicative triangle, and recovery of a simulated truth with a known delay."""

from __future__ import annotations

import numpy as np
import pytest

from fangkong.core.epi.nowcast import (
    cdf_from_hazards,
    hazard_counts,
    nowcast,
    reporting_triangle,
)

PMF = np.array([0.1, 0.3, 0.25, 0.15, 0.1, 0.05, 0.05])


def test_reporting_triangle_cells_and_truncation() -> None:
    tri = reporting_triangle([0, 0, 1, 2, 2], [0, 3, 2, 2, 9], n_days=4, max_delay=2)
    assert tri.shape == (4, 3)
    assert tri[0].tolist() == [1, 0, 1]  # delay 3 counted at max_delay 2
    assert tri[1, 1] == 1
    assert tri[2, 0] == 1 and np.isnan(tri[2, 2])  # onset day 2 + delay 2 = day 4: unknown
    assert np.isnan(tri[3, 1])
    with pytest.raises(ValueError, match="before its onset"):
        reporting_triangle([3], [2], 5, 3)


def test_chain_ladder_is_exact_on_a_multiplicative_triangle() -> None:
    lam = np.array([100.0, 200, 300, 400, 500, 600, 700, 800, 900, 1000])
    full = lam[:, None] * PMF[None, :]
    n_days, width = full.shape[0], PMF.size
    tri = full.copy()
    tri[np.add.outer(np.arange(n_days), np.arange(width)) >= n_days] = np.nan
    counts = hazard_counts(tri)
    g = np.where(counts.sum(axis=1) > 0, counts[:, 0] / counts.sum(axis=1), 0.0)
    np.testing.assert_allclose(cdf_from_hazards(g), np.cumsum(PMF), rtol=1e-12)
    nc = nowcast(tri, np.random.default_rng(1), n_draws=10, prior="flat")
    np.testing.assert_allclose(nc.chain_ladder, lam, rtol=1e-12)
    np.testing.assert_allclose(nc.delay_pmf, PMF, atol=1e-12)


def _simulate(seed: int, n_days: int = 70) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    truth = rng.poisson(80 * np.exp(0.02 * np.arange(n_days)))
    onset = np.repeat(np.arange(n_days), truth)
    report = onset + rng.choice(PMF.size, size=onset.size, p=PMF)
    return truth, onset, report


@pytest.mark.parametrize("prior", ["level", "flat"])
def test_nowcast_recovers_truth_within_its_interval(prior: str) -> None:
    hits, total = 0, 0
    for seed in range(10):
        truth, onset, report = _simulate(seed)
        tri = reporting_triangle(onset, report, truth.size, PMF.size + 2)
        nc = nowcast(tri, np.random.default_rng(seed), prior=prior, delay_window=None)
        lo = nc.quantiles[:, nc.levels.index(0.025)]
        hi = nc.quantiles[:, nc.levels.index(0.975)]
        last = slice(truth.size - 6, truth.size - 1)  # days at least 10% complete
        hits += int(np.sum((truth[last] >= lo[last]) & (truth[last] <= hi[last])))
        total += 5
        raw_err = np.abs(nc.reported[last] - truth[last]).mean()
        assert np.abs(nc.median[last] - truth[last]).mean() < raw_err / 3
        np.testing.assert_allclose(nc.delay_pmf[: PMF.size], PMF, atol=0.03)
    assert hits / total >= 0.85


def test_nowcast_is_seeded() -> None:
    truth, onset, report = _simulate(1)
    tri = reporting_triangle(onset, report, truth.size, 8)
    a = nowcast(tri, np.random.default_rng(4), delay_window=21)
    b = nowcast(tri, np.random.default_rng(4), delay_window=21)
    np.testing.assert_array_equal(a.quantiles, b.quantiles)
    assert np.all(a.completeness[: truth.size - 8] == 1.0)
    np.testing.assert_array_equal(a.median[: truth.size - 8], a.reported[: truth.size - 8])


def test_nowcast_rejects_bad_settings() -> None:
    tri = reporting_triangle([0, 1], [1, 2], 3, 2)
    with pytest.raises(ValueError, match="prior"):
        nowcast(tri, np.random.default_rng(1), prior="nope")
    with pytest.raises(ValueError, match="delay_window"):
        nowcast(tri, np.random.default_rng(1), delay_window=0)
