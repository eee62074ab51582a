"""Every state-changing route leaves an audit entry; ``/api/v1/audit`` is for
administrators; personal fields of the line list are masked or audited; the line-list
export needs its permission, is audited with its hash, and is formula-safe."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text

from fangkong.api.app import create_app
from fangkong.api.audit import action_of
from fangkong.services import supplies
from fangkong.services.demo import demo_dir
from fangkong.settings import Settings
from fangkong.store import audit as hook
from support import BULLETINS, PASSWORD, bearer, problem

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
NATIONAL = "canghailan_china_national_daily_2020-01-10_2020-06-30.csv"
PROVINCES = "canghailan_china_province_daily_2020-01-10_2020-06-30.csv"
TODAY = date.today()
HOSTILE = "=cmd|' /C calc'!A0"


def walk_routes(routes: list[Any]) -> Iterator[Any]:
    """Every route of the app, including those of included routers."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from walk_routes(list(inner.routes))
        else:
            yield route


def write_routes(app: FastAPI) -> dict[tuple[str, str], Any]:
    """``(method, path template)`` → route, for POST/PUT/PATCH/DELETE routes."""
    found: dict[tuple[str, str], Any] = {}
    for route in walk_routes(list(app.routes)):
        for method in sorted(set(getattr(route, "methods", None) or ()) & WRITE_METHODS):
            found[(method, route.path)] = route
    return found


