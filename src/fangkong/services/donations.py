"""Donations (捐赠) of medical supplies, with donor and provenance, listed publicly.

Recording a donation (``logistics`` permission over the receiving warehouse's region)
registers its lot and posts a ``receipt`` movement (reference ``donation:<id>``) in
the same transaction, so every donated unit is on the stock ledger from the moment it
arrives. The public list (no sign-in) shows what was given, by whom, from where, and
where it was received — the disclosure of donations that China's Charity Law (2016,
arts. 71-73) asks of charities and that the public expected during COVID-19. A donor
who asked for anonymity is listed as "anonymous" (匿名).
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import Engine, func, insert, select

from fangkong.core.access import Actor, Permission
from fangkong.core.regions import RegionTree
from fangkong.core.supplies.ledger import Movement, MovementKind
from fangkong.services.auth import authorize
from fangkong.services.errors import Invalid
from fangkong.services.supplies import (
    MAX_QUANTITY,
    Posting,
    ensure_lot,
    get_item,
    iso,
    lock_warehouses,
    now,
    post,
    text_field,
    write_transaction,
)
from fangkong.store import models as m

DN = m.DonationRow
ITEM = m.SupplyItemRow
W = m.WarehouseRow


class DonorKind(StrEnum):
    INDIVIDUAL = "individual"
    COMPANY = "company"
    ORGANISATION = "organisation"
    GOVERNMENT = "government"
    ANONYMOUS = "anonymous"


def record_donation(
    engine: Engine,
    actor: Actor,
    tree: RegionTree,
    *,
    donor: str,
    donor_kind: str,
    provenance: str,
    received_date: date,
    item_code: str,
    quantity: int,
    lot_code: str,
    warehouse_code: str,
    expiry_date: date | None = None,
    manufacturer: str | None = None,
    note: str = "",
    public: bool = True,
) -> dict[str, Any]:
    """Record a donation received into ``warehouse_code`` and put it on the ledger."""
    try:
        kind = DonorKind(donor_kind.strip().lower())
    except ValueError:
        raise Invalid(
            f"donor_kind must be one of {', '.join(k.value for k in DonorKind)}",
            field="donor_kind",
        ) from None
    name = text_field(donor, "donor", 256, required=kind is not DonorKind.ANONYMOUS)
    origin = text_field(provenance, "provenance", 2000)
    remark = text_field(note, "note", 4000, required=False)
    if quantity <= 0 or quantity > MAX_QUANTITY:
        raise Invalid(f"quantity must lie in [1, {MAX_QUANTITY:,}] base units", "quantity")
    if received_date > now().date():
        raise Invalid("received_date is in the future", field="received_date")
    with write_transaction(engine) as conn:
        rows = lock_warehouses(conn, [warehouse_code])
        authorize(actor, Permission.LOGISTICS, rows[warehouse_code].region_code, tree)
        get_item(conn, item_code)
        ensure_lot(
            conn,
            actor,
            lot_code=lot_code,
            item_code=item_code,
            expiry_date=expiry_date,
            manufacturer=manufacturer,
        )
        donation_id = int(
            conn.execute(
                insert(DN)
                .values(
                    donor=name or "匿名 anonymous",
                    donor_kind=kind.value,
                    provenance=origin,
                    received_date=received_date,
                    item_code=item_code,
                    quantity=quantity,
                    lot_code=lot_code.strip(),
                    warehouse_code=warehouse_code,
                    note=remark,
                    public=public,
                    actor=actor.username,
                    created_at=now(),
                )
                .returning(DN.id)
            ).scalar_one()
        )
        post(
            conn,
            actor,
            [
                Posting(
                    Movement(
                        MovementKind.RECEIPT,
                        lot_code.strip(),
                        quantity,
                        received_date,
                        to_warehouse=warehouse_code,
                        reason=f"donation from {name or 'anonymous'}",
                    ),
                    f"donation:{donation_id}",
                )
            ],
        )
    items, _ = list_donations(engine, include_private=True, donation_id=donation_id)
    return items[0]


def list_donations(
    engine: Engine,
    *,
    include_private: bool = False,
    donation_id: int | None = None,
    item_code: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """Donations, newest first; only public ones unless ``include_private``."""
    query = (
        select(
            m.table_of(DN),
            ITEM.name_zh.label("item_name_zh"),
            ITEM.name_en.label("item_name_en"),
            ITEM.unit,
            ITEM.pack_size,
            W.name.label("warehouse_name"),
            W.region_code,
        )
        .join(ITEM, ITEM.item_code == DN.item_code)
        .join(W, W.warehouse_code == DN.warehouse_code)
    )
    if not include_private:
        query = query.where(DN.public.is_(True))
    if donation_id is not None:
        query = query.where(DN.id == donation_id)
    if item_code:
        query = query.where(DN.item_code == item_code)
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        rows = conn.execute(
            query.order_by(DN.received_date.desc(), DN.id.desc()).limit(limit).offset(offset)
        ).all()
    out = [
        {
            "id": r.id,
            "donor": r.donor,
            "donor_kind": r.donor_kind,
            "provenance": r.provenance,
            "received_date": r.received_date.isoformat(),
            "item_code": r.item_code,
            "item_name_zh": r.item_name_zh,
            "item_name_en": r.item_name_en,
            "quantity": r.quantity,
            "unit": r.unit,
            "packs": r.quantity / r.pack_size,
            "lot_code": r.lot_code,
            "warehouse_code": r.warehouse_code,
            "warehouse_name": r.warehouse_name,
            "region_code": r.region_code,
            "note": r.note,
            "recorded_at": iso(r.created_at),
        }
        for r in rows
    ]
    return out, int(total)
