"""Lexicographic optimal allocation with HiGHS (SciPy's ``linprog``/``milp`` front ends).

For each item separately (items share no stock), three objectives are optimised in
order, each holding the optimum of those before (lexicographic optimisation, Ehrgott,
*Multicriteria Optimization*, 2nd ed., 2005, ch. 5):

1. **equity** — maximise ``z``, the minimum over hospitals and periods of cumulative
   delivered / (scaled priority x cumulative need), so that a scarce item is shared in
   proportion to priority (max-min fairness in relief distribution, e.g. Huang,
   Smilowitz & Balcik, *Transp. Res. E* 48 (2012) 2-18);
2. **coverage** — maximise the priority-weighted packs delivered, summed after every
   period (earlier counts more), so that stock beyond the guarantee is not left idle;
3. **transport** — minimise packs x cost (pack-kilometres by default).

Every depot may supply every hospital (the command pools the stock of its
jurisdiction), so stages 1 and 2 see depots only through the pooled stock: cumulative
pooled supply covering cumulative shipments is necessary and sufficient for splitting
them over depots (stock arriving by period ``t`` can serve any later period; Hall's
condition on nested sets).

* Stage 1 is exact and combinatorial: the whole-pack guarantee of hospital ``h`` after
  period ``t`` is ``ceil(z w_h N[t, h])``, feasible iff its sum is within the pooled
  stock for every ``t``; ``z*`` is the largest breakpoint ``k / (w N)`` that passes.
* Stage 2 is a linear programme over per-hospital quantities whose constraint matrix
  is the incidence matrix of two laminar families (per-hospital prefixes in time,
  pooled prefixes in time), hence totally unimodular (Schrijver, *Combinatorial
  Optimization*, 2003, Thm. 41.11 / Edmonds-Giles): HiGHS's simplex vertex is in whole
  packs. Its duals fix the optimal face by complementary slackness (a feasible plan is
  optimal iff it meets complementary slackness with any one optimal dual): bounds and
  pooled rows with non-zero dual must be tight, quantities with non-zero reduced cost
  stay at zero.
* Stage 3 minimises cost over depot-hospital arcs on that face. Its rows (depot
  prefixes, pooled prefixes, hospital prefixes) again form two laminar families, so the
  LP optimum is in whole packs. It is solved by column generation (Desrosiers &
  Lübbecke, "A primer in column generation", 2005). The first arcs come from a cheap
  aggregated relaxation (hospitals grouped by their two cheapest depots, an LP of a few
  thousand arcs, solved twice, the second time grouping by cost plus the first prices;
  Zipkin, "Bounds for aggregating nodes in network problems", *Math. Programming* 19
  (1980) 155-177): its depot prices estimate the scarcity of each depot's stock, and
  each hospital starts with the depots cheapest at cost plus price (which is how the
  optimum ranks them, by complementary slackness), its nearest depot, and the arcs of a
  feasible nearest-first plan. Arcs of negative reduced cost are then added until none
  is left over *all* depot-hospital arcs (HiGHS's interior point method with crossover
  to a vertex, the fastest here). On ``bench/allocate.py`` the prices cut the restricted
  LPs from 5-7 per item to 3-5 and their size by half. The result is the LP optimum over
  all arcs whatever the prices were, hence the optimum. Should a vertex ever come out
  fractional, the whole-pack MILP on the generated arcs is solved with
  ``scipy.optimize.milp`` and certified against the LP bound.

Items are independent and solved in a thread pool (HiGHS releases the GIL).
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from fangkong.core.allocation.problem import AllocationProblem, FloatArray, IntArray
from fangkong.core.allocation.result import Allocation, ItemOutcome, Shipment

#: Depots per hospital in the first restricted arc set: the cheapest at cost plus the
#: relaxation's depot price, and the nearest.
PRICED_ARCS = 2
NEAREST_ARCS = 1
#: Aggregated relaxations solved for the depot prices (each regroups by priced cost).
RELAXATIONS = 2
#: New arcs per hospital and period per pricing round (most negative reduced cost).
ARCS_PER_ROUND = 3
MAX_PRICING_ROUNDS = 500
#: Duals and reduced costs smaller than this (relative to the costs) count as zero.
DUAL_TOLERANCE = 1e-9
BoolArray = np.ndarray[tuple[int, ...], np.dtype[np.bool_]]


class AllocationError(RuntimeError):
    """HiGHS failed (numerical trouble); the message says in which stage."""


@dataclass(frozen=True, slots=True)
class Arcs:
    """Parallel arrays of (period, depot, hospital) arcs, sorted and unique."""

    period: IntArray
    depot: IntArray
    hospital: IntArray

    @property
    def size(self) -> int:
        return int(self.period.size)


def _eps(q: FloatArray) -> FloatArray:
    out: FloatArray = 1e-9 * np.maximum(1.0, q)
    return out


def _suffix(m: FloatArray) -> FloatArray:
    """Sums over periods t >= τ (axis 0)."""
    out: FloatArray = np.cumsum(m[::-1], axis=0)[::-1]
    return out


def _prefix_matrix(n_t: int, block: sp.spmatrix | FloatArray) -> sp.csr_matrix:
    """Rows t, columns τ <= t, times ``block`` (Kronecker product)."""
    return sp.csr_matrix(sp.kron(sp.csr_matrix(np.tril(np.ones((n_t, n_t)))), block))


# --- stage 1 -------------------------------------------------------------------------


def lower_bounds(z: float, cum_need: IntArray, weight: FloatArray) -> IntArray:
    """Whole-pack guarantee ``ceil(z w N)`` per period and hospital (never above N)."""
    q = weight[None, :] * cum_need
    low = np.ceil(z * q - _eps(q)).astype(np.int64)
    out: IntArray = np.minimum(np.maximum(low, 0), cum_need)
    return out


def max_guaranteed_fill(cum_need: IntArray, weight: FloatArray, pooled: IntArray) -> float:
    """Stage 1: the largest ``z`` in [0, 1] with ``Σ_h ceil(z w_h N[t, h]) <= C[t]`` for
    every period ``t`` (``N`` cumulative need, ``C`` cumulative pooled stock)."""

    def feasible(z: float) -> bool:
        return bool(np.all(lower_bounds(z, cum_need, weight).sum(axis=1) <= pooled))

    if feasible(1.0):
        return 1.0
    lo, hi = 0.0, 1.0
    while hi - lo > 1e-15:
        mid = (lo + hi) / 2
        if mid in (lo, hi):
            break
        if feasible(mid):
            lo = mid
        else:
            hi = mid
    # z* is a breakpoint k / q in [lo, hi]: the largest feasible one not above hi.
    q = (weight[None, :] * cum_need).ravel()
    q = q[q > 0]
    candidates = np.unique(np.floor(hi * q + _eps(q)) / q)
    for z in candidates[::-1]:
        if lo <= z <= hi and feasible(float(z)):
            return float(z)
    return lo


# --- stage 2 -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Face:
    """The optimal face of stage 2, for stage 3: cumulative per-hospital bounds
    ``[low, high]``, pooled periods that must use all stock, and (period, hospital)
    pairs that receive nothing."""

    low: IntArray
    high: IntArray
    pooled_tight: BoolArray
    closed: BoolArray
    quantities: IntArray
    coverage: float


def coverage_stage(cum_need: IntArray, weight: FloatArray, pooled: IntArray, low: IntArray) -> Face:
    """Stage 2: per-period quantities ``y[t, h]`` maximising Σ_t Σ_h w_h Y[t, h]
    (``Y`` cumulative) with ``low <= Y <= N`` and Σ_h Y[t, h] <= C[t]."""
    n_t, n_h = cum_need.shape
    cum = _prefix_matrix(n_t, sp.eye(n_h))
    pooled_rows = _prefix_matrix(n_t, np.ones((1, n_h)))
    remaining = (n_t - np.arange(n_t)).astype(float)[:, None]
    c = -(remaining * weight[None, :]).ravel()
    a = sp.vstack([cum, -cum, pooled_rows], format="csr")
    b = np.concatenate([cum_need.ravel(), -low.ravel(), pooled]).astype(float)
    res = linprog(c, A_ub=a, b_ub=b, bounds=(0, None), method="highs-ds")
    if res.status != 0:
        raise AllocationError(f"HiGHS failed in the coverage stage: {res.message}")
    y = np.asarray(res.x)
    if np.abs(y - np.round(y)).max(initial=0.0) > 1e-6:
        integrality = np.ones_like(c)
        mres = milp(c, constraints=[LinearConstraint(a, -np.inf, b)], integrality=integrality)
        if mres.x is None:
            raise AllocationError(f"HiGHS failed in the coverage stage: {mres.message}")
        y = np.asarray(mres.x)
    quantities = np.round(y).astype(np.int64).reshape(n_t, n_h)
    coverage = float(-(c @ quantities.ravel()))
    duals = np.asarray(res.ineqlin.marginals)
    scale = DUAL_TOLERANCE * (1.0 + n_t)
    k = n_t * n_h
    upper_tight = (duals[:k] < -scale).reshape(n_t, n_h)
    lower_tight = (duals[k : 2 * k] < -scale).reshape(n_t, n_h)
    pooled_tight = duals[2 * k :] < -scale
    closed = (np.asarray(res.lower.marginals) > scale).reshape(n_t, n_h)
    high = np.where(lower_tight, low, cum_need)
    new_low = np.where(upper_tight, cum_need, low)
    return Face(new_low, high, pooled_tight, closed, quantities, coverage)


# --- stage 3 -------------------------------------------------------------------------


class TransportStage:
    """Stage 3 for one item: min Σ cost x over arcs (τ, d, h) subject to cumulative
    depot stock, the face's cumulative hospital bounds and pooled tight periods."""

    def __init__(self, cost: FloatArray, cum_supply: IntArray, face: Face) -> None:
        self.cost = cost
        self.cum_supply = cum_supply
        self.face = face
        self.n_t, self.n_d = cum_supply.shape
        self.n_h = face.low.shape[1]
        fixed = face.low == face.high
        self.eq_rows = np.flatnonzero(fixed.ravel())
        self.range_rows = np.flatnonzero(~fixed.ravel())
        self.tight_periods = np.flatnonzero(face.pooled_tight)

    def _rows(self, arcs: Arcs) -> tuple[sp.csr_matrix, sp.csr_matrix, sp.csr_matrix]:
        """Depot rows (t, d), hospital rows (t, h), pooled rows (t) of the arcs."""
        n_t, n_d, n_h = self.n_t, self.n_d, self.n_h
        tau, d, h = arcs.period, arcs.depot, arcs.hospital
        idx = np.arange(arcs.size)
        dr: list[IntArray] = []
        hr: list[IntArray] = []
        pr: list[IntArray] = []
        cols: list[IntArray] = []
        for t in range(n_t):
            on = tau <= t
            dr.append(t * n_d + d[on])
            hr.append(t * n_h + h[on])
            pr.append(np.full(int(on.sum()), t))
            cols.append(idx[on])
        col = np.concatenate(cols)
        ones = np.ones(col.size)
        shape = (arcs.size,)
        depot = sp.csr_matrix((ones, (np.concatenate(dr), col)), shape=(n_t * n_d, *shape))
        hosp = sp.csr_matrix((ones, (np.concatenate(hr), col)), shape=(n_t * n_h, *shape))
        pool = sp.csr_matrix((ones, (np.concatenate(pr), col)), shape=(n_t, *shape))
        return depot, hosp, pool

    def system(
        self, arcs: Arcs
    ) -> tuple[FloatArray, sp.csr_matrix, FloatArray, sp.csr_matrix, FloatArray]:
        """``c, A_ub, b_ub, A_eq, b_eq`` of the restricted LP."""
        depot, hosp, pool = self._rows(arcs)
        low = self.face.low.ravel().astype(float)
        high = self.face.high.ravel().astype(float)
        ranged = hosp[self.range_rows]
        a_ub = sp.vstack([depot, ranged, -ranged, -pool[self.tight_periods]], format="csr")
        b_ub = np.concatenate(
            [
                self.cum_supply.ravel().astype(float),
                high[self.range_rows],
                -low[self.range_rows],
                -self.cum_supply.sum(axis=1)[self.tight_periods].astype(float),
            ]
        )
        a_eq = hosp[self.eq_rows]
        b_eq = low[self.eq_rows]
        return self.cost[arcs.depot, arcs.hospital], a_ub, b_ub, a_eq, b_eq

    def reduced_costs(self, ub_duals: FloatArray, eq_duals: FloatArray) -> FloatArray:
        """``[τ, d, h]`` reduced cost of every arc; +inf on closed (period, hospital)."""
        n_t, n_d, n_h = self.n_t, self.n_d, self.n_h
        n_r, n_p = self.range_rows.size, self.tight_periods.size
        mu_d = ub_duals[: n_t * n_d].reshape(n_t, n_d)
        hosp = np.zeros(n_t * n_h)
        hosp[self.range_rows] += ub_duals[n_t * n_d : n_t * n_d + n_r]
        hosp[self.range_rows] -= ub_duals[n_t * n_d + n_r : n_t * n_d + 2 * n_r]
        hosp[self.eq_rows] += eq_duals
        pool = np.zeros(n_t)
        pool[self.tight_periods] = ub_duals[n_t * n_d + 2 * n_r : n_t * n_d + 2 * n_r + n_p]
        s_d = _suffix(mu_d)
        s_h = _suffix(hosp.reshape(n_t, n_h))
        s_p = _suffix(pool)
        out: FloatArray = (
            self.cost[None, :, :] - s_d[:, :, None] - s_h[:, None, :] + s_p[:, None, None]
        )
        out[np.broadcast_to(self.face.closed[:, None, :], out.shape)] = np.inf
        return out

    def solve_lp(self, arcs: Arcs) -> tuple[float, FloatArray, FloatArray, FloatArray]:
        c, a_ub, b_ub, a_eq, b_eq = self.system(arcs)
        res = linprog(
            c,
            A_ub=a_ub,
            b_ub=b_ub,
            A_eq=a_eq if a_eq.shape[0] else None,
            b_eq=b_eq if a_eq.shape[0] else None,
            bounds=(0, None),
            method="highs-ipm",
        )
        if res.status != 0:
            raise AllocationError(f"HiGHS failed in the transport stage: {res.message}")
        eq = np.asarray(res.eqlin.marginals) if a_eq.shape[0] else np.zeros(0)
        return float(res.fun), np.asarray(res.x), np.asarray(res.ineqlin.marginals), eq

    def solve_mip(self, arcs: Arcs) -> FloatArray:
        c, a_ub, b_ub, a_eq, b_eq = self.system(arcs)
        constraints = [LinearConstraint(a_ub, -np.inf, b_ub)]
        if a_eq.shape[0]:
            constraints.append(LinearConstraint(a_eq, b_eq, b_eq))
        res = milp(
            c,
            constraints=constraints,
            integrality=np.ones_like(c),
            bounds=Bounds(0, np.inf),
            options={"mip_rel_gap": 0.0},
        )
        if res.x is None:
            raise AllocationError(f"HiGHS found no whole-pack transport plan: {res.message}")
        return np.asarray(res.x)


