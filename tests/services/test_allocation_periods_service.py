"""Allocation plans on both databases. Several periods: lines fall in the period of their
request's ``needed_by`` day, incoming stock joins in the period after it arrives and is
carried over, only the first period becomes draft shipments and the rest is kept as a
schedule; needs after the horizon wait for a later plan. Priority: severe patients in a
hospital's beds raise it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, insert

from fangkong.core.access import Actor, Role
from fangkong.services import allocation, hospitals, patients, requests, supplies
from fangkong.services.allocation import Incoming
from fangkong.services.errors import Invalid
from fangkong.services.reference import region_tree
from fangkong.store import models as m

TODAY = date.today()
CMD = Actor("hubei.cmd", Role.COMMANDER, "420000")
LOG = Actor("hubei.log", Role.LOGISTICS, "420000")
REP = Actor("wuhan.rep", Role.REPORTER, "420100")


def approved(engine: Engine, tree, hospital: str, units: int, needed_by: date | None) -> int:  # type: ignore[no-untyped-def]
    r = requests.create_request(
        engine, REP, tree, hospital_code=hospital, priority="urgent",
        lines=[("n95_respirator", units)], needed_by=needed_by,
    )  # fmt: skip
    requests.submit_request(engine, REP, tree, r["id"])
    requests.decide_request(engine, CMD, tree, r["id"])
    return int(r["id"])


def test_periods_with_incoming_stock(engine: Engine) -> None:
    tree = region_tree(engine)
    supplies.load_catalogue(engine)
    for code, name, lat, lon in (("D-WH", "武汉储备库", 30.59, 114.30),
                                 ("D-YC", "宜昌储备库", 30.69, 111.29)):  # fmt: skip
        supplies.create_depot(engine, LOG, tree, warehouse_code=code, name=name,
                              region_code="420100", lat=lat, lon=lon)  # fmt: skip
    for code, lat, lon in (("JYT", 30.64, 114.26), ("HSS", 30.53, 114.08)):
        hospitals.create_hospital(
            engine, CMD, tree, hospital_code=code, name=code, kind="designated",
            region_code="420100", lat=lat, lon=lon, beds={"icu": 10},
        )  # fmt: skip
    supplies.receive_stock(
        engine, LOG, tree, warehouse_code="D-WH", item_code="n95_respirator", lot_code="A",
        quantity=2000, movement_date=TODAY, expiry_date=TODAY + timedelta(days=365),
    )  # fmt: skip
    now_id = approved(engine, tree, "JYT", 2000, None)
    later_id = approved(engine, tree, "HSS", 2000, TODAY + timedelta(days=8))
    beyond_id = approved(engine, tree, "HSS", 400, TODAY + timedelta(days=20))
    with pytest.raises(Invalid, match="needed_by"):
        requests.create_request(
            engine, REP, tree, hospital_code="HSS", priority="urgent",
            lines=[("n95_respirator", 20)], needed_by=TODAY - timedelta(days=1),
        )  # fmt: skip

    def run(**kwargs: object) -> dict[str, object]:
        return allocation.run_allocation(engine, CMD, tree, plan_date=TODAY, **kwargs)  # type: ignore[arg-type]

    for kwargs, field in (
        ({"periods": 0}, "periods"),
        ({"periods": 2, "period_days": 40}, "period_days"),
        ({"periods": 2, "incoming": [Incoming("D-YC", "n95_respirator", 2000, TODAY)]},
         "incoming/0/arrival_date"),
        ({"periods": 2, "incoming": [Incoming("D-YC", "n95_respirator", 20,
                                              TODAY + timedelta(days=9))]},
         "incoming/0/arrival_date"),
        ({"periods": 2, "incoming": [Incoming("H-JYT", "n95_respirator", 20,
                                              TODAY + timedelta(days=3))]},
         "incoming/0/warehouse_code"),
    ):  # fmt: skip
        with pytest.raises(Invalid) as err:
            run(**kwargs)
        assert err.value.field == field

    plan = run(
        periods=2, period_days=7,
        incoming=[Incoming("D-YC", "n95_respirator", 2000, TODAY + timedelta(days=5))],
    )  # fmt: skip
    summary = plan["summary"]
    assert summary["periods"] == 2
    assert summary["period_starts"] == [TODAY.isoformat(), (TODAY + timedelta(7)).isoformat()]
    (item,) = summary["items"]
    assert item["stock_packs"] == 100 and item["incoming_packs"] == 100
    assert item["need_by_period"] == [100, 100] and item["allocated_by_period"] == [100, 100]
    assert plan["min_fill"] == 1.0 and plan["unmet_units"] == 0
    # period 0 becomes one draft shipment from the stock on the shelf...
    (draft,) = plan["shipments"]
    assert (draft["from_warehouse"], draft["hospital_code"]) == ("D-WH", "JYT")
    assert draft["lines"][0]["packs"] == 100
    # ...period 1 is a schedule served by the incoming stock at Yichang
    assert summary["schedule"] == [
        {"period": 1, "period_start": (TODAY + timedelta(7)).isoformat(),
         "from_warehouse": "D-YC", "hospital_code": "HSS", "item_code": "n95_respirator",
         "packs": 100}
    ]  # fmt: skip
    hss = next(e for e in plan["explanations"] if e["hospital_code"] == "HSS")
    assert "按周期" in hss["zh"] and "by period" in hss["en"]
    assert requests.get_request(engine, CMD, tree, now_id)["status"] == "committed"
    assert requests.get_request(engine, CMD, tree, later_id)["status"] == "approved"
    beyond = requests.get_request(engine, CMD, tree, beyond_id)
    assert beyond["status"] == "approved" and beyond["needed_by"]
    # the scheduled and the beyond-horizon needs stay open for the next plan: within
    # one week nothing is due; over two, Huoshenshan's need finds no free stock left on
    # the shelf (the draft holds it) and nothing incoming
    with pytest.raises(Invalid, match="within the horizon"):
        run()
    again = run(periods=2)
    assert again["summary"]["items"][0]["stock_packs"] == 0
    assert again["summary"]["items"][0]["need_by_period"] == [0, 100]
    assert again["shipments"] == [] and again["min_fill"] == 0.0


def test_severe_patients_raise_a_hospitals_priority(engine: Engine) -> None:
    """Two hospitals ask for the same scarce goggles; one has four critical patients in
    bed (census of its stays, no occupancy report): it comes first."""
    tree = region_tree(engine)
    supplies.load_catalogue(engine)
    supplies.create_depot(engine, LOG, tree, warehouse_code="D-WH", name="武汉储备库",
                          region_code="420100", lat=30.59, lon=114.30)  # fmt: skip
    for code in ("H1", "H2"):
        hospitals.create_hospital(
            engine, CMD, tree, hospital_code=code, name=code, kind="designated",
            region_code="420100", lat=30.6, lon=114.2, beds={"icu": 4},
        )  # fmt: skip
    supplies.receive_stock(
        engine, LOG, tree, warehouse_code="D-WH", item_code="goggles", lot_code="G",
        quantity=100, movement_date=TODAY,
    )  # fmt: skip
    with engine.begin() as conn:
        conn.execute(
            insert(m.CaseRecordRow),
            [{"source": "wh", "case_id": f"c{i}", "region_code": "420102",
              "classification": "confirmed"} for i in range(4)],
        )  # fmt: skip
    for i in range(4):
        patients.admit(
            engine, REP, tree, "H2", source="wh", case_id=f"c{i}", bed_type="icu",
            severity="critical", admission_date=TODAY,
        )  # fmt: skip
    for code in ("H1", "H2"):
        r = requests.create_request(
            engine, REP, tree, hospital_code=code, priority="routine", lines=[("goggles", 100)]
        )
        requests.submit_request(engine, REP, tree, r["id"])
        requests.decide_request(engine, CMD, tree, r["id"])
    plan = allocation.run_allocation(engine, CMD, tree, plan_date=TODAY)
    got = {h["hospital_code"]: h["items"]["goggles"] for h in plan["summary"]["hospitals"]}
    assert got["H2"]["priority"] == 2.0 and got["H1"]["priority"] == 1.0
    assert got["H2"]["allocated_packs"] > got["H1"]["allocated_packs"]
    assert got["H2"]["allocated_packs"] + got["H1"]["allocated_packs"] == 10
