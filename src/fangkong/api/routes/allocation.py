"""``/api/v1/allocation``: allocation plans (compute, list, read with explanations);
``/api/v1/shipments``: draft shipments of a plan, confirmed by logistics, dispatched
from the depot and received with proof. Rules: services/allocation.py,
services/shipments.py."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Body, Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy import Engine

from fangkong.api.deps import current_actor, get_engine, get_region_tree
from fangkong.api.params import MAX_INT, Id
from fangkong.api.routing import ApiRouter
from fangkong.core.access import Actor
from fangkong.core.regions import RegionTree
from fangkong.services import allocation as svc
from fangkong.services import shipments as ship_svc

router = ApiRouter(prefix="/api/v1/allocation", tags=["allocation"])
shipments_router = ApiRouter(prefix="/api/v1/shipments", tags=["shipments"])
CODE = r"^[A-Za-z0-9-]{2,16}$"


class IncomingIn(BaseModel):
    warehouse_code: str = Field(pattern=r"^[A-Za-z0-9_.\-]{1,64}$")
    item_code: str = Field(pattern=r"^[A-Za-z0-9_.\-]{1,64}$")
    quantity: int = Field(ge=1, le=100_000_000, description="Base units.")
    arrival_date: date


class PlanIn(BaseModel):
    plan_date: date | None = None
    region_code: str | None = Field(default=None, pattern=CODE)
    periods: int = Field(default=1, ge=1, le=svc.MAX_PERIODS)
    period_days: int = Field(default=7, ge=1, le=svc.MAX_PERIOD_DAYS)
    incoming: list[IncomingIn] = Field(
        default_factory=list,
        max_length=1000,
        description="Stock expected at depots after the plan date (later periods).",
    )


class ConfirmIn(BaseModel):
    carrier: str = Field(default="", max_length=128)
    tracking_number: str = Field(default="", max_length=64)


class DispatchIn(BaseModel):
    movement_date: date | None = None


class ReceiveIn(BaseModel):
    signed_by: str = Field(min_length=1, max_length=128)
    proof_reference: str = Field(default="", max_length=128)
    note: str = Field(default="", max_length=4000)
    movement_date: date | None = None
    #: Shipment line id → units counted; lines not named were received in full.
    received: (
        dict[Annotated[int, Field(ge=1, le=MAX_INT)], Annotated[int, Field(ge=0, le=MAX_INT)]]
        | None
    ) = None


class CancelIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


@router.post("/plans", status_code=201, summary="Compute an optimal plan and draft shipments")
def run(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    body: Annotated[PlanIn, Body()],
) -> dict[str, Any]:
    return svc.run_allocation(
        engine,
        actor,
        tree,
        plan_date=body.plan_date or date.today(),
        region_code=body.region_code,
        periods=body.periods,
        period_days=body.period_days,
        incoming=[svc.Incoming(**x.model_dump()) for x in body.incoming],
    )


@router.get("/plans", summary="Recent allocation plans inside the caller's jurisdiction")
def plans(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    rows = svc.list_plans(engine, actor, tree, limit)
    return {"items": rows, "total": len(rows)}


@router.get("/plans/{plan_id}", summary="A plan with explanations and shipments")
def plan(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    plan_id: Id,
) -> dict[str, Any]:
    return svc.get_plan(engine, actor, tree, plan_id)


@shipments_router.get("", summary="Shipments from or to the caller's jurisdiction")
def list_shipments(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    status: Annotated[str | None, Query(max_length=16)] = None,
    hospital: Annotated[str | None, Query(max_length=24)] = None,
    plan_id: Annotated[int | None, Query(ge=1, le=MAX_INT)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> dict[str, Any]:
    rows = ship_svc.list_shipments(
        engine, actor, tree, status=status, hospital_code=hospital, plan_id=plan_id, limit=limit
    )
    return {"items": rows, "total": len(rows)}


@shipments_router.get("/{shipment_id}", summary="A shipment with its stock movements")
def get_shipment(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    shipment_id: Id,
) -> dict[str, Any]:
    return ship_svc.get_shipment(engine, actor, tree, shipment_id)


@shipments_router.post("/{shipment_id}/confirm", summary="Confirm a draft (logistics)")
def confirm(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    shipment_id: Id,
    body: Annotated[ConfirmIn, Body()],
) -> dict[str, Any]:
    return ship_svc.confirm(
        engine, actor, tree, shipment_id, carrier=body.carrier, tracking_number=body.tracking_number
    )


@shipments_router.post("/{shipment_id}/dispatch", summary="Issue from the depot and dispatch")
def dispatch(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    shipment_id: Id,
    body: Annotated[DispatchIn, Body()],
) -> dict[str, Any]:
    return ship_svc.dispatch(
        engine, actor, tree, shipment_id, movement_date=body.movement_date or date.today()
    )


@shipments_router.post("/{shipment_id}/receive", summary="Sign for a shipment (proof)")
def receive(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    shipment_id: Id,
    body: Annotated[ReceiveIn, Body()],
) -> dict[str, Any]:
    return ship_svc.receive(
        engine,
        actor,
        tree,
        shipment_id,
        signed_by=body.signed_by,
        movement_date=body.movement_date or date.today(),
        proof_reference=body.proof_reference,
        note=body.note,
        received=body.received,
    )


@shipments_router.post("/{shipment_id}/cancel", summary="Cancel before dispatch")
def cancel(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    shipment_id: Id,
    body: Annotated[CancelIn, Body()],
) -> dict[str, Any]:
    return ship_svc.cancel(engine, actor, tree, shipment_id, body.reason)
