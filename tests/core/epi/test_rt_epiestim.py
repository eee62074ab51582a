"""R_t (Cori et al. 2013) against R's EpiEstim 3.0.0 saved outputs, and its rules."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from fangkong.core.epi.rt import (
    QUANTILES,
    UncertainSI,
    estimate_r,
    overall_infectivity,
    sliding_windows,
    split_incidence,
)

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "epiestim"
R_COLS = [
    "Mean(R)",
    "Std(R)",
    "Quantile.0.025(R)",
    "Quantile.0.05(R)",
    "Quantile.0.25(R)",
    "Median(R)",
    "Quantile.0.75(R)",
    "Quantile.0.95(R)",
    "Quantile.0.975(R)",
]
# Example 2 of EpiEstim's tests: onset days and origin of 17 cases.
ONSETS = [0, 1, 1, 2, 1, 3, 4, 5, 5, 5, 5, 4, 4, 26, 6, 7, 9]
ORIGIN = ["imp", "loc", "imp", "imp", "loc", "imp", "imp", "imp", "imp", "loc", "loc", "loc", "imp",
          "loc", "imp", "loc", "imp"]  # fmt: skip


def read(name: str) -> dict[str, list[str]]:
    with (FIX / name).open() as fh:
        rows = list(csv.DictReader(fh))
    return {k: [r[k] for r in rows] for k in rows[0]}


def expected(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    e = read(name)
    table = np.array([[float(v) for v in e[c]] for c in R_COLS]).T
    return (
        np.array([float(v) for v in e["t_start"]]),
        np.array([float(v) for v in e["t_end"]]),
        table,
    )


def flu() -> np.ndarray:
    return np.array([int(v) for v in read("Flu2009_incidence.csv")["I"]])


def flu_si() -> np.ndarray:
    return np.array([float(v) for v in read("Flu2009_si_distr.csv")["si_distr"]])


def got(est) -> np.ndarray:  # type: ignore[no-untyped-def]
    return np.column_stack([est.mean, est.std, est.quantiles])


def example2_incidence() -> tuple[np.ndarray, np.ndarray]:
    local, imported = np.zeros(27), np.zeros(27)
    for day, origin in zip(ONSETS, ORIGIN, strict=True):
        (local if origin == "loc" else imported)[day] += 1
    return local, imported


def test_example1_non_parametric_si_matches_epiestim() -> None:
    ts, te, table = expected("expected_Example1_non_parametric_si_R.csv")
    est = estimate_r(flu(), method="non_parametric_si", si_distr=flu_si(),
                     t_start=np.arange(2, 27), t_end=np.arange(8, 33))  # fmt: skip
    assert np.array_equal(est.t_start, ts) and np.array_equal(est.t_end, te)
    np.testing.assert_allclose(got(est), table, atol=1e-8, rtol=0)


def test_example2_local_and_imported_matches_epiestim() -> None:
    ts, te, table = expected("expected_Example2_parametric_si_R.csv")
    local, imported = example2_incidence()
    est = estimate_r(local, imported, method="parametric_si", mean_si=2.6, std_si=1.5,
                     t_start=np.arange(2, 22), t_end=np.arange(8, 28))  # fmt: skip
    assert np.array_equal(est.t_start, ts) and np.array_equal(est.t_end, te)
    np.testing.assert_allclose(got(est), table, atol=1e-8, rtol=0)
    si = np.array([float(v) for v in read("expected_Example2_si_distr.csv")["si_distr"]])
    np.testing.assert_allclose(est.si_distr, si, atol=1e-12, rtol=0)


def test_example3_parametric_si_matches_epiestim_with_default_weekly_windows() -> None:
    ts, te, table = expected("expected_Example3_parametric_si_R.csv")
    est = estimate_r(flu(), method="parametric_si", mean_si=2.6, std_si=1.5)
    assert np.array_equal(est.t_start, ts) and np.array_equal(est.t_end, te)
    np.testing.assert_allclose(got(est), table, atol=1e-8, rtol=0)


def test_imported_cases_are_not_in_the_numerator() -> None:
    """Counting every case as local (the wrong model) must not reproduce Example 2."""
    _, _, table = expected("expected_Example2_parametric_si_R.csv")
    local, imported = example2_incidence()
    wrong = estimate_r(local + imported, method="parametric_si", mean_si=2.6, std_si=1.5,
                       t_start=np.arange(2, 22), t_end=np.arange(8, 28))  # fmt: skip
    assert np.abs(wrong.mean - table[:, 0]).max() > 0.1


def test_example4_uncertain_si_within_five_percent_of_epiestim() -> None:
    """EpiEstim's run is one random realisation (R's RNG, n1 = n2 = 100); ours uses more SI
    draws (n1 = 2000) so the comparison measures EpiEstim's Monte Carlo error, not ours."""
    _, te, table = expected("expected_Example4_uncertain_si_R.csv")
    u = UncertainSI(mean_si=2.6, std_mean_si=1, min_mean_si=1, max_mean_si=4.2,
                    std_si=1.5, std_std_si=0.5, min_std_si=0.5, max_std_si=2.5,
                    n1=2000, n2=100)  # fmt: skip
    est = estimate_r(flu(), method="uncertain_si", uncertain=u, rng=np.random.default_rng(1),
                     t_start=np.arange(2, 27), t_end=np.arange(8, 33))  # fmt: skip
    assert np.array_equal(est.t_end, te)
    rel = np.abs(est.mean / table[:, 0] - 1)
    assert rel.max() < 0.05, rel
    np.testing.assert_allclose(est.quantile(0.5), table[:, 5], rtol=0.08)
    assert est.si_distr.shape == (2000, 33)
    again = estimate_r(flu(), method="uncertain_si", uncertain=u, rng=np.random.default_rng(1),
                       t_start=np.arange(2, 27), t_end=np.arange(8, 33))  # fmt: skip
    np.testing.assert_array_equal(again.mean, est.mean)


