"""Scenario outcomes: discretised delays, bed occupancy by convolution, peaks, differences."""

from __future__ import annotations

import numpy as np
import pytest

from fangkong.core.epi import scenario as sc
from fangkong.core.epi import seir


@pytest.mark.parametrize(("mean", "sd"), [(8.0, 4.0), (10.0, 5.0), (3.0, 6.0), (7.5, 0.0)])
def test_occupancy_weights_sum_to_the_mean_stay(mean: float, sd: float) -> None:
    delay = sc.GammaDelay(mean, sd)
    assert delay.occupancy().sum() == pytest.approx(mean, abs=1e-6)
    assert delay.pmf().sum() == pytest.approx(1.0, abs=1e-8)


def test_pmf_is_the_gamma_mass_of_whole_days() -> None:
    from scipy import stats

    d = sc.GammaDelay(10.2, 4.0)
    cdf = stats.gamma.cdf([3, 4], d.shape, scale=d.scale)
    assert d.pmf()[3] == pytest.approx(cdf[1] - cdf[0], rel=1e-12)
    assert sc.GammaDelay(7, 0).pmf().tolist() == [0, 0, 0, 0, 0, 0, 0, 1]


def test_bed_demand_of_a_pulse_of_infections() -> None:
    infections = np.zeros(200)
    infections[10] = 10_000.0
    params = sc.HospitalParameters(
        0.05, 0.2, sc.GammaDelay(5, 0), sc.GammaDelay(8, 0), sc.GammaDelay(10, 4)
    )
    beds = sc.bed_demand(infections, params)
    assert beds.admissions[15] == pytest.approx(500) and beds.admissions.sum() == pytest.approx(500)
    assert beds.icu_admissions.sum() == pytest.approx(100)
    # 400 ward patients for exactly 8 days each, from the day of admission.
    assert beds.hospital_beds[15:23].tolist() == pytest.approx([400] * 8)
    assert beds.hospital_beds[23] == 0
    assert beds.icu_beds.sum() == pytest.approx(100 * 10, rel=1e-6)  # bed-days = n × mean


def test_summary_and_differences_of_a_delayed_intervention() -> None:
    model = seir.SEIRModel(np.array([1e7]), r0=2.5)
    params = sc.HospitalParameters()
    early = seir.simulate(model, 200, [seir.Intervention(40, 0.7)], 10)
    late = seir.simulate(model, 200, [seir.Intervention(47, 0.7)], 10)
    a = sc.summarise(early, model.population, params)
    b = sc.summarise(late, model.population, params)
    assert a.peak_prevalence.day <= 41 and b.peak_prevalence.day <= 48
    assert a.total_infections == pytest.approx(a.cumulative_infections[-1])
    assert a.attack_rate == pytest.approx(a.group_attack_rates[0])
    diff = sc.differences(a, b)
    assert diff["peak_prevalence_day"] == b.peak_prevalence.day - a.peak_prevalence.day
    assert diff["total_infections"] > 0 and diff["peak_icu_beds"] > 0
    assert a.new_infections.sum() + 10 == pytest.approx(a.total_infections)


def test_bad_parameters_are_rejected() -> None:
    with pytest.raises(ValueError, match="mean"):
        sc.GammaDelay(-1, 0)
    with pytest.raises(ValueError, match="hospitalised_fraction"):
        sc.HospitalParameters(hospitalised_fraction=1.5)
