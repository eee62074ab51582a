"""Medical supplies: the catalogue, depots, lots and the stock ledger in the database.

The rules are those of :mod:`fangkong.core.supplies.ledger` (base units, never
negative, expired or damaged lots unusable, FEFO picking); this module persists them:

* every change of stock is an append-only ``stock_movements`` row, and the running
  ``stock_balances`` of each (warehouse, lot) is updated in the **same transaction**
  after the movement was checked by the core ledger on the locked current balances;
* concurrent writers are serialised per warehouse: on PostgreSQL the rows of the
  warehouses involved are locked with ``SELECT … FOR UPDATE`` (in code order, so two
  transfers in opposite directions cannot deadlock) before the balances are read; on
  SQLite the transaction starts with ``BEGIN IMMEDIATE`` (one writer at a time, the
  others wait on the busy timeout), so no balance read can go stale before the write;
* :func:`ledger_check` proves that nothing was lost: per item, receipts - issues -
  expiries + adjustments (transfers cancel) equals the stock on hand, and the balances
  equal the sums of the movements per (warehouse, lot).

Who may do what (core/access.py): the ``logistics`` permission over the warehouse's
region records lots and movements and creates depots; at a hospital's own store the
hospital's reporters (``write_reports``) may also record issues (consumption), counts
and write-offs; signed-in readers see the stock of their jurisdiction.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, update

from fangkong.core.access import WORLD, Actor, Permission, has_permission
from fangkong.core.regions import RegionTree
from fangkong.core.supplies.ledger import (
    Ledger,
    LedgerError,
    Lot,
    Movement,
    MovementKind,
    first_expiry_first_out,
    stock_status,
)
from fangkong.services.auth import authorize
from fangkong.services.errors import Conflict, Invalid, NotFound
from fangkong.store import models as m
from fangkong.store.db import is_sqlite
from fangkong.store.upsert import upsert_rows

ITEM = m.SupplyItemRow
W = m.WarehouseRow
LOT = m.SupplyLotRow
BAL = m.StockBalanceRow
MOV = m.StockMovementRow
CATALOGUE_FILE = "supplies_catalogue.csv"
#: Warehouse kinds: a depot of the command, or the store of one hospital.
DEPOT = "depot"
HOSPITAL_STORE = "hospital"
#: Largest single movement (base units): a typo guard, 100 million respirators.
MAX_QUANTITY = 100_000_000


def now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC (SQLite keeps no offset: stored values are UTC)."""
    if moment is None:
        return None
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return aware.isoformat()


def text_field(value: str | None, field: str, limit: int, required: bool = True) -> str:
    cleaned = (value or "").strip()
    if required and not cleaned:
        raise Invalid(f"{field} is required", field=field)
    if len(cleaned) > limit:
        raise Invalid(f"{field} is longer than {limit} characters", field=field)
    return cleaned


def within(actor: Actor, region_code: str, tree: RegionTree) -> bool:
    """True when ``region_code`` lies in the actor's jurisdiction (for reads)."""
    return actor.jurisdiction == WORLD or tree.is_within(region_code, actor.jurisdiction)


def check_coordinates(lat: float, lon: float) -> None:
    if not (-90.0 <= lat <= 90.0):
        raise Invalid("lat must lie in [-90, 90] (WGS 84 degrees)", field="lat")
    if not (-180.0 <= lon <= 180.0):
        raise Invalid("lon must lie in [-180, 180] (WGS 84 degrees)", field="lon")


