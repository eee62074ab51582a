"""Auditing a suppressed table: how precisely can each hidden count be derived?

The attacker's problem (Hundepool et al. 2012, *Statistical Disclosure Control*,
Wiley, ch. 4, "the feasibility interval"): knowing every published figure and that
counts are non-negative, the smallest and largest value a hidden entry can take are
the optima of two linear programmes over the table's equations (:mod:`.graph`). A
hidden entry is *protected* when that interval is at least ``min_width`` wide; with
``min_width = 1`` it simply cannot be recovered exactly. Solved with HiGHS through
``scipy.optimize.linprog``.

:func:`exposed_entries` is the exact combinatorial counterpart used on every
publication (fast enough for each request): an entry is recoverable exactly if and
only if it is a bridge of the hidden entries' graph, and a hidden zero is pinned at its
lower bound; the linear programmes confirm it independently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog

from fangkong.core.privacy.graph import TableGraph, bridges


@dataclass(frozen=True, slots=True)
class Interval:
    """Feasible values of one hidden entry; ``high`` is ``inf`` when unbounded."""

    index: int
    value: int
    low: float
    high: float

    @property
    def width(self) -> float:
        return self.high - self.low


def feasible_intervals(graph: TableGraph, hidden: Sequence[bool]) -> list[Interval]:
    """The attacker's interval for every hidden entry, from the published ones."""
    unknown = [i for i, h in enumerate(hidden) if h]
    if not unknown:
        return []
    column = {index: k for k, index in enumerate(unknown)}
    equations = graph.equations()
    a_eq = np.zeros((len(equations), len(unknown)))
    b_eq = np.zeros(len(equations))
    for row, terms in enumerate(equations):
        for index, sign in terms:
            if hidden[index]:
                a_eq[row, column[index]] += sign
            else:
                b_eq[row] -= sign * graph.entries[index].value
    intervals: list[Interval] = []
    for index in unknown:
        objective = np.zeros(len(unknown))
        objective[column[index]] = 1.0
        low = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        high = linprog(-objective, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        if low.status != 0:
            raise ValueError(f"the published figures are inconsistent ({low.message})")
        upper = float("inf") if high.status == 3 else float(-high.fun)
        intervals.append(Interval(index, graph.entries[index].value, float(low.fun), upper))
    return intervals


def unprotected(
    graph: TableGraph, hidden: Sequence[bool], min_width: float = 1.0
) -> list[Interval]:
    """Hidden entries whose feasible interval is narrower than ``min_width``."""
    tolerance = 1e-6
    return [iv for iv in feasible_intervals(graph, hidden) if iv.width < min_width - tolerance]


def exposed_entries(graph: TableGraph, hidden: Sequence[bool]) -> list[int]:
    """Hidden entries that the published figures pin down (bridges and hidden zeros)."""
    zeros = [i for i, h in enumerate(hidden) if h and graph.entries[i].value == 0]
    return sorted(set(bridges(graph, hidden)) | set(zeros))
