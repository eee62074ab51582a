"""``/api/v1/hospitals``, ``/api/v1/supplies``, ``/api/v1/allocation``,
``/api/v1/shipments`` and ``/api/v1/donations`` over HTTP on both databases: the whole
flow from request to receipt, permissions and problem+json on bad input."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from fangkong.api.app import create_app
from fangkong.core.access import CLI_ACTOR
from fangkong.services import supplies, users
from fangkong.services.reference import region_tree
from fangkong.settings import Settings

TODAY = date.today()


def bearer(engine: Engine, username: str, role: str, jurisdiction: str) -> dict[str, str]:
    users.create_user(
        engine,
        CLI_ACTOR,
        username=username,
        password="correct horse battery",
        role=role,
        jurisdiction=jurisdiction,
        tree=region_tree(engine),
    )
    token, _ = users.create_token(engine, CLI_ACTOR, username)
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def client(settings: Settings, engine: Engine) -> TestClient:
    supplies.load_catalogue(engine)
    return TestClient(create_app(settings, engine))


def ok(answer: Any, status: int = 200) -> Any:
    assert answer.status_code == status, answer.text
    return answer.json()


def problem(answer: Any, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = answer.json()
    return body


def test_flow_over_http(client: TestClient, engine: Engine) -> None:
    cmd = bearer(engine, "hubei.cmd", "commander", "420000")
    log = bearer(engine, "hubei.log", "logistics", "420000")
    rep = bearer(engine, "wuhan.rep", "reporter", "420100")
    bj = bearer(engine, "bj.rep", "reporter", "110000")
    items = ok(client.get("/api/v1/supplies/items"))["items"]
    assert {"n95_respirator", "ventilator_invasive"} <= {i["item_code"] for i in items}
    depot = {"warehouse_code": "D-WH", "name": "武汉储备库", "region_code": "420100",
             "lat": 30.59, "lon": 114.30}  # fmt: skip
    problem(client.post("/api/v1/supplies/warehouses", json=depot, headers=rep), 403)
    problem(client.post("/api/v1/supplies/warehouses", json={**depot, "lat": 95}, headers=log), 422)
    ok(client.post("/api/v1/supplies/warehouses", json=depot, headers=log), 201)
    problem(client.post("/api/v1/supplies/warehouses", json=depot, headers=log), 409)
    beds = {"general": 400, "isolation": 200, "icu": 40, "ventilator": 20}
    hospital = {"hospital_code": "JYT", "name": "金银潭医院", "kind": "定点医院",
                "region_code": "420100", "lat": 30.64, "lon": 114.26, "beds": beds}  # fmt: skip
    problem(client.post("/api/v1/hospitals", json=hospital, headers=rep), 403)
    problem(client.post("/api/v1/hospitals", json={**hospital, "kind": "spa"}, headers=cmd), 422)
    made = ok(client.post("/api/v1/hospitals", json=hospital, headers=cmd), 201)
    assert made["kind"] == "designated" and made["stale"] and made["warehouse_code"] == "H-JYT"
    occ = {"report_date": TODAY.isoformat(),
           "occupied": {"general": 380, "isolation": 150, "icu": 45, "ventilator": 18}}  # fmt: skip
    problem(client.put("/api/v1/hospitals/JYT/occupancy", json=occ, headers=bj), 403)
    future = {**occ, "report_date": (TODAY + timedelta(days=1)).isoformat()}
    problem(client.put("/api/v1/hospitals/JYT/occupancy", json=future, headers=rep), 422)
    saved = ok(client.put("/api/v1/hospitals/JYT/occupancy", json=occ, headers=rep))
    assert saved["over_capacity"] == ["icu"]
    listed = ok(client.get("/api/v1/hospitals", headers=rep))["items"]
    assert listed[0]["stale"] is False and listed[0]["icu_beds_free"] == -5
    summary = ok(client.get("/api/v1/hospitals/capacity/420000", headers=cmd))
    assert summary["beds"]["icu"] == 40 and summary["stale_hospitals"] == []
    problem(client.get("/api/v1/hospitals/NOPE", headers=cmd), 404)

    receipt = {"warehouse_code": "D-WH", "item_code": "n95_respirator", "lot_code": "N95-A",
               "quantity": 1000, "movement_date": TODAY.isoformat(),
               "expiry_date": (TODAY + timedelta(days=90)).isoformat()}  # fmt: skip
    problem(client.post("/api/v1/supplies/receipts", json=receipt, headers=rep), 403)
    problem(
        client.post("/api/v1/supplies/receipts", json={**receipt, "quantity": 0}, headers=log), 422
    )
    problem(
        client.post("/api/v1/supplies/receipts", json={**receipt, "item_code": "x"}, headers=log),
        422,
    )
    ok(client.post("/api/v1/supplies/receipts", json=receipt, headers=log), 201)
    over = {"kind": "issue", "lot_code": "N95-A", "quantity": 5000,
            "movement_date": TODAY.isoformat(), "from_warehouse": "D-WH"}  # fmt: skip
    bad = problem(client.post("/api/v1/supplies/movements", json=over, headers=log), 422)
    assert "cannot take" in bad["detail"]
    donation = {"donor": "某公司", "donor_kind": "company", "provenance": "深圳捐赠",
                "received_date": TODAY.isoformat(), "item_code": "n95_respirator",
                "quantity": 200, "lot_code": "N95-DON", "warehouse_code": "D-WH"}  # fmt: skip
    problem(client.post("/api/v1/donations", json=donation), 401)
    ok(client.post("/api/v1/donations", json=donation, headers=log), 201)
    ok(client.post("/api/v1/donations", json={**donation, "lot_code": "N95-P", "public": False},
                   headers=log), 201)  # fmt: skip
    public = ok(client.get("/api/v1/donations"))
    assert public["total"] == 1 and public["items"][0]["donor"] == "某公司"

    req = {"hospital_code": "JYT", "priority": "critical",
           "lines": [{"item_code": "n95_respirator", "quantity": 2000}]}  # fmt: skip
    problem(client.post("/api/v1/supplies/requests", json=req, headers=bj), 403)
    problem(
        client.post("/api/v1/supplies/requests",
                    json={**req, "lines": [{"item_code": "n95_respirator", "quantity": 30}]},
                    headers=rep),
        422,
    )  # fmt: skip
    rid = ok(client.post("/api/v1/supplies/requests", json=req, headers=rep), 201)["id"]
    ok(client.post(f"/api/v1/supplies/requests/{rid}/submit", headers=rep))
    problem(client.post(f"/api/v1/supplies/requests/{rid}/submit", headers=rep), 409)
    problem(client.post(f"/api/v1/supplies/requests/{rid}/decide", json={}, headers=rep), 403)
    assert (
        ok(client.post(f"/api/v1/supplies/requests/{rid}/decide", json={}, headers=cmd))["status"]
        == "approved"
    )
    problem(client.get("/api/v1/supplies/requests/999999", headers=cmd), 404)
    problem(client.get("/api/v1/supplies/requests?status=nonsense", headers=cmd), 422)

    plan = ok(client.post("/api/v1/allocation/plans", json={}, headers=cmd), 201)
    assert plan["summary"]["items"][0]["allocated_packs"] == 70  # 1,400 usable of 2,000
    assert "满足率70%" in plan["explanations"][0]["zh"]
    (ship,) = plan["shipments"]
    sid = ship["id"]
    problem(client.post(f"/api/v1/shipments/{sid}/confirm", json={}, headers=cmd), 403)
    ok(
        client.post(
            f"/api/v1/shipments/{sid}/confirm", json={"tracking_number": "SF9"}, headers=log
        )
    )
    ok(client.post(f"/api/v1/shipments/{sid}/dispatch", json={}, headers=log))
    problem(client.post(f"/api/v1/shipments/{sid}/receive", json={}, headers=rep), 422)
    line_id = ship["lines"][0]["id"]
    short = {"signed_by": "王护士长", "received": {str(line_id): 1300}}
    problem(client.post(f"/api/v1/shipments/{sid}/receive", json=short, headers=rep), 422)
    got = ok(client.post(f"/api/v1/shipments/{sid}/receive",
                         json={**short, "note": "一箱破损拒收"}, headers=rep))  # fmt: skip
    assert got["status"] == "received" and got["lines"][0]["received_quantity"] == 1300
    detail = ok(client.get(f"/api/v1/shipments/{sid}", headers=rep))
    assert {mv["kind"] for mv in detail["movements"]} == {"issue", "receipt"}
    request = ok(client.get(f"/api/v1/supplies/requests/{rid}", headers=rep))
    assert request["lines"][0]["shipped"] == 1400 and request["lines"][0]["received"] == 1300
    check = ok(client.get("/api/v1/supplies/ledger/check", headers=cmd))
    assert check["balanced"]
    n95 = check["items"][0]
    assert n95["receipts"] - n95["issues"] == n95["on_hand"] == 1400 - 1400 + 1300
    stock = ok(client.get("/api/v1/supplies/stock?warehouse=H-JYT", headers=rep))["items"]
    assert stock[0]["usable"] == 1300
    assert ok(client.get("/api/v1/shipments?status=received", headers=cmd))["total"] == 1
    problem(client.get("/api/v1/shipments?status=lost", headers=cmd), 422)
    assert ok(client.get("/api/v1/allocation/plans", headers=cmd))["total"] == 1
