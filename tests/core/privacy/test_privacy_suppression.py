"""Small-cell suppression must hold against an attacker who solves the table.

Every property is checked against an attacker written here from scratch: the
published cells and totals fixed, every hidden entry free but non-negative, the
row/column/grand total equations, and ``scipy.optimize.linprog`` minimising and
maximising each hidden entry."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from fangkong.core.privacy import (
    SuppressionRule,
    exposed_entries,
    suppress_one_way,
    suppress_two_way,
    two_way_graph,
)

# Counts that are often zero or small, as in real breakdowns.
counts = st.one_of(st.just(0), st.integers(1, 4), st.integers(5, 60), st.integers(0, 9))


def attacker_bounds_two_way(
    values: list[list[int]], published: list[list[int | None]]
) -> dict[tuple[int, int], tuple[float, float]]:
    """LP bounds of every hidden entry of the extended ``(m+1) x (n+1)`` table, whose
    last row holds the column totals and last column the row totals."""
    m, n = len(values), len(values[0])
    variables = [(i, j) for i in range(m + 1) for j in range(n + 1)]
    position = {v: k for k, v in enumerate(variables)}
    rows_eq: list[np.ndarray] = []
    for i in range(m + 1):  # each row of cells (and of column totals) sums to its total
        row = np.zeros(len(variables))
        for j in range(n):
            row[position[(i, j)]] = 1
        row[position[(i, n)]] = -1
        rows_eq.append(row)
    for j in range(n + 1):  # each column sums to its total
        row = np.zeros(len(variables))
        for i in range(m):
            row[position[(i, j)]] = 1
        row[position[(m, j)]] = -1
        rows_eq.append(row)
    a_eq = np.array(rows_eq)
    b_eq = np.zeros(len(rows_eq))
    bounds = []
    for i, j in variables:
        shown = published[i][j]
        bounds.append((0, None) if shown is None else (shown, shown))
    out = {}
    for v in variables:
        if published[v[0]][v[1]] is not None:
            continue
        c = np.zeros(len(variables))
        c[position[v]] = 1
        low = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        high = linprog(-c, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        assert low.status == 0
        out[v] = (low.fun, np.inf if high.status == 3 else -high.fun)
    return out


def extended(values: list[list[int]]) -> list[list[int]]:
    rows = [[*row, sum(row)] for row in values]
    columns = [sum(col) for col in zip(*values, strict=True)]
    return [*rows, [*columns, sum(columns)]]


def published_grid(values: list[list[int]], threshold: int) -> list[list[int | None]]:
    table = suppress_two_way(values, SuppressionRule(threshold))
    grid = [
        [c.published for c in row] + [t.published]
        for row, t in zip(table.cells, table.row_totals, strict=True)
    ]
    grid.append([c.published for c in table.column_totals] + [table.total.published])
    return grid


tables = st.integers(1, 6).flatmap(
    lambda m: st.integers(1, 6).flatmap(
        lambda n: st.lists(st.lists(counts, min_size=n, max_size=n), min_size=m, max_size=m)
    )
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=tables, threshold=st.sampled_from([2, 3, 5, 5, 5, 10]))
def test_random_two_way_tables_are_protected(values: list[list[int]], threshold: int) -> None:
    truth = extended(values)
    shown = published_grid(values, threshold)
    # (a) every published figure, cells and totals alike, is 0 or at least the threshold
    for row in shown:
        for value in row:
            assert value is None or value == 0 or value >= threshold
    # (b) no hidden figure can be recovered: the attacker's interval holds the true
    # value and reaches at least one count below and above it
    for (i, j), (low, high) in attacker_bounds_two_way(values, shown).items():
        true = truth[i][j]
        assert not (abs(low - true) < 1e-6 and abs(high - true) < 1e-6)
        assert low <= true - 1 + 1e-6 and high >= true + 1 - 1e-6, (i, j, true, low, high)
    # (c) the grand total stays published unless it is itself a small count
    grand = truth[-1][-1]
    assert (shown[-1][-1] is None) == (0 < grand < threshold)
    # nothing is hidden without cause
    if not any(0 < v < threshold for row in truth for v in row):
        assert all(v is not None for row in shown for v in row)


@settings(max_examples=200, deadline=None)
@given(values=st.lists(counts, min_size=1, max_size=12), threshold=st.sampled_from([3, 5, 10]))
def test_random_one_way_tables_are_protected(values: list[int], threshold: int) -> None:
    table = suppress_one_way(values, SuppressionRule(threshold))
    hidden = [c for c in table.entries() if c.suppressed]
    assert len(hidden) != 1  # one hidden figure would be the total minus the others
    for cell in table.entries():
        assert cell.suppressed or cell.count == 0 or cell.count >= threshold
        assert not (cell.suppressed and cell.count == 0)
    assert table.total.suppressed == (0 < sum(values) < threshold)


def test_zeros_are_published_and_never_used_as_complements() -> None:
    table = suppress_two_way([[3, 0, 40], [0, 0, 25], [12, 0, 30]], SuppressionRule())
    for cell in table.entries():
        if cell.count == 0:
            assert cell.published == 0
    assert table.cells[0][0].suppressed and table.cells[0][0].primary


def test_a_row_with_one_small_cell_gets_a_complement_in_that_row() -> None:
    table = suppress_two_way([[2, 30, 40], [15, 20, 25], [12, 18, 30]], SuppressionRule())
    assert table.cells[0][0].suppressed
    # the cheapest cycle hides the smallest counts of row 0 and column 0 and their
    # crossing; totals stay published
    assert [c.suppressed for c in table.cells[0]] == [True, True, False]
    assert [r[0].suppressed for r in table.cells] == [True, False, True]
    assert table.cells[2][1].suppressed
    assert not any(c.suppressed for c in (*table.row_totals, *table.column_totals, table.total))


# Two blocks of small cells joined by one small cell: every row and column holds at
# least two small cells, so the textbook singleton rule is satisfied, yet the joining
# cell (row 0, column 2) equals sums of published totals minus published cells.
DUMBBELL = [
    [1, 2, 3, 0, 50],
    [2, 1, 0, 0, 50],
    [0, 0, 1, 2, 50],
    [0, 0, 2, 1, 50],
    [50, 50, 50, 50, 50],
]


def test_the_singleton_rule_alone_is_not_enough() -> None:
    primary_only = [[None if 0 < v < 5 else v for v in row] for row in extended(DUMBBELL)]
    bounds = attacker_bounds_two_way(DUMBBELL, primary_only)
    assert bounds[(0, 2)] == pytest.approx((3, 3))  # recovered exactly
    graph = two_way_graph(DUMBBELL)
    hidden = [0 < e.value < 5 for e in graph.entries]
    assert exposed_entries(graph, hidden) == [2]  # the audit finds it
    shown = published_grid(DUMBBELL, 5)
    for (i, j), (low, high) in attacker_bounds_two_way(DUMBBELL, shown).items():
        assert high - low >= 2 - 1e-6, (i, j)


def test_a_small_grand_total_hides_every_non_zero_figure() -> None:
    table = suppress_two_way([[1, 0], [0, 2]], SuppressionRule())
    assert all(c.suppressed == (c.count > 0) for c in table.entries())


def test_small_margins_are_hidden_with_a_complementary_margin() -> None:
    # the first row holds 3 cases in all: its total is a small count
    values = [[1, 2, 0], [10, 20, 30], [15, 25, 35]]
    table = suppress_two_way(values, SuppressionRule())
    assert table.row_totals[0].suppressed and table.row_totals[0].primary
    hidden_rows = [t for t in table.row_totals if t.suppressed]
    assert len(hidden_rows) >= 2 and not table.total.suppressed


def test_threshold_one_hides_nothing() -> None:
    table = suppress_two_way([[1, 2], [3, 4]], SuppressionRule(1))
    assert not any(c.suppressed for c in table.entries())
    assert SuppressionRule(1).describe() == "No counts are suppressed."


@pytest.mark.parametrize("values", [[], [[]], [[1, 2], [3]], [[-1, 2]], [[1.5, 2]], [[True, 2]]])
def test_malformed_tables_are_refused(values: list[list[int]]) -> None:
    with pytest.raises(ValueError):
        suppress_two_way(values, SuppressionRule())


def test_threshold_must_be_positive() -> None:
    with pytest.raises(ValueError):
        SuppressionRule(0)
    assert "1 to 4" in SuppressionRule().describe()
