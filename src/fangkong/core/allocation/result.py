"""What an allocation is and how good it is: shipments, fill rates, unmet need, cost.

Fill rate of a hospital and item = packs delivered over the horizon / packs needed.
The *priority-weighted* fill rate divides it by the hospital's scaled priority
(priority / the item's highest priority, in (0, 1]) and is capped at 1: a hospital of
half the top priority that got half its need counts as fully served in that sense. The
solver maximises the minimum of the weighted rate taken after every period (cumulative
delivered / cumulative need).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fangkong.core.allocation.problem import AllocationProblem, FloatArray, IntArray


@dataclass(frozen=True, slots=True)
class Shipment:
    """``packs`` of item ``item`` from depot ``depot`` to hospital ``hospital``, sent in
    period ``period`` (indices into the problem's tuples)."""

    period: int
    depot: int
    hospital: int
    item: int
    packs: int


@dataclass(frozen=True, slots=True)
class ItemOutcome:
    """The optimiser's figures for one item.

    ``guaranteed_fill`` is the maximised minimum priority-weighted fill rate ``z*``:
    every hospital received, after every period, at least ``z* x scaled priority`` of
    its cumulative need (rounded up to whole packs). ``weighted_delivered`` is the
    maximised second objective, ``cost`` the minimised third; ``lp_bound`` the linear
    relaxation's optimal cost over all depot-hospital arcs (a lower bound); ``status``
    is ``optimal`` when the whole-pack cost meets that bound or every arc that could
    still lower it was included (reduced-cost argument), and ``time_limit`` otherwise.
    """

    item: int
    guaranteed_fill: float
    weighted_delivered: float
    cost: float
    lp_bound: float
    status: str
    arcs_used: int
    lp_iterations: int


@dataclass(frozen=True)
class Allocation:
    """A plan: the shipments and the per-period deliveries ``delivered[t, h, i]``."""

    method: str
    shipments: tuple[Shipment, ...]
    delivered: IntArray
    outcomes: tuple[ItemOutcome, ...] = ()
    seconds: float = 0.0

    def item_outcome(self, item: int) -> ItemOutcome | None:
        for outcome in self.outcomes:
            if outcome.item == item:
                return outcome
        return None


def deliveries(problem: AllocationProblem, shipments: tuple[Shipment, ...]) -> IntArray:
    """``[t, h, i]`` packs delivered, summed from shipments."""
    out = np.zeros((problem.periods, len(problem.hospitals), len(problem.items)), np.int64)
    for s in shipments:
        out[s.period, s.hospital, s.item] += s.packs
    return out


def fill_rates(problem: AllocationProblem, allocation: Allocation) -> FloatArray:
    """``[h, i]`` delivered / needed over the horizon; NaN where nothing was needed."""
    need = problem.need.sum(axis=0).astype(np.float64)
    got = allocation.delivered.sum(axis=0).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        out: FloatArray = np.where(need > 0, got / need, np.nan)
    return out


def min_fill(problem: AllocationProblem, allocation: Allocation) -> float:
    """Lowest fill rate of any hospital and item with a need (1.0 when none)."""
    rates = fill_rates(problem, allocation)
    return 1.0 if np.all(np.isnan(rates)) else float(np.nanmin(rates))


def min_weighted_fill(problem: AllocationProblem, allocation: Allocation) -> float:
    """Lowest priority-weighted fill rate over hospitals, items and periods (capped
    at 1): the first objective of :func:`fangkong.core.allocation.solve.allocate`."""
    cum_need = np.cumsum(problem.need, axis=0).astype(np.float64)
    cum_got = np.cumsum(allocation.delivered, axis=0).astype(np.float64)
    target = cum_need * problem.scaled_priority()[None, :, :]
    mask = cum_need > 0
    if not mask.any():
        return 1.0
    return float(min(1.0, np.min(cum_got[mask] / target[mask])))


def unmet_need(problem: AllocationProblem, allocation: Allocation) -> int:
    """Packs needed over the horizon and not delivered."""
    return int((problem.need.sum(axis=0) - allocation.delivered.sum(axis=0)).clip(0).sum())


def transport_cost(problem: AllocationProblem, allocation: Allocation) -> float:
    """Sum of packs x cost per pack (pack-kilometres with the default cost)."""
    return float(sum(s.packs * problem.cost[s.depot, s.hospital] for s in allocation.shipments))


def violations(problem: AllocationProblem, allocation: Allocation) -> list[str]:
    """Every broken rule of a plan (empty when feasible): stock used before it is
    available or beyond it, deliveries beyond cumulative need, negative or
    fractional packs."""
    problems: list[str] = []
    n_t, n_d, _n_h, n_i = problem.shape
    sent = np.zeros((n_t, n_d, n_i), np.int64)
    for s in allocation.shipments:
        if s.packs <= 0:
            problems.append(f"shipment {s} has no positive whole number of packs")
        sent[s.period, s.depot, s.item] += s.packs
    over = np.cumsum(sent, axis=0) > np.cumsum(problem.supply, axis=0)
    for t, d, i in zip(*np.nonzero(over), strict=True):
        problems.append(f"depot {d} ships more of item {i} than it holds by period {t}")
    if not np.array_equal(deliveries(problem, allocation.shipments), allocation.delivered):
        problems.append("deliveries do not add up to the shipments")
    beyond = np.cumsum(allocation.delivered, axis=0) > np.cumsum(problem.need, axis=0)
    for t, h, i in zip(*np.nonzero(beyond), strict=True):
        problems.append(f"hospital {h} receives more of item {i} than needed by period {t}")
    return problems
