"""Allocation plans: usable depot stock and approved hospital needs → the core
optimiser (:func:`fangkong.core.allocation.solve.allocate`, lexicographic max-min
priority-weighted fill with HiGHS, then transport cost) → a stored plan with each
hospital's explanation in plain words → draft shipments for logistics to confirm.

Inputs, read in one write transaction (SQLite ``BEGIN IMMEDIATE``; on PostgreSQL the
depots and the approved request lines are locked ``FOR UPDATE``, so two plans cannot
commit the same need or the same stock):

* **supply** — per depot in scope and item, the whole packs of units usable on the
  plan date (neither expired nor damaged) minus the units promised to open (draft or
  confirmed) shipments;
* **need** — per hospital in scope and item, the approved but not yet committed units
  of its requests, in whole packs;
* **priority** — the weight of the request's declared priority (routine 1, urgent 2,
  critical 4; the most urgent open request of the hospital for that item) times
  ``1 + ICU load``, the load being the severe patients per ICU bed
  (:func:`fangkong.core.allocation.problem.icu_priority`): the occupied ICU beds of the
  hospital's latest occupancy report, or the severe and critical patients in its beds
  on the plan date by the census of its stays (services/patients.py) when more;
* **cost** — great-circle kilometres between depot and hospital (haversine).

The plan also records what the nearest-depot baseline
(:func:`fangkong.core.allocation.greedy.nearest_depot`) would have achieved, so the
commander sees the gain. The command (``command`` permission) plans for its
jurisdiction or a region inside it.

**Several periods** (``periods`` of ``period_days`` days from the plan date; a rolling
horizon). A request line falls in the period of its request's ``needed_by`` day (none,
or before the end of the first period: period 0); lines needed after the horizon wait
for a later plan. Period 0 holds the stock on hand; ``incoming`` stock (a factory
delivery, a pledged donation: depot, item, units, arrival date after the plan date)
joins at the start of the first period beginning on or after its arrival; stock not
used is carried over and unmet need stays as a backlog (core/allocation/problem.py).
Only the first period's shipments become draft shipments — they use stock that is on
the shelf today — while the later ones are kept in the plan as a schedule, to be
re-planned when their period comes with the stock actually received. Stock expiring
within the horizon is counted from period 0 on (issued earliest-expiry first, and the
schedule is recomputed before it matters).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine, insert, select

from fangkong.core.access import WORLD, Actor, Permission
from fangkong.core.allocation.explain import explain
from fangkong.core.allocation.greedy import nearest_depot
from fangkong.core.allocation.problem import AllocationProblem, ItemInfo, Site, icu_priority
from fangkong.core.allocation.result import Allocation, min_fill, transport_cost
from fangkong.core.allocation.solve import allocate
from fangkong.core.regions import RegionTree
from fangkong.services.auth import authorize
from fangkong.services.errors import Forbidden, Invalid, NotFound
from fangkong.services.hospitals import store_code
from fangkong.services.patients import census_counts
from fangkong.services.requests import PRIORITY_WEIGHT, Priority
from fangkong.services.shipments import create_draft, reserved_units, shipment
from fangkong.services.supplies import (
    DEPOT,
    items_by_code,
    ledger_for,
    lock_warehouses,
    now,
    write_transaction,
)
from fangkong.store import models as m

P = m.AllocationPlanRow
EX = m.AllocationExplanationRow
RQ = m.SupplyRequestRow
RL = m.SupplyRequestLineRow
H = m.HospitalRow
W = m.WarehouseRow
OCC = m.HospitalOccupancyRow
S = m.ShipmentRow
#: Longest horizon of a plan, in periods, and longest period, in days.
MAX_PERIODS = 12
MAX_PERIOD_DAYS = 31


@dataclass(frozen=True, slots=True)
class Incoming:
    """Stock expected at a depot of the plan: ``quantity`` base units of an item
    arriving on ``arrival_date`` (after the plan date)."""

    warehouse_code: str
    item_code: str
    quantity: int
    arrival_date: date


def period_of_need(needed_by: date | None, plan_date: date, period_days: int) -> int:
    """The period a line needed by ``needed_by`` falls in (0 when none or overdue)."""
    if needed_by is None or needed_by <= plan_date:
        return 0
    return (needed_by - plan_date).days // period_days


def period_of_arrival(arrival_date: date, plan_date: date, period_days: int) -> int:
    """The first period starting on or after the arrival (>= 1 after the plan date)."""
    return -(-(arrival_date - plan_date).days // period_days)


def _in_scope(region_code: str, scope: str, tree: RegionTree) -> bool:
    return scope == WORLD or tree.is_within(region_code, scope)


def _open_lines(conn: Connection, scope: str, tree: RegionTree) -> list[Any]:
    """Approved request lines with units not yet committed, of hospitals in scope."""
    query = (
        select(
            RL.id,
            RL.request_id,
            RL.item_code,
            RL.approved,
            RL.committed,
            RQ.priority,
            RQ.needed_by,
            RQ.hospital_code,
            H.region_code,
        )
        .join(RQ, RQ.id == RL.request_id)
        .join(H, H.hospital_code == RQ.hospital_code)
        .where(RL.approved.is_not(None), RL.approved > RL.committed)
        .order_by(RL.id)
    )
    query = query.with_for_update(of=RL)  # SQLite: no clause (one writer at a time)
    return [r for r in conn.execute(query) if _in_scope(r.region_code, scope, tree)]


def _icu_load(conn: Connection, hospital_codes: list[str], day: date) -> dict[str, float]:
    """Severe patients per ICU bed: the occupied ICU beds of each hospital's latest
    report on or before ``day``, or its severe and critical patients in bed that day
    (census of the stays), whichever is more."""
    beds = {
        r.hospital_code: r.beds_icu
        for r in conn.execute(select(H).where(H.hospital_code.in_(hospital_codes)))
    }
    latest: dict[str, Any] = {}
    for r in conn.execute(
        select(OCC)
        .where(OCC.hospital_code.in_(hospital_codes), OCC.report_date <= day)
        .order_by(OCC.report_date)
    ):
        latest[r.hospital_code] = r
    census = census_counts(conn, hospital_codes, day)
    severe = {
        c: census[c]["by_severity"]["severe"] + census[c]["by_severity"]["critical"] for c in census
    }
    occupied = np.array(
        [
            float(max(latest[c].occupied_icu if c in latest else 0, severe.get(c, 0)))
            for c in hospital_codes
        ]
    )
    capacity = np.array([float(beds[c]) for c in hospital_codes])
    load = icu_priority(occupied, capacity, floor=0.0)
    return {c: float(x) for c, x in zip(hospital_codes, load, strict=True)}


def run_allocation(
    engine: Engine,
    actor: Actor,
    tree: RegionTree,
    *,
    plan_date: date,
    region_code: str | None = None,
    periods: int = 1,
    period_days: int = 7,
    incoming: Sequence[Incoming] = (),
) -> dict[str, Any]:
    """Compute, store and turn into draft shipments the optimal plan for the approved
    needs and the depot stock in ``region_code`` (default: the actor's jurisdiction),
    over ``periods`` periods of ``period_days`` days with ``incoming`` stock."""
    if not 1 <= periods <= MAX_PERIODS:
        raise Invalid(f"periods must lie in [1, {MAX_PERIODS}]", field="periods")
    if not 1 <= period_days <= MAX_PERIOD_DAYS:
        raise Invalid(f"period_days must lie in [1, {MAX_PERIOD_DAYS}]", field="period_days")
    for k, inc in enumerate(incoming):
        if inc.quantity <= 0:
            raise Invalid("quantity must be > 0", field=f"incoming/{k}/quantity")
        t = period_of_arrival(inc.arrival_date, plan_date, period_days)
        if inc.arrival_date <= plan_date or t >= periods:
            raise Invalid(
                f"arrival must fall after the plan date and within the {periods} period(s) "
                f"of {period_days} days (a period starting by "
                f"{plan_date + timedelta(days=(periods - 1) * period_days)})",
                field=f"incoming/{k}/arrival_date",
            )
    scope = region_code or actor.jurisdiction
    if scope == WORLD:
        authorize(actor, Permission.COMMAND)
        if actor.jurisdiction != WORLD:
            authorize(actor, Permission.COMMAND, scope, tree)
    else:
        if scope not in tree:
            raise Invalid(f"unknown region {scope!r}", field="region_code")
        authorize(actor, Permission.COMMAND, scope, tree)
    with write_transaction(engine) as conn:
        depot_rows = [
            r
            for r in conn.execute(select(W).where(W.kind == DEPOT).order_by(W.warehouse_code))
            if _in_scope(r.region_code, scope, tree)
        ]
        if not depot_rows:
            raise Invalid(f"no depot in {scope}", field="region_code")
        lock_warehouses(conn, [d.warehouse_code for d in depot_rows])
        candidates = _open_lines(conn, scope, tree)
        period = {
            line.id: period_of_need(line.needed_by, plan_date, period_days) for line in candidates
        }
        lines = [line for line in candidates if period[line.id] < periods]
        if not lines:
            raise Invalid(
                "no approved request awaits allocation within the horizon", field="region_code"
            )
        catalogue = items_by_code(conn)
        depot_index = {d.warehouse_code: k for k, d in enumerate(depot_rows)}
        for k, inc in enumerate(incoming):
            if inc.warehouse_code not in depot_index:
                raise Invalid(
                    f"{inc.warehouse_code!r} is not a depot in {scope}",
                    field=f"incoming/{k}/warehouse_code",
                )
            if inc.item_code not in catalogue:
                raise Invalid(f"unknown item {inc.item_code!r}", field=f"incoming/{k}/item_code")
        item_codes = sorted({line.item_code for line in lines})
        hospital_codes = sorted({line.hospital_code for line in lines})
        hospitals = {
            r.hospital_code: r
            for r in conn.execute(select(H).where(H.hospital_code.in_(hospital_codes)))
        }
        depot_codes = [d.warehouse_code for d in depot_rows]
        ledger = ledger_for(conn, depot_codes, item_codes)
        reserved = reserved_units(conn, depot_codes)
        n_d, n_h, n_i = len(depot_codes), len(hospital_codes), len(item_codes)
        supply = np.zeros((periods, n_d, n_i), np.int64)
        for d, depot in enumerate(depot_codes):
            for i, code in enumerate(item_codes):
                free = ledger.usable(code, plan_date, depot) - reserved.get((depot, code), 0)
                supply[0, d, i] = max(0, free) // catalogue[code].pack_size
        i_index = {c: i for i, c in enumerate(item_codes)}
        for inc in incoming:
            if inc.item_code in i_index:
                t = period_of_arrival(inc.arrival_date, plan_date, period_days)
                supply[t, depot_index[inc.warehouse_code], i_index[inc.item_code]] += (
                    inc.quantity // catalogue[inc.item_code].pack_size
                )
        need = np.zeros((periods, n_h, n_i), np.int64)
        weight = np.zeros((n_h, n_i))
        h_index = {c: h for h, c in enumerate(hospital_codes)}
        for line in lines:
            h, i = h_index[line.hospital_code], i_index[line.item_code]
            need[period[line.id], h, i] += (line.approved - line.committed) // catalogue[
                line.item_code
            ].pack_size
            weight[h, i] = max(weight[h, i], PRIORITY_WEIGHT[Priority(line.priority)])
        load = _icu_load(conn, hospital_codes, plan_date)
        priority = np.where(weight > 0, weight, 1.0) * (
            1.0 + np.array([load[c] for c in hospital_codes])[:, None]
        )
        problem = AllocationProblem(
            depots=tuple(Site(d.warehouse_code, d.name, d.lat, d.lon) for d in depot_rows),
            hospitals=tuple(
                Site(c, hospitals[c].name, hospitals[c].lat, hospitals[c].lon)
                for c in hospital_codes
            ),
            items=tuple(
                ItemInfo(
                    c,
                    catalogue[c].name_zh,
                    catalogue[c].name_en,
                    catalogue[c].pack_size,
                    catalogue[c].unit,
                )
                for c in item_codes
            ),
            supply=supply,
            need=need,
            priority=priority,
        )
        plan = allocate(problem)
        baseline = nearest_depot(problem)
        pack_sizes = np.array([catalogue[c].pack_size for c in item_codes], np.int64)
        starts = [plan_date + timedelta(days=t * period_days) for t in range(periods)]
        plan_id = _store_plan(
            conn, actor, problem, plan, baseline, pack_sizes, plan_date, scope, starts, incoming
        )
        shipment_ids = _draft_shipments(
            conn, actor, problem, plan, plan_id, lines, pack_sizes, period
        )
        return _plan_dict(conn, plan_id, shipment_ids)


def _unmet_units(problem: AllocationProblem, allocation: Allocation, sizes: Any) -> int:
    gap = (problem.need.sum(axis=0) - allocation.delivered.sum(axis=0)).clip(0)
    return int((gap * sizes[None, :]).sum())


def _store_plan(
    conn: Connection,
    actor: Actor,
    problem: AllocationProblem,
    plan: Allocation,
    baseline: Allocation,
    sizes: Any,
    plan_date: date,
    scope: str,
    starts: Sequence[date] = (),
    incoming: Sequence[Incoming] = (),
) -> int:
    need = problem.need.sum(axis=0)
    got = plan.delivered.sum(axis=0)
    greedy_got = baseline.delivered.sum(axis=0)
    items = []
    for i, item in enumerate(problem.items):
        outcome = plan.item_outcome(i)
        items.append(
            {
                "item_code": item.item_code,
                "name_zh": item.name_zh,
                "name_en": item.name_en,
                "pack_size": item.pack_size,
                "stock_packs": int(problem.supply[0, :, i].sum()),
                "incoming_packs": int(problem.supply[1:, :, i].sum()),
                "need_packs": int(need[:, i].sum()),
                "need_by_period": [int(x) for x in problem.need[:, :, i].sum(axis=1)],
                "allocated_by_period": [int(x) for x in plan.delivered[:, :, i].sum(axis=1)],
                "allocated_packs": int(got[:, i].sum()),
                "greedy_packs": int(greedy_got[:, i].sum()),
                "guaranteed_fill": None if outcome is None else round(outcome.guaranteed_fill, 4),
                "status": None if outcome is None else outcome.status,
            }
        )
    hospitals = []
    for h, site in enumerate(problem.hospitals):
        hospitals.append(
            {
                "hospital_code": site.site_id,
                "name": site.name,
                "items": {
                    item.item_code: {
                        "need_packs": int(need[h, i]),
                        "allocated_packs": int(got[h, i]),
                        "fill": round(float(got[h, i] / need[h, i]), 4) if need[h, i] else None,
                        "priority": round(float(problem.priority[h, i]), 4),
                    }
                    for i, item in enumerate(problem.items)
                    if need[h, i]
                },
            }
        )
    labels = [d.isoformat() for d in starts]
    summary = {
        "region_code": scope,
        "depots": [d.site_id for d in problem.depots],
        "periods": problem.periods,
        "period_starts": labels,
        "items": items,
        "hospitals": hospitals,
        "incoming": [
            {
                "warehouse_code": inc.warehouse_code,
                "item_code": inc.item_code,
                "quantity": inc.quantity,
                "arrival_date": inc.arrival_date.isoformat(),
            }
            for inc in incoming
        ],
        # Shipments of later periods: a schedule, re-planned when the period comes.
        "schedule": [
            {
                "period": s.period,
                "period_start": labels[s.period] if s.period < len(labels) else None,
                "from_warehouse": problem.depots[s.depot].site_id,
                "hospital_code": problem.hospitals[s.hospital].site_id,
                "item_code": problem.items[s.item].item_code,
                "packs": s.packs,
            }
            for s in plan.shipments
            if s.period > 0
        ],
    }
    plan_id = int(
        conn.execute(
            insert(P)
            .values(
                plan_date=plan_date,
                method=plan.method,
                min_fill=min_fill(problem, plan),
                greedy_min_fill=min_fill(problem, baseline),
                unmet_units=_unmet_units(problem, plan, sizes),
                greedy_unmet_units=_unmet_units(problem, baseline, sizes),
                cost_km=transport_cost(problem, plan),
                solve_seconds=plan.seconds,
                summary=json.dumps(summary, ensure_ascii=False),
                actor=actor.username,
                created_at=now(),
            )
            .returning(P.id)
        ).scalar_one()
    )
    for ex in explain(problem, plan, labels if problem.periods > 1 else ()):
        conn.execute(
            insert(EX).values(
                plan_id=plan_id, hospital_code=ex.hospital_id, text_zh=ex.zh, text_en=ex.en
            )
        )
    return plan_id


def _draft_shipments(
    conn: Connection,
    actor: Actor,
    problem: AllocationProblem,
    plan: Allocation,
    plan_id: int,
    lines: list[Any],
    sizes: Any,
    period: dict[int, int] | None = None,
) -> list[int]:
    """One draft shipment per (depot, hospital) for the first period's shipments; the
    packs of each item are spread over the hospital's open request lines, those of the
    first period first, then the most urgent request, then the oldest."""
    index = {item.item_code: i for i, item in enumerate(problem.items)}
    rank = {Priority.CRITICAL.value: 0, Priority.URGENT.value: 1, Priority.ROUTINE.value: 2}
    when = period or {}
    open_lines: dict[tuple[str, str], list[list[Any]]] = defaultdict(list)
    for line in sorted(
        lines, key=lambda r: (when.get(r.id, 0), rank[r.priority], r.request_id, r.id)
    ):
        open_lines[(line.hospital_code, line.item_code)].append(
            [line.id, (line.approved - line.committed) // int(sizes[index[line.item_code]])]
        )
    grouped: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
    for s in plan.shipments:
        if s.period == 0:
            grouped[(s.depot, s.hospital)].append((s.item, s.packs))
    ids: list[int] = []
    for (d, h), parts in sorted(grouped.items()):
        hospital = problem.hospitals[h].site_id
        rows: list[tuple[int, str, int, int]] = []
        for i, packs in parts:
            code = problem.items[i].item_code
            rest = packs
            for entry in open_lines[(hospital, code)]:
                take = min(rest, int(entry[1]))
                if take > 0:
                    rows.append((int(entry[0]), code, take, take * int(sizes[i])))
                    entry[1] -= take
                    rest -= take
            if rest:
                raise RuntimeError("plan delivers more than the approved need")
        ids.append(
            create_draft(
                conn,
                actor,
                plan_id=plan_id,
                from_warehouse=problem.depots[d].site_id,
                to_warehouse=store_code(hospital),
                hospital_code=hospital,
                distance_km=float(problem.cost[d, h]),
                lines=rows,
            )
        )
    return ids


def _plan_dict(
    conn: Connection, plan_id: int, shipment_ids: list[int] | None = None
) -> dict[str, Any]:
    row = conn.execute(select(P).where(P.id == plan_id)).first()
    if row is None:
        raise NotFound(f"no allocation plan {plan_id}", field="plan_id")
    if shipment_ids is None:
        shipment_ids = [
            r.id for r in conn.execute(select(S.id).where(S.plan_id == plan_id).order_by(S.id))
        ]
    explanations = conn.execute(select(EX).where(EX.plan_id == plan_id).order_by(EX.id)).all()
    return {
        "id": row.id,
        "plan_date": row.plan_date.isoformat(),
        "method": row.method,
        "min_fill": round(row.min_fill, 4),
        "greedy_min_fill": round(row.greedy_min_fill, 4),
        "unmet_units": row.unmet_units,
        "greedy_unmet_units": row.greedy_unmet_units,
        "cost_km": round(row.cost_km, 1),
        "solve_seconds": round(row.solve_seconds, 3),
        "summary": json.loads(row.summary),
        "created_by": row.actor,
        "explanations": [
            {"hospital_code": e.hospital_code, "zh": e.text_zh, "en": e.text_en}
            for e in explanations
        ],
        "shipments": [shipment(conn, sid) for sid in shipment_ids],
    }


def _plan_scope(conn: Connection, row: Any) -> list[str]:
    """The regions a plan covers: its scope (stored in the summary since plans carry
    it), or for older plans the regions of its depots."""
    summary = json.loads(row.summary) if row.summary else {}
    if summary.get("region_code"):
        return [str(summary["region_code"])]
    depots = list(summary.get("depots", []))
    if not depots:
        return [WORLD]
    return [r.region_code for r in conn.execute(select(W).where(W.warehouse_code.in_(depots)))]


def _sees_plan(actor: Actor, tree: RegionTree, scope: list[str]) -> bool:
    """A plan shows hospitals, needs and stock of its whole scope: readable by users
    whose jurisdiction contains all of it."""
    if actor.jurisdiction == WORLD:
        return True
    return all(code != WORLD and tree.is_within(code, actor.jurisdiction) for code in scope)


def get_plan(engine: Engine, actor: Actor, tree: RegionTree, plan_id: int) -> dict[str, Any]:
    """One plan, for readers whose jurisdiction covers the plan's scope (403 else)."""
    authorize(actor, Permission.READ_AGGREGATE)
    with engine.connect() as conn:
        row = conn.execute(select(P).where(P.id == plan_id)).first()
        if row is None:
            raise NotFound(f"no allocation plan {plan_id}", field="plan_id")
        if not _sees_plan(actor, tree, _plan_scope(conn, row)):
            raise Forbidden(
                f"allocation plan {plan_id} covers regions outside the jurisdiction "
                f"{actor.jurisdiction} of {actor.username}",
                field="plan_id",
            )
        return _plan_dict(conn, plan_id)


def list_plans(
    engine: Engine, actor: Actor, tree: RegionTree, limit: int = 50
) -> list[dict[str, Any]]:
    """The latest plans whose scope lies inside the actor's jurisdiction."""
    authorize(actor, Permission.READ_AGGREGATE)
    with engine.connect() as conn:
        rows = [
            r
            for r in conn.execute(select(P).order_by(P.id.desc())).all()
            if _sees_plan(actor, tree, _plan_scope(conn, r))
        ][:limit]
    return [
        {
            "id": r.id,
            "plan_date": r.plan_date.isoformat(),
            "method": r.method,
            "min_fill": round(r.min_fill, 4),
            "greedy_min_fill": round(r.greedy_min_fill, 4),
            "unmet_units": r.unmet_units,
            "cost_km": round(r.cost_km, 1),
            "created_by": r.actor,
        }
        for r in rows
    ]
