"""Additive tables as graphs: the structure that decides which hidden counts can be derived.

A table with its totals is a set of *entries* (cells, marginal totals, the grand total)
tied by linear equations: every row of cells sums to its row total, every column to its
column total, the totals to the grand total. Writing ``y = x`` for cells and the grand
total and ``y = -x`` for the marginal totals, every line of the extended
``(m+1) x (n+1)`` table sums to zero. Each line is then a *node* and each entry an
*edge* joining its row line and its column line: a bipartite graph in which a node's
equation says that the ``y`` on its edges sum to zero (a one-way table is the special
case of two nodes, its categories and its total being parallel edges). This is the
network view of cell suppression of Cox (1980, *JASA* 75:377-385) and Castro (2002,
"Network flows heuristics for complementary cell suppression", LNCS 2316:59-73).

When the published entries are fixed, the hidden ones can move only along the
*cycles* of the graph formed by the hidden edges (alternately ``+d`` and ``-d`` in
``y``): a hidden entry that lies on no such cycle — a *bridge* of that graph — is
determined exactly by the published figures, whatever the other hidden values are; one
that lies on a cycle whose hidden entries are all non-zero can move by at least one
count either way without any entry going negative. :func:`bridges` finds the first
kind, :func:`cheapest_path` the cheapest set of further entries to hide so that a
bridge comes to lie on a cycle.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum


class EntryKind(IntEnum):
    """What an entry is; hiding a kind further down costs more (see :func:`cheapest_path`)."""

    CELL = 0
    MARGIN = 1
    GRAND_TOTAL = 2


@dataclass(frozen=True, slots=True)
class Entry:
    """One published figure: it joins nodes ``ends``; ``sign`` is ``x = sign * y``."""

    ends: tuple[int, int]
    value: int
    kind: EntryKind
    sign: int


@dataclass(frozen=True, slots=True)
class TableGraph:
    """The entries of one table and the number of line nodes they join."""

    nodes: int
    entries: tuple[Entry, ...]

    def equations(self) -> list[list[tuple[int, int]]]:
        """For each node, ``(entry index, sign)`` pairs whose signed ``x`` sum to zero."""
        rows: list[list[tuple[int, int]]] = [[] for _ in range(self.nodes)]
        for index, entry in enumerate(self.entries):
            for node in entry.ends:
                rows[node].append((index, entry.sign))
        return rows


def bridges(graph: TableGraph, hidden: Sequence[bool]) -> list[int]:
    """Indices of the hidden entries that lie on no cycle of hidden entries.

    Tarjan's bridge-finding algorithm (lowest reachable discovery time), iterative, for
    multigraphs: a parallel edge is a cycle of length two, so only the very edge used
    to reach a node is excluded when looking back from it.
    """
    adjacency: list[list[tuple[int, int]]] = [[] for _ in range(graph.nodes)]
    for index, entry in enumerate(graph.entries):
        if hidden[index]:
            a, b = entry.ends
            adjacency[a].append((b, index))
            adjacency[b].append((a, index))
    discovered = [-1] * graph.nodes
    low = [0] * graph.nodes
    found: list[int] = []
    clock = 0
    for root in range(graph.nodes):
        if discovered[root] != -1:
            continue
        discovered[root] = low[root] = clock
        clock += 1
        # (node, edge used to reach it, position in its adjacency list)
        stack: list[tuple[int, int, int]] = [(root, -1, 0)]
        while stack:
            node, via, position = stack[-1]
            if position < len(adjacency[node]):
                stack[-1] = (node, via, position + 1)
                neighbour, edge = adjacency[node][position]
                if edge == via:
                    continue
                if discovered[neighbour] == -1:
                    discovered[neighbour] = low[neighbour] = clock
                    clock += 1
                    stack.append((neighbour, edge, 0))
                else:
                    low[node] = min(low[node], discovered[neighbour])
                continue
            stack.pop()
            if stack:
                parent = stack[-1][0]
                low[parent] = min(low[parent], low[node])
                if low[node] > discovered[parent]:
                    found.append(via)
    return sorted(found)


Cost = tuple[int, int, int]


def entry_cost(entry: Entry) -> Cost:
    """The information lost by hiding ``entry``: grand totals first, then marginal
    totals, then the count hidden (the classic objective of minimum suppressed total,
    Hundepool et al. 2012, *Statistical Disclosure Control*, Wiley, ch. 4)."""
    return (
        int(entry.kind is EntryKind.GRAND_TOTAL),
        int(entry.kind is EntryKind.MARGIN),
        entry.value,
    )


def cheapest_path(graph: TableGraph, hidden: Sequence[bool], bridge: int) -> list[int] | None:
    """The published entries to hide so that ``bridge`` closes a cycle of hidden entries.

    Dijkstra's shortest path between the two ends of ``bridge`` that avoids ``bridge``
    itself: hidden entries cost nothing, published non-zero entries cost
    :func:`entry_cost` (compared lexicographically), zeros are never used — a hidden
    zero could only move upwards and would leave its cycle one-sided. ``None`` when no
    such path exists (impossible for a consistent table, see :mod:`.suppression`).
    """
    start, goal = graph.entries[bridge].ends
    adjacency: list[list[tuple[int, int]]] = [[] for _ in range(graph.nodes)]
    for index, entry in enumerate(graph.entries):
        if index == bridge or (not hidden[index] and entry.value == 0):
            continue
        a, b = entry.ends
        adjacency[a].append((b, index))
        adjacency[b].append((a, index))
    zero: Cost = (0, 0, 0)
    best: dict[int, Cost] = {start: zero}
    came_by: dict[int, tuple[int, int]] = {}
    queue: list[tuple[Cost, int]] = [(zero, start)]
    done: set[int] = set()
    while queue:
        cost, node = heapq.heappop(queue)
        if node in done:
            continue
        done.add(node)
        if node == goal:
            break
        for neighbour, edge in adjacency[node]:
            step = zero if hidden[edge] else entry_cost(graph.entries[edge])
            candidate = (cost[0] + step[0], cost[1] + step[1], cost[2] + step[2])
            if neighbour not in best or candidate < best[neighbour]:
                best[neighbour] = candidate
                came_by[neighbour] = (node, edge)
                heapq.heappush(queue, (candidate, neighbour))
    if goal not in done:
        return None
    path: list[int] = []
    node = goal
    while node != start:
        node, edge = came_by[node]
        if not hidden[edge]:
            path.append(edge)
    return path
