"""``/api/v1/hospitals``: capacity changes, the ICU runway of a region and bad input as
problem+json, on both databases."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert

from fangkong.api.app import create_app
from fangkong.core.access import CLI_ACTOR
from fangkong.services import users
from fangkong.services.reference import region_tree
from fangkong.settings import Settings
from fangkong.store import models as m

DAY = date(2020, 2, 10)


def bearer(engine: Engine, username: str, role: str, jurisdiction: str) -> dict[str, str]:
    users.create_user(
        engine, CLI_ACTOR, username=username, password="correct horse battery", role=role,
        jurisdiction=jurisdiction, tree=region_tree(engine),
    )  # fmt: skip
    token, _ = users.create_token(engine, CLI_ACTOR, username)
    return {"Authorization": f"Bearer {token}"}


def problem(answer: Any, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = answer.json()
    return body


def test_capacity_and_icu_runway(settings: Settings, engine: Engine) -> None:
    client = TestClient(create_app(settings, engine))
    cmd = bearer(engine, "hubei.cmd", "commander", "420000")
    rep = bearer(engine, "wuhan.rep", "reporter", "420100")
    body = {"hospital_code": "HSS", "name": "火神山医院", "kind": "designated",
            "region_code": "420100", "lat": 30.53, "lon": 114.08,
            "beds": {"general": 1000, "icu": 50}}  # fmt: skip
    assert client.post("/api/v1/hospitals", json=body, headers=cmd).status_code == 201
    problem(client.patch("/api/v1/hospitals/HSS/beds", json={"icu": 80}, headers=rep), 403)
    problem(client.patch("/api/v1/hospitals/HSS/beds", json={"icu": -3}, headers=cmd), 422)
    blind = problem(client.patch("/api/v1/hospitals/HSS/beds", json={"icu": 80}, headers=cmd), 428)
    assert blind["errors"][0]["parameter"] == "If-Match"
    tag = client.get("/api/v1/hospitals/HSS", headers=cmd).headers["ETag"]
    edit = {**cmd, "If-Match": tag}
    changed = client.patch("/api/v1/hospitals/HSS/beds", json={"icu": 80}, headers=edit)
    assert changed.json()["beds"] == {"general": 1000, "isolation": 0, "icu": 80, "ventilator": 0}
    assert changed.headers["ETag"] != tag
    stale = client.patch("/api/v1/hospitals/HSS/beds", json={"icu": 90}, headers=edit)
    assert problem(stale, 412)["etag"] == changed.headers["ETag"]
    start = DAY - timedelta(days=30)
    with engine.begin() as conn:
        conn.execute(
            insert(m.DailyReportRow),
            [
                {"region_code": "420100", "report_date": start + timedelta(days=i),
                 "source": "nhc", "new_confirmed": round(30 * math.exp(0.1 * i)),
                 "updated_at": datetime.now(UTC)}
                for i in range(31)
            ],
        )  # fmt: skip
    occ = {"report_date": DAY.isoformat(), "occupied": {"icu": 45}}
    first = client.put("/api/v1/hospitals/HSS/occupancy", json=occ, headers=rep)
    assert first.status_code == 200 and first.headers["ETag"] == '"1"'
    occ["occupied"] = {"icu": 50}  # a correction of the stored day needs its ETag
    problem(client.put("/api/v1/hospitals/HSS/occupancy", json=occ, headers=rep), 428)
    fixed = client.put(
        "/api/v1/hospitals/HSS/occupancy", json=occ, headers={**rep, "If-Match": '"1"'}
    )
    assert fixed.status_code == 200 and fixed.json()["occupied_icu"] == 50
    assert fixed.headers["ETag"] == '"2"'
    late = client.put(
        "/api/v1/hospitals/HSS/occupancy", json=occ, headers={**rep, "If-Match": '"1"'}
    )
    assert "changed by someone else" in problem(late, 412)["detail"]
    url = f"/api/v1/hospitals/runway/420100?day={DAY.isoformat()}"
    assert client.get(url).status_code == 401
    out = client.get(url, headers=cmd)
    assert out.status_code == 200, out.text
    runway = out.json()
    assert runway["icu_beds"] == 80 and runway["icu_occupied"] == 50
    assert runway["days_until_full_upper"] is not None
    assert len(runway["projected_mean"]) == 21
    problem(client.get(url + "&icu_fraction=2", headers=cmd), 422)
    problem(client.get(url + "&horizon=0", headers=cmd), 422)
    problem(client.get("/api/v1/hospitals/runway/../x", headers=cmd), 404)
    problem(client.get("/api/v1/hospitals/runway/110000", headers=cmd), 404)


def test_medical_teams_and_pairings_over_http(settings: Settings, engine: Engine) -> None:
    client = TestClient(create_app(settings, engine))
    nation = bearer(engine, "nhc.cmd", "commander", "*")
    rep = bearer(engine, "wuhan.rep", "reporter", "420100")
    team = {"name": "江苏援湖北医疗队", "origin_code": "320000", "leader": "张医生",
            "members": [{"name": "张医生", "specialty": "ICU"}], "size": 30,
            "region_code": "420100", "departure_date": "2020-02-09"}  # fmt: skip
    problem(client.post("/api/v1/medical-teams", json=team, headers=rep), 403)
    problem(client.post("/api/v1/medical-teams", json={**team, "size": 0}, headers=nation), 422)
    made = client.post("/api/v1/medical-teams", json=team, headers=nation)
    assert made.status_code == 201, made.text
    tid = made.json()["id"]
    bad = {"arrival_date": "2020-02-01"}
    problem(client.post(f"/api/v1/medical-teams/{tid}/dates", json=bad, headers=nation), 422)
    arrived = client.post(
        f"/api/v1/medical-teams/{tid}/dates", json={"arrival_date": "2020-02-10"}, headers=nation
    )
    assert arrived.status_code == 200
    listed = client.get("/api/v1/medical-teams?day=2020-02-12", headers=rep).json()
    assert listed["items"][0]["status"] == "on_site"
    problem(client.get("/api/v1/medical-teams?status=lost", headers=rep), 422)
    problem(client.post("/api/v1/medical-teams/999/dates", json=bad, headers=nation), 404)
    pairing = {"province_code": "320000", "city_code": "420900", "start_date": "2020-02-10"}
    assert (
        client.post("/api/v1/medical-teams/pairings", json=pairing, headers=nation).status_code
        == 201
    )
    problem(client.post("/api/v1/medical-teams/pairings", json=pairing, headers=nation), 409)
    assert (
        client.get("/api/v1/medical-teams/pairings?active=true", headers=rep).json()["total"] == 1
    )


def test_public_icu_runways_need_no_sign_in(settings: Settings, engine: Engine) -> None:
    client = TestClient(create_app(settings, engine))
    assert client.get("/api/v1/hospitals/icu-runways").json()["items"] == []
    cmd = bearer(engine, "hubei.cmd", "commander", "420000")
    body = {"hospital_code": "HSS", "name": "火神山医院", "kind": "designated",
            "region_code": "420100", "lat": 30.53, "lon": 114.08, "beds": {"icu": 50}}  # fmt: skip
    assert client.post("/api/v1/hospitals", json=body, headers=cmd).status_code == 201
    out = client.get("/api/v1/hospitals/icu-runways")
    assert out.status_code == 200
    items = out.json()["items"]
    assert [r["region_code"] for r in items] == ["CN", "420000"]
    assert items[1]["icu_beds"] == 50 and items[1]["stale_hospitals"] == 1
    assert "火神山" not in out.text
    # the hospital's own page stays behind the sign-in
    problem(client.get("/api/v1/hospitals/HSS"), 401)
