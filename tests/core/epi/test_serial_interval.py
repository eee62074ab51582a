"""EpiEstim's serial-interval discretisation and the uncertain-SI sampler."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from fangkong.core.epi.serial_interval import (
    check_si_distr,
    discr_si,
    sample_truncated_normal,
    si_moments,
)

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "epiestim"


def test_discr_si_matches_epiestim() -> None:
    with (FIX / "expected_Example3_si_distr.csv").open() as fh:
        saved = np.array([float(r["si_distr"]) for r in csv.DictReader(fh)])
    # EpiEstim evaluates discr_si on days 0..T-1 (T = 32) and appends a 0.
    np.testing.assert_allclose(discr_si(np.arange(32), 2.6, 1.5), saved[:32], atol=1e-14, rtol=0)
    assert saved[32] == 0


def test_discr_si_is_a_distribution_with_the_given_mean() -> None:
    k = np.arange(200)
    for mu, sigma in ((2.6, 1.5), (7.5, 3.4), (4.7, 2.9), (12.0, 0.5)):
        w = discr_si(k, mu, sigma)
        assert w[0] == 0 and np.all(w >= 0)
        assert abs(w.sum() - 1) < 1e-9
        mean, _ = si_moments(w)
        assert abs(mean - mu) < 1e-6


@pytest.mark.parametrize(("mu", "sigma"), [(1.0, 1.0), (0.5, 1.0), (3.0, 0.0), (3.0, -1.0)])
def test_discr_si_rejects_bad_parameters(mu: float, sigma: float) -> None:
    with pytest.raises(ValueError):
        discr_si(np.arange(5), mu, sigma)


def test_check_si_distr() -> None:
    assert check_si_distr([0, 0.5, 0.5]).tolist() == [0, 0.5, 0.5]
    for bad, msg in (
        ([0.1, 0.5, 0.4], r"si_distr\[0\]"),
        ([0, 1.2, -0.2], "non-negative"),
        ([0, 0.5, 0.4], "sum to 1"),
        ([0], "at least two"),
    ):
        with pytest.raises(ValueError, match=msg):
            check_si_distr(bad)


def test_truncated_normal_is_seeded_and_bounded() -> None:
    a = sample_truncated_normal(np.random.default_rng(3), 2.6, 1.0, 1.0, 4.2, 5000)
    b = sample_truncated_normal(np.random.default_rng(3), 2.6, 1.0, 1.0, 4.2, 5000)
    assert np.array_equal(a, b)
    assert a.min() >= 1.0 and a.max() <= 4.2
    assert abs(a.mean() - 2.6) < 0.05  # symmetric truncation keeps the mean
    with pytest.raises(ValueError, match="probability"):
        sample_truncated_normal(np.random.default_rng(0), 0.0, 1.0, 50.0, 60.0, 3)


def test_degenerate_parameters_are_a_clear_error() -> None:
    with pytest.raises(ValueError, match="degenerate"):
        discr_si(range(5), 1.0000000000000002, 5e-324)
