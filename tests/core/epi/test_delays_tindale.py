"""Serial intervals and incubation windows of Tindale et al. 2020 (eLife 9:e57149):
the paper's pairing rule and ICC mixture reproduce its published means."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from fangkong.core.epi import delays as dl
from fangkong.core.epi import intervals as iv

FIX = Path(__file__).parents[2] / "fixtures" / "delays"
FILES = {
    "singapore": "tindale2020_COVID-19_Singapore_data_revised.csv",
    "tianjin": "tindale2020_Tianjin135cases_revised.csv",
}
REF = json.loads((FIX / "icc_intervals.json").read_text())


def load(name: str) -> tuple[str, list[iv.ClusterCase]]:
    return iv.read_cluster_linelist((FIX / FILES[name]).read_text(encoding="utf-8-sig"))


@pytest.mark.parametrize("name", ["singapore", "tianjin"])
def test_icc_mixture_reproduces_the_published_mean(name: str) -> None:
    layout, cases = load(name)
    assert layout == name
    icc = iv.icc_intervals(cases, 4, bridge_missing_onset=name == "singapore")
    assert sorted(icc) == REF[name]["icc_k4"]
    est = iv.vink_mixture(icc)
    assert round(est.mean, 2) == REF[name]["published_mean"]
    lo, hi = REF[name]["published_ci95"]
    reps = iv.vink_bootstrap(icc, 30, np.random.default_rng(11))
    spread = float(np.std(reps[:, 0], ddof=1))
    assert lo - 0.6 < est.mean - 1.96 * spread < est.mean < est.mean + 1.96 * spread < hi + 0.6


def test_pairing_rules() -> None:
    _, sg = load("singapore")
    pairs = iv.serial_interval_pairs(sg)
    assert len(pairs) == 56 and min(p.interval for p in pairs) == 0
    assert iv.CasePair("1", "3", 3) in pairs  # Case 3, son of case 1: onsets 20 and 23 Jan
    _, tj = load("tianjin")
    listed = iv.serial_interval_pairs(tj, "listed")
    assert len(listed) == 72 and min(p.interval for p in listed) < 0
    assert iv.CasePair("tj50", "tj52", -3) in listed  # "TJ50's family" fell ill 3 days earlier
    assert any(p.infector == "tj25" for p in listed)  # JN25 read as TJ25


def test_direct_pairs_fall_inside_published_intervals() -> None:
    for name, direction in (("singapore", "onset"), ("tianjin", "listed")):
        _, cases = load(name)
        si = [p.interval for p in iv.serial_interval_pairs(cases, direction)]
        best = dl.fit_all(dl.DelayData.from_days(si))[0]
        lo, hi = REF[name]["published_ci95"]
        assert lo <= best.mean <= hi, (name, best.family, best.mean)


def test_incubation_windows() -> None:
    _, sg = load("singapore")
    windows = iv.incubation_windows(sg)
    assert len(windows) == 83 and all(0 <= a <= b for a, b in windows)
    tindale = iv.tindale_incubation_intervals(sg)
    assert all(a >= 1 and b >= 3 for a, b in tindale)
    fit = dl.fit_delay(dl.DelayData.from_windows(windows), "gamma")
    assert 4.35 <= fit.mean <= 5.69  # published Singapore mean incubation CI


def test_unreadable_files_are_named() -> None:
    with pytest.raises(ValueError, match="not a cluster line list"):
        iv.read_cluster_linelist("a,b\n1,2\n")
    with pytest.raises(ValueError, match="line 2"):
        iv.read_cluster_linelist("case_id,symptom_onset,Infection_source\nTJ1,31/02/2020,x\n")