def check_region(conn: Connection, region_code: str) -> None:
    found = conn.execute(
        select(m.RegionRow.region_code).where(m.RegionRow.region_code == region_code)
    ).first()
    if found is None:
        raise Invalid(f"unknown region {region_code!r}", field="region_code")


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that may change stock: on SQLite it takes the write lock at once
    (``BEGIN IMMEDIATE``), so balances read inside it cannot be changed by another
    writer before it commits; on PostgreSQL, lock rows with :func:`lock_warehouses`."""
    with engine.begin() as conn:
        if is_sqlite(engine):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        yield conn


def lock_warehouses(conn: Connection, codes: Sequence[str]) -> dict[str, Any]:
    """Lock the warehouses' rows (PostgreSQL ``FOR UPDATE``, in code order) and return
    them by code; :class:`NotFound` when one does not exist."""
    wanted = sorted(set(codes))
    query = select(W).where(W.warehouse_code.in_(wanted)).order_by(W.warehouse_code)
    query = query.with_for_update()  # SQLite: no clause (one writer at a time)
    rows = {row.warehouse_code: row for row in conn.execute(query)}
    for code in wanted:
        if code not in rows:
            raise NotFound(f"no warehouse {code!r}", field="warehouse_code")
    return rows


# --- catalogue ---------------------------------------------------------------------------


def bundled_catalogue() -> list[dict[str, Any]]:
    """The shipped catalogue (``fangkong/data/supplies_catalogue.csv``)."""
    path = resources.files("fangkong.data").joinpath(CATALOGUE_FILE)
    with path.open(encoding="utf-8") as fh:
        return [
            {
                "item_code": row["item_code"],
                "name_zh": row["name_zh"],
                "name_en": row["name_en"],
                "category": row["category"],
                "unit": row["unit"],
                "pack_size": int(row["pack_size"]),
            }
            for row in csv.DictReader(fh)
        ]


def load_catalogue(engine: Engine) -> int:
    """Insert or refresh the shipped catalogue items. Idempotent."""
    rows = bundled_catalogue()
    with engine.begin() as conn:
        upsert_rows(conn, m.table_of(ITEM), rows, ["item_code"])
    return len(rows)


def item_dict(row: Any) -> dict[str, Any]:
    return {
        "item_code": row.item_code,
        "name_zh": row.name_zh,
        "name_en": row.name_en,
        "category": row.category,
        "unit": row.unit,
        "pack_size": row.pack_size,
    }


def list_items(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(select(ITEM).order_by(ITEM.category, ITEM.item_code)).all()
    return [item_dict(r) for r in rows]


def items_by_code(conn: Connection) -> dict[str, Any]:
    return {row.item_code: row for row in conn.execute(select(ITEM))}


def get_item(conn: Connection, item_code: str) -> Any:
    row = conn.execute(select(ITEM).where(ITEM.item_code == item_code)).first()
    if row is None:
        raise Invalid(f"unknown item {item_code!r} (see the catalogue)", field="item_code")
    return row


def whole_packs(quantity: int, pack_size: int, field: str = "quantity") -> int:
    """Packs in ``quantity`` base units; :class:`Invalid` unless whole packs."""
    if quantity % pack_size:
        raise Invalid(f"{quantity} is not a whole number of packs of {pack_size}", field=field)
    return quantity // pack_size


# --- warehouses ----------------------------------------------------------------------------


def warehouse_dict(row: Any) -> dict[str, Any]:
    return {
        "warehouse_code": row.warehouse_code,
        "name": row.name,
        "kind": row.kind,
        "region_code": row.region_code,
        "lat": row.lat,
        "lon": row.lon,
        "hospital_code": row.hospital_code,
        "created_at": iso(row.created_at),
    }


def create_depot(
    engine: Engine,
    actor: Actor,
    tree: RegionTree,
    *,
    warehouse_code: str,
    name: str,
    region_code: str,
    lat: float,
    lon: float,
) -> dict[str, Any]:
    """Register a depot (储备库) of the command in ``region_code``."""
    code = text_field(warehouse_code, "warehouse_code", 32)
    label = text_field(name, "name", 128)
    check_coordinates(lat, lon)
    with engine.begin() as conn:
        check_region(conn, region_code)
        authorize(actor, Permission.LOGISTICS, region_code, tree)
        if conn.execute(select(W.warehouse_code).where(W.warehouse_code == code)).first():
            raise Conflict(f"warehouse {code} already exists", field="warehouse_code")
        conn.execute(
            insert(W).values(
                warehouse_code=code,
                name=label,
                kind=DEPOT,
                region_code=region_code,
                lat=lat,
                lon=lon,
                hospital_code=None,
                actor=actor.username,
                created_at=now(),
            )
        )
        row = conn.execute(select(W).where(W.warehouse_code == code)).one()
    return warehouse_dict(row)


def list_warehouses(
    engine: Engine, actor: Actor, tree: RegionTree, kind: str | None = None
) -> list[dict[str, Any]]:
    query = select(W).order_by(W.warehouse_code)
    if kind:
        query = query.where(W.kind == kind)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [warehouse_dict(r) for r in rows if within(actor, r.region_code, tree)]


# --- movements --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Posting:
    """A movement to post, with what caused it."""

    movement: Movement
    reference: str | None = None
    shipment_line_id: int | None = None


def _warehouses_of(movements: Sequence[Movement]) -> list[str]:
    codes: set[str] = set()
    for mv in movements:
        codes.update(c for c in (mv.from_warehouse, mv.to_warehouse) if c)
    return sorted(codes)


def ledger_for(conn: Connection, warehouses: Sequence[str], item_codes: Sequence[str]) -> Ledger:
    """The core ledger of the given items' lots and their balances in ``warehouses``
    (read after the warehouses were locked)."""
    lots = {
        row.lot_code: Lot(row.lot_code, row.item_code, row.expiry_date, bool(row.damaged))
        for row in conn.execute(select(LOT).where(LOT.item_code.in_(sorted(set(item_codes)))))
    }
    balances = {
        (row.warehouse_code, row.lot_code): int(row.quantity)
        for row in conn.execute(
            select(BAL).where(
                BAL.warehouse_code.in_(list(warehouses)),
                BAL.item_code.in_(sorted(set(item_codes))),
            )
        )
    }
    return Ledger(lots=lots, balances=balances)


def post(conn: Connection, actor: Actor, postings: Sequence[Posting]) -> list[int]:
    """Check ``postings`` against the locked balances with the core ledger and write
    them (movements + balances). All or nothing: :class:`Invalid` on a broken rule.
    The caller holds a :func:`write_transaction` and has locked the warehouses."""
    if not postings:
        return []
    movements = [p.movement for p in postings]
    lot_codes = sorted({mv.lot_code for mv in movements})
    lot_rows = {
        row.lot_code: row for row in conn.execute(select(LOT).where(LOT.lot_code.in_(lot_codes)))
    }
    for code in lot_codes:
        if code not in lot_rows:
            raise Invalid(f"unknown lot {code!r}", field="lot_code")
    items = sorted({row.item_code for row in lot_rows.values()})
    warehouses = _warehouses_of(movements)
    before = ledger_for(conn, warehouses, items)
    try:
        after = before.apply_all(movements)
    except LedgerError as exc:
        raise Invalid(exc.message, field=exc.field) from exc
    stamp = now()
    ids: list[int] = []
    for p in postings:
        mv = p.movement
        ids.append(
            int(
                conn.execute(
                    insert(MOV)
                    .values(
                        kind=mv.kind.value,
                        item_code=lot_rows[mv.lot_code].item_code,
                        lot_code=mv.lot_code,
                        quantity=mv.quantity,
                        movement_date=mv.movement_date,
                        from_warehouse=mv.from_warehouse,
                        to_warehouse=mv.to_warehouse,
                        reason=mv.reason,
                        reference=p.reference,
                        shipment_line_id=p.shipment_line_id,
                        actor=actor.username,
                        created_at=stamp,
                    )
                    .returning(MOV.id)
                ).scalar_one()
            )
        )
    for key, qty in after.balances.items():
        if before.balances.get(key) == qty:
            continue
        warehouse, lot_code = key
        if key in before.balances:
            conn.execute(
                update(BAL)
                .where(BAL.warehouse_code == warehouse, BAL.lot_code == lot_code)
                .values(quantity=qty)
            )
        else:
            conn.execute(
                insert(BAL).values(
                    warehouse_code=warehouse,
                    lot_code=lot_code,
                    item_code=lot_rows[lot_code].item_code,
                    quantity=qty,
                )
            )
    return ids


def ensure_lot(
    conn: Connection,
    actor: Actor,
    *,
    lot_code: str,
    item_code: str,
    expiry_date: date | None,
    manufacturer: str | None = None,
) -> None:
    """Register the lot, or check that a known lot has the same item and expiry."""
    code = text_field(lot_code, "lot_code", 64)
    get_item(conn, item_code)
    known = conn.execute(select(LOT).where(LOT.lot_code == code)).first()
    if known is not None:
        if known.item_code != item_code or known.expiry_date != expiry_date:
            raise Conflict(
                f"lot {code} is already registered for {known.item_code} expiring "
                f"{known.expiry_date}",
                field="lot_code",
            )
        return
    conn.execute(
        insert(LOT).values(
            lot_code=code,
            item_code=item_code,
            expiry_date=expiry_date,
            damaged=False,
            manufacturer=(manufacturer or "").strip()[:128] or None,
            actor=actor.username,
            created_at=now(),
        )
    )


def _check_quantity(quantity: int, signed: bool = False) -> None:
    if abs(quantity) > MAX_QUANTITY:
        raise Invalid(f"quantity beyond {MAX_QUANTITY:,} base units", field="quantity")
    if not signed and quantity <= 0:
        raise Invalid("quantity must be a positive number of base units", field="quantity")


def receive_stock(
    engine: Engine,
    actor: Actor,
    tree: RegionTree,
    *,
    warehouse_code: str,
    item_code: str,
    lot_code: str,
    quantity: int,
    movement_date: date,
    expiry_date: date | None = None,
    manufacturer: str | None = None,
    reason: str = "",
    reference: str | None = None,
) -> dict[str, Any]:
    """A receipt of ``quantity`` base units of a lot (registered on first receipt)."""
    _check_quantity(quantity)
    with write_transaction(engine) as conn:
        rows = lock_warehouses(conn, [warehouse_code])
        authorize(actor, Permission.LOGISTICS, rows[warehouse_code].region_code, tree)
        ensure_lot(
            conn,
            actor,
            lot_code=lot_code,
            item_code=item_code,
            expiry_date=expiry_date,
            manufacturer=manufacturer,
        )
        ids = post(
            conn,
            actor,
            [
                Posting(
                    Movement(
                        MovementKind.RECEIPT,
                        lot_code.strip(),
                        quantity,
                        movement_date,
                        to_warehouse=warehouse_code,
                        reason=text_field(reason, "reason", 2000, required=False),
                    ),
                    reference,
                )
            ],
        )
        return movement(conn, ids[0])


def _permission_at(actor: Actor, warehouse: Any) -> Permission:
    """Depots are run by logistics; a hospital's own store (its consumption, counts and
    write-offs) also by the hospital's reporters (``write_reports``)."""
    if warehouse.kind == HOSPITAL_STORE and not has_permission(actor.role, Permission.LOGISTICS):
        return Permission.WRITE_REPORTS
    return Permission.LOGISTICS


