"""The baseline: every hospital is served by its nearest depot, first come first served.

This is what a dispatcher does without an optimiser: each hospital's request goes to
the closest depot (by the problem's cost matrix, great-circle km by default), which
fills requests in order of priority (highest first, then the larger need) until its
stock runs out; stock at other depots is not touched. Periods are processed in order,
unused stock is carried over and unmet need is kept as a backlog, as in the optimiser.
"""

from __future__ import annotations

import time

import numpy as np

from fangkong.core.allocation.problem import AllocationProblem
from fangkong.core.allocation.result import Allocation, Shipment


def nearest_depot(problem: AllocationProblem) -> Allocation:
    """The nearest-depot plan for ``problem``."""
    started = time.perf_counter()
    n_t, _n_d, n_h, n_i = problem.shape
    nearest = np.argmin(problem.cost, axis=0)
    stock = np.zeros(problem.supply.shape[1:], np.int64)
    backlog = np.zeros((n_h, n_i), np.int64)
    delivered = np.zeros((n_t, n_h, n_i), np.int64)
    shipments: list[Shipment] = []
    for t in range(n_t):
        stock += problem.supply[t]
        backlog += problem.need[t]
        for i in range(n_i):
            order = np.lexsort((-backlog[:, i], -problem.priority[:, i]))
            for h in order:
                want = int(backlog[h, i])
                if want == 0:
                    continue
                d = int(nearest[h])
                packs = min(want, int(stock[d, i]))
                if packs == 0:
                    continue
                stock[d, i] -= packs
                backlog[h, i] -= packs
                delivered[t, h, i] += packs
                shipments.append(Shipment(t, d, int(h), i, packs))
    return Allocation(
        "greedy-nearest-depot",
        tuple(shipments),
        delivered,
        (),
        time.perf_counter() - started,
    )
