"""Shipments from a depot to a hospital's store, with tracking and proof of receipt.

Life of a shipment (each step in one transaction with the stock and request changes):

1. **draft** — made by an allocation plan (services/allocation.py); its quantities are
   already ``committed`` on the request lines it serves;
2. **confirmed** — a logistics officer (``logistics`` over the depot's region) checks
   it and records the carrier and tracking number;
3. **dispatched** — the units leave the depot: one ``issue`` movement per lot picked
   earliest-expiry-first from the depot's usable stock; the request lines' ``shipped``
   grows. Refused (nothing changes) when the usable stock no longer covers it;
4. **received** — the hospital (``write_reports`` over its region, or a logistics
   officer) signs for it: one ``receipt`` movement into the hospital's store per lot
   issued, and the lines' ``received`` grows. A short delivery needs a note; what
   was not received stays recorded on the line (issued minus received).

A draft or confirmed shipment can be **cancelled** (``logistics`` or ``command``),
which releases the committed quantities.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from fangkong.core.access import Actor, Permission, has_permission
from fangkong.core.regions import RegionTree
from fangkong.core.supplies.ledger import Movement, MovementKind
from fangkong.services.auth import authorize
from fangkong.services.errors import Conflict, Invalid, NotFound
from fangkong.services.requests import check_line, quantities
from fangkong.services.supplies import (
    Posting,
    iso,
    list_movements,
    lock_warehouses,
    now,
    pick,
    post,
    text_field,
    within,
    write_transaction,
)
from fangkong.store import models as m

S = m.ShipmentRow
SL = m.ShipmentLineRow
RL = m.SupplyRequestLineRow
MOV = m.StockMovementRow
H = m.HospitalRow


class ShipmentStatus(StrEnum):
    DRAFT = "draft"
    CONFIRMED = "confirmed"
    DISPATCHED = "dispatched"
    RECEIVED = "received"
    CANCELLED = "cancelled"


#: Statuses whose units are promised but have not left the depot yet.
OPEN = (ShipmentStatus.DRAFT.value, ShipmentStatus.CONFIRMED.value)


def reference(shipment_id: int) -> str:
    return f"shipment:{shipment_id}"


def _dict(row: Any, lines: Sequence[Any], hospital_name: str | None = None) -> dict[str, Any]:
    return {
        "id": row.id,
        "plan_id": row.plan_id,
        "from_warehouse": row.from_warehouse,
        "to_warehouse": row.to_warehouse,
        "hospital_code": row.hospital_code,
        "hospital_name": hospital_name,
        "distance_km": round(row.distance_km, 1),
        "status": row.status,
        "carrier": row.carrier,
        "tracking_number": row.tracking_number,
        "created_by": row.actor,
        "created_at": iso(row.created_at),
        "confirmed_by": row.confirmed_by,
        "confirmed_at": iso(row.confirmed_at),
        "dispatched_by": row.dispatched_by,
        "dispatched_at": iso(row.dispatched_at),
        "received_by": row.received_by,
        "received_at": iso(row.received_at),
        "proof": None
        if row.proof_signed_by is None
        else {
            "signed_by": row.proof_signed_by,
            "reference": row.proof_reference,
            "note": row.proof_note,
        },
        "lines": [
            {
                "id": line.id,
                "request_line_id": line.request_line_id,
                "item_code": line.item_code,
                "packs": line.packs,
                "quantity": line.quantity,
                "received_quantity": line.received_quantity,
            }
            for line in lines
        ],
    }


def _load(conn: Connection, shipment_id: int, lock: bool = False) -> tuple[Any, list[Any]]:
    query = select(S).where(S.id == shipment_id)
    if lock:  # SQLite: no clause (one writer at a time)
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None:
        raise NotFound(f"no shipment {shipment_id}", field="shipment_id")
    lines = conn.execute(select(SL).where(SL.shipment_id == shipment_id).order_by(SL.id)).all()
    return row, list(lines)


def shipment(conn: Connection, shipment_id: int) -> dict[str, Any]:
    row, lines = _load(conn, shipment_id)
    name = conn.execute(select(H.name).where(H.hospital_code == row.hospital_code)).scalar()
    return _dict(row, lines, name)


def reserved_units(conn: Connection, warehouse_codes: Sequence[str]) -> dict[tuple[str, str], int]:
    """Units promised by open (draft or confirmed) shipments, per (depot, item)."""
    out: dict[tuple[str, str], int] = {}
    rows = conn.execute(
        select(S.from_warehouse, SL.item_code, SL.quantity)
        .join(SL, SL.shipment_id == S.id)
        .where(S.status.in_(OPEN), S.from_warehouse.in_(list(warehouse_codes)))
    )
    for r in rows:
        key = (r.from_warehouse, r.item_code)
        out[key] = out.get(key, 0) + int(r.quantity)
    return out


def create_draft(
    conn: Connection,
    actor: Actor,
    *,
    plan_id: int | None,
    from_warehouse: str,
    to_warehouse: str,
    hospital_code: str,
    distance_km: float,
    lines: Sequence[tuple[int, str, int, int]],
) -> int:
    """Insert a draft shipment; ``lines`` are (request line id, item, packs, units).
    Commits the units on the request lines (the caller holds the transaction)."""
    shipment_id = int(
        conn.execute(
            insert(S)
            .values(
                plan_id=plan_id,
                from_warehouse=from_warehouse,
                to_warehouse=to_warehouse,
                hospital_code=hospital_code,
                distance_km=distance_km,
                status=ShipmentStatus.DRAFT.value,
                actor=actor.username,
                created_at=now(),
            )
            .returning(S.id)
        ).scalar_one()
    )
    for request_line_id, item_code, packs, units in lines:
        line = conn.execute(select(RL).where(RL.id == request_line_id)).one()
        q = quantities(line)
        check_line(replace(q, committed=q.committed + units))
        conn.execute(
            update(RL).where(RL.id == request_line_id).values(committed=line.committed + units)
        )
        conn.execute(
            insert(SL).values(
                shipment_id=shipment_id,
                request_line_id=request_line_id,
                item_code=item_code,
                packs=packs,
                quantity=units,
                received_quantity=None,
            )
        )
    return shipment_id


def _need_status(row: Any, *allowed: ShipmentStatus) -> None:
    if row.status not in {s.value for s in allowed}:
        raise Conflict(
            f"shipment {row.id} is {row.status}; this needs "
            + " or ".join(s.value for s in allowed),
            field="status",
        )


def confirm(
    engine: Engine,
    actor: Actor,
    tree: RegionTree,
    shipment_id: int,
    *,
    carrier: str = "",
    tracking_number: str = "",
) -> dict[str, Any]:
    """A logistics officer confirms a draft shipment (carrier and tracking number)."""
    with write_transaction(engine) as conn:
        row, _ = _load(conn, shipment_id, lock=True)
        depot = lock_warehouses(conn, [row.from_warehouse])[row.from_warehouse]
        authorize(actor, Permission.LOGISTICS, depot.region_code, tree)
        _need_status(row, ShipmentStatus.DRAFT)
        conn.execute(
            update(S)
            .where(S.id == shipment_id)
            .values(
                status=ShipmentStatus.CONFIRMED.value,
                carrier=text_field(carrier, "carrier", 128, required=False) or None,
                tracking_number=text_field(tracking_number, "tracking_number", 64, False) or None,
                confirmed_by=actor.username,
                confirmed_at=now(),
            )
        )
        return shipment(conn, shipment_id)


def cancel(
    engine: Engine, actor: Actor, tree: RegionTree, shipment_id: int, reason: str
) -> dict[str, Any]:
    """Cancel a draft or confirmed shipment and release its committed units."""
    why = text_field(reason, "reason", 2000)
    with write_transaction(engine) as conn:
        row, lines = _load(conn, shipment_id, lock=True)
        depot = lock_warehouses(conn, [row.from_warehouse])[row.from_warehouse]
        if has_permission(actor.role, Permission.LOGISTICS):
            authorize(actor, Permission.LOGISTICS, depot.region_code, tree)
        else:
            authorize(actor, Permission.COMMAND, depot.region_code, tree)
        _need_status(row, ShipmentStatus.DRAFT, ShipmentStatus.CONFIRMED)
        for line in lines:
            rl = conn.execute(select(RL).where(RL.id == line.request_line_id)).one()
            conn.execute(
                update(RL).where(RL.id == rl.id).values(committed=rl.committed - line.quantity)
            )
        conn.execute(
            update(S)
            .where(S.id == shipment_id)
            .values(status=ShipmentStatus.CANCELLED.value, proof_note=f"cancelled: {why}")
        )
        return shipment(conn, shipment_id)


def dispatch(
    engine: Engine,
    actor: Actor,
    tree: RegionTree,
    shipment_id: int,
    *,
    movement_date: date,
) -> dict[str, Any]:
    """Issue the shipment's units from the depot (FEFO lots) and mark it dispatched."""
    with write_transaction(engine) as conn:
        row, lines = _load(conn, shipment_id, lock=True)
        depot = lock_warehouses(conn, [row.from_warehouse, row.to_warehouse])[row.from_warehouse]
        authorize(actor, Permission.LOGISTICS, depot.region_code, tree)
        _need_status(row, ShipmentStatus.CONFIRMED)
        postings: list[Posting] = []
        for line in lines:
            for lot_code, qty in pick(
                conn, row.from_warehouse, line.item_code, line.quantity, movement_date
            ):
                postings.append(
                    Posting(
                        Movement(
                            MovementKind.ISSUE,
                            lot_code,
                            qty,
                            movement_date,
                            from_warehouse=row.from_warehouse,
                            reason=f"shipment {shipment_id} to {row.hospital_code}",
                        ),
                        reference(shipment_id),
                        line.id,
                    )
                )
            rl = conn.execute(select(RL).where(RL.id == line.request_line_id)).one()
            q = quantities(rl)
            check_line(replace(q, shipped=q.shipped + line.quantity))
            conn.execute(
                update(RL).where(RL.id == rl.id).values(shipped=rl.shipped + line.quantity)
            )
        post(conn, actor, postings)
        conn.execute(
            update(S)
            .where(S.id == shipment_id)
            .values(
                status=ShipmentStatus.DISPATCHED.value,
                dispatched_by=actor.username,
                dispatched_at=now(),
            )
        )
        return shipment(conn, shipment_id)