def merge_arcs(arcs: Arcs, tau: IntArray, d: IntArray, h: IntArray, n_d: int, n_h: int) -> Arcs:
    """The union of ``arcs`` and the given ones (sorted, unique)."""
    key_old = (arcs.period * n_d + arcs.depot) * n_h + arcs.hospital
    key_new = (np.asarray(tau, np.int64) * n_d + d) * n_h + h
    keys = np.union1d(key_old, key_new)
    rest = keys // n_h
    return Arcs(rest // n_d, rest % n_d, keys % n_h)


def nearest_arcs(cost: FloatArray, n_t: int, k: int) -> Arcs:
    """Each hospital's ``k`` nearest depots, in every period."""
    return priced_arcs(cost, n_t, k)


def relaxed_depot_prices(
    cost: FloatArray, stock: IntArray, demand: IntArray, rank: FloatArray | None = None
) -> FloatArray:
    """Depot prices (>= 0, per pack) from an aggregated transportation LP.

    Hospitals with the same two cheapest depots form one group, with the group's total
    ``demand`` and its demand-weighted mean cost from each depot (Zipkin 1980); the LP
    ships the whole demand from the depots' ``stock``. Its duals on the stock rows say
    how scarce each depot is; they only order the first arcs of the column generation,
    so a failed or poor relaxation costs time, never optimality (zero prices then)."""
    n_d, n_h = cost.shape
    if n_d == 1 or demand.sum() == 0:
        return np.zeros(n_d)
    rank = cost if rank is None else rank
    cheapest = np.argpartition(rank, 1, axis=0)[:2] if n_d > 2 else np.argsort(rank, axis=0)
    first = np.where(
        rank[cheapest[0], np.arange(n_h)] <= rank[cheapest[1], np.arange(n_h)],
        cheapest[0],
        cheapest[1],
    )
    second = cheapest[0] + cheapest[1] - first
    groups, member = np.unique(first * n_d + second, return_inverse=True)
    n_g = groups.size
    q = demand.astype(float)
    group_demand = np.bincount(member, weights=q, minlength=n_g)
    size = np.bincount(member, minlength=n_g).astype(float)
    weighted = np.stack(
        [np.bincount(member, weights=cost[d] * q, minlength=n_g) for d in range(n_d)]
    )
    plain = np.stack([np.bincount(member, weights=cost[d], minlength=n_g) for d in range(n_d)])
    group_cost = np.where(group_demand > 0, weighted / np.maximum(group_demand, 1.0), plain / size)
    supply_rows = sp.kron(sp.eye(n_d), np.ones((1, n_g)), format="csr")
    demand_rows = sp.kron(np.ones((1, n_d)), sp.eye(n_g), format="csr")
    res = linprog(
        group_cost.ravel(),
        A_ub=supply_rows,
        b_ub=stock.astype(float),
        A_eq=demand_rows,
        b_eq=group_demand,
        bounds=(0, None),
        method="highs-ds",
    )
    if res.status != 0:
        return np.zeros(n_d)
    prices: FloatArray = np.maximum(-np.asarray(res.ineqlin.marginals), 0.0)
    return prices


def priced_arcs(priced: FloatArray, n_t: int, k: int) -> Arcs:
    """Each hospital's ``k`` depots of least priced cost, in every period."""
    n_d, n_h = priced.shape
    k = min(k, n_d)
    best = np.argpartition(priced, k - 1, axis=0)[:k] if k < n_d else None
    d = np.repeat(np.arange(n_d), n_h) if best is None else best.ravel()
    h = np.tile(np.arange(n_h), k)
    empty = Arcs(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64))
    tau = np.repeat(np.arange(n_t), d.size)
    return merge_arcs(empty, tau, np.tile(d, n_t), np.tile(h, n_t), n_d, n_h)


