"""``/api/v1/hospitals/{code}/patients``: admission, transfer and discharge of case
records with severity, the census and the occupancy report from it; and the
multi-period allocation plan (``periods``, ``incoming``, ``needed_by``) — on both
databases, with bad input as problem+json naming the field."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert

from fangkong.api.app import create_app
from fangkong.services import supplies
from fangkong.settings import Settings
from fangkong.store import models as m
from support import bearer, problem

TODAY = date.today()


def test_stays_census_and_occupancy(settings: Settings, engine: Engine) -> None:
    client = TestClient(create_app(settings, engine))
    cmd = bearer(engine, "hubei.cmd", "commander", "420000")
    rep = bearer(engine, "wuhan.rep", "reporter", "420100")
    viewer = bearer(engine, "viewer", "viewer", "420000")
    for code in ("JYT", "HSS"):
        body = {"hospital_code": code, "name": code, "kind": "designated",
                "region_code": "420100", "lat": 30.6, "lon": 114.2,
                "beds": {"general": 10, "icu": 1}}  # fmt: skip
        assert client.post("/api/v1/hospitals", json=body, headers=cmd).status_code == 201
    with engine.begin() as conn:
        conn.execute(
            insert(m.CaseRecordRow),
            [{"source": "wh", "case_id": f"c{i}", "region_code": "420102",
              "classification": "confirmed"} for i in range(2)],
        )  # fmt: skip
    day = (TODAY - timedelta(days=2)).isoformat()
    admit = {"source": "wh", "case_id": "c0", "bed_type": "general", "severity": "severe",
             "admission_date": day}  # fmt: skip
    made = client.post("/api/v1/hospitals/JYT/patients", json=admit, headers=rep)
    assert made.status_code == 201, made.text
    stay = made.json()
    assert stay["severity"] == "severe" and stay["open"]
    # bad input names its field; a second admission conflicts; viewers cannot admit
    bad = problem(
        client.post("/api/v1/hospitals/JYT/patients", json={**admit, "severity": "x"},
                    headers=rep), 422,
    )  # fmt: skip
    assert bad["errors"][0]["pointer"] == "/severity"
    gone = problem(
        client.post("/api/v1/hospitals/JYT/patients", json={**admit, "case_id": "nope"},
                    headers=rep), 404,
    )  # fmt: skip
    assert gone["errors"][0]["parameter"] == "case_id"
    problem(client.post("/api/v1/hospitals/HSS/patients", json=admit, headers=rep), 409)
    problem(client.post("/api/v1/hospitals/JYT/patients", json=admit, headers=viewer), 403)
    problem(client.post("/api/v1/hospitals/XX/patients", json=admit, headers=rep), 404)
    # into the ICU of the other hospital, as critical
    moved = client.post(
        f"/api/v1/hospitals/JYT/patients/{stay['id']}/transfer",
        json={"hospital_code": "HSS", "bed_type": "icu", "severity": "critical",
              "transfer_date": (TODAY - timedelta(days=1)).isoformat()},
        headers=rep,
    )  # fmt: skip
    assert moved.status_code == 201, moved.text
    new = moved.json()
    assert new["hospital_code"] == "HSS" and new["transferred_from_id"] == stay["id"]
    late = problem(
        client.post(f"/api/v1/hospitals/HSS/patients/{new['id']}/discharge",
                    json={"end_date": (TODAY - timedelta(days=5)).isoformat()}, headers=rep),
        422,
    )  # fmt: skip
    assert late["errors"][0]["parameter"] == "end_date"
    problem(
        client.post(f"/api/v1/hospitals/HSS/patients/{new['id']}/discharge",
                    json={"end_date": TODAY.isoformat(), "outcome": "transferred"},
                    headers=rep), 422,
    )  # fmt: skip
    census = client.get("/api/v1/hospitals/HSS/census", headers=viewer).json()
    assert census["occupied"]["icu"] == 1 and census["by_severity"]["critical"] == 1
    path = client.get(
        "/api/v1/hospitals/case-stays", params={"source": "wh", "case_id": "c0"}, headers=cmd
    ).json()
    assert [s["end_reason"] for s in path["items"]] == ["transferred", None]
    filed = client.post(
        "/api/v1/hospitals/HSS/occupancy/from-census",
        json={"report_date": TODAY.isoformat()}, headers=rep,
    )  # fmt: skip
    assert filed.status_code == 200 and filed.json()["occupied_icu"] == 1
    done = client.post(
        f"/api/v1/hospitals/HSS/patients/{new['id']}/discharge",
        json={"end_date": TODAY.isoformat(), "outcome": "discharged", "note": "治愈出院"},
        headers=rep,
    )  # fmt: skip
    assert done.status_code == 200 and done.json()["end_reason"] == "discharged"
    listed = client.get("/api/v1/hospitals/HSS/patients?open=true", headers=rep).json()
    assert listed["total"] == 0
    assert client.get("/api/v1/hospitals/HSS/patients", headers=rep).json()["total"] == 1
    problem(client.get("/api/v1/hospitals/HSS/patients", headers=viewer), 403)


def test_multi_period_plan_through_the_api(settings: Settings, engine: Engine) -> None:
    supplies.load_catalogue(engine)
    client = TestClient(create_app(settings, engine))
    cmd = bearer(engine, "hubei.cmd", "commander", "420000")
    log = bearer(engine, "hubei.log", "logistics", "420000")
    rep = bearer(engine, "wuhan.rep", "reporter", "420100")
    depot = {"warehouse_code": "D-WH", "name": "武汉储备库", "region_code": "420100",
             "lat": 30.59, "lon": 114.30}  # fmt: skip
    assert client.post("/api/v1/supplies/warehouses", json=depot, headers=log).status_code == 201
    body = {"hospital_code": "JYT", "name": "JYT", "kind": "designated",
            "region_code": "420100", "lat": 30.64, "lon": 114.26}  # fmt: skip
    assert client.post("/api/v1/hospitals", json=body, headers=cmd).status_code == 201
    receipt = {"warehouse_code": "D-WH", "item_code": "surgical_mask", "lot_code": "SM",
               "quantity": 5000, "movement_date": TODAY.isoformat()}  # fmt: skip
    got = client.post("/api/v1/supplies/receipts", json=receipt, headers=log)
    assert got.status_code == 201, got.text
    soon = (TODAY + timedelta(days=3)).isoformat()
    request = {"hospital_code": "JYT", "priority": "urgent", "needed_by": soon,
               "lines": [{"item_code": "surgical_mask", "quantity": 5000},
                         {"item_code": "goggles", "quantity": 100}]}  # fmt: skip
    made = client.post("/api/v1/supplies/requests", json=request, headers=rep).json()
    assert made["needed_by"] == soon
    client.post(f"/api/v1/supplies/requests/{made['id']}/submit", headers=rep)
    client.post(f"/api/v1/supplies/requests/{made['id']}/decide", json={}, headers=cmd)
    bad = problem(client.post("/api/v1/allocation/plans", json={"periods": 99}, headers=cmd), 422)
    assert bad["errors"][0]["pointer"] == "/periods"
    late = {"warehouse_code": "D-WH", "item_code": "goggles", "quantity": 100,
            "arrival_date": (TODAY + timedelta(days=30)).isoformat()}  # fmt: skip
    out = problem(
        client.post("/api/v1/allocation/plans",
                    json={"periods": 2, "period_days": 3, "incoming": [late]}, headers=cmd),
        422,
    )  # fmt: skip
    assert out["errors"][0]["parameter"] == "incoming/0/arrival_date"
    goggles = {**late, "arrival_date": (TODAY + timedelta(days=2)).isoformat()}
    plan = client.post(
        "/api/v1/allocation/plans",
        json={"periods": 2, "period_days": 3, "incoming": [goggles]}, headers=cmd,
    )  # fmt: skip
    assert plan.status_code == 201, plan.text
    summary = plan.json()["summary"]
    items = {i["item_code"]: i for i in summary["items"]}
    assert items["surgical_mask"]["allocated_by_period"] == [0, 100]
    assert items["goggles"]["allocated_by_period"] == [0, 10]
    # needed in period 1: nothing ships today, everything is scheduled
    assert plan.json()["shipments"] == []
    assert {s["item_code"] for s in summary["schedule"]} == {"surgical_mask", "goggles"}