def receive(
    engine: Engine,
    actor: Actor,
    tree: RegionTree,
    shipment_id: int,
    *,
    signed_by: str,
    movement_date: date,
    proof_reference: str = "",
    note: str = "",
    received: dict[int, int] | None = None,
) -> dict[str, Any]:
    """The hospital signs for a dispatched shipment. ``received`` maps shipment line
    ids to units counted (default: everything issued); a shortfall needs a note."""
    signer = text_field(signed_by, "signed_by", 128)
    remark = text_field(note, "note", 4000, required=False)
    with write_transaction(engine) as conn:
        row, lines = _load(conn, shipment_id, lock=True)
        store = lock_warehouses(conn, [row.from_warehouse, row.to_warehouse])[row.to_warehouse]
        signer_permission = (
            Permission.LOGISTICS
            if has_permission(actor.role, Permission.LOGISTICS)
            else Permission.WRITE_REPORTS
        )
        authorize(actor, signer_permission, store.region_code, tree)
        _need_status(row, ShipmentStatus.DISPATCHED)
        counts = dict(received or {})
        known = {line.id for line in lines}
        for line_id in counts:
            if line_id not in known:
                raise Invalid(f"shipment {shipment_id} has no line {line_id}", field="received")
        short = False
        postings: list[Posting] = []
        for line in lines:
            got = counts.get(line.id, line.quantity)
            if got < 0 or got > line.quantity:
                raise Invalid(
                    f"received quantity of line {line.id} must lie in [0, {line.quantity}]",
                    field=f"received/{line.id}",
                )
            short = short or got < line.quantity
            issued = conn.execute(
                select(MOV.lot_code, MOV.quantity)
                .where(MOV.shipment_line_id == line.id, MOV.kind == MovementKind.ISSUE.value)
                .order_by(MOV.id)
            ).all()
            rest = got
            for lot_code, qty in issued:
                take = min(rest, int(qty))
                if take > 0:
                    postings.append(
                        Posting(
                            Movement(
                                MovementKind.RECEIPT,
                                lot_code,
                                take,
                                movement_date,
                                to_warehouse=row.to_warehouse,
                                reason=f"shipment {shipment_id} from {row.from_warehouse}",
                            ),
                            reference(shipment_id),
                            line.id,
                        )
                    )
                    rest -= take
            rl = conn.execute(select(RL).where(RL.id == line.request_line_id)).one()
            conn.execute(update(RL).where(RL.id == rl.id).values(received=rl.received + got))
            conn.execute(update(SL).where(SL.id == line.id).values(received_quantity=got))
        if short and not remark:
            raise Invalid("a short delivery needs a note saying what is missing", field="note")
        post(conn, actor, postings)
        conn.execute(
            update(S)
            .where(S.id == shipment_id)
            .values(
                status=ShipmentStatus.RECEIVED.value,
                received_by=actor.username,
                received_at=now(),
                proof_signed_by=signer,
                proof_reference=text_field(proof_reference, "proof_reference", 128, False) or None,
                proof_note=remark or None,
            )
        )
        return shipment(conn, shipment_id)


