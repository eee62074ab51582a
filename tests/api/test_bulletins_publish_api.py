"""``/api/v1/bulletins`` and ``/api/v1/corrections.{json,csv}`` on both databases, with
the real canghailan national and province files."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from fangkong.api.app import create_app
from fangkong.core.access import CLI_ACTOR
from fangkong.services.daily_import import import_daily_file
from fangkong.services.daily_reports import submit_daily_reports
from fangkong.services.demo import demo_dir
from fangkong.settings import Settings
from support import bearer, problem

NATIONAL = "canghailan_china_national_daily_2020-01-10_2020-06-30.csv"
PROVINCES = "canghailan_china_province_daily_2020-01-10_2020-06-30.csv"


@pytest.fixture
def client(settings: Settings, engine: Engine) -> TestClient:
    return TestClient(create_app(settings, engine))


def test_draft_publish_read_and_correct(
    client: TestClient, engine: Engine, settings: Settings
) -> None:
    for name in (NATIONAL, PROVINCES):
        assert import_daily_file(engine, settings, demo_dir() / name, actor=CLI_ACTOR).ok
    reporter = bearer(engine, "rep", "reporter", "*")
    commander = bearer(engine, "cmd", "commander", "*")
    body = {"region_code": "CN", "report_date": "2020-02-13"}
    assert client.post("/api/v1/bulletins/drafts", json=body).status_code == 401
    made = client.post("/api/v1/bulletins/drafts", json=body, headers=reporter)
    assert made.status_code == 201, made.text
    draft = made.json()
    assert draft["publishable"] and draft["figures"]["figures"]["new_confirmed"] == 5090
    assert draft["text_zh"].startswith("2月13日0—24时，31个省（自治区、直辖市）")
    assert {c["check"] for c in draft["checks"]} >= {
        "current_identity",
        "cumulative_not_decreasing",
    }
    problem(
        client.post("/api/v1/bulletins/drafts", json={"region_code": "CN"}, headers=reporter), 422
    )
    problem(
        client.post(
            "/api/v1/bulletins/drafts", json={**body, "region_code": "420100"}, headers=reporter
        ),
        422,
    )
    got = client.get(f"/api/v1/bulletins/drafts/{draft['id']}", headers=reporter)
    assert got.json()["id"] == draft["id"]
    # publishing: a reporter may not; a commander may
    assert (
        "command"
        in problem(client.post(f"/api/v1/bulletins/{draft['id']}/publish", headers=reporter), 403)[
            "detail"
        ]
    )
    published = client.post(f"/api/v1/bulletins/{draft['id']}/publish", headers=commander)
    assert published.status_code == 200, published.text
    assert published.json()["version"] == 1
    problem(client.post(f"/api/v1/bulletins/{draft['id']}/publish", headers=commander), 409)
    problem(client.post("/api/v1/bulletins/999999/publish", headers=commander), 404)
    # public reads, no sign-in
    one = client.get("/api/v1/bulletins/CN/2020-02-13")
    assert one.status_code == 200 and one.json()["version"] == 1
    assert one.json()["figures"]["figures"]["current_confirmed"] == 55748
    problem(client.get("/api/v1/bulletins/CN/2020-02-14"), 404)
    problem(client.get("/api/v1/bulletins/CN/13-02-2020"), 422)
    problem(client.get("/api/v1/bulletins/CN/2020-02-13?version=2"), 404)
    listing = client.get("/api/v1/bulletins?region=CN&date=2020-02-13").json()
    assert listing["total"] == 1 and listing["items"][0]["version"] == 1
    assert client.get("/api/v1/bulletins?date=2020-02-12").json()["total"] == 0
    # empty log, with an ETag and 304 on a match
    log = client.get("/api/v1/corrections.json")
    assert log.status_code == 200 and log.json()["items"] == []
    etag = log.headers["etag"]
    assert (
        client.get("/api/v1/corrections.json", headers={"If-None-Match": etag}).status_code == 304
    )
    # a correction: new figures for one province of the day, published with a reason
    submit_daily_reports(
        engine,
        settings,
        [{"region_code": "110000", "report_date": "2020-02-13", "new_confirmed": 1}],
        actor=CLI_ACTOR,
        source="canghailan",
        today=date(2020, 12, 31),
    )
    fixed = client.post("/api/v1/bulletins/drafts", json=body, headers=reporter).json()
    no_reason = client.post(f"/api/v1/bulletins/{fixed['id']}/publish", headers=commander)
    assert problem(no_reason, 422)["errors"][0]["parameter"] == "reason"
    v2 = client.post(
        f"/api/v1/bulletins/{fixed['id']}/publish",
        headers=commander,
        json={"reason": "Beijing revised its count"},
    )
    assert v2.status_code == 200, v2.text
    assert v2.json()["version"] == 2
    assert client.get("/api/v1/bulletins/CN/2020-02-13").json()["version"] == 2
    assert client.get("/api/v1/bulletins/CN/2020-02-13?version=1").json()["version"] == 1
    log2 = client.get("/api/v1/corrections.json", headers={"If-None-Match": etag})
    assert log2.status_code == 200 and log2.headers["etag"] != etag
    entry = log2.json()["items"][0]
    assert entry["reason"] == "Beijing revised its count" and entry["version"] == 2
    assert {"field": "breakdowns.110000.new_confirmed", "old_value": 6, "new_value": 1} in entry[
        "changes"
    ]
    as_csv = client.get("/api/v1/corrections.csv")
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert as_csv.headers["etag"] == log2.headers["etag"]
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert {r["field"] for r in rows} >= {"breakdowns.110000.new_confirmed"}
    assert all(r["reason"] == "Beijing revised its count" for r in rows)


def test_failed_check_blocks_publishing_with_a_409_listing_why(
    client: TestClient, engine: Engine, settings: Settings
) -> None:
    commander = bearer(engine, "hubei.cmd", "commander", "420000")
    submit_daily_reports(
        engine,
        settings,
        [
            {"region_code": "420000", "report_date": "2020-02-12", "new_confirmed": 100},
            {"region_code": "420000", "report_date": "2020-02-13", "new_confirmed": -5},
        ],
        actor=CLI_ACTOR,
        today=date(2020, 12, 31),
    )
    draft = client.post(
        "/api/v1/bulletins/drafts",
        json={"region_code": "420000", "report_date": "2020-02-13"},
        headers=commander,
    ).json()
    assert draft["publishable"] is False
    blocked = problem(
        client.post(f"/api/v1/bulletins/{draft['id']}/publish", headers=commander), 409
    )
    assert blocked["title"] == "Consistency checks failed"
    assert blocked["failed_checks"][0]["check"] == "cumulative_not_decreasing"
    assert "fell from 100" in blocked["failed_checks"][0]["message"]
    assert "no revision reason is recorded" in blocked["errors"][0]["detail"]
    with_reason = client.post(
        "/api/v1/bulletins/drafts",
        json={
            "region_code": "420000",
            "report_date": "2020-02-13",
            "reasons": [
                {"region_code": "420000", "field": "cumulative_confirmed", "reason": "duplicates"}
            ],
        },
        headers=commander,
    ).json()
    assert with_reason["publishable"] is True
    ok = client.post(f"/api/v1/bulletins/{with_reason['id']}/publish", headers=commander)
    assert ok.status_code == 200 and ok.json()["version"] == 1