def test_uncertain_si_needs_an_rng() -> None:
    u = UncertainSI(2.6, 1, 1, 4.2, 1.5, 0.5, 0.5, 2.5, 10, 10)
    with pytest.raises(ValueError, match="rng"):
        estimate_r(flu(), method="uncertain_si", uncertain=u)


def test_plain_vector_counts_day_one_as_imported() -> None:
    local, imported, notes = split_incidence([3, 1, 2])
    assert local.tolist() == [0, 1, 2] and imported.tolist() == [3, 0, 0] and notes == []
    local, imported, notes = split_incidence([2, 1, 0], [1, 0, 4])
    assert local.tolist() == [0, 1, 0] and imported.tolist() == [3, 0, 4]
    assert "day 1" in notes[0]


def test_infectivity_is_the_renewal_sum() -> None:
    x = np.array([1.0, 2, 0, 5, 3])
    w = np.array([0, 0.5, 0.3, 0.2])
    lam = overall_infectivity(x, w)
    expected_lam = [0, 0.5 * 1, 0.5 * 2 + 0.3 * 1, 0.5 * 0 + 0.3 * 2 + 0.2 * 1,
                    0.5 * 5 + 0.3 * 0 + 0.2 * 2]  # fmt: skip
    np.testing.assert_allclose(lam, expected_lam, atol=1e-15)
    np.testing.assert_allclose(overall_infectivity(np.vstack([x, 2 * x]), w)[1],
                               2 * np.array(expected_lam), atol=1e-12)  # fmt: skip


def test_windows_ending_before_the_mean_si_are_dropped_with_a_warning() -> None:
    est = estimate_r(flu(), method="parametric_si", mean_si=6.0, std_si=2.0,
                     t_start=[2, 3, 4], t_end=[4, 5, 10])  # fmt: skip
    assert est.t_end.tolist() == [10]
    assert any("dropped" in w and "4, 5" in w for w in est.warnings)
    with pytest.raises(ValueError, match="every window"):
        estimate_r(flu(), method="parametric_si", mean_si=6.0, std_si=2.0, t_start=[2],
                   t_end=[4])  # fmt: skip


