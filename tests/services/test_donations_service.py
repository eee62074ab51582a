"""Donations with donor and provenance (public list), and a hospital's consumption
giving its days of supply, on both databases."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from fangkong.core.access import Actor, Role
from fangkong.services import donations, hospitals, supplies
from fangkong.services.errors import Forbidden, Invalid
from fangkong.services.reference import region_tree

TODAY = date.today()
LOG = Actor("hubei.log", Role.LOGISTICS, "420000")
CMD = Actor("hubei.cmd", Role.COMMANDER, "420000")
REP = Actor("wuhan.rep", Role.REPORTER, "420100")


@pytest.fixture
def tree(engine: Engine) -> object:
    supplies.load_catalogue(engine)
    t = region_tree(engine)
    supplies.create_depot(
        engine, LOG, t, warehouse_code="D-WH", name="武汉储备库", region_code="420100",
        lat=30.59, lon=114.30,
    )  # fmt: skip
    hospitals.create_hospital(
        engine, CMD, t, hospital_code="JYT", name="金银潭医院", kind="designated",
        region_code="420100", lat=30.64, lon=114.26, beds={"icu": 40},
    )  # fmt: skip
    return t


def give(engine: Engine, tree: Any, **kw: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "donor": "某公司", "donor_kind": "company", "provenance": "深圳 → 武汉（顺丰）",
        "received_date": TODAY, "item_code": "surgical_mask", "quantity": 5000,
        "lot_code": "DON-1", "warehouse_code": "D-WH",
    }  # fmt: skip
    args.update(kw)
    return donations.record_donation(engine, LOG, tree, **args)


def test_donations_on_the_ledger_and_listed_publicly(engine: Engine, tree: object) -> None:
    made = give(engine, tree)
    assert made["packs"] == 100 and made["warehouse_name"] == "武汉储备库"
    give(engine, tree, donor="", donor_kind="anonymous", lot_code="DON-2", quantity=50)
    give(engine, tree, lot_code="DON-3", public=False)
    with pytest.raises(Invalid, match="donor_kind"):
        give(engine, tree, donor_kind="alien", lot_code="DON-4")
    with pytest.raises(Invalid, match="donor"):
        give(engine, tree, donor=" ", lot_code="DON-4")
    with pytest.raises(Invalid, match="future"):
        give(engine, tree, lot_code="DON-4", received_date=TODAY + timedelta(days=1))
    with pytest.raises(Forbidden):
        donations.record_donation(
            engine, REP, tree, donor="x", donor_kind="individual", provenance="x",
            received_date=TODAY, item_code="surgical_mask", quantity=50, lot_code="DON-5",
            warehouse_code="D-WH",
        )  # fmt: skip
    public, total = donations.list_donations(engine)
    assert total == 2
    assert {d["donor"] for d in public} == {"某公司", "匿名 anonymous"}
    stock = supplies.stock(engine, LOG, tree, day=TODAY, warehouse_code="D-WH")
    assert stock[0]["on_hand"] == 10050
    moved, _ = supplies.list_movements(engine, reference=f"donation:{made['id']}")
    assert [mv["kind"] for mv in moved] == ["receipt"]
    assert supplies.ledger_check(engine)["balanced"]


def test_hospital_consumption_gives_days_of_supply(engine: Engine, tree: object) -> None:
    supplies.receive_stock(
        engine, LOG, tree, warehouse_code="H-JYT", item_code="n95_respirator",
        lot_code="N-1", quantity=1000, movement_date=TODAY - timedelta(days=10),
    )  # fmt: skip
    for back in range(7):
        supplies.record_movement(
            engine, REP, tree, kind="issue", lot_code="N-1", quantity=20,
            movement_date=TODAY - timedelta(days=back), from_warehouse="H-JYT",
            reason="病区消耗",
        )  # fmt: skip
    with pytest.raises(Forbidden):
        supplies.record_movement(
            engine, REP, tree, kind="issue", lot_code="N-1", quantity=1, movement_date=TODAY,
            from_warehouse="D-WH",
        )  # fmt: skip
    (row,) = supplies.stock(engine, REP, tree, day=TODAY, warehouse_code="H-JYT")
    assert row["usable"] == 860 and row["daily_use"] == 20
    assert row["days_of_supply"] == 43.0
