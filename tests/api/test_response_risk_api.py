"""``/api/v1/response``, ``/api/v1/risk`` and ``/api/v1/warnings`` on both databases."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from fangkong.api.app import create_app
from fangkong.core.access import CLI_ACTOR
from fangkong.services.daily_import import import_daily_file
from fangkong.settings import Settings
from support import DEMO_DATA, bearer, problem

PROVINCES = DEMO_DATA / "canghailan_china_province_daily_2020-01-10_2020-06-30.csv"


@pytest.fixture
def client(settings: Settings, engine: Engine) -> TestClient:
    return TestClient(create_app(settings, engine))


def test_declare_and_read_response_levels(client: TestClient, engine: Engine) -> None:
    hubei = bearer(engine, "hubei.cmd", "commander", "420000")
    body = {
        "region_code": "420000",
        "level": "II",
        "reason": "cluster in Wuhan",
        "effective_at": "2020-01-22T10:00:00+08:00",
    }
    assert client.post("/api/v1/response/declarations", json=body).status_code == 401
    made = client.post("/api/v1/response/declarations", json=body, headers=hubei)
    assert made.status_code == 201, made.text
    assert made.json()["action"] == "declare"
    problem(client.post("/api/v1/response/declarations", json=body, headers=hubei), 409)
    too_high = {**body, "level": "I", "effective_at": "2020-01-23T10:00:00+08:00"}
    assert "Level I" in str(
        problem(client.post("/api/v1/response/declarations", json=too_high, headers=hubei), 403)
    )
    problem(
        client.post("/api/v1/response/declarations", json={**body, "level": "V"}, headers=hubei),
        422,
    )
    problem(
        client.post("/api/v1/response/declarations", json={"region_code": "420000"}, headers=hubei),
        422,
    )
    levels = client.get("/api/v1/response/levels?at=2020-01-23T00:00:00Z").json()["items"]
    assert {i["region_code"]: i["level"] for i in levels}["420000"] == "II"
    wuhan = client.get("/api/v1/response/regions/420100?at=2020-01-23T00:00:00Z").json()
    assert wuhan["level"] == "II" and wuhan["inherited"] and wuhan["measures"]
    problem(client.get("/api/v1/response/regions/999999"), 404)
    assert client.get("/api/v1/response/history").status_code == 401
    hist = client.get("/api/v1/response/history?region=420000", headers=hubei).json()
    assert hist["total"] == 1 and hist["items"][0]["actor"] == "hubei.cmd"
    assert len(client.get("/api/v1/response/measures/I").json()["items"]) == 5
    problem(client.get("/api/v1/response/measures/VI"), 422)
    nat = bearer(engine, "nat.cmd", "commander", "*")
    edit = {"items": [{"text_zh": "加强监测", "text_en": "more surveillance"}], "reason": "r"}
    blind = client.put("/api/v1/response/measures/IV", headers=nat, json=edit)
    assert problem(blind, 428)["errors"][0]["parameter"] == "If-Match"
    shipped = client.get("/api/v1/response/measures/IV").headers["ETag"]
    put = client.put(
        "/api/v1/response/measures/IV", headers={**nat, "If-Match": shipped}, json=edit
    )
    assert put.status_code == 200, put.text
    assert put.headers["ETag"] != shipped
    assert client.get("/api/v1/response/measures/IV").headers["ETag"] == put.headers["ETag"]
    stale = client.put(
        "/api/v1/response/measures/IV", headers={**nat, "If-Match": shipped}, json=edit
    )
    assert problem(stale, 412)["etag"] == put.headers["ETag"]
    problem(
        client.put(
            "/api/v1/response/measures/IV", headers=hubei, json={"items": [], "reason": "r"}
        ),
        403,
    )


def test_risk_and_warnings_api(client: TestClient, engine: Engine, settings: Settings) -> None:
    assert import_daily_file(engine, settings, PROVINCES, actor=CLI_ACTOR).ok
    sets = client.get("/api/v1/risk/rulesets").json()
    assert sets["default"] == "cn-2020-02-county" and len(sets["items"]) == 3
    table = client.get("/api/v1/risk/levels?date=2020-02-20&unit=province").json()
    hubei = next(i for i in table["items"] if i["region_code"] == "420000")
    assert hubei["level"] == "high" and hubei["explanation_zh"].startswith("高风险")
    problem(client.get("/api/v1/risk/levels?date=2020-02-30"), 422)
    problem(client.get("/api/v1/risk/levels?date=2020-02-20&ruleset=nope"), 404)
    problem(client.get("/api/v1/risk/levels?date=2020-02-20&unit=street"), 422)
    hist = client.get(
        "/api/v1/risk/regions/110000/history?until=2020-06-30&ruleset=cn-2022-06-ninth-edition"
    ).json()
    assert hist["current"]["level"] == "high"
    epi = bearer(engine, "bj.epi", "epidemiologist", "110000")
    assert client.post("/api/v1/risk/rulesets", json={}, headers=epi).status_code == 403
    cmd = bearer(engine, "cmd", "commander", "*")
    bad = problem(client.post("/api/v1/risk/rulesets", json={"name": "x"}, headers=cmd), 422)
    assert "invalid rule set" in str(bad["detail"])
    scan = {"from": "2020-06-10", "to": "2020-06-16", "regions": ["110000"], "store": True}
    assert client.post("/api/v1/warnings/scan", json=scan).status_code == 401
    found = client.post("/api/v1/warnings/scan", json=scan, headers=epi)
    assert found.status_code == 200, found.text
    assert found.json()["stored"]["inserted"] == found.json()["total"] > 0
    listed = client.get("/api/v1/warnings?region=110000&method=ears_c1", headers=epi).json()
    sid = listed["items"][0]["id"]
    ack = client.post(
        f"/api/v1/warnings/{sid}/status",
        headers=epi,
        json={"status": "acknowledged", "note": "seen"},
    )
    assert ack.status_code == 200 and ack.json()["status"] == "acknowledged"
    problem(client.post(f"/api/v1/warnings/{sid}/status", headers=epi, json={"status": "x"}), 422)
    problem(
        client.post("/api/v1/warnings/scan", headers=epi, json={**scan, "methods": ["magic"]}), 422
    )
    problem(
        client.post("/api/v1/warnings/scan", headers=epi, json={**scan, "regions": ["999999"]}), 404
    )
    problem(client.get("/api/v1/warnings?status=odd", headers=epi), 422)
    far = problem(
        client.post("/api/v1/warnings/scan", headers=epi, json={**scan, "to": "5212-01-11"}), 422
    )
    assert far["errors"][0]["parameter"] == "to"


def test_far_future_dates_are_refused_quickly(
    settings: Settings, engine: Engine, client: TestClient
) -> None:
    assert import_daily_file(engine, settings, PROVINCES, actor=CLI_ACTOR).ok
    r = client.get("/api/v1/risk/regions/420000/history", params={"until": "2964-07-23"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["parameter"] == "until"
