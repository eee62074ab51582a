"""Hospitals' supply requests: draft → submitted → approved → committed → shipped →
received (or rejected), with the status derived from the line quantities by
:func:`fangkong.core.supplies.requests.derive_status` — never typed in.

* A reporter (``write_reports`` over the hospital's region) drafts a request with a
  priority and lines of whole packs (base units, a multiple of the item's pack size),
  then submits it (every line's ``submitted`` becomes its ``requested``).
* A commander (``command`` over the region) approves each line for up to the submitted
  quantity, in whole packs; approving every line at 0 rejects the request.
* ``committed``, ``shipped`` and ``received`` are moved only by allocation plans and
  shipments (services/allocation.py, services/shipments.py), in the same transactions
  as the plan or the stock movements; the core invariants (``received <= shipped <=
  committed <= approved <= submitted``) are checked before each write.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from fangkong.core.access import Actor, Permission
from fangkong.core.regions import RegionTree
from fangkong.core.supplies.requests import (
    LineQuantities,
    RequestStatus,
    derive_status,
    progress,
)
from fangkong.services.auth import authorize
from fangkong.services.errors import Conflict, Invalid, NotFound
from fangkong.services.hospitals import hospital_row
from fangkong.services.supplies import (
    get_item,
    iso,
    now,
    text_field,
    whole_packs,
    within,
    write_transaction,
)
from fangkong.store import models as m

RQ = m.SupplyRequestRow
RL = m.SupplyRequestLineRow
H = m.HospitalRow
MAX_LINES = 100


class Priority(StrEnum):
    """Urgency the hospital declares; its weight multiplies the allocation priority."""

    ROUTINE = "routine"
    URGENT = "urgent"
    CRITICAL = "critical"


PRIORITY_NAMES = {
    Priority.ROUTINE: "常规",
    Priority.URGENT: "紧急",
    Priority.CRITICAL: "特急",
}
#: Relative allocation weight of each declared priority (doubling per step).
PRIORITY_WEIGHT = {Priority.ROUTINE: 1.0, Priority.URGENT: 2.0, Priority.CRITICAL: 4.0}


def priority_of(text: str) -> Priority:
    cleaned = text.strip().lower()
    for p, zh in PRIORITY_NAMES.items():
        if cleaned in (p.value, zh):
            return p
    raise Invalid("priority must be routine, urgent or critical (常规, 紧急, 特急)", "priority")


def quantities(row: Any) -> LineQuantities:
    return LineQuantities(
        requested=row.requested,
        submitted=row.submitted,
        approved=row.approved,
        committed=row.committed,
        shipped=row.shipped,
        received=row.received,
    )


def check_line(q: LineQuantities) -> None:
    """:class:`Conflict` when a change would break the line invariants."""
    errors = q.check()
    if errors:
        raise Conflict("; ".join(errors), field="quantity")


def _request_dict(row: Any, lines: Sequence[Any], hospital: Any) -> dict[str, Any]:
    qs = [quantities(line) for line in lines]
    status = derive_status(qs)
    return {
        "id": row.id,
        "hospital_code": row.hospital_code,
        "hospital_name": hospital.name,
        "region_code": hospital.region_code,
        "priority": row.priority,
        "priority_zh": PRIORITY_NAMES[Priority(row.priority)],
        "status": status.value,
        "progress": progress(qs),
        "note": row.note,
        "needed_by": row.needed_by.isoformat() if row.needed_by else None,
        "created_by": row.actor,
        "created_at": iso(row.created_at),
        "submitted_by": row.submitted_by,
        "submitted_at": iso(row.submitted_at),
        "decided_by": row.decided_by,
        "decided_at": iso(row.decided_at),
        "decision_note": row.decision_note,
        "lines": [
            {
                "id": line.id,
                "item_code": line.item_code,
                "requested": line.requested,
                "submitted": line.submitted,
                "approved": line.approved,
                "committed": line.committed,
                "shipped": line.shipped,
                "received": line.received,
            }
            for line in lines
        ],
    }


def _lines(conn: Connection, request_id: int, lock: bool = False) -> list[Any]:
    query = select(RL).where(RL.request_id == request_id).order_by(RL.id)
    if lock:  # SQLite: no clause (one writer at a time)
        query = query.with_for_update()
    return list(conn.execute(query).all())


def _load(conn: Connection, request_id: int, lock: bool = False) -> tuple[Any, list[Any], Any]:
    query = select(RQ).where(RQ.id == request_id)
    if lock:  # SQLite: no clause (one writer at a time)
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None:
        raise NotFound(f"no supply request {request_id}", field="request_id")
    return row, _lines(conn, request_id, lock), hospital_row(conn, row.hospital_code)


def request_status(conn: Connection, request_id: int) -> RequestStatus:
    return derive_status([quantities(line) for line in _lines(conn, request_id)])


def create_request(
    engine: Engine,
    actor: Actor,
    tree: RegionTree,
    *,
    hospital_code: str,
    priority: str,
    lines: Sequence[tuple[str, int]],
    note: str = "",
    needed_by: date | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """Draft a request; ``lines`` are (item_code, base units), whole packs each.
    ``needed_by`` (default: as soon as possible) places the lines in a period of a
    multi-period allocation plan (services/allocation.py)."""
    level = priority_of(priority)
    remark = text_field(note, "note", 4000, required=False)
    if needed_by is not None and needed_by < (today or date.today()):
        raise Invalid(f"needed_by {needed_by} is in the past", field="needed_by")
    if not lines:
        raise Invalid("a request needs at least one line", field="lines")
    if len(lines) > MAX_LINES:
        raise Invalid(f"at most {MAX_LINES} lines", field="lines")
    codes = [code for code, _ in lines]
    if len(set(codes)) != len(codes):
        raise Invalid("each item may appear on one line only", field="lines")
    with engine.begin() as conn:
        hospital = hospital_row(conn, hospital_code)
        authorize(actor, Permission.WRITE_REPORTS, hospital.region_code, tree)
        for n, (code, qty) in enumerate(lines):
            item = get_item(conn, code)
            if qty <= 0:
                raise Invalid("quantity must be > 0", field=f"lines/{n}/quantity")
            whole_packs(qty, item.pack_size, f"lines/{n}/quantity")
        request_id = int(
            conn.execute(
                insert(RQ)
                .values(
                    hospital_code=hospital_code,
                    priority=level.value,
                    note=remark,
                    needed_by=needed_by,
                    actor=actor.username,
                    created_at=now(),
                )
                .returning(RQ.id)
            ).scalar_one()
        )
        for code, qty in lines:
            conn.execute(
                insert(RL).values(
                    request_id=request_id,
                    item_code=code,
                    requested=qty,
                    committed=0,
                    shipped=0,
                    received=0,
                )
            )
        row, rows, hospital = _load(conn, request_id)
        return _request_dict(row, rows, hospital)


def submit_request(
    engine: Engine, actor: Actor, tree: RegionTree, request_id: int
) -> dict[str, Any]:
    """Send a draft to the command (a reporter of the hospital's region)."""
    with write_transaction(engine) as conn:
        row, lines, hospital = _load(conn, request_id, lock=True)
        authorize(actor, Permission.WRITE_REPORTS, hospital.region_code, tree)
        status = derive_status([quantities(line) for line in lines])
        if status is not RequestStatus.DRAFT:
            raise Conflict(f"request {request_id} is {status.value}, not a draft")
        for line in lines:
            conn.execute(update(RL).where(RL.id == line.id).values(submitted=line.requested))
        conn.execute(
            update(RQ)
            .where(RQ.id == request_id)
            .values(submitted_by=actor.username, submitted_at=now())
        )
        row, lines, hospital = _load(conn, request_id)
        return _request_dict(row, lines, hospital)


def decide_request(
    engine: Engine,
    actor: Actor,
    tree: RegionTree,
    request_id: int,
    *,
    approved: dict[str, int] | None = None,
    note: str = "",
) -> dict[str, Any]:
    """Approve a submitted request: ``approved`` maps item codes to base units (whole
    packs, at most the submitted quantity); items not named are approved in full,
    ``None`` approves everything. All lines at 0 is a rejection."""
    remark = text_field(note, "note", 4000, required=False)
    with write_transaction(engine) as conn:
        row, lines, hospital = _load(conn, request_id, lock=True)
        authorize(actor, Permission.COMMAND, hospital.region_code, tree)
        status = derive_status([quantities(line) for line in lines])
        if status is not RequestStatus.SUBMITTED:
            raise Conflict(f"request {request_id} is {status.value}, not awaiting approval")
        decisions = dict(approved or {})
        by_item = {line.item_code: line for line in lines}
        for code in decisions:
            if code not in by_item:
                raise Invalid(f"request {request_id} has no line for {code}", field="approved")
        for line in lines:
            qty = decisions.get(line.item_code, line.submitted)
            if qty < 0 or qty > line.submitted:
                raise Invalid(
                    f"approved quantity of {line.item_code} must lie in [0, {line.submitted}]",
                    field=f"approved/{line.item_code}",
                )
            item = get_item(conn, line.item_code)
            whole_packs(qty, item.pack_size, f"approved/{line.item_code}")
            conn.execute(update(RL).where(RL.id == line.id).values(approved=qty))
        conn.execute(
            update(RQ)
            .where(RQ.id == request_id)
            .values(decided_by=actor.username, decided_at=now(), decision_note=remark or None)
        )
        row, lines, hospital = _load(conn, request_id)
        return _request_dict(row, lines, hospital)


def get_request(engine: Engine, actor: Actor, tree: RegionTree, request_id: int) -> dict[str, Any]:
    with engine.connect() as conn:
        row, lines, hospital = _load(conn, request_id)
    if not within(actor, hospital.region_code, tree):
        raise NotFound(f"no supply request {request_id}", field="request_id")
    return _request_dict(row, lines, hospital)


def list_requests(
    engine: Engine,
    actor: Actor,
    tree: RegionTree,
    *,
    hospital_code: str | None = None,
    status: str | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """Requests of hospitals in the actor's jurisdiction, newest first; ``status``
    filters on the derived status."""
    if status is not None:
        try:
            wanted: RequestStatus | None = RequestStatus(status)
        except ValueError:
            raise Invalid(
                f"status must be one of {', '.join(s.value for s in RequestStatus)}",
                field="status",
            ) from None
    else:
        wanted = None
    query = select(RQ).order_by(RQ.id.desc())
    if hospital_code:
        query = query.where(RQ.hospital_code == hospital_code)
    out: list[dict[str, Any]] = []
    with engine.connect() as conn:
        hospitals = {h.hospital_code: h for h in conn.execute(select(H))}
        rows = [
            r
            for r in conn.execute(query)
            if within(actor, hospitals[r.hospital_code].region_code, tree)
        ]
        all_lines: dict[int, list[Any]] = {}
        if rows:
            for line in conn.execute(
                select(RL).where(RL.request_id.in_([r.id for r in rows])).order_by(RL.id)
            ):
                all_lines.setdefault(line.request_id, []).append(line)
    for r in rows:
        d = _request_dict(r, all_lines.get(r.id, []), hospitals[r.hospital_code])
        if wanted is None or d["status"] == wanted.value:
            out.append(d)
        if len(out) >= limit:
            break
    return out