def warm_start_arcs(cost: FloatArray, supply: IntArray, quantities: IntArray) -> Arcs:
    """Arcs of one feasible plan: each hospital takes its stage-2 quantity from its
    cheapest depots (by ``cost``, e.g. priced) that still hold stock (feasible by the
    pooled-stock argument)."""
    n_t, n_d = supply.shape
    n_h = cost.shape[1]
    order = np.argsort(cost, axis=0, kind="stable")
    stock = np.zeros(n_d, np.int64)
    taus: list[int] = []
    depots: list[int] = []
    hospitals: list[int] = []
    for t in range(n_t):
        stock += supply[t]
        for h in np.flatnonzero(quantities[t]):
            rest = int(quantities[t, h])
            for d in order[:, h]:
                take = min(rest, int(stock[d]))
                if take > 0:
                    stock[d] -= take
                    rest -= take
                    taus.append(t)
                    depots.append(int(d))
                    hospitals.append(int(h))
                    if rest == 0:
                        break
            if rest > 0:
                raise AllocationError("pooled stock does not cover the coverage plan")
    empty = Arcs(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64))
    return merge_arcs(
        empty,
        np.array(taus, np.int64),
        np.array(depots, np.int64),
        np.array(hospitals, np.int64),
        n_d,
        n_h,
    )


