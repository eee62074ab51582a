"""EARS C1/C2/C3, the negative-binomial threshold and data-quality signals."""

from __future__ import annotations

from datetime import date

import numpy as np

from fangkong.core.rules import aberration as ab
from fangkong.core.rules import quality as q


def test_c1_by_hand() -> None:
    y = np.array([[2, 4, 2, 4, 2, 4, 2, 20]], dtype=float)
    det = ab.ears_c1(y)
    base = y[0, :7]
    want = (20 - base.mean()) / base.std(ddof=1)
    assert np.isclose(det.statistic[0, 7], want)
    assert det.signal[0, 7] and not det.signal[0, :7].any()
    assert np.isnan(det.statistic[0, 6])


def test_c2_uses_a_two_day_guard() -> None:
    y = np.array([[1] * 9 + [1, 1, 9]], dtype=float)
    det = ab.ears_c2(y)
    # day 11: baseline days 2..8 (all ones, sd 0 → floor 1): (9 − 1)/1 = 8
    assert np.isclose(det.statistic[0, 11], 8.0) and det.signal[0, 11]
    assert np.isnan(det.statistic[0, 8])


def test_c3_sums_three_c2_excesses() -> None:
    y = np.array([[0] * 10 + [3, 3, 3]], dtype=float)
    c2 = ab.ears_c2(y).statistic[0]
    c3 = ab.ears_c3(y)
    want = sum(max(0.0, c2[t] - 1) for t in (10, 11, 12))
    assert np.isclose(c3.statistic[0, 12], want)
    assert c3.signal[0, 12] == (want > 2)


def test_sd_floor_avoids_division_by_zero() -> None:
    det = ab.ears_c1(np.array([[0] * 7 + [2]], dtype=float))
    assert det.statistic[0, 7] == 2.0 and not det.signal[0, 7]


def test_negative_binomial_flags_an_outbreak_not_noise() -> None:
    rng = np.random.default_rng(1)
    quiet = rng.poisson(5, size=60).astype(float)
    burst = quiet.copy()
    burst[50] = 40
    det = ab.negative_binomial(np.vstack([quiet, burst]))
    assert det.signal[1, 50]
    assert det.signal[0].sum() <= 2
    assert det.threshold[1, 50] < 40 and 3 < det.expected[1, 50] < 8


def test_negative_binomial_needs_five_recent_cases() -> None:
    y = np.array([[0] * 20 + [3]], dtype=float)
    assert not ab.negative_binomial(y).signal[0, 20]
    y = np.array([[0] * 20 + [6]], dtype=float)
    assert ab.negative_binomial(y).signal[0, 20]


def test_missing_days_give_no_signal() -> None:
    y = np.array([[np.nan] * 10 + [50.0]])
    for method in ab.METHODS.values():
        assert not method(y).signal.any()


def test_quality_signals() -> None:
    y = np.array([[10, 10, 10, 10, 10, 10, 10, 500, -3]], dtype=float)
    assert [(f.day, f.kind) for f in q.negative_increments(y)] == [(8, "negative_increment")]
    jumps = q.jumps(y)
    assert [(f.day, f.reference) for f in jumps] == [(7, 100.0)]
    stale = q.stale_regions(
        {
            ("A", "s"): date(2020, 6, 30),
            ("B", "s"): date(2020, 6, 20),
            ("C", "t"): date(2020, 6, 29),
        }
    )
    assert [(s.region_code, s.days_behind) for s in stale] == [("B", 10)]
