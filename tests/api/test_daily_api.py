"""``/api/v1/daily`` and ``/api/v1/imports``: upload, reports, templates, manual entry,
and the daily series of an imported file through ``/api/v1/regions``."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from fangkong.api.app import create_app
from fangkong.core.access import CLI_ACTOR
from fangkong.services import users
from fangkong.services.daily_import import import_daily_file
from fangkong.services.reference import region_tree
from fangkong.settings import Settings
from support import DEMO_DATA

CCDC = DEMO_DATA / "ccdc_dashboard_china_province_daily_2020-01-17_2020-03-04.csv"
CITY = DEMO_DATA / "canghailan_hubei_city_daily_2020-01-10_2020-06-30.csv"


def token_for(engine: Engine, username: str, role: str, jurisdiction: str) -> dict[str, str]:
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
    return TestClient(create_app(settings, engine))


def test_hubei_2020_02_12_through_the_api(
    client: TestClient, engine: Engine, settings: Settings
) -> None:
    result = import_daily_file(engine, settings, CCDC, actor=CLI_ACTOR)
    assert result.ok and result.rows_inserted == 1488
    answer = client.get("/api/v1/regions/420000/daily?from=2020-02-10&to=2020-02-14")
    assert answer.status_code == 200
    body = answer.json()
    assert body["source"] == "ccdc"
    day = {i["report_date"]: i for i in body["items"]}["2020-02-12"]
    assert day["new_confirmed"] == 14840 and day["cumulative_confirmed"] == 48206


def test_upload_then_read_the_report(client: TestClient, engine: Engine) -> None:
    headers = token_for(engine, "hubei.rep", "reporter", "420000")
    with CITY.open("rb") as fh:
        answer = client.post(
            "/api/v1/imports/daily", headers=headers, files={"file": (CITY.name, fh, "text/csv")}
        )
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert (
        report["format"] == "canghailan-city" and report["rows_inserted"] == 2696
    )  # 17 rows superseded (dating)
    assert report["rows_rejected"] == 27 and report["filename"] == CITY.name
    paged = client.get(f"/api/v1/imports/{report['import_id']}?limit=5&offset=5", headers=headers)
    assert paged.status_code == 200
    issues = paged.json()["issues"]
    assert issues["total"] == 27 and len(issues["items"]) == 5
    assert issues["items"][0]["reason"].startswith("not a region")
    assert client.get("/api/v1/imports/999999", headers=headers).status_code == 404


def test_upload_problems(client: TestClient, engine: Engine) -> None:
    assert (
        client.post(
            "/api/v1/imports/daily", files={"file": ("x.csv", b"a,b\n", "text/csv")}
        ).status_code
        == 401
    )
    headers = token_for(engine, "wuhan.rep", "reporter", "420100")
    odd = client.post(
        "/api/v1/imports/daily",
        headers=headers,
        files={"file": ("x.csv", b"when,where\n1,2\n", "text/csv")},
    )
    assert odd.status_code == 422
    assert odd.headers["content-type"].startswith("application/problem+json")
    assert "known formats" in odd.json()["detail"]
    with CCDC.open("rb") as fh:
        outside = client.post(
            "/api/v1/imports/daily", headers=headers, files={"file": (CCDC.name, fh, "text/csv")}
        )
    assert outside.status_code == 403


def test_templates_are_downloadable(client: TestClient) -> None:
    csv_answer = client.get("/api/v1/imports/templates/daily.csv")
    assert csv_answer.status_code == 200
    assert csv_answer.text.startswith("region_code,report_date,new_confirmed,")
    schema = client.get("/api/v1/imports/templates/daily.schema.json")
    assert schema.status_code == 200
    assert "report" in json.loads(schema.text)["$defs"]
    assert client.get("/api/v1/imports/templates/nope.csv").status_code == 404


def test_manual_entry(client: TestClient, engine: Engine) -> None:
    headers = token_for(engine, "wuhan.rep", "reporter", "420100")
    items = [
        {
            "region_code": "420100",
            "report_date": "2020-02-12",
            "new_confirmed": 13436,
            "new_deaths": 72,
        }
    ]
    first = client.post("/api/v1/daily", headers=headers, json={"items": items})
    assert first.status_code == 200, first.text
    assert first.json()["inserted"] == 1
    items[0]["new_deaths"] = 73
    second = client.post("/api/v1/daily", headers=headers, json={"items": items})
    assert second.json()["updated"] == 1 and second.json()["revisions"] == 1
    series = client.get("/api/v1/regions/420100/daily?source=fangkong").json()
    assert series["items"][0]["new_deaths"] == 73

    bad = client.post(
        "/api/v1/daily",
        headers=headers,
        json={
            "items": [
                items[0],
                {"region_code": "420100", "report_date": "2020-02-30", "tests": -1},
                {"region_code": "420100", "report_date": "2020-02-13", "new_deaths": "many"},
            ]
        },
    )
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    pointers = {e["pointer"] for e in bad.json()["errors"]}
    assert pointers == {"/items/1/report_date", "/items/1/tests", "/items/2/new_deaths"}

    outside = client.post(
        "/api/v1/daily",
        headers=headers,
        json={
            "items": [{"region_code": "110000", "report_date": "2020-02-12", "new_confirmed": 1}]
        },
    )
    assert outside.status_code == 403
    assert client.post("/api/v1/daily", json={"items": items}).status_code == 401
