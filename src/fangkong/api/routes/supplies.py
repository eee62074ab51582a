"""``/api/v1/supplies``: the catalogue, depots, stock, lots and movements, hospitals'
supply requests; ``/api/v1/donations``: donations, listed publicly (transparency).

Everything but the catalogue and the public donation list needs a signed-in caller;
rules and permissions: services/supplies.py, services/requests.py,
services/donations.py."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Body, Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy import Engine

from fangkong.api.deps import current_actor, get_engine, get_region_tree
from fangkong.api.params import Day, Id, Offset
from fangkong.api.routing import ApiRouter
from fangkong.core.access import Actor
from fangkong.core.regions import RegionTree
from fangkong.services import donations as donation_svc
from fangkong.services import requests as request_svc
from fangkong.services import supplies as svc

router = ApiRouter(prefix="/api/v1/supplies", tags=["supplies"])
donations_router = ApiRouter(prefix="/api/v1/donations", tags=["donations"])
CODE = r"^[A-Za-z0-9-]{2,16}$"
KEY = r"^[A-Za-z0-9_.\-]{1,64}$"
QTY = Field(ge=1, le=svc.MAX_QUANTITY)


class DepotIn(BaseModel):
    warehouse_code: str = Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")
    name: str = Field(min_length=1, max_length=128)
    region_code: str = Field(pattern=CODE)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class ReceiptIn(BaseModel):
    warehouse_code: str = Field(pattern=KEY)
    item_code: str = Field(pattern=KEY)
    lot_code: str = Field(pattern=KEY)
    quantity: int = QTY
    movement_date: date
    expiry_date: date | None = None
    manufacturer: str | None = Field(default=None, max_length=128)
    reason: str = Field(default="", max_length=2000)


class MovementIn(BaseModel):
    kind: str = Field(pattern=r"^(issue|transfer|adjustment|expiry)$")
    lot_code: str = Field(pattern=KEY)
    quantity: int = Field(ge=-svc.MAX_QUANTITY, le=svc.MAX_QUANTITY)
    movement_date: date
    from_warehouse: str | None = Field(default=None, pattern=KEY)
    to_warehouse: str | None = Field(default=None, pattern=KEY)
    reason: str = Field(default="", max_length=2000)


class DamageIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class LineIn(BaseModel):
    item_code: str = Field(pattern=KEY)
    quantity: int = QTY


class RequestIn(BaseModel):
    hospital_code: str = Field(pattern=KEY)
    priority: str = Field(default="routine", max_length=16)
    lines: list[LineIn] = Field(min_length=1, max_length=request_svc.MAX_LINES)
    note: str = Field(default="", max_length=4000)
    needed_by: date | None = Field(
        default=None, description="The day needed by (default: as soon as possible)."
    )


class DecisionIn(BaseModel):
    approved: dict[str, Annotated[int, Field(ge=0, le=svc.MAX_QUANTITY)]] | None = None
    note: str = Field(default="", max_length=4000)


class DonationIn(BaseModel):
    donor: str = Field(default="", max_length=256)
    donor_kind: str = Field(max_length=24, examples=["company"])
    provenance: str = Field(min_length=1, max_length=2000)
    received_date: date
    item_code: str = Field(pattern=KEY)
    quantity: int = QTY
    lot_code: str = Field(pattern=KEY)
    warehouse_code: str = Field(pattern=KEY)
    expiry_date: date | None = None
    manufacturer: str | None = Field(default=None, max_length=128)
    note: str = Field(default="", max_length=4000)
    public: bool = True


# --- catalogue, depots, stock ------------------------------------------------------------


@router.get("/items", summary="The supplies catalogue (base units and pack sizes)")
def items(engine: Annotated[Engine, Depends(get_engine)]) -> dict[str, Any]:
    rows = svc.list_items(engine)
    return {"items": rows, "total": len(rows)}


@router.get("/warehouses", summary="Depots and hospital stores in the caller's jurisdiction")
def warehouses(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    kind: Annotated[str | None, Query(pattern=r"^(depot|hospital)$")] = None,
) -> dict[str, Any]:
    rows = svc.list_warehouses(engine, actor, tree, kind)
    return {"items": rows, "total": len(rows)}


@router.post("/warehouses", status_code=201, summary="Register a depot")
def create_depot(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    body: Annotated[DepotIn, Body()],
) -> dict[str, Any]:
    return svc.create_depot(engine, actor, tree, **body.model_dump())


@router.get("/stock", summary="Stock on hand and usable, per warehouse and item, with lots")
def stock(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    warehouse: Annotated[str | None, Query(pattern=KEY)] = None,
    item: Annotated[str | None, Query(pattern=KEY)] = None,
    day: Day = None,
) -> dict[str, Any]:
    rows = svc.stock(
        engine, actor, tree, day=day or date.today(), warehouse_code=warehouse, item_code=item
    )
    return {"items": rows, "total": len(rows)}


@router.get("/ledger/check", summary="Proof that the ledger balances (nothing lost)")
def ledger_check(
    engine: Annotated[Engine, Depends(get_engine)],
    actor: Annotated[Actor, Depends(current_actor)],
) -> dict[str, Any]:
    return svc.ledger_check(engine)


@router.get("/movements", summary="The stock card of the caller's warehouses, oldest first")
def movements(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    warehouse: Annotated[str | None, Query(pattern=KEY)] = None,
    item: Annotated[str | None, Query(pattern=KEY)] = None,
    reference: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 200,
    offset: Offset = 0,
) -> dict[str, Any]:
    rows, total = svc.list_movements(
        engine,
        warehouse_code=warehouse,
        item_code=item,
        reference=reference,
        limit=limit,
        offset=offset,
        actor=actor,
        tree=tree,
    )
    return {"items": rows, "total": total, "limit": limit, "offset": offset}


@router.post("/receipts", status_code=201, summary="Receive units of a lot into a warehouse")
def receipt(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    body: Annotated[ReceiptIn, Body()],
) -> dict[str, Any]:
    return svc.receive_stock(engine, actor, tree, **body.model_dump())


@router.post("/movements", status_code=201, summary="Issue, transfer, adjust or write off")
def movement(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    body: Annotated[MovementIn, Body()],
) -> dict[str, Any]:
    return svc.record_movement(engine, actor, tree, **body.model_dump())


@router.post("/lots/{lot_code}/damaged", summary="Mark a lot damaged (unusable)")
def damaged(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    lot_code: str,
    body: Annotated[DamageIn, Body()],
) -> dict[str, Any]:
    return svc.mark_damaged(engine, actor, tree, lot_code, body.reason)


# --- requests ---------------------------------------------------------------------------


@router.get("/requests", summary="Hospitals' supply requests (status derived)")
def list_requests(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    hospital: Annotated[str | None, Query(pattern=KEY)] = None,
    status: Annotated[str | None, Query(max_length=16)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> dict[str, Any]:
    rows = request_svc.list_requests(
        engine, actor, tree, hospital_code=hospital, status=status, limit=limit
    )
    return {"items": rows, "total": len(rows)}


@router.post("/requests", status_code=201, summary="Draft a hospital's supply request")
def create_request(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    body: Annotated[RequestIn, Body()],
) -> dict[str, Any]:
    return request_svc.create_request(
        engine,
        actor,
        tree,
        hospital_code=body.hospital_code,
        priority=body.priority,
        lines=[(line.item_code, line.quantity) for line in body.lines],
        note=body.note,
        needed_by=body.needed_by,
    )


@router.get("/requests/{request_id}", summary="One supply request")
def get_request(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    request_id: Id,
) -> dict[str, Any]:
    return request_svc.get_request(engine, actor, tree, request_id)


@router.post("/requests/{request_id}/submit", summary="Submit a draft request")
def submit_request(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    request_id: Id,
) -> dict[str, Any]:
    return request_svc.submit_request(engine, actor, tree, request_id)


@router.post("/requests/{request_id}/decide", summary="Approve (per line) or reject")
def decide_request(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    request_id: Id,
    body: Annotated[DecisionIn, Body()],
) -> dict[str, Any]:
    return request_svc.decide_request(
        engine, actor, tree, request_id, approved=body.approved, note=body.note
    )


# --- donations ----------------------------------------------------------------------------


@donations_router.get("", summary="Donations received, with donor and provenance (public)")
def public_donations(
    engine: Annotated[Engine, Depends(get_engine)],
    item: Annotated[str | None, Query(pattern=KEY)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    rows, total = donation_svc.list_donations(engine, item_code=item, limit=limit, offset=offset)
    return {"items": rows, "total": total, "limit": limit, "offset": offset}


@donations_router.post("", status_code=201, summary="Record a donation (and receive it)")
def record_donation(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    body: Annotated[DonationIn, Body()],
) -> dict[str, Any]:
    return donation_svc.record_donation(engine, actor, tree, **body.model_dump())
