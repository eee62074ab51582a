"""SEIR model checked against closed-form results: conservation, final size (Kermack &
McKendrick), initial growth rate (Wallinga & Lipsitch 2007), herd-immunity threshold, and
the stochastic chain's mean against the ODE; defaults against Li et al. (NEJM 2020)."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import optimize

from fangkong.core.epi import seir

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "seir"
#: A two-group contact matrix (children/adults, assortative) for the structured checks.
CONTACTS = np.array([[8.0, 3.0], [3.0, 5.0]])


def homogeneous(r0: float, population: float = 1e9) -> seir.SEIRModel:
    return seir.SEIRModel(np.array([population]), r0=r0)


def test_population_is_conserved_with_interventions_and_groups() -> None:
    model = seir.SEIRModel(np.array([2e7, 5e7]), 2.7, 5.2, 2.3, CONTACTS)
    ivs = [seir.Intervention(30, 0.6, end=90, ramp_days=5), seir.Intervention(60, 0.3)]
    res = seir.simulate(model, 400, ivs, initial_infections=50)
    total = (res.S + res.E + res.I + res.R).sum(axis=1)
    assert np.max(np.abs(total / model.total_population - 1)) < 1e-9
    group_total = res.S + res.E + res.I + res.R
    assert np.allclose(group_total, model.population, rtol=1e-9, atol=0)


@pytest.mark.parametrize("r0", [1.3, 2.2, 2.68, 4.0])
def test_final_size_matches_the_final_size_relation(r0: float) -> None:
    res = seir.simulate(homogeneous(r0), 1000, initial_infections=1.0)
    z = res.cumulative_infections()[-1] / 1e9
    expected = seir.final_size(r0)
    assert abs(expected - (1 - math.exp(-r0 * expected))) < 1e-12
    assert abs(z - expected) < 1e-4


def test_structured_final_size_matches_the_multigroup_relation() -> None:
    model = seir.SEIRModel(np.array([2e8, 5e8]), 2.2, 5.2, 2.3, CONTACTS)
    res = seir.simulate(model, 1000, initial_infections=1.0)
    attack = (res.S[0] - res.S[-1] + res.E[0] + res.I[0]) / model.population
    assert np.max(np.abs(attack - seir.final_size_structured(model))) < 1e-4
    assert attack[0] > attack[1]  # the group with more contacts is hit harder


@pytest.mark.parametrize(
    ("r0", "latent", "infectious"), [(2.2, 5.2, 2.3), (2.68, 6.0, 2.4), (1.5, 3.0, 7.0)]
)
def test_initial_growth_rate_matches_wallinga_lipsitch(
    r0: float, latent: float, infectious: float
) -> None:
    model = seir.SEIRModel(np.array([1e12]), r0, latent, infectious)
    analytic = seir.growth_rate_from_r0(r0, latent, infectious)
    assert seir.r0_from_growth_rate(analytic, latent, infectious) == pytest.approx(r0, 1e-12)
    assert seir.growth_rate(model) == pytest.approx(analytic, abs=1e-12)
    res = seir.simulate(model, 60, initial_infections=1.0)
    days = np.arange(10, 60)
    slope = np.polyfit(days, np.log(res.total("I")[10:60]), 1)[0]
    assert abs(slope - analytic) < 1e-3


def test_prevalence_peaks_at_the_herd_immunity_threshold() -> None:
    for r0 in (1.8, 2.5, 3.5):
        sol = seir.dense_solution(homogeneous(r0), 1000.0, 10.0)

        def neg_prevalence(t: float, sol=sol) -> float:  # type: ignore[no-untyped-def]
            y = sol(t)
            return -float(y[1] + y[2])

        grid = np.arange(0.0, 1000.0, 0.5)
        t0 = grid[int(np.argmin([neg_prevalence(t) for t in grid]))]
        best = optimize.minimize_scalar(
            neg_prevalence, bounds=(t0 - 1, t0 + 1), method="bounded", options={"xatol": 1e-9}
        )
        s_over_n = sol(best.x)[0] / 1e9
        assert abs(s_over_n - 1 / r0) < 1e-6


def test_interventions_ramp_end_and_combine() -> None:
    iv = seir.Intervention(10, 0.6, end=30, ramp_days=4)
    assert [iv.factor(t) for t in (9.9, 10, 12, 14, 29.9, 30)] == pytest.approx(
        [1, 1, 0.7, 0.4, 0.4, 1]
    )
    both = [iv, seir.Intervention(20, 0.5)]
    assert seir.contact_multiplier(25, both) == pytest.approx(0.2)
    assert iv.shifted(7).start == 17 and iv.shifted(7).end == 37
    with pytest.raises(ValueError, match="reduction"):
        seir.Intervention(0, 1.5)
    with pytest.raises(ValueError, match="end"):
        seir.Intervention(5, 0.5, end=5)


def test_effective_r_drops_by_the_reduction() -> None:
    model = homogeneous(2.5, 1e8)
    ivs = [seir.Intervention(20, 0.7)]
    res = seir.simulate(model, 40, ivs, 10.0)
    rt = seir.effective_r(model, res, ivs)
    frac = res.S[:, 0] / 1e8
    assert rt[19] == pytest.approx(2.5 * frac[19], rel=1e-12)
    assert rt[20] == pytest.approx(2.5 * 0.3 * frac[20], rel=1e-12)


def test_seed_for_cumulative_hits_the_target() -> None:
    model = homogeneous(2.68, 57_752_557)
    seed = seir.seed_for_cumulative(model, 55, 75_815.0)
    res = seir.simulate(model, 55, initial_infections=seed)
    assert res.cumulative_infections()[-1] == pytest.approx(75_815.0, rel=1e-8)


def test_stochastic_mean_approaches_the_deterministic_solution() -> None:
    model = homogeneous(2.5, 1e7)
    det = seir.simulate(model, 250, initial_infections=200)
    runs = seir.simulate_stochastic(
        model,
        250,
        np.random.default_rng(1),
        initial_infections=200,
        replicates=20,
        steps_per_day=20,
    )
    total = runs.S + runs.E + runs.I + runs.R
    assert np.all(total.sum(axis=-1) == 1e7)  # whole people, exactly conserved
    mean_final = runs.cumulative_infections()[:, -1].mean()
    assert mean_final == pytest.approx(det.cumulative_infections()[-1], rel=2e-3)
    mean_prev = runs.prevalence().mean(axis=0)
    assert mean_prev.max() == pytest.approx(det.prevalence().max(), rel=0.03)
    assert abs(int(mean_prev.argmax()) - int(det.prevalence().argmax())) <= 2


def test_stochastic_runs_are_reproducible_and_follow_interventions() -> None:
    model = homogeneous(2.5, 1e6)
    ivs = [seir.Intervention(40, 0.8)]
    a = seir.simulate_stochastic(model, 120, np.random.default_rng(7), ivs, 20, replicates=3)
    b = seir.simulate_stochastic(model, 120, np.random.default_rng(7), ivs, 20, replicates=3)
    assert np.array_equal(a.S, b.S)
    with pytest.raises(ValueError, match="steps_per_day"):
        seir.simulate_stochastic(model, 10, np.random.default_rng(1), steps_per_day=0)


def test_model_rejects_bad_parameters() -> None:
    with pytest.raises(ValueError, match="contact matrix"):
        seir.SEIRModel(np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="r0"):
        seir.SEIRModel(np.array([1e6]), r0=0)
    with pytest.raises(ValueError, match="initial_infections"):
        seir.simulate(homogeneous(2), 10, initial_infections=2e9)


def _published() -> dict[str, dict[str, str]]:
    with (FIX / "published_reference_values.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    return {f"{r['quantity']}|{r['source'][:4]}": r for r in rows}


def test_defaults_come_from_and_agree_with_li_et_al() -> None:
    ref = _published()
    assert float(ref["R0|Li Q"]["value"]) == seir.DEFAULT_R0
    assert float(ref["incubation_mean_days|Li Q"]["value"]) == seir.DEFAULT_LATENT_PERIOD
    si_mean = float(ref["serial_interval_mean_sd_days|Li Q"]["value"].split()[0])
    generation_time = seir.DEFAULT_LATENT_PERIOD + seir.DEFAULT_INFECTIOUS_PERIOD
    assert generation_time == pytest.approx(si_mean)
    # The growth rate these defaults imply lies in Li et al.'s 95% CI (0.050-0.16/day).
    growth = ref["growth_rate_per_day / doubling_time_days|Li Q"]["interval"]
    lo, hi = (float(x) for x in growth.split(" / ")[0].split("-"))
    r = seir.growth_rate(homogeneous(seir.DEFAULT_R0))
    assert lo <= r <= hi