def record_movement(
    engine: Engine,
    actor: Actor,
    tree: RegionTree,
    *,
    kind: str,
    lot_code: str,
    quantity: int,
    movement_date: date,
    from_warehouse: str | None = None,
    to_warehouse: str | None = None,
    reason: str = "",
) -> dict[str, Any]:
    """An issue, transfer, adjustment or expiry write-off of one lot (receipts go
    through :func:`receive_stock`, which registers the lot). An issue from a hospital's
    store is its consumption (the basis of days of supply)."""
    try:
        what = MovementKind(kind)
    except ValueError:
        raise Invalid(
            f"kind must be one of {', '.join(k.value for k in MovementKind)}", field="kind"
        ) from None
    if what is MovementKind.RECEIPT:
        raise Invalid("record receipts with the receipt operation", field="kind")
    _check_quantity(quantity, signed=what is MovementKind.ADJUSTMENT)
    mv = Movement(
        what,
        lot_code.strip(),
        quantity,
        movement_date,
        from_warehouse=from_warehouse or None,
        to_warehouse=to_warehouse or None,
        reason=text_field(reason, "reason", 2000, required=False),
    )
    codes = _warehouses_of([mv])
    if not codes:
        raise Invalid("a movement needs a warehouse", field="from_warehouse")
    with write_transaction(engine) as conn:
        rows = lock_warehouses(conn, codes)
        for code in codes:
            authorize(actor, _permission_at(actor, rows[code]), rows[code].region_code, tree)
        ids = post(conn, actor, [Posting(mv)])
        return movement(conn, ids[0])


