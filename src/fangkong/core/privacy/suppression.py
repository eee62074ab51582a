"""Small-cell suppression of one-way and two-way frequency tables, with totals.

**Primary suppression.** A count ``c`` with ``1 <= c < threshold`` (default: 1-4) is
hidden wherever it appears: in a cell, a marginal total or the grand total — a total
of 3 discloses as much as a cell of 3. Zeros are published: a zero describes nobody,
and hiding it would not protect it anyway (a hidden cell can never be negative, so a
zero's feasible interval would still start at its true value). The choice leaves one
known risk of frequency tables, *group attribute disclosure* (all cases of a row
sharing one category, Hundepool et al. 2012, ch. 5), which counts of zero can reveal;
the public breakdowns accept it: their categories (age band, sex, area) are broad.

**Secondary (complementary) suppression.** Published totals allow a hidden count to
be derived by subtraction. The textbook rule — every row or column with exactly one
hidden cell gets a second one — is necessary but not sufficient in two-way tables: two
blocks of hidden cells joined by one hidden cell leave that cell exactly determined
although no line holds a single hidden cell (the "bridge" of :mod:`.graph`). The
algorithm used here is exact for this table structure:

1. hide every small count (primary);
2. while some hidden entry is a bridge of the graph of hidden entries, hide the
   cheapest chain of published non-zero entries that closes a cycle through it (a
   shortest path; cost: grand total ≫ marginal total ≫ count, so cells are hidden
   before totals and small cells before large ones) — the network heuristic of Castro
   (2002) among the secondary-suppression methods of Hundepool et al. (2012,
   *Statistical Disclosure Control*, Wiley, ch. 4 and 5);
3. stop at the fixed point: no hidden entry is a bridge.

A chain always exists: the ``y`` values of a consistent table form a circulation, and
a non-zero edge of a circulation is never a bridge of its support (flow
decomposition), so the non-zero entries around any hidden one always include a cycle.
At the fixed point every hidden entry lies on a cycle of hidden entries that are all
at least 1, so each one can be one count higher or lower while every published figure
stays the same: its feasible interval (:mod:`.audit`) is at least ``[c - 1, c + 1]``.
In particular the one-way margins of a two-way table, published with the two-way
table's pattern, are protected as well (a line node of degree one would be a bridge).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fangkong.core.privacy.graph import Entry, EntryKind, TableGraph, bridges, cheapest_path

#: Counts from 1 to ``DEFAULT_THRESHOLD - 1`` are hidden by default.
DEFAULT_THRESHOLD = 5


@dataclass(frozen=True, slots=True)
class SuppressionRule:
    """Hide counts ``1 <= c < threshold``; ``threshold=1`` hides nothing."""

    threshold: int = DEFAULT_THRESHOLD

    def __post_init__(self) -> None:
        if self.threshold < 1:
            raise ValueError("the suppression threshold must be at least 1")

    def is_small(self, count: int) -> bool:
        return 0 < count < self.threshold

    def describe(self) -> str:
        if self.threshold <= 1:
            return "No counts are suppressed."
        small = "1" if self.threshold == 2 else f"1 to {self.threshold - 1}"
        return (
            f"Counts from {small} are suppressed (primary suppression), together with "
            "further counts chosen so that no suppressed count can be derived from the "
            "published counts and totals (secondary suppression). Zeros are published."
        )


@dataclass(frozen=True, slots=True)
class Cell:
    """A count and whether it is hidden; ``primary`` when hidden for being small."""

    count: int
    suppressed: bool
    primary: bool

    @property
    def published(self) -> int | None:
        """The figure that may leave the system: ``None`` when hidden."""
        return None if self.suppressed else self.count


@dataclass(frozen=True, slots=True)
class OneWayTable:
    cells: tuple[Cell, ...]
    total: Cell

    def entries(self) -> tuple[Cell, ...]:
        """Cells then total, in the order of :func:`one_way_graph`."""
        return (*self.cells, self.total)


@dataclass(frozen=True, slots=True)
class TwoWayTable:
    cells: tuple[tuple[Cell, ...], ...]
    row_totals: tuple[Cell, ...]
    column_totals: tuple[Cell, ...]
    total: Cell

    def entries(self) -> tuple[Cell, ...]:
        """Cells row by row, row totals, column totals, grand total, in the order of
        :func:`two_way_graph`."""
        flat = tuple(c for row in self.cells for c in row)
        return (*flat, *self.row_totals, *self.column_totals, self.total)


def _check_counts(counts: Sequence[int]) -> None:
    for c in counts:
        if isinstance(c, bool) or not isinstance(c, int) or c < 0:
            raise ValueError(f"counts must be non-negative integers, got {c!r}")


def one_way_graph(counts: Sequence[int]) -> TableGraph:
    """Categories and total as parallel edges between two nodes (the total has
    ``sign=-1``: categories minus total is zero)."""
    _check_counts(counts)
    if not counts:
        raise ValueError("a table needs at least one category")
    cells = [Entry((0, 1), c, EntryKind.CELL, 1) for c in counts]
    return TableGraph(2, (*cells, Entry((0, 1), sum(counts), EntryKind.GRAND_TOTAL, -1)))


def two_way_graph(counts: Sequence[Sequence[int]]) -> TableGraph:
    """Row nodes ``0..m`` (``m`` = the row of column totals) and column nodes
    ``m+1..m+n+1`` (the last = the column of row totals); entries in the order of
    :meth:`TwoWayTable.entries`."""
    m = len(counts)
    n = len(counts[0]) if m else 0
    if m == 0 or n == 0:
        raise ValueError("a table needs at least one row and one column")
    if any(len(row) != n for row in counts):
        raise ValueError("every row of a two-way table needs the same number of cells")
    for row in counts:
        _check_counts(row)

    def col(j: int) -> int:
        return m + 1 + j

    entries: list[Entry] = [
        Entry((i, col(j)), counts[i][j], EntryKind.CELL, 1) for i in range(m) for j in range(n)
    ]
    entries += [Entry((i, col(n)), sum(counts[i]), EntryKind.MARGIN, -1) for i in range(m)]
    entries += [
        Entry((m, col(j)), sum(counts[i][j] for i in range(m)), EntryKind.MARGIN, -1)
        for j in range(n)
    ]
    grand = sum(sum(row) for row in counts)
    entries.append(Entry((m, col(n)), grand, EntryKind.GRAND_TOTAL, 1))
    return TableGraph(m + n + 2, tuple(entries))


def protect(graph: TableGraph, rule: SuppressionRule) -> tuple[list[bool], list[bool]]:
    """``(hidden, primary)`` flags per entry: primary suppression, then complementary
    suppression to the fixed point (see the module docstring)."""
    primary = [rule.is_small(e.value) for e in graph.entries]
    hidden = list(primary)
    while True:
        exposed = bridges(graph, hidden)
        if not exposed:
            return hidden, primary
        # Primary entries first, then the smallest: deterministic and close to minimal.
        target = min(exposed, key=lambda i: (not primary[i], graph.entries[i].value, i))
        path = cheapest_path(graph, hidden, target)
        if not path:
            raise ValueError("inconsistent table: a hidden count cannot be protected")
        for index in path:
            hidden[index] = True


def _cells(graph: TableGraph, hidden: list[bool], primary: list[bool]) -> list[Cell]:
    return [Cell(e.value, h, p) for e, h, p in zip(graph.entries, hidden, primary, strict=True)]


def suppress_one_way(counts: Sequence[int], rule: SuppressionRule) -> OneWayTable:
    """Protect a one-way table and its total."""
    graph = one_way_graph(counts)
    cells = _cells(graph, *protect(graph, rule))
    return OneWayTable(tuple(cells[:-1]), cells[-1])


def suppress_two_way(counts: Sequence[Sequence[int]], rule: SuppressionRule) -> TwoWayTable:
    """Protect a two-way table, its row and column totals and its grand total."""
    graph = two_way_graph(counts)
    cells = _cells(graph, *protect(graph, rule))
    m, n = len(counts), len(counts[0])
    grid = tuple(tuple(cells[i * n : (i + 1) * n]) for i in range(m))
    rows = tuple(cells[m * n : m * n + m])
    columns = tuple(cells[m * n + m : m * n + m + n])
    return TwoWayTable(grid, rows, columns, cells[-1])
