"""Weighted interval score and coverage (core.epi.scoring) against hand-computed values
and the definition of Bracher et al. (PLoS Comput Biol 2021)."""

from __future__ import annotations

import numpy as np
import pytest

from fangkong.core.epi.scoring import (
    FORECAST_LEVELS,
    central_intervals,
    coverage,
    interval_score,
    weighted_interval_score,
)

LEVELS = (0.05, 0.25, 0.5, 0.75, 0.95)
VALUES = (2.0, 4.0, 5.0, 6.0, 9.0)  # median 5, 50% PI [4, 6], 90% PI [2, 9]


def test_interval_score_by_hand() -> None:
    # IS_0.1 of [2, 9]: width 7 (+ 2/0.1 * distance outside)
    assert float(interval_score(5, 2, 9, 0.1)) == 7.0
    assert float(interval_score(10, 2, 9, 0.1)) == pytest.approx(7 + 20 * 1)
    assert float(interval_score(1, 2, 9, 0.1)) == pytest.approx(7 + 20 * 1)


@pytest.mark.parametrize(
    ("y", "expected"),
    [
        # y = 5: |y-m| = 0; IS_0.5 = 2, IS_0.1 = 7.
        # WIS = (0.5*0 + 0.25*2 + 0.05*7) / (2 + 0.5) = 0.85 / 2.5 = 0.34
        (5.0, 0.34),
        # y = 7: |y-m| = 2; IS_0.5 = 2 + 4*1 = 6; IS_0.1 = 7.
        # WIS = (0.5*2 + 0.25*6 + 0.05*7) / 2.5 = 2.85 / 2.5 = 1.14
        (7.0, 1.14),
        # y = 12: |y-m| = 7; IS_0.5 = 2 + 4*6 = 26; IS_0.1 = 7 + 20*3 = 67.
        # WIS = (3.5 + 6.5 + 3.35) / 2.5 = 13.35 / 2.5 = 5.34
        (12.0, 5.34),
        # y = 0: |y-m| = 5; IS_0.5 = 2 + 4*4 = 18; IS_0.1 = 7 + 20*2 = 47.
        # WIS = (2.5 + 4.5 + 2.35) / 2.5 = 9.35 / 2.5 = 3.74
        (0.0, 3.74),
    ],
)
def test_wis_by_hand(y: float, expected: float) -> None:
    s = weighted_interval_score(np.array(y), LEVELS, np.array(VALUES))
    assert float(s.wis) == pytest.approx(expected, abs=1e-12)
    assert float(s.dispersion + s.underprediction + s.overprediction) == pytest.approx(expected)


def test_wis_decomposition_by_hand() -> None:
    s = weighted_interval_score(np.array(12.0), LEVELS, np.array(VALUES))
    # dispersion = (0.25*2 + 0.05*7) / 2.5 = 0.34; all the rest is underprediction
    assert float(s.dispersion) == pytest.approx(0.34)
    assert float(s.underprediction) == pytest.approx(5.0)
    assert float(s.overprediction) == 0.0


def test_wis_equals_paper_formula_and_quantile_loss_on_random_forecasts() -> None:
    rng = np.random.default_rng(2)
    lv = np.asarray(FORECAST_LEVELS)
    y = rng.poisson(50, size=200).astype(float)
    q = np.sort(rng.normal(50, 10, size=(200, lv.size)), axis=1)
    got = weighted_interval_score(y, lv, q).wis
    alphas, pairs, med = central_intervals(lv)
    assert alphas.size == 10
    total = 0.5 * np.abs(y - q[:, med])
    for a, (i, j) in zip(alphas, pairs, strict=True):
        total = total + a / 2 * interval_score(y, q[:, i], q[:, j], a)
    np.testing.assert_allclose(got, total / (10 + 0.5), rtol=1e-12)
    # equivalent form: 2/(2K+1) * sum of pinball losses (Bracher et al., section 2.2)
    pin = np.sum((((y[:, None] <= q) - lv) * (q - y[:, None])), axis=1)
    np.testing.assert_allclose(got, 2 * pin / (2 * 10 + 1), rtol=1e-12)


def test_coverage() -> None:
    y = np.array([5.0, 4.0, 6.5, 9.0, 10.0])
    q = np.tile(VALUES, (5, 1))
    np.testing.assert_array_equal(coverage(y, LEVELS, q, 0.5), [1, 1, 0, 0, 0])
    np.testing.assert_array_equal(coverage(y, LEVELS, q, 0.9), [1, 1, 1, 1, 0])
    with pytest.raises(ValueError, match=r"0\.8 interval"):
        coverage(y, LEVELS, q, 0.8)


def test_levels_must_be_symmetric_with_median() -> None:
    with pytest.raises(ValueError, match="median"):
        central_intervals([0.25, 0.75])
    with pytest.raises(ValueError, match="partner"):
        central_intervals([0.1, 0.5, 0.8])