def list_shipments(
    engine: Engine,
    actor: Actor,
    tree: RegionTree,
    *,
    status: str | None = None,
    hospital_code: str | None = None,
    plan_id: int | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """Shipments from or to a place in the actor's jurisdiction, newest first."""
    if status is not None and status not in {s.value for s in ShipmentStatus}:
        raise Invalid(
            f"status must be one of {', '.join(s.value for s in ShipmentStatus)}",
            field="status",
        )
    query = select(S).order_by(S.id.desc())
    if status:
        query = query.where(S.status == status)
    if hospital_code:
        query = query.where(S.hospital_code == hospital_code)
    if plan_id is not None:
        query = query.where(S.plan_id == plan_id)
    with engine.connect() as conn:
        regions = {w.warehouse_code: w.region_code for w in conn.execute(select(m.WarehouseRow))}
        names = {h.hospital_code: h.name for h in conn.execute(select(H))}
        rows = [
            r
            for r in conn.execute(query)
            if within(actor, regions[r.from_warehouse], tree)
            or within(actor, regions[r.to_warehouse], tree)
        ][:limit]
        lines: dict[int, list[Any]] = {}
        if rows:
            for line in conn.execute(
                select(SL).where(SL.shipment_id.in_([r.id for r in rows])).order_by(SL.id)
            ):
                lines.setdefault(line.shipment_id, []).append(line)
    return [_dict(r, lines.get(r.id, []), names.get(r.hospital_code)) for r in rows]


def get_shipment(
    engine: Engine, actor: Actor, tree: RegionTree, shipment_id: int
) -> dict[str, Any]:
    with engine.connect() as conn:
        out = shipment(conn, shipment_id)
        regions = {
            w.warehouse_code: w.region_code
            for w in conn.execute(
                select(m.WarehouseRow).where(
                    m.WarehouseRow.warehouse_code.in_([out["from_warehouse"], out["to_warehouse"]])
                )
            )
        }
    if not any(within(actor, r, tree) for r in regions.values()):
        raise NotFound(f"no shipment {shipment_id}", field="shipment_id")
    out["movements"], _ = list_movements(engine, reference=reference(shipment_id), limit=1000)
    return out
