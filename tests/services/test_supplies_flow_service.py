"""The whole medical-resources flow on both databases: a hospital requests, the
command allocates, a depot ships, the hospital receives, and the ledgers balance."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, func, select

from fangkong.core.access import Actor, Role
from fangkong.services import allocation, donations, hospitals, requests, shipments, supplies
from fangkong.services.errors import Conflict, Forbidden, Invalid
from fangkong.services.reference import region_tree
from fangkong.store import models as m

TODAY = date.today()
ADMIN = Actor("admin", Role.ADMIN, "*")
HUBEI_CMD = Actor("hubei.cmd", Role.COMMANDER, "420000")
HUBEI_LOG = Actor("hubei.log", Role.LOGISTICS, "420000")
WUHAN_REP = Actor("wuhan.rep", Role.REPORTER, "420100")
BJ_REP = Actor("bj.rep", Role.REPORTER, "110000")


@pytest.fixture
def world(engine: Engine) -> dict[str, object]:
    supplies.load_catalogue(engine)
    tree = region_tree(engine)
    supplies.create_depot(
        engine,
        HUBEI_LOG,
        tree,
        warehouse_code="D-WH",
        name="武汉储备库",
        region_code="420100",
        lat=30.59,
        lon=114.30,
    )
    supplies.create_depot(
        engine,
        HUBEI_LOG,
        tree,
        warehouse_code="D-YC",
        name="宜昌储备库",
        region_code="420500",
        lat=30.69,
        lon=111.29,
    )
    for code, name, kind, lat, lon, icu in (
        ("JYT", "金银潭医院", "designated", 30.64, 114.26, 60),
        ("HSS", "火神山医院", "designated", 30.53, 114.08, 30),
        ("WKFC", "武汉客厅方舱医院", "shelter", 30.62, 114.20, 0),
    ):
        hospitals.create_hospital(
            engine,
            HUBEI_CMD,
            tree,
            hospital_code=code,
            name=name,
            kind=kind,
            region_code="420100",
            lat=lat,
            lon=lon,
            beds={"general": 500, "isolation": 300, "icu": icu, "ventilator": icu // 2},
        )
    return {"tree": tree}


def receive(
    engine: Engine,
    tree: object,
    depot: str,
    item: str,
    lot: str,
    qty: int,
    expiry: date | None = None,
) -> None:
    supplies.receive_stock(
        engine, HUBEI_LOG, tree, warehouse_code=depot, item_code=item, lot_code=lot,
        quantity=qty, movement_date=TODAY - timedelta(days=3), expiry_date=expiry,
    )  # fmt: skip


def test_request_allocate_ship_receive_balances(engine: Engine, world: dict[str, object]) -> None:
    tree = world["tree"]
    # stock: N95 (packs of 20) at both depots, one lot expired; suits scarce
    receive(engine, tree, "D-WH", "n95_respirator", "N95-A", 2000, TODAY + timedelta(days=200))
    receive(engine, tree, "D-WH", "n95_respirator", "N95-OLD", 400, TODAY - timedelta(days=1))
    receive(engine, tree, "D-YC", "n95_respirator", "N95-B", 4000, TODAY + timedelta(days=30))
    receive(engine, tree, "D-WH", "protective_suit", "PS-1", 300)
    donations.record_donation(
        engine, HUBEI_LOG, tree, donor="某基金会", donor_kind="organisation",
        provenance="上海 → 武汉, 红十字会渠道", received_date=TODAY - timedelta(days=2),
        item_code="protective_suit", quantity=200, lot_code="PS-DON-1", warehouse_code="D-YC",
    )  # fmt: skip
    # requests: two hospitals ask, one critical, then the command approves
    r1 = requests.create_request(
        engine, WUHAN_REP, tree, hospital_code="JYT", priority="critical",
        lines=[("n95_respirator", 4000), ("protective_suit", 400)],
    )  # fmt: skip
    r2 = requests.create_request(
        engine, WUHAN_REP, tree, hospital_code="HSS", priority="紧急",
        lines=[("n95_respirator", 3000), ("protective_suit", 300)],
    )  # fmt: skip
    assert r1["status"] == "draft"
    with pytest.raises(Forbidden):
        requests.submit_request(engine, BJ_REP, tree, r1["id"])
    for r in (r1, r2):
        assert requests.submit_request(engine, WUHAN_REP, tree, r["id"])["status"] == "submitted"
    with pytest.raises(Forbidden):
        requests.decide_request(engine, WUHAN_REP, tree, r1["id"])
    with pytest.raises(Invalid):
        requests.decide_request(engine, HUBEI_CMD, tree, r2["id"], approved={"n95_respirator": 10})
    assert requests.decide_request(engine, HUBEI_CMD, tree, r1["id"])["status"] == "approved"
    requests.decide_request(engine, HUBEI_CMD, tree, r2["id"], approved={"n95_respirator": 2000})
    with pytest.raises(Conflict):
        requests.decide_request(engine, HUBEI_CMD, tree, r2["id"])

    # allocate: usable N95 = 6000 (the expired lot is not counted), need 6000; suits
    # 500 for a need of 700, shared by priority
    with pytest.raises(Forbidden):
        allocation.run_allocation(engine, HUBEI_LOG, tree, plan_date=TODAY)
    plan = allocation.run_allocation(engine, HUBEI_CMD, tree, plan_date=TODAY)
    items = {i["item_code"]: i for i in plan["summary"]["items"]}
    assert items["n95_respirator"]["stock_packs"] == 300
    assert items["n95_respirator"]["allocated_packs"] == 300
    assert items["protective_suit"]["allocated_packs"] == 50
    assert plan["min_fill"] >= plan["greedy_min_fill"]
    assert {e["hospital_code"] for e in plan["explanations"]} == {"JYT", "HSS"}
    assert all("满足率" in e["zh"] and "filled" in e["en"] for e in plan["explanations"])
    assert plan["shipments"] and all(s["status"] == "draft" for s in plan["shipments"])
    got = requests.get_request(engine, HUBEI_CMD, tree, r1["id"])
    assert got["status"] in ("approved", "committed")
    assert sum(line["committed"] for line in got["lines"]) > 0
    # nothing left to plan: a second run finds no open need for N95 at full stock
    # ship every draft: confirm (logistics only), dispatch, receive
    for s in plan["shipments"]:
        with pytest.raises(Forbidden):
            shipments.confirm(engine, HUBEI_CMD, tree, s["id"])
        with pytest.raises(Conflict):
            shipments.dispatch(engine, HUBEI_LOG, tree, s["id"], movement_date=TODAY)
        shipments.confirm(engine, HUBEI_LOG, tree, s["id"], carrier="顺丰", tracking_number="SF1")
        sent = shipments.dispatch(engine, HUBEI_LOG, tree, s["id"], movement_date=TODAY)
        assert sent["status"] == "dispatched"
        with pytest.raises(Forbidden):
            shipments.receive(engine, BJ_REP, tree, s["id"], signed_by="x", movement_date=TODAY)
        done = shipments.receive(
            engine, WUHAN_REP, tree, s["id"], signed_by="王护士长", movement_date=TODAY,
            proof_reference="签收单 0001",
        )  # fmt: skip
        assert done["status"] == "received" and done["proof"]["signed_by"] == "王护士长"
    r1_after = requests.get_request(engine, HUBEI_CMD, tree, r1["id"])
    r2_after = requests.get_request(engine, HUBEI_CMD, tree, r2["id"])
    n95 = {r["id"]: next(x for x in r["lines"] if x["item_code"] == "n95_respirator")
           for r in (r1_after, r2_after)}  # fmt: skip
    assert n95[r1["id"]]["received"] == 4000 and n95[r2["id"]]["received"] == 2000
    suits = sum(
        next(x for x in r["lines"] if x["item_code"] == "protective_suit")["received"]
        for r in (r1_after, r2_after)
    )
    assert suits == 500
    # the ledgers balance: per item, movements add up to stock on hand; balances
    # equal their movements; the expired lot is still there, unusable
    check = supplies.ledger_check(engine)
    assert check["balanced"], check
    by_item = {i["item_code"]: i for i in check["items"]}
    assert by_item["n95_respirator"]["on_hand"] == 6400
    assert by_item["n95_respirator"]["issues"] == 6000
    assert by_item["n95_respirator"]["receipts"] == 6400 + 6000
    stock = supplies.stock(engine, ADMIN, tree, day=TODAY, warehouse_code="D-WH")
    n95_wh = next(s for s in stock if s["item_code"] == "n95_respirator")
    assert n95_wh["usable"] == 0 and n95_wh["on_hand"] == 400
    assert n95_wh["state"] == "only_unusable"
    store = supplies.stock(engine, ADMIN, tree, day=TODAY, warehouse_code="H-JYT")
    assert next(s for s in store if s["item_code"] == "n95_respirator")["usable"] == 4000
    with engine.connect() as conn:
        moved = conn.execute(select(func.sum(m.StockMovementRow.quantity))).scalar_one()
    assert moved > 0


def test_stock_never_negative_and_expired_lots_unusable(
    engine: Engine, world: dict[str, object]
) -> None:
    tree = world["tree"]
    receive(engine, tree, "D-WH", "surgical_mask", "SM-1", 500, TODAY + timedelta(days=10))
    receive(engine, tree, "D-WH", "surgical_mask", "SM-OLD", 100, TODAY - timedelta(days=1))
    with pytest.raises(Invalid, match="cannot take"):
        supplies.record_movement(
            engine, HUBEI_LOG, tree, kind="issue", lot_code="SM-1", quantity=501,
            movement_date=TODAY, from_warehouse="D-WH",
        )  # fmt: skip
    with pytest.raises(Invalid, match="expired"):
        supplies.record_movement(
            engine, HUBEI_LOG, tree, kind="transfer", lot_code="SM-OLD", quantity=1,
            movement_date=TODAY, from_warehouse="D-WH", to_warehouse="D-YC",
        )  # fmt: skip
    supplies.record_movement(
        engine, HUBEI_LOG, tree, kind="transfer", lot_code="SM-1", quantity=200,
        movement_date=TODAY, from_warehouse="D-WH", to_warehouse="D-YC",
    )  # fmt: skip
    supplies.record_movement(
        engine, HUBEI_LOG, tree, kind="expiry", lot_code="SM-OLD", quantity=100,
        movement_date=TODAY, from_warehouse="D-WH", reason="过期销毁",
    )  # fmt: skip
    with pytest.raises(Invalid, match="reason"):
        supplies.record_movement(
            engine, HUBEI_LOG, tree, kind="adjustment", lot_code="SM-1", quantity=-5,
            movement_date=TODAY, to_warehouse="D-WH",
        )  # fmt: skip
    supplies.record_movement(
        engine, HUBEI_LOG, tree, kind="adjustment", lot_code="SM-1", quantity=-5,
        movement_date=TODAY, to_warehouse="D-WH", reason="盘点短少",
    )  # fmt: skip
    supplies.mark_damaged(engine, HUBEI_LOG, tree, "SM-1", "水浸")
    stock = {
        (s["warehouse_code"], s["item_code"]): s
        for s in supplies.stock(engine, ADMIN, tree, day=TODAY)
    }
    assert stock[("D-WH", "surgical_mask")]["on_hand"] == 295
    assert stock[("D-WH", "surgical_mask")]["state"] == "only_unusable"
    assert stock[("D-YC", "surgical_mask")]["usable"] == 0
    with pytest.raises(Forbidden):
        supplies.record_movement(
            engine, WUHAN_REP, tree, kind="issue", lot_code="SM-1", quantity=1,
            movement_date=TODAY, from_warehouse="D-WH",
        )  # fmt: skip
    with pytest.raises(Conflict):
        supplies.receive_stock(
            engine, HUBEI_LOG, tree, warehouse_code="D-WH", item_code="goggles",
            lot_code="SM-1", quantity=10, movement_date=TODAY,
        )  # fmt: skip
    check = supplies.ledger_check(engine)
    assert check["balanced"], check


def test_dispatch_refused_when_stock_expired_meanwhile(
    engine: Engine, world: dict[str, object]
) -> None:
    tree = world["tree"]
    receive(engine, tree, "D-WH", "goggles", "G-1", 100, TODAY + timedelta(days=1))
    r = requests.create_request(
        engine, WUHAN_REP, tree, hospital_code="WKFC", priority="routine",
        lines=[("goggles", 50)],
    )  # fmt: skip
    with pytest.raises(Invalid, match="whole number of packs"):
        requests.create_request(
            engine, WUHAN_REP, tree, hospital_code="WKFC", priority="routine",
            lines=[("goggles", 55)],
        )  # fmt: skip
    requests.submit_request(engine, WUHAN_REP, tree, r["id"])
    requests.decide_request(engine, HUBEI_CMD, tree, r["id"])
    plan = allocation.run_allocation(engine, HUBEI_CMD, tree, plan_date=TODAY)
    (s,) = plan["shipments"]
    assert requests.get_request(engine, HUBEI_CMD, tree, r["id"])["status"] == "committed"
    shipments.confirm(engine, HUBEI_LOG, tree, s["id"])
    with pytest.raises(Conflict, match="usable"):
        shipments.dispatch(
            engine, HUBEI_LOG, tree, s["id"], movement_date=TODAY + timedelta(days=2)
        )
    assert shipments.get_shipment(engine, ADMIN, tree, s["id"])["status"] == "confirmed"
    shipments.cancel(engine, HUBEI_LOG, tree, s["id"], "批次过期")
    assert requests.get_request(engine, HUBEI_CMD, tree, r["id"])["status"] == "approved"
    later = allocation.run_allocation(engine, HUBEI_CMD, tree, plan_date=TODAY + timedelta(days=2))
    assert later["shipments"] == [] and later["unmet_units"] == 50 and later["min_fill"] == 0
    assert supplies.ledger_check(engine)["balanced"]