@dataclass(frozen=True, slots=True)
class TransportResult:
    arcs: Arcs
    packs: IntArray
    cost: float
    lp_bound: float
    status: str
    rounds: int


def transport_stage(stage: TransportStage, start: Arcs) -> TransportResult:
    """Column generation to the LP optimum over all arcs, then whole packs."""
    n_t, n_d, n_h = stage.n_t, stage.n_d, stage.n_h
    # (period, hospital) pairs closed by stage 2 receive nothing: drop their arcs.
    keep_open = ~stage.face.closed[start.period, start.hospital]
    arcs = Arcs(start.period[keep_open], start.depot[keep_open], start.hospital[keep_open])
    tol = DUAL_TOLERANCE * (1.0 + float(stage.cost.max()))
    rounds = 0
    while True:
        rounds += 1
        lp_cost, x, ub_duals, eq_duals = stage.solve_lp(arcs)
        reduced = stage.reduced_costs(ub_duals, eq_duals)
        negative = reduced < -tol
        negative[arcs.period, arcs.depot, arcs.hospital] = False
        if not negative.any():
            break
        if rounds >= MAX_PRICING_ROUNDS:
            raise AllocationError("column generation did not converge")
        masked = np.where(negative, reduced, np.inf)
        k = min(ARCS_PER_ROUND, n_d)
        if k < n_d:
            best = np.argpartition(masked, k - 1, axis=1)[:, :k, :]
        else:
            best = np.broadcast_to(np.arange(n_d)[None, :, None], (n_t, n_d, n_h))
        tau = np.broadcast_to(np.arange(n_t)[:, None, None], best.shape)
        hosp = np.broadcast_to(np.arange(n_h)[None, None, :], best.shape)
        keep = negative[tau, best, hosp]
        arcs = merge_arcs(arcs, tau[keep], best[keep], hosp[keep], n_d, n_h)
    status = "optimal"
    if np.abs(x - np.round(x)).max(initial=0.0) > 1e-6:
        x = stage.solve_mip(arcs)
        gap = float(stage.cost[arcs.depot, arcs.hospital] @ np.round(x)) - lp_cost
        if gap > 1e-6 * (1.0 + abs(lp_cost)):
            # Reduced-cost fixing: only arcs with reduced cost below the gap can lower
            # the whole-pack cost; add them all and solve once more.
            more = reduced < gap
            more[arcs.period, arcs.depot, arcs.hospital] = False
            if more.any():
                tau_m, d_m, h_m = np.nonzero(more)
                arcs = merge_arcs(arcs, tau_m, d_m, h_m, n_d, n_h)
                x = stage.solve_mip(arcs)
    packs = np.round(x).astype(np.int64)
    cost = float(stage.cost[arcs.depot, arcs.hospital] @ packs)
    return TransportResult(arcs, packs, cost, lp_cost, status, rounds)