def audit_rows(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(select(hook.LOG).order_by(hook.LOG.c.id)).all()
    return [{**r._mapping, "details": json.loads(r.details)} for r in rows]


@pytest.fixture
def client(settings: Settings, engine: Engine) -> TestClient:
    supplies.load_catalogue(engine)
    return TestClient(create_app(settings, engine))


@dataclass
class Step:
    """One request of the scenario: the route it exercises and how."""

    method: str
    route: str
    path: str
    status: int
    kwargs: dict[str, Any] = field(default_factory=dict)
    keep: Callable[[Any], None] | None = None
    actor: str = "admin"


def scenario(engine: Engine, ids: dict[str, Any]) -> list[Callable[[], Step]]:
    """The write routes exercised one after another (later steps use ids that earlier
    steps keep); built lazily because the paths need those ids."""
    due = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    beds = {"general": 400, "isolation": 200, "icu": 40, "ventilator": 20}
    hospital = {"hospital_code": "JYT", "name": "金银潭医院", "kind": "定点医院",
                "region_code": "420100", "lat": 30.64, "lon": 114.26, "beds": beds}  # fmt: skip
    receipt = {"warehouse_code": "D-WH", "item_code": "n95_respirator", "lot_code": "N95-A",
               "quantity": 1000, "movement_date": TODAY.isoformat(),
               "expiry_date": (TODAY + timedelta(days=90)).isoformat()}  # fmt: skip
    ruleset = json.loads(
        (demo_dir().parent / "rulesets" / "cn-2020-02-county.json").read_text(encoding="utf-8")
    )
    ruleset["name"] = "audit-test"
    national = (demo_dir() / NATIONAL).read_bytes()
    provinces = (demo_dir() / PROVINCES).read_bytes()
    cases_csv = (
        "source,case_id,region_code,classification,onset_date,origin\n"
        f'cdc,f1,420106,confirmed,2020-01-20,武汉\ncdc,f2,420106,confirmed,2020-01-21,"{HOSTILE}"\n'
    ).encode()

    def keep(name: str, key: str = "id") -> Callable[[Any], None]:
        def store(body: Any) -> None:
            ids[name] = body[key]

        return store

    def plan(body: Any) -> None:
        ids["shipment"] = body["shipments"][0]["id"]

    def signal(_: Any) -> None:
        with engine.connect() as conn:
            ids["signal"] = conn.execute(text("SELECT min(id) FROM warning_signals")).scalar_one()

    return [
        lambda: Step("POST", "/api/v1/session", "/api/v1/session", 200,
                     {"json": {"username": "admin", "password": PASSWORD}}),
        lambda: Step("DELETE", "/api/v1/session", "/api/v1/session", 204),
        lambda: Step("POST", "/api/v1/session/logout", "/api/v1/session/logout", 303,
                     {"follow_redirects": False}, actor="anonymous"),
        lambda: Step("POST", "/api/v1/users", "/api/v1/users", 201,
                     {"json": {"username": "bob", "password": PASSWORD, "role": "viewer",
                               "jurisdiction": "420000"}}),
        lambda: Step("PATCH", "/api/v1/users/{username}", "/api/v1/users/bob", 200,
                     {"json": {"active": False}, "headers": {"If-Match": '"1"'}}),
        lambda: Step("POST", "/api/v1/users/{username}/tokens", "/api/v1/users/admin/tokens", 201,
                     {"json": {"name": "spare"}}, keep("token")),
        lambda: Step("DELETE", "/api/v1/users/{username}/tokens/{token_id}",
                     f"/api/v1/users/admin/tokens/{ids['token']}", 200),
        lambda: Step("POST", "/api/v1/imports/daily", "/api/v1/imports/daily", 200,
                     {"files": {"file": (NATIONAL, national, "text/csv")}}),
        lambda: Step("POST", "/api/v1/imports/daily", "/api/v1/imports/daily", 200,
                     {"files": {"file": (PROVINCES, provinces, "text/csv")}}),
        lambda: Step("POST", "/api/v1/daily", "/api/v1/daily", 200,
                     {"json": {"items": [{"region_code": "420100",
                                          "report_date": (TODAY - timedelta(days=2)).isoformat(),
                                          "new_confirmed": 4}]}}),
        lambda: Step("POST", "/api/v1/cases", "/api/v1/cases", 200,
                     {"json": {"items": [{"source": "cdc", "case_id": "1", "region_code": "420106",
                                          "classification": "confirmed",
                                          "onset_date": "2020-01-20", "age_years": 61}]}}),
        lambda: Step("POST", "/api/v1/imports/cases", "/api/v1/imports/cases", 200,
                     {"files": {"file": ("cases.csv", cases_csv, "text/csv")}}),
        lambda: Step("POST", "/api/v1/imports/bulletin", "/api/v1/imports/bulletin", 200,
                     {"json": {"text": (BULLETINS / "nhc_2020-02-13.txt").read_text("utf-8"),
                               "date": "2020-02-13", "dry_run": False, "source": "nhc-text"}}),
        lambda: Step("POST", "/api/v1/bulletins/drafts", "/api/v1/bulletins/drafts", 201,
                     {"json": {"region_code": "CN", "report_date": "2020-02-13",
                               "source": "canghailan"}}, keep("bulletin")),
        lambda: Step("POST", "/api/v1/bulletins/{bulletin_id}/publish",
                     f"/api/v1/bulletins/{ids['bulletin']}/publish", 200),
        lambda: Step("POST", "/api/v1/scenarios", "/api/v1/scenarios", 200,
                     {"json": {"region_code": "420000", "start": "2020-01-01", "days": 60}}),
        lambda: Step("POST", "/api/v1/response/declarations", "/api/v1/response/declarations",
                     201, {"json": {"region_code": "420000", "level": "I", "reason": "Wuhan"}}),
        lambda: Step("PUT", "/api/v1/response/measures/{level}", "/api/v1/response/measures/IV",
                     200, {"json": {"items": [{"text_zh": "加强监测", "text_en": "watch"}],
                                    "reason": "r"}, "headers": {"If-Match": "*"}}),
        lambda: Step("POST", "/api/v1/risk/rulesets", "/api/v1/risk/rulesets", 201,
                     {"json": ruleset}),
        lambda: Step("POST", "/api/v1/warnings/scan", "/api/v1/warnings/scan", 200,
                     {"json": {"from": "2020-06-10", "to": "2020-06-16", "regions": ["110000"],
                               "store": True}}, signal),
        lambda: Step("POST", "/api/v1/warnings/{signal_id}/status",
                     f"/api/v1/warnings/{ids['signal']}/status", 200,
                     {"json": {"status": "acknowledged", "note": "seen"}}),
        lambda: Step("POST", "/api/v1/directives/teams", "/api/v1/directives/teams", 201,
                     {"json": {"name": "指导组", "leader": "li", "members": ["wang"],
                               "region_code": "420100"}}, keep("team")),
        lambda: Step("POST", "/api/v1/directives/teams/{team_id}/disband",
                     f"/api/v1/directives/teams/{ids['team']}/disband", 200),
        lambda: Step("POST", "/api/v1/directives", "/api/v1/directives", 201,
                     {"json": {"title": "t", "body": "b", "due_at": due, "regions": ["420100"]}},
                     keep("directive")),
        lambda: Step("POST", "/api/v1/directives/{directive_id}/acknowledge",
                     f"/api/v1/directives/{ids['directive']}/acknowledge", 200,
                     {"json": {"region_code": "420100"}}),
        lambda: Step("POST", "/api/v1/directives/{directive_id}/progress",
                     f"/api/v1/directives/{ids['directive']}/progress", 200,
                     {"json": {"region_code": "420100", "percent": 50}}),
        lambda: Step("POST", "/api/v1/directives/{directive_id}/attachments",
                     f"/api/v1/directives/{ids['directive']}/attachments", 201,
                     {"files": {"file": ("通知.txt", "通知".encode(), "text/plain")}}),
        lambda: Step("POST", "/api/v1/directives/{directive_id}/cancel",
                     f"/api/v1/directives/{ids['directive']}/cancel", 200,
                     {"json": {"note": "superseded"}}),
        lambda: Step("PUT", "/api/v1/timeliness/deadlines/{key}",
                     "/api/v1/timeliness/deadlines/420100", 201, {"json": {"due_time": "10:00"}}),
        lambda: Step("DELETE", "/api/v1/timeliness/deadlines/{key}",
                     "/api/v1/timeliness/deadlines/420100", 204),
        lambda: Step("POST", "/api/v1/timeliness/events", "/api/v1/timeliness/events", 201,
                     {"json": {"region_code": "420102", "title": "聚集性疫情",
                               "detected_at": datetime.now(UTC).isoformat()}}, keep("event")),
        lambda: Step("POST", "/api/v1/timeliness/events/{event_id}/reported",
                     f"/api/v1/timeliness/events/{ids['event']}/reported", 200, {"json": {}}),
        lambda: Step("POST", "/api/v1/hospitals", "/api/v1/hospitals", 201, {"json": hospital}),
        lambda: Step("PATCH", "/api/v1/hospitals/{hospital_code}/beds",
                     "/api/v1/hospitals/JYT/beds", 200,
                     {"json": {"icu": 50}, "headers": {"If-Match": "*"}}),
        lambda: Step("PUT", "/api/v1/hospitals/{hospital_code}/occupancy",
                     "/api/v1/hospitals/JYT/occupancy", 200,
                     {"json": {"report_date": TODAY.isoformat(),
                               "occupied": {"general": 1, "isolation": 1, "icu": 1,
                                            "ventilator": 1}}}),
        lambda: Step("PUT", "/api/v1/daily/{source}/{region_code}/{report_date}",
                     f"/api/v1/daily/fangkong/420100/{(TODAY - timedelta(days=2)).isoformat()}",
                     200, {"json": {"new_confirmed": 5}, "headers": {"If-Match": "*"}}),
        lambda: Step("POST", "/api/v1/hospitals/{hospital_code}/patients",
                     "/api/v1/hospitals/JYT/patients", 201,
                     {"json": {"source": "cdc", "case_id": "1", "bed_type": "general",
                               "severity": "moderate",
                               "admission_date": (TODAY - timedelta(days=3)).isoformat()}},
                     keep("stay")),
        lambda: Step("POST", "/api/v1/hospitals/{hospital_code}/patients/{stay_id}/transfer",
                     f"/api/v1/hospitals/JYT/patients/{ids['stay']}/transfer", 201,
                     {"json": {"hospital_code": "JYT", "bed_type": "icu", "severity": "critical",
                               "transfer_date": (TODAY - timedelta(days=2)).isoformat()}},
                     keep("stay")),
        lambda: Step("POST", "/api/v1/hospitals/{hospital_code}/occupancy/from-census",
                     "/api/v1/hospitals/JYT/occupancy/from-census", 200,
                     {"json": {"report_date": (TODAY - timedelta(days=2)).isoformat()}}),
        lambda: Step("POST", "/api/v1/hospitals/{hospital_code}/patients/{stay_id}/discharge",
                     f"/api/v1/hospitals/JYT/patients/{ids['stay']}/discharge", 200,
                     {"json": {"end_date": (TODAY - timedelta(days=1)).isoformat()}}),
        lambda: Step("POST", "/api/v1/medical-teams", "/api/v1/medical-teams", 201,
                     {"json": {"name": "江苏医疗队", "origin_code": "320000", "leader": "张",
                               "size": 30, "region_code": "420100",
                               "departure_date": "2020-02-09"}}, keep("medical_team")),
        lambda: Step("POST", "/api/v1/medical-teams/{team_id}/dates",
                     f"/api/v1/medical-teams/{ids['medical_team']}/dates", 200,
                     {"json": {"arrival_date": "2020-02-10"}}),
        lambda: Step("POST", "/api/v1/medical-teams/pairings", "/api/v1/medical-teams/pairings",
                     201, {"json": {"province_code": "320000", "city_code": "420900",
                                    "start_date": "2020-02-10"}}, keep("pairing")),
        lambda: Step("POST", "/api/v1/medical-teams/pairings/{pairing_id}/end",
                     f"/api/v1/medical-teams/pairings/{ids['pairing']}/end", 200,
                     {"json": {"end_date": "2020-04-10"}}),
        lambda: Step("POST", "/api/v1/supplies/warehouses", "/api/v1/supplies/warehouses", 201,
                     {"json": {"warehouse_code": "D-WH", "name": "武汉储备库",
                               "region_code": "420100", "lat": 30.59, "lon": 114.30}}),
        lambda: Step("POST", "/api/v1/supplies/receipts", "/api/v1/supplies/receipts", 201,
                     {"json": receipt}),
        lambda: Step("POST", "/api/v1/supplies/receipts", "/api/v1/supplies/receipts", 201,
                     {"json": {**receipt, "lot_code": "N95-B", "quantity": 10}}),
        lambda: Step("POST", "/api/v1/supplies/movements", "/api/v1/supplies/movements", 201,
                     {"json": {"kind": "issue", "lot_code": "N95-B", "quantity": 5,
                               "movement_date": TODAY.isoformat(),
                               "from_warehouse": "D-WH"}}),
        lambda: Step("POST", "/api/v1/supplies/lots/{lot_code}/damaged",
                     "/api/v1/supplies/lots/N95-B/damaged", 200, {"json": {"reason": "wet"}}),
        lambda: Step("POST", "/api/v1/donations", "/api/v1/donations", 201,
                     {"json": {"donor": "某公司", "donor_kind": "company", "provenance": "深圳",
                               "received_date": TODAY.isoformat(),
                               "item_code": "n95_respirator", "quantity": 200,
                               "lot_code": "N95-DON", "warehouse_code": "D-WH"}}),
        lambda: Step("POST", "/api/v1/supplies/requests", "/api/v1/supplies/requests", 201,
                     {"json": {"hospital_code": "JYT", "priority": "critical",
                               "lines": [{"item_code": "n95_respirator", "quantity": 400}]}},
                     keep("request")),
        lambda: Step("POST", "/api/v1/supplies/requests/{request_id}/submit",
                     f"/api/v1/supplies/requests/{ids['request']}/submit", 200),
        lambda: Step("POST", "/api/v1/supplies/requests/{request_id}/decide",
                     f"/api/v1/supplies/requests/{ids['request']}/decide", 200, {"json": {}}),
        lambda: Step("POST", "/api/v1/allocation/plans", "/api/v1/allocation/plans", 201,
                     {"json": {}}, plan),
        lambda: Step("POST", "/api/v1/shipments/{shipment_id}/confirm",
                     f"/api/v1/shipments/{ids['shipment']}/confirm", 200,
                     {"json": {"tracking_number": "SF9"}}),
        lambda: Step("POST", "/api/v1/shipments/{shipment_id}/dispatch",
                     f"/api/v1/shipments/{ids['shipment']}/dispatch", 200, {"json": {}}),
        lambda: Step("POST", "/api/v1/shipments/{shipment_id}/receive",
                     f"/api/v1/shipments/{ids['shipment']}/receive", 200,
                     {"json": {"signed_by": "王护士长"}}),
        lambda: Step("POST", "/api/v1/supplies/requests", "/api/v1/supplies/requests", 201,
                     {"json": {"hospital_code": "JYT", "priority": "critical",
                               "lines": [{"item_code": "n95_respirator", "quantity": 200}]}},
                     keep("request")),
        lambda: Step("POST", "/api/v1/supplies/requests/{request_id}/submit",
                     f"/api/v1/supplies/requests/{ids['request']}/submit", 200),
        lambda: Step("POST", "/api/v1/supplies/requests/{request_id}/decide",
                     f"/api/v1/supplies/requests/{ids['request']}/decide", 200, {"json": {}}),
        lambda: Step("POST", "/api/v1/allocation/plans", "/api/v1/allocation/plans", 201,
                     {"json": {}}, plan),
        lambda: Step("POST", "/api/v1/shipments/{shipment_id}/cancel",
                     f"/api/v1/shipments/{ids['shipment']}/cancel", 200,
                     {"json": {"reason": "not needed"}}),
    ]  # fmt: skip


#: Write routes the scenario cannot exercise simply, with the reason. Empty: every
#: state-changing route of the API is exercised.
NOT_EXERCISED: dict[tuple[str, str], str] = {}


@pytest.mark.slow
def test_every_write_route_that_succeeds_leaves_an_audit_entry(
    client: TestClient, engine: Engine
) -> None:
    admin = bearer(engine, "admin", "admin", "*")
    routes = write_routes(client.app)  # type: ignore[arg-type]
    assert len(routes) >= 50
    ids: dict[str, Any] = {}
    exercised: set[tuple[str, str]] = set()
    for make in scenario(engine, ids):
        step = make()
        key = (step.method, step.route)
        assert key in routes, f"the scenario names an unknown route {key}"
        before = len(audit_rows(engine))
        headers = {} if step.route.startswith("/api/v1/session") else admin
        kwargs = dict(step.kwargs)
        headers = {**headers, **kwargs.pop("headers", {})}
        answer = client.request(step.method, step.path, headers=headers, **kwargs)
        assert answer.status_code == step.status, (key, answer.text)
        if step.keep is not None:
            step.keep(answer.json() if answer.content else None)
        action, _ = action_of(routes[key], step.path)
        new = audit_rows(engine)[before:]
        assert any(e["action"] == action for e in new), (key, action, new)
        assert all(e["actor"] == step.actor for e in new), (key, new)
        exercised.add(key)
    missing = set(routes) - exercised - set(NOT_EXERCISED)
    assert missing == set(), f"write routes without an audit check: {sorted(missing)}"
    rows = audit_rows(engine)
    runs = [e for e in rows if e["action"] == "import.run"]
    assert len(runs) == 4  # two daily files, one case file, one bulletin
    assert all(len(e["details"]["sha256"]) == 64 for e in runs)
    verified = client.get("/api/v1/audit/verify", headers=admin).json()
    assert verified["ok"] and verified["entries"] == len(rows)


def test_refused_writes_are_recorded_as_denied(client: TestClient, engine: Engine) -> None:
    viewer = bearer(engine, "bj.view", "viewer", "110000")
    item = {"region_code": "110000", "report_date": "2020-02-01", "new_confirmed": 1}
    problem(client.post("/api/v1/daily", json={"items": [item]}, headers=viewer), 403)
    problem(client.post("/api/v1/daily", json={"items": [item]}), 401)  # anonymous: not kept
    (entry,) = audit_rows(engine)[-1:]
    assert entry["actor"] == "bj.view" and entry["action"].endswith(".denied")
    assert entry["details"]["status"] == 403 and entry["details"]["context"]["auth"] == "token"


def test_the_audit_api_is_for_administrators(client: TestClient, engine: Engine) -> None:
    admin = bearer(engine, "admin", "admin", "*")
    epi = bearer(engine, "epi", "epidemiologist", "*")
    problem(client.get("/api/v1/audit"), 401)
    problem(client.get("/api/v1/audit", headers=epi), 403)
    problem(client.get("/api/v1/audit/verify", headers=epi), 403)
    client.post("/api/v1/users/epi/tokens", json={"name": "second"}, headers=epi)
    page = client.get("/api/v1/audit", params={"actor": "epi"}, headers=admin).json()
    assert page["total"] == 1
    (entry,) = page["items"]
    assert entry["action"] == "users.create_token" and entry["target_id"] == "epi"
    token_hash = entry["details"]["context"]["token"]
    assert len(token_hash) == 16 and entry["details"]["writes"] == {"api_tokens": {"insert": 1}}
    listed = client.get("/api/v1/audit", params={"action": "users.", "limit": 1}, headers=admin)
    assert listed.json()["limit"] == 1
    problem(client.get("/api/v1/audit", params={"limit": 0}, headers=admin), 422)
    problem(client.get("/api/v1/audit", params={"date_from": "2020-02-30"}, headers=admin), 422)
    good = client.get("/api/v1/audit/verify", headers=admin).json()
    assert good["ok"] and good["problem"] is None
    anchored = client.get(
        "/api/v1/audit/verify",
        params={"anchor": f"{good['last_id']}:{good['last_hash']}"},
        headers=admin,
    )
    assert anchored.json()["ok"]
    wrong = client.get(
        "/api/v1/audit/verify", params={"anchor": f"{good['last_id']}:{'0' * 64}"}, headers=admin
    ).json()
    assert not wrong["ok"] and wrong["problem"]["kind"] == "anchor"
    problem(client.get("/api/v1/audit/verify", params={"anchor": "x"}, headers=admin), 422)


def test_line_list_personal_fields_and_export(client: TestClient, engine: Engine) -> None:
    epi = bearer(engine, "epi", "epidemiologist", "420000")
    cmd = bearer(engine, "cmd", "commander", "420000")
    rep = bearer(engine, "rep", "reporter", "420100")
    items = [
        {"source": "cdc", "case_id": "1", "region_code": "420106", "classification": "confirmed",
         "onset_date": "2020-01-20", "age_years": 61, "origin": "华南", "cluster_id": "f-1"},
        {"source": "cdc", "case_id": "2", "region_code": "420202", "classification": "confirmed",
         "onset_date": "2020-01-22", "age_years": 35, "health_worker": True},
    ]  # fmt: skip
    assert client.post("/api/v1/cases", json={"items": items}, headers=epi).status_code == 200
    # The importers refuse a value that starts like a spreadsheet formula; one stored
    # before that rule (or by hand in the database) must still export as plain text.
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE case_records SET origin = :o WHERE case_id = '1'"), {"o": HOSTILE}
        )
    masked = client.get("/api/v1/cases", headers=cmd).json()["items"]
    assert [c["age_years"] for c in masked] == [None, None]
    assert [c["age_band"] for c in masked] == ["60-69", "30-39"]
    assert masked[0]["masked"] == ["age_years", "origin", "health_worker", "cluster_id"]
    assert masked[0]["origin"] is None and masked[1]["health_worker"] is None
    shown = client.get("/api/v1/cases", headers=epi).json()["items"]
    assert shown[0]["origin"] == HOSTILE and shown[0]["masked"] == []
    one = client.get("/api/v1/cases/cdc/1", headers=rep).json()
    assert one["age_years"] == 61
    quiet = client.get("/api/v1/cases", params={"personal": "false"}, headers=epi).json()
    assert quiet["items"][0]["origin"] is None
    reads = [e for e in audit_rows(engine) if e["action"] == "case.read_personal"]
    assert [(e["actor"], e["details"]["count"]) for e in reads] == [("epi", 2), ("rep", 1)]

    for refused in (cmd, rep):
        problem(client.get("/api/v1/cases/export", headers=refused), 403)
    problem(client.get("/api/v1/cases/export", params={"format": "xlsx"}, headers=epi), 422)
    got = client.get("/api/v1/cases/export", params={"region_code": "420000"}, headers=epi)
    assert got.status_code == 200, got.text
    assert got.headers["content-type"].startswith("text/csv")
    assert "attachment" in got.headers["content-disposition"]
    digest = hashlib.sha256(got.content).hexdigest()
    assert got.headers["repr-digest"] == (
        "sha-256=:" + base64.b64encode(bytes.fromhex(digest)).decode() + ":"
    )
    rows = list(csv.DictReader(io.StringIO(got.text)))
    assert [r["origin"] for r in rows] == ["'" + HOSTILE, ""]
    (export,) = [e for e in audit_rows(engine) if e["action"] == "line_list.export"]
    assert export["actor"] == "epi" and export["target_id"] == "420000"
    assert export["details"]["sha256"] == digest and export["details"]["rows"] == 2
    as_json = client.get("/api/v1/cases/export", params={"format": "json"}, headers=epi)
    assert as_json.json()["items"][0]["origin"] == HOSTILE  # JSON carries the value as is
