"""Medical teams (status from dates, health-worker infections, PPE days of supply) and
province-to-city pairing (one province, one city), on both databases."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, insert

from fangkong.core.access import Actor, Role
from fangkong.services import hospitals, supplies, teams
from fangkong.services.errors import Conflict, Forbidden, Invalid
from fangkong.services.reference import region_tree
from fangkong.store import models as m

DAY = date(2020, 2, 20)
NATION = Actor("nhc.cmd", Role.COMMANDER, "*")
HUBEI = Actor("hubei.cmd", Role.COMMANDER, "420000")
BJ = Actor("bj.cmd", Role.COMMANDER, "110000")
LOG = Actor("hubei.log", Role.LOGISTICS, "420000")


def test_team_lifecycle_with_infections_and_ppe(engine: Engine) -> None:
    tree = region_tree(engine)
    supplies.load_catalogue(engine)
    hospitals.create_hospital(
        engine, HUBEI, tree, hospital_code="JYT", name="金银潭医院", kind="designated",
        region_code="420100", lat=30.64, lon=114.26, beds={"icu": 40},
    )  # fmt: skip
    team = teams.dispatch_team(
        engine, NATION, tree, name="江苏援湖北医疗队", origin_code="320000", leader="张医生",
        members=[("张医生", "ICU"), ("李护士", "nursing"), ("王医生", "ICU")], size=40,
        hospital_code="JYT", departure_date=DAY - timedelta(days=10),
    )  # fmt: skip
    assert team["status"] == "dispatched" and team["region_code"] == "420100"
    assert team["specialties"] == {"ICU": 2, "nursing": 1} and team["size"] == 40
    with pytest.raises(Invalid, match="province"):
        teams.dispatch_team(
            engine, NATION, tree, name="x", origin_code="420100", leader="x", members=[],
            size=5, region_code="420100", departure_date=DAY,
        )  # fmt: skip
    with pytest.raises(Forbidden):
        teams.dispatch_team(
            engine, BJ, tree, name="x", origin_code="110000", leader="x", members=[],
            size=5, region_code="420100", departure_date=DAY,
        )  # fmt: skip
    with pytest.raises(Invalid, match="size"):
        teams.dispatch_team(
            engine, NATION, tree, name="x", origin_code="110000", leader="x",
            members=[("a", ""), ("b", "")], size=1, region_code="420100", departure_date=DAY,
        )  # fmt: skip
    with pytest.raises(Invalid, match="returns after"):
        teams.record_dates(engine, HUBEI, tree, team["id"], return_date=DAY)
    teams.record_dates(
        engine, HUBEI, tree, team["id"], arrival_date=DAY - timedelta(days=9),
        rotation_due_date=DAY + timedelta(days=5),
    )  # fmt: skip
    with engine.begin() as conn:
        conn.execute(
            insert(m.CaseRecordRow),
            [
                {"source": "t", "case_id": f"c{i}", "region_code": "420102",
                 "classification": "confirmed", "health_worker": hw,
                 "confirmation_date": DAY - timedelta(days=back)}
                for i, (hw, back) in enumerate([(True, 2), (True, 20), (False, 1), (True, 0)])
            ]
            + [  # a suspected and a discarded health worker are not infections
                {"source": "t", "case_id": f"s{cls}", "region_code": "420102",
                 "classification": cls, "health_worker": True,
                 "confirmation_date": DAY - timedelta(days=1)}
                for cls in ("suspected", "discarded")
            ],
        )  # fmt: skip
    supplies.receive_stock(
        engine, LOG, tree, warehouse_code="H-JYT", item_code="protective_suit", lot_code="PS",
        quantity=700, movement_date=DAY - timedelta(days=8),
    )  # fmt: skip
    supplies.record_movement(
        engine, LOG, tree, kind="issue", lot_code="PS", quantity=140, movement_date=DAY,
        from_warehouse="H-JYT",
    )  # fmt: skip
    (listed,) = teams.list_teams(engine, HUBEI, tree, day=DAY)
    assert listed["status"] == "on_site"
    assert listed["health_worker_infections"] == 2
    assert listed["ppe_days_of_supply"] == [
        {"item_code": "protective_suit", "usable": 560, "days_of_supply": 28.0}
    ]
    later = teams.list_teams(engine, HUBEI, tree, day=DAY + timedelta(days=6))
    assert later[0]["status"] == "rotation_due"
    teams.record_dates(engine, HUBEI, tree, team["id"], return_date=DAY + timedelta(days=7))
    assert teams.list_teams(engine, HUBEI, tree, day=DAY + timedelta(days=7))[0]["status"] == (
        "returned"
    )
    assert teams.list_teams(engine, BJ, tree, day=DAY) == []
    assert len(teams.list_teams(engine, Actor("js", Role.VIEWER, "320000"), tree, day=DAY)) == 1


def test_one_province_supports_one_city(engine: Engine) -> None:
    tree = region_tree(engine)
    made = teams.pair(engine, NATION, tree, province_code="320000", city_code="420900",
                      start_date=DAY)  # fmt: skip
    assert made["active"] and made["city_name_zh"]
    with pytest.raises(Conflict):
        teams.pair(engine, NATION, tree, province_code="320000", city_code="421000",
                   start_date=DAY)  # fmt: skip
    with pytest.raises(Conflict):
        teams.pair(engine, NATION, tree, province_code="330000", city_code="420900",
                   start_date=DAY)  # fmt: skip
    with pytest.raises(Invalid, match="another province"):
        teams.pair(engine, NATION, tree, province_code="420000", city_code="420500",
                   start_date=DAY)  # fmt: skip
    with pytest.raises(Invalid, match="prefecture"):
        teams.pair(engine, NATION, tree, province_code="330000", city_code="420000",
                   start_date=DAY)  # fmt: skip
    with pytest.raises(Forbidden):
        teams.pair(engine, BJ, tree, province_code="330000", city_code="420500",
                   start_date=DAY)  # fmt: skip
    teams.end_pairing(engine, HUBEI, tree, made["id"], DAY + timedelta(days=40))
    teams.pair(engine, NATION, tree, province_code="320000", city_code="421000",
               start_date=DAY + timedelta(days=41))  # fmt: skip
    assert [p["city_code"] for p in teams.list_pairings(engine, active_only=True)] == ["421000"]
    assert len(teams.list_pairings(engine)) == 2