# --- driver --------------------------------------------------------------------------


def _solve_item(problem: AllocationProblem, i: int) -> tuple[list[Shipment], ItemOutcome]:
    n_t, n_d, n_h, _ = problem.shape
    cum_supply = np.cumsum(problem.supply[:, :, i], axis=0)
    cum_need = np.cumsum(problem.need[:, :, i], axis=0)
    pooled = cum_supply.sum(axis=1)
    weight = problem.scaled_priority()[:, i]
    if cum_need[-1].sum() == 0 or pooled[-1] == 0:
        z = 1.0 if cum_need[-1].sum() == 0 else 0.0
        return [], ItemOutcome(i, z, 0.0, 0.0, 0.0, "optimal", 0, 0)
    z = max_guaranteed_fill(cum_need, weight, pooled)
    low = lower_bounds(z, cum_need, weight)
    face = coverage_stage(cum_need, weight, pooled, low)
    stage = TransportStage(problem.cost, cum_supply, face)
    demand = face.quantities.sum(axis=0)
    prices = np.zeros(n_d)
    for _ in range(RELAXATIONS):
        prices = relaxed_depot_prices(
            problem.cost, cum_supply[-1], demand, problem.cost + prices[:, None]
        )
    priced = problem.cost + prices[:, None]
    warm = warm_start_arcs(problem.cost, problem.supply[:, :, i], face.quantities)
    start = priced_arcs(priced, n_t, PRICED_ARCS)
    for more in (nearest_arcs(problem.cost, n_t, NEAREST_ARCS), warm):
        start = merge_arcs(start, more.period, more.depot, more.hospital, n_d, n_h)
    result = transport_stage(stage, start)
    used = result.packs > 0
    shipments = [
        Shipment(int(t), int(d), int(h), i, int(p))
        for t, d, h, p in zip(
            result.arcs.period[used],
            result.arcs.depot[used],
            result.arcs.hospital[used],
            result.packs[used],
            strict=True,
        )
    ]
    outcome = ItemOutcome(
        i,
        z,
        face.coverage,
        result.cost,
        result.lp_bound,
        result.status,
        len(shipments),
        result.rounds,
    )
    return shipments, outcome


def allocate(problem: AllocationProblem, workers: int = 1) -> Allocation:
    """The lexicographically optimal whole-pack plan (see the module docstring);
    ``workers`` threads solve items in parallel."""
    started = time.perf_counter()
    n_items = len(problem.items)
    if workers > 1 and n_items > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            parts = list(pool.map(lambda i: _solve_item(problem, i), range(n_items)))
    else:
        parts = [_solve_item(problem, i) for i in range(n_items)]
    shipments = tuple(s for part, _ in parts for s in part)
    delivered = np.zeros((problem.periods, len(problem.hospitals), n_items), np.int64)
    for s in shipments:
        delivered[s.period, s.hospital, s.item] += s.packs
    return Allocation(
        "lexicographic",
        shipments,
        delivered,
        tuple(o for _, o in parts),
        time.perf_counter() - started,
    )


def coverage_of(problem: AllocationProblem, delivered: IntArray, item: int) -> float:
    """The stage-2 objective of a plan for one item: Σ_t Σ_h w_h Y[t, h]."""
    weight = problem.scaled_priority()[:, item]
    cum = np.cumsum(delivered[:, :, item], axis=0)
    return float((cum * weight[None, :]).sum())
