"""Hospitals, bed capacity, daily occupancy with the stale flag, and the days until a
region's ICU beds run out, on both databases."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, insert

from fangkong.core.access import Actor, Role
from fangkong.services import hospitals
from fangkong.services.errors import Conflict, Forbidden, Invalid, NotFound
from fangkong.services.reference import region_tree
from fangkong.store import models as m

DAY = date(2020, 2, 10)
CMD = Actor("hubei.cmd", Role.COMMANDER, "420000")
REP = Actor("wuhan.rep", Role.REPORTER, "420100")
BJ = Actor("bj.cmd", Role.COMMANDER, "110000")


def add(engine: Engine, code: str, icu: int, kind: str = "designated") -> None:
    hospitals.create_hospital(
        engine, CMD, region_tree(engine), hospital_code=code, name=code, kind=kind,
        region_code="420100", lat=30.6, lon=114.3,
        beds={"general": 100, "isolation": 50, "icu": icu, "ventilator": icu // 2},
    )  # fmt: skip


def test_registry_occupancy_and_stale_flag(engine: Engine) -> None:
    tree = region_tree(engine)
    add(engine, "JYT", 40)
    add(engine, "WKFC", 0, kind="方舱医院")
    with pytest.raises(Conflict):
        add(engine, "JYT", 10)
    with pytest.raises(Forbidden):
        hospitals.create_hospital(
            engine, BJ, tree, hospital_code="X", name="X", kind="fever_clinic",
            region_code="420100", lat=30.0, lon=114.0, beds={},
        )  # fmt: skip
    with pytest.raises(Invalid):
        hospitals.create_hospital(
            engine, CMD, tree, hospital_code="Y", name="Y", kind="designated",
            region_code="420100", lat=30.0, lon=114.0, beds={"icu": -1},
        )  # fmt: skip
    hospitals.report_occupancy(
        engine, REP, tree, "JYT", report_date=DAY - timedelta(days=3),
        occupied={"general": 90, "icu": 30}, today=DAY,
    )  # fmt: skip
    hospitals.report_occupancy(
        engine, REP, tree, "WKFC", report_date=DAY, occupied={"general": 80}, today=DAY
    )
    with pytest.raises(Invalid):
        hospitals.report_occupancy(
            engine, REP, tree, "WKFC", report_date=DAY + timedelta(days=1), occupied={},
            today=DAY,
        )  # fmt: skip
    with pytest.raises(NotFound):
        hospitals.report_occupancy(engine, REP, tree, "NOPE", report_date=DAY, occupied={})
    listed = {h["hospital_code"]: h for h in hospitals.list_hospitals(engine, REP, tree, day=DAY)}
    assert listed["JYT"]["stale"] and not listed["WKFC"]["stale"]
    assert listed["WKFC"]["kind"] == "shelter" and listed["WKFC"]["kind_zh"] == "方舱医院"
    assert listed["JYT"]["icu_beds_free"] == 10
    stale = hospitals.list_hospitals(engine, CMD, tree, day=DAY, stale_only=True)
    assert [h["hospital_code"] for h in stale] == ["JYT"]
    assert hospitals.list_hospitals(engine, BJ, tree, day=DAY) == []
    summary = hospitals.capacity_summary(engine, CMD, tree, "420000", DAY)
    assert summary["beds"]["icu"] == 40 and summary["occupied"]["general"] == 170
    updated = hospitals.set_capacity(engine, CMD, tree, "JYT", {"icu": 60}, day=DAY)
    assert updated["beds"]["icu"] == 60 and updated["beds"]["general"] == 100


def test_days_until_icu_beds_run_out(engine: Engine) -> None:
    tree = region_tree(engine)
    add(engine, "JYT", 100)
    start = DAY - timedelta(days=40)
    rows = [
        {
            "region_code": "420100",
            "report_date": start + timedelta(days=i),
            "source": "nhc",
            "new_confirmed": round(20 * math.exp(0.08 * i)),
            "updated_at": datetime.now(UTC),
        }
        for i in range(41)
    ]
    with engine.begin() as conn:
        conn.execute(insert(m.DailyReportRow), rows)
    hospitals.report_occupancy(
        engine, REP, tree, "JYT", report_date=DAY, occupied={"icu": 60}, today=DAY
    )
    out = hospitals.icu_runway(engine, CMD, tree, "420100", day=DAY, horizon=21)
    assert out["icu_beds"] == 100 and out["icu_occupied"] == 60
    assert out["stale_hospitals"] == []
    assert out["days_until_full_mean"] is not None
    assert 1 <= out["days_until_full_upper"] <= out["days_until_full_mean"] <= 21
    curve = [p["icu_occupied"] for p in out["projected_mean"]]
    assert curve[0] >= 60 and curve == sorted(curve)
    # a longer stay fills the beds no later
    longer = hospitals.icu_runway(
        engine, CMD, tree, "420100", day=DAY, horizon=21, icu_stay_mean=20, icu_stay_sd=8
    )
    assert longer["days_until_full_mean"] <= out["days_until_full_mean"]
    hospitals.report_occupancy(
        engine, REP, tree, "JYT", report_date=DAY, occupied={"icu": 100}, today=DAY
    )
    full = hospitals.icu_runway(engine, CMD, tree, "420100", day=DAY)
    assert full["days_until_full_mean"] == 0
    with pytest.raises(Invalid):
        hospitals.icu_runway(engine, CMD, tree, "420100", day=DAY, icu_fraction=0)
