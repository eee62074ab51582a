"""The audit: the combinatorial test (bridges) and the linear programmes agree."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from fangkong.core.privacy import (
    SuppressionRule,
    exposed_entries,
    feasible_intervals,
    one_way_graph,
    suppress_two_way,
    two_way_graph,
    unprotected,
)

values = st.integers(0, 30)


@settings(max_examples=150, deadline=None)
@given(
    table=st.integers(1, 4).flatmap(
        lambda m: st.integers(1, 4).flatmap(
            lambda n: st.lists(st.lists(values, min_size=n, max_size=n), min_size=m, max_size=m)
        )
    ),
    data=st.data(),
)
def test_bridges_are_exactly_the_recoverable_entries(
    table: list[list[int]], data: st.DataObject
) -> None:
    """For any pattern of hidden non-zero entries, an entry is pinned by the linear
    programmes iff it is a bridge; every other one moves at least one count each way."""
    graph = two_way_graph(table)
    hidden = [e.value > 0 and data.draw(st.booleans()) for e in graph.entries]
    exposed = set(exposed_entries(graph, hidden))
    for iv in feasible_intervals(graph, hidden):
        assert iv.low <= iv.value + 1e-6 and iv.high >= iv.value - 1e-6
        if iv.index in exposed:
            assert math.isclose(iv.low, iv.value, abs_tol=1e-6)
            assert math.isclose(iv.high, iv.value, abs_tol=1e-6)
        else:
            assert iv.low <= iv.value - 1 + 1e-6 and iv.high >= iv.value + 1 - 1e-6


def test_one_way_total_alone_hidden_is_recoverable() -> None:
    graph = one_way_graph([10, 20, 3])
    hidden = [False, False, True, False]
    assert exposed_entries(graph, hidden) == [2]
    (iv,) = unprotected(graph, hidden)
    assert (iv.low, iv.high) == (3, 3)
    hidden[0] = True
    assert exposed_entries(graph, hidden) == [] and unprotected(graph, hidden) == []


def test_unprotected_honours_a_wider_margin_and_unbounded_intervals() -> None:
    table = suppress_two_way([[1, 0], [0, 2]], SuppressionRule())
    graph = two_way_graph([[1, 0], [0, 2]])
    hidden = [c.suppressed for c in table.entries()]
    intervals = feasible_intervals(graph, hidden)
    assert all(math.isinf(iv.high) and iv.low == 0 for iv in intervals)
    assert unprotected(graph, hidden, min_width=100) == []
    other = suppress_two_way([[3, 6], [5, 9]], SuppressionRule())
    g = two_way_graph([[3, 6], [5, 9]])
    h = [c.suppressed for c in other.entries()]
    assert unprotected(g, h, min_width=1) == []
    assert unprotected(g, h, min_width=50)  # a 50-wide interval is not reachable here


def test_hidden_zero_counts_as_exposed() -> None:
    graph = one_way_graph([0, 7, 9])
    assert exposed_entries(graph, [True, True, False, False]) == [0]