def mark_damaged(
    engine: Engine, actor: Actor, tree: RegionTree, lot_code: str, reason: str
) -> dict[str, Any]:
    """Mark a lot damaged: unusable everywhere from now on; its units stay on the books
    until written off with an ``expiry`` movement. Needs the ``logistics`` permission
    over every warehouse holding the lot; the change and its reason are kept in
    ``revisions`` (entity ``supply_lot``)."""
    why = text_field(reason, "reason", 2000)
    authorize(actor, Permission.LOGISTICS)
    with write_transaction(engine) as conn:
        lot = conn.execute(select(LOT).where(LOT.lot_code == lot_code)).first()
        if lot is None:
            raise NotFound(f"no lot {lot_code!r}", field="lot_code")
        holders = [
            r.warehouse_code
            for r in conn.execute(
                select(BAL.warehouse_code).where(BAL.lot_code == lot_code, BAL.quantity > 0)
            )
        ]
        for row in lock_warehouses(conn, holders).values():
            authorize(actor, Permission.LOGISTICS, row.region_code, tree)
        if lot.damaged:
            raise Conflict(f"lot {lot_code} is already marked damaged", field="lot_code")
        conn.execute(update(LOT).where(LOT.lot_code == lot_code).values(damaged=True))
        conn.execute(
            insert(m.RevisionRow).values(
                entity="supply_lot",
                entity_key=lot_code,
                field="damaged",
                old_value="false",
                new_value="true",
                reason=why,
                actor=actor.username,
                created_at=now(),
            )
        )
        return lot_dict(conn.execute(select(LOT).where(LOT.lot_code == lot_code)).one())


