"""The lexicographic allocation against independent formulations on small instances:
the textbook three-stage MILP over all arcs (scipy ``milp``) and plain enumeration."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from fangkong.core.allocation.explain import explain
from fangkong.core.allocation.greedy import nearest_depot
from fangkong.core.allocation.problem import AllocationProblem, ItemInfo, Site
from fangkong.core.allocation.result import (
    min_fill,
    min_weighted_fill,
    transport_cost,
    unmet_need,
    violations,
)
from fangkong.core.allocation.solve import (
    TransportStage,
    allocate,
    coverage_of,
    coverage_stage,
    lower_bounds,
    max_guaranteed_fill,
    nearest_arcs,
    relaxed_depot_prices,
    transport_stage,
    warm_start_arcs,
)


def random_problem(seed: int, n_t: int, n_d: int, n_h: int, n_i: int) -> AllocationProblem:
    rng = np.random.default_rng(seed)
    depots = tuple(
        Site(f"d{k}", f"Depot {k}", float(rng.uniform(22, 40)), float(rng.uniform(100, 122)))
        for k in range(n_d)
    )
    hospitals = tuple(
        Site(f"h{k}", f"Hospital {k}", float(rng.uniform(22, 40)), float(rng.uniform(100, 122)))
        for k in range(n_h)
    )
    items = tuple(ItemInfo(f"i{k}", f"物资{k}", f"item {k}", 10) for k in range(n_i))
    need = rng.integers(0, 7, (n_t, n_h, n_i))
    supply = rng.integers(0, 6, (n_t, n_d, n_i))
    priority = rng.choice([1.0, 2.0, 3.0], size=(n_h, n_i))
    return AllocationProblem(depots, hospitals, items, supply, need, priority)


def textbook(problem: AllocationProblem, i: int) -> tuple[float, float, float]:
    """The three stages as plain MILPs over every arc x[t, d, h] (small instances)."""
    n_t, n_d, n_h, _ = problem.shape
    w = problem.scaled_priority()[:, i]
    cum_s = np.cumsum(problem.supply[:, :, i], axis=0)
    cum_n = np.cumsum(problem.need[:, :, i], axis=0)
    n_x = n_t * n_d * n_h
    idx = np.arange(n_x).reshape(n_t, n_d, n_h)
    depot_rows, hosp_rows = [], []
    for t in range(n_t):
        for d in range(n_d):
            row = np.zeros(n_x + 1)
            row[idx[: t + 1, d, :].ravel()] = 1
            depot_rows.append(row)
        for h in range(n_h):
            row = np.zeros(n_x + 1)
            row[idx[: t + 1, :, h].ravel()] = 1
            hosp_rows.append(row)
    a_d = np.array(depot_rows)
    a_h = np.array(hosp_rows)
    # cumulative delivered - z w N >= 0
    a_z = a_h.copy()
    a_z[:, -1] = -(w[None, :] * cum_n).ravel()
    base = [
        LinearConstraint(sp.csr_matrix(a_d), -np.inf, cum_s.ravel()),
        LinearConstraint(sp.csr_matrix(a_h), 0, cum_n.ravel()),
    ]
    integrality = np.r_[np.ones(n_x), 0]
    bounds = Bounds(np.zeros(n_x + 1), np.r_[np.full(n_x, np.inf), 1.0])
    c1 = np.zeros(n_x + 1)
    c1[-1] = -1
    r1 = milp(
        c1,
        constraints=[*base, LinearConstraint(a_z, 0, np.inf)],
        integrality=integrality,
        bounds=bounds,
        options={"mip_rel_gap": 0},
    )
    z = -r1.fun
    cov = np.zeros(n_x + 1)
    for t in range(n_t):
        cov[idx[t].ravel()] = np.tile(w, n_d) * (n_t - t)
    b2 = Bounds(np.r_[np.zeros(n_x), z - 1e-9], np.r_[np.full(n_x, np.inf), 1.0])
    r2 = milp(
        -cov,
        constraints=[*base, LinearConstraint(a_z, 0, np.inf)],
        integrality=integrality,
        bounds=b2,
        options={"mip_rel_gap": 0},
    )
    coverage = -r2.fun
    c3 = np.r_[np.tile(problem.cost.ravel(), n_t), 0]
    r3 = milp(
        c3,
        constraints=[
            *base,
            LinearConstraint(a_z, 0, np.inf),
            LinearConstraint(cov, coverage - 1e-7, np.inf),
        ],
        integrality=integrality,
        bounds=b2,
        options={"mip_rel_gap": 0},
    )
    return z, coverage, r3.fun


@pytest.mark.parametrize("seed", range(30))
def test_matches_the_textbook_lexicographic_milp(seed: int) -> None:
    n_t = 1 + seed % 3
    problem = random_problem(seed, n_t, 3, 4, 2)
    plan = allocate(problem)
    assert violations(problem, plan) == []
    for i in range(2):
        outcome = plan.item_outcome(i)
        assert outcome is not None
        if problem.need[:, :, i].sum() == 0 or problem.supply[:, :, i].sum() == 0:
            continue
        z, coverage, cost = textbook(problem, i)
        # stage 1 of the textbook works on whole packs too: the same z*
        assert outcome.guaranteed_fill == pytest.approx(z, abs=1e-7)
        assert coverage_of(problem, plan.delivered, i) == pytest.approx(coverage, rel=1e-9)
        assert outcome.cost == pytest.approx(cost, rel=1e-9, abs=1e-6)
        assert outcome.status == "optimal"
        assert outcome.cost >= outcome.lp_bound - 1e-6


def test_brute_force_on_a_tiny_instance() -> None:
    depots = (Site("a", "A", 30.0, 114.0), Site("b", "B", 31.0, 121.0))
    hospitals = (Site("x", "X", 30.5, 114.5), Site("y", "Y", 31.1, 121.2))
    items = (ItemInfo("n95", "N95口罩", "N95", 20),)
    supply = np.array([[[3], [1]]])
    need = np.array([[[3], [3]]])
    priority = np.array([[2.0], [1.0]])
    problem = AllocationProblem(depots, hospitals, items, supply, need, priority)
    plan = allocate(problem)
    best: tuple[float, float, float] | None = None
    for x in itertools.product(range(4), repeat=4):
        xa = np.array(x).reshape(2, 2)  # [d, h]
        if (xa.sum(axis=1) > supply[0, :, 0]).any() or (xa.sum(axis=0) > need[0, :, 0]).any():
            continue
        got = xa.sum(axis=0)
        w = np.array([1.0, 0.5])
        z = min(1.0, float(np.min(got / (w * 3))))
        key = (-z, -float((w * got).sum()), float((problem.cost * xa).sum()))
        best = key if best is None or key < best else best
    assert best is not None
    outcome = plan.outcomes[0]
    assert -best[0] == pytest.approx(min(1.0, min_weighted_fill(problem, plan)))
    assert -best[1] == pytest.approx(coverage_of(problem, plan.delivered, 0))
    assert best[2] == pytest.approx(outcome.cost)
    # 4 packs for 6 needed: X (priority 2) guaranteed 2/3 x 3 = 2, Y 1; the spare goes to X
    assert plan.delivered[0, :, 0].tolist() == [3, 1]


def test_guarantee_is_the_largest_feasible_breakpoint() -> None:
    cum_need = np.array([[10, 10, 10]])
    weight = np.array([1.0, 1.0, 0.5])
    z = max_guaranteed_fill(cum_need, weight, np.array([12]))
    # ceil(10z) + ceil(10z) + ceil(5z) <= 12: compare with a fine grid of z.
    feasible = [
        zz
        for zz in np.linspace(0, 1, 100001)
        if np.ceil(zz * 10 - 1e-9) * 2 + np.ceil(zz * 5 - 1e-9) <= 12
    ]
    assert z == pytest.approx(max(feasible), abs=1e-5)


def test_optimum_beats_nearest_depot_and_both_are_feasible() -> None:
    problem = random_problem(7, 2, 4, 12, 3)
    plan = allocate(problem, workers=2)
    greedy = nearest_depot(problem)
    assert violations(problem, plan) == []
    assert violations(problem, greedy) == []
    assert min_weighted_fill(problem, plan) >= min_weighted_fill(problem, greedy) - 1e-12
    assert unmet_need(problem, plan) <= unmet_need(problem, greedy)
    assert transport_cost(problem, plan) >= 0
    assert 0 <= min_fill(problem, plan) <= 1


def test_stock_arriving_later_is_carried_and_backlog_served() -> None:
    depots = (Site("a", "A", 30.0, 114.0),)
    hospitals = (Site("x", "X", 30.1, 114.1),)
    items = (ItemInfo("suit", "防护服", "suits"),)
    supply = np.array([[[0]], [[5]]])
    need = np.array([[[4]], [[0]]])
    problem = AllocationProblem(depots, hospitals, items, supply, need, np.ones((1, 1)))
    plan = allocate(problem)
    assert plan.delivered[:, 0, 0].tolist() == [0, 4]
    assert violations(problem, plan) == []


def test_explanations_in_both_languages() -> None:
    problem = random_problem(3, 1, 2, 3, 1)
    plan = allocate(problem)
    notes = explain(problem, plan)
    assert notes
    for note in notes:
        assert note.zh.startswith("Hospital") and "（每包10个）" in note.zh
        assert "requested" in note.en and "packs of 10 pieces" in note.en
        assert "按周期" not in note.zh  # one period: no breakdown by period


def test_explanations_of_several_periods_name_them() -> None:
    problem = random_problem(5, 3, 2, 4, 1)
    plan = allocate(problem)
    labels = ("2020-02-01", "2020-02-08", "2020-02-15")
    for note in explain(problem, plan, labels):
        assert "按周期" in note.zh and "by period" in note.en
        assert any(f"{label}期" in note.zh for label in labels)
        assert any(f"period {label}: need" in note.en for label in labels)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"supply": np.zeros((1, 2, 2))}, "supply must have shape"),
        ({"need": -np.ones((1, 3, 1), dtype=int)}, "must not be negative"),
        ({"priority": np.zeros((3, 1))}, "priorities"),
        ({"need": np.full((1, 3, 1), 0.5)}, "whole packs"),
    ],
)
def test_bad_instances_are_refused(kwargs: dict[str, object], message: str) -> None:
    base: dict[str, object] = {
        "depots": (Site("a", "A", 30, 114),),
        "hospitals": tuple(Site(f"h{k}", "H", 30, 114) for k in range(3)),
        "items": (ItemInfo("m", "口罩", "masks"),),
        "supply": np.ones((1, 1, 1), dtype=int),
        "need": np.ones((1, 3, 1), dtype=int),
        "priority": np.ones((3, 1)),
    }
    base.update(kwargs)
    with pytest.raises(ValueError, match=message):
        AllocationProblem(**base)  # type: ignore[arg-type]


def test_relaxed_prices_mark_the_scarce_depot() -> None:
    # Two hospitals next to depot 0, which holds too little: its stock gets a price,
    # the plentiful far depot none.
    cost = np.array([[1.0, 1.0], [100.0, 100.0]])
    prices = relaxed_depot_prices(cost, np.array([3, 50]), np.array([4, 4]))
    assert prices[0] == pytest.approx(99.0)
    assert prices[1] == pytest.approx(0.0)


@pytest.mark.parametrize("seed", range(5))
def test_column_generation_reaches_the_all_arc_optimum_from_any_start(seed: int) -> None:
    problem = random_problem(100 + seed, 2, 6, 15, 1)
    cum_supply = np.cumsum(problem.supply[:, :, 0], axis=0)
    cum_need = np.cumsum(problem.need[:, :, 0], axis=0)
    pooled = cum_supply.sum(axis=1)
    weight = problem.scaled_priority()[:, 0]
    z = max_guaranteed_fill(cum_need, weight, pooled)
    face = coverage_stage(cum_need, weight, pooled, lower_bounds(z, cum_need, weight))
    stage = TransportStage(problem.cost, cum_supply, face)
    warm = warm_start_arcs(problem.cost, problem.supply[:, :, 0], face.quantities)
    every = nearest_arcs(problem.cost, 2, 6)
    from_warm = transport_stage(stage, warm)
    from_all = transport_stage(stage, every)
    assert from_all.rounds == 1
    assert from_warm.cost == pytest.approx(from_all.cost, rel=1e-9, abs=1e-6)
    assert from_warm.cost == pytest.approx(from_all.lp_bound, rel=1e-9, abs=1e-6)
    assert allocate(problem).outcomes[0].cost == pytest.approx(from_all.cost, rel=1e-9, abs=1e-6)