def test_cv_posterior_check_warns_early_in_the_epidemic() -> None:
    est = estimate_r([1, 0, 1, 0, 1, 1, 0, 2, 1], method="parametric_si", mean_si=2.6,
                     std_si=1.5)  # fmt: skip
    assert any("too early" in w for w in est.warnings)
    assert any("coefficient of variation above 0.3" in w for w in est.warnings)
    big = estimate_r(np.full(30, 200), method="parametric_si", mean_si=2.6, std_si=1.5)
    assert big.warnings == ()
    assert np.all(big.cv < 0.3)


def test_prior_and_window_options() -> None:
    x = flu()
    a = estimate_r(x, method="parametric_si", mean_si=2.6, std_si=1.5, window=14)
    ts, _ = sliding_windows(x.size, 14)
    assert np.array_equal(a.t_start, ts) and a.t_end[0] == 15 and a.t_end[-1] == x.size
    # With no cases, the posterior is the prior (shape 1, scale 5 for mean 5, sd 5; here
    # mean 2 sd 1 -> shape 4, scale 0.25).
    z = estimate_r(np.zeros(20), method="parametric_si", mean_si=2.6, std_si=1.5,
                   mean_prior=2.0, std_prior=1.0)  # fmt: skip
    np.testing.assert_allclose(z.mean, 2.0)
    np.testing.assert_allclose(z.std, 1.0)
    assert z.shape is not None and np.allclose(z.shape, 4.0)
    assert QUANTILES[3] == 0.5


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"t_start": [1], "t_end": [8]}, "outside 2"),
        ({"t_start": [5], "t_end": [4]}, "after t_end"),
        ({"t_start": [2], "t_end": [99]}, "outside 2"),
        ({"mean_si": 1.0}, "> 1"),
        ({"std_si": 0.0}, "> 0"),
        ({"window": 40}, "needs at least"),
        ({"mean_prior": 0.0}, "prior"),
        ({"method": "si_from_data"}, "unknown method"),
    ],
)
def test_invalid_input_is_rejected(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"method": "parametric_si", "mean_si": 2.6, "std_si": 1.5}
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        estimate_r(flu(), **args)  # type: ignore[arg-type]


def test_bad_incidence_and_si_distr_are_rejected() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        estimate_r([1, 2, -1, 3, 4, 5, 6, 7, 8], mean_si=2.6, std_si=1.5)
    with pytest.raises(ValueError, match="missing"):
        estimate_r([1, 2, np.nan, 3, 4, 5, 6, 7, 8], mean_si=2.6, std_si=1.5)
    si = flu_si().copy()
    si[0] = 0.1
    with pytest.raises(ValueError, match=r"si_distr\[0\]"):
        estimate_r(flu(), method="non_parametric_si", si_distr=si)
    with pytest.raises(ValueError, match="sum to 1"):
        estimate_r(flu(), method="non_parametric_si", si_distr=[0, 0.5, 0.2])


def test_vectorised_regions_equal_one_region_at_a_time() -> None:
    rng = np.random.default_rng(7)
    base = 30 * np.exp(0.04 * np.arange(120) - 0.0006 * np.arange(120) ** 2)
    x = rng.poisson(base[None, :] * rng.uniform(0.05, 4, size=(25, 1)))
    x[3] = 0
    many = estimate_r(x, method="parametric_si", mean_si=7.5, std_si=3.4)
    assert many.mean.shape == (25, 120 - 7)
    assert many.quantiles.shape == (25, 120 - 7, 7)
    for i in (0, 3, 11, 24):
        one = estimate_r(x[i], method="parametric_si", mean_si=7.5, std_si=3.4)
        np.testing.assert_allclose(many.mean[i], one.mean, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(many.quantiles[i], one.quantiles, rtol=1e-9, atol=1e-12)
    short = estimate_r(x, method="non_parametric_si", si_distr=flu_si(), window=10)
    for i in (1, 5):
        one = estimate_r(x[i], method="non_parametric_si", si_distr=flu_si(), window=10)
        np.testing.assert_allclose(short.mean[i], one.mean, rtol=1e-12)