def lot_dict(row: Any) -> dict[str, Any]:
    return {
        "lot_code": row.lot_code,
        "item_code": row.item_code,
        "expiry_date": row.expiry_date.isoformat() if row.expiry_date else None,
        "damaged": bool(row.damaged),
        "manufacturer": row.manufacturer,
    }


def movement_dict(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "item_code": row.item_code,
        "lot_code": row.lot_code,
        "quantity": row.quantity,
        "movement_date": row.movement_date.isoformat(),
        "from_warehouse": row.from_warehouse,
        "to_warehouse": row.to_warehouse,
        "reason": row.reason,
        "reference": row.reference,
        "actor": row.actor,
        "created_at": iso(row.created_at),
    }


def movement(conn: Connection, movement_id: int) -> dict[str, Any]:
    return movement_dict(conn.execute(select(MOV).where(MOV.id == movement_id)).one())


def list_movements(
    engine: Engine,
    *,
    warehouse_code: str | None = None,
    item_code: str | None = None,
    reference: str | None = None,
    limit: int = 200,
    offset: int = 0,
    actor: Actor | None = None,
    tree: RegionTree | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """The stock card, oldest first; with ``actor``, only movements from or to a
    warehouse in the actor's jurisdiction (like :func:`stock`)."""
    query = select(MOV)
    if actor is not None and actor.jurisdiction != WORLD:
        if tree is None:
            raise ValueError("a jurisdiction filter needs the region tree")
        with engine.connect() as conn:
            seen = [
                r.warehouse_code
                for r in conn.execute(select(W.warehouse_code, W.region_code))
                if within(actor, r.region_code, tree)
            ]
        query = query.where(MOV.from_warehouse.in_(seen) | MOV.to_warehouse.in_(seen))
    if warehouse_code:
        query = query.where(
            (MOV.from_warehouse == warehouse_code) | (MOV.to_warehouse == warehouse_code)
        )
    if item_code:
        query = query.where(MOV.item_code == item_code)
    if reference:
        query = query.where(MOV.reference == reference)
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        rows = conn.execute(query.order_by(MOV.id).limit(limit).offset(offset)).all()
    return [movement_dict(r) for r in rows], int(total)


# --- stock -------------------------------------------------------------------------------


def usable_units(conn: Connection, warehouse_code: str, item_code: str, day: date) -> int:
    return ledger_for(conn, [warehouse_code], [item_code]).usable(item_code, day, warehouse_code)


def pick(
    conn: Connection, warehouse_code: str, item_code: str, quantity: int, day: date
) -> list[tuple[str, int]]:
    """Lots to issue for ``quantity`` usable units, earliest expiry first (FEFO)."""
    ledger = ledger_for(conn, [warehouse_code], [item_code])
    try:
        return first_expiry_first_out(ledger, item_code, warehouse_code, quantity, day)
    except LedgerError as exc:
        raise Conflict(exc.message, field=exc.field) from exc


def stock(
    engine: Engine,
    actor: Actor,
    tree: RegionTree,
    *,
    day: date,
    warehouse_code: str | None = None,
    item_code: str | None = None,
) -> list[dict[str, Any]]:
    """Per warehouse and item: units on hand, usable on ``day``, unusable (expired or
    damaged), whole usable packs, the stock state, the mean daily use (issues over the
    last ``USE_WINDOW_DAYS`` days: a hospital store's consumption) with the days of
    supply it leaves, and the lots; only warehouses in the actor's jurisdiction."""
    with engine.connect() as conn:
        wq = select(W)
        if warehouse_code:
            wq = wq.where(W.warehouse_code == warehouse_code)
        warehouses = {
            r.warehouse_code: r for r in conn.execute(wq) if within(actor, r.region_code, tree)
        }
        if warehouse_code and warehouse_code not in warehouses:
            raise NotFound(f"no warehouse {warehouse_code!r}", field="warehouse_code")
        items = items_by_code(conn)
        bq = select(BAL).where(BAL.quantity > 0)
        if item_code:
            bq = bq.where(BAL.item_code == item_code)
        balances = [b for b in conn.execute(bq) if b.warehouse_code in warehouses]
        lots = {
            r.lot_code: r
            for r in conn.execute(
                select(LOT).where(LOT.lot_code.in_(sorted({b.lot_code for b in balances})))
            )
        }
        used = _daily_use(conn, sorted(warehouses), day)
    ledger = Ledger(
        lots={c: Lot(c, r.item_code, r.expiry_date, bool(r.damaged)) for c, r in lots.items()},
        balances={(b.warehouse_code, b.lot_code): int(b.quantity) for b in balances},
    )
    out: list[dict[str, Any]] = []
    for wh, code in sorted({(b.warehouse_code, b.item_code) for b in balances}):
        on_hand = ledger.on_hand(code, wh)
        usable = ledger.usable(code, day, wh)
        item = items[code]
        out.append(
            {
                "warehouse_code": wh,
                "warehouse_name": warehouses[wh].name,
                "warehouse_kind": warehouses[wh].kind,
                "region_code": warehouses[wh].region_code,
                "item_code": code,
                "name_zh": item.name_zh,
                "name_en": item.name_en,
                "unit": item.unit,
                "pack_size": item.pack_size,
                "on_hand": on_hand,
                "usable": usable,
                "unusable": on_hand - usable,
                "usable_packs": usable // item.pack_size,
                "state": stock_status(ledger, code, wh, day).value,
                "daily_use": round(used.get((wh, code), 0.0), 2),
                "days_of_supply": _days_of_supply(usable, used.get((wh, code), 0.0)),
                "lots": [
                    {
                        **lot_dict(lots[lot_code]),
                        "quantity": qty,
                        "usable": ledger.lots[lot_code].usable_on(day),
                    }
                    for (w2, lot_code), qty in sorted(
                        ledger.balances.items(),
                        key=lambda kv: (lots[kv[0][1]].expiry_date or date.max, kv[0][1]),
                    )
                    if w2 == wh and lots[lot_code].item_code == code
                ],
            }
        )
    return out


def _movement_flows(rows: Sequence[Any]) -> dict[tuple[str, str], int]:
    """Net units per (warehouse, lot) implied by the movements."""
    flows: dict[tuple[str, str], int] = {}

    def add(warehouse: str | None, lot_code: str, qty: int) -> None:
        key = (warehouse or "", lot_code)
        flows[key] = flows.get(key, 0) + qty

    for r in rows:
        if r.kind == MovementKind.RECEIPT:
            add(r.to_warehouse, r.lot_code, r.quantity)
        elif r.kind in (MovementKind.ISSUE, MovementKind.EXPIRY):
            add(r.from_warehouse, r.lot_code, -r.quantity)
        elif r.kind == MovementKind.TRANSFER:
            add(r.from_warehouse, r.lot_code, -r.quantity)
            add(r.to_warehouse, r.lot_code, r.quantity)
        else:
            add(r.to_warehouse or r.from_warehouse, r.lot_code, r.quantity)
    return flows


#: Days of consumption averaged for days of supply.
USE_WINDOW_DAYS = 7


def _daily_use(conn: Connection, warehouses: list[str], day: date) -> dict[tuple[str, str], float]:
    """Mean daily issues (consumption, or dispatches from a depot) per (warehouse, item)
    over the ``USE_WINDOW_DAYS`` days up to ``day``."""
    since = day - timedelta(days=USE_WINDOW_DAYS - 1)
    rows = conn.execute(
        select(MOV.from_warehouse, MOV.item_code, func.sum(MOV.quantity).label("total"))
        .where(
            MOV.kind == MovementKind.ISSUE.value,
            MOV.from_warehouse.in_(warehouses),
            MOV.movement_date >= since,
            MOV.movement_date <= day,
        )
        .group_by(MOV.from_warehouse, MOV.item_code)
    )
    return {(r.from_warehouse, r.item_code): int(r.total) / USE_WINDOW_DAYS for r in rows}


def _days_of_supply(usable: int, daily_use: float) -> float | None:
    """Usable units over mean daily use (None when nothing was used: no estimate)."""
    return None if daily_use <= 0 else round(usable / daily_use, 1)


def ledger_check(engine: Engine) -> dict[str, Any]:
    """Proof that nothing was lost. Per item: the totals of each movement kind, the
    stock on hand (sum of balances) and ``gap`` = on hand - (receipts - issues -
    expiries + adjustments), which must be 0; and every (warehouse, lot) whose stored
    balance differs from the sum of its movements (must be none)."""
    with engine.connect() as conn:
        totals: dict[tuple[str, str], int] = {
            (r.item_code, r.kind): int(r.total)
            for r in conn.execute(
                select(MOV.item_code, MOV.kind, func.sum(MOV.quantity).label("total")).group_by(
                    MOV.item_code, MOV.kind
                )
            )
        }
        on_hand: dict[str, int] = {
            r.item_code: int(r.total)
            for r in conn.execute(
                select(BAL.item_code, func.sum(BAL.quantity).label("total")).group_by(BAL.item_code)
            )
        }
        flows = _movement_flows(conn.execute(select(MOV)).all())
        balances = {
            (r.warehouse_code, r.lot_code): int(r.quantity) for r in conn.execute(select(BAL))
        }
    mismatched = [
        {
            "warehouse_code": wh,
            "lot_code": lot,
            "balance": balances.get((wh, lot), 0),
            "movements": flows.get((wh, lot), 0),
        }
        for wh, lot in sorted(set(flows) | set(balances))
        if balances.get((wh, lot), 0) != flows.get((wh, lot), 0)
    ]
    items: list[dict[str, Any]] = []
    for code in sorted({code for code, _ in totals} | set(on_hand)):
        t = {k: totals.get((code, k.value), 0) for k in MovementKind}
        expected = (
            t[MovementKind.RECEIPT]
            - t[MovementKind.ISSUE]
            - t[MovementKind.EXPIRY]
            + t[MovementKind.ADJUSTMENT]
        )
        held = on_hand.get(code, 0)
        items.append(
            {
                "item_code": code,
                "receipts": t[MovementKind.RECEIPT],
                "issues": t[MovementKind.ISSUE],
                "transfers": t[MovementKind.TRANSFER],
                "adjustments": t[MovementKind.ADJUSTMENT],
                "expiries": t[MovementKind.EXPIRY],
                "on_hand": held,
                "gap": held - expected,
            }
        )
    return {
        "items": items,
        "mismatched_balances": mismatched,
        "balanced": not mismatched and all(i["gap"] == 0 for i in items),
    }
