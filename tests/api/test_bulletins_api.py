"""``POST /api/v1/imports/bulletin``: text or JSON bodies, dry run by default, storing."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from fangkong.api.app import create_app
from fangkong.settings import Settings
from fangkong.store import models as m
from support import bearer

BULLETIN = Path(__file__).resolve().parents[1] / "fixtures" / "bulletins" / "nhc_2020-02-13.txt"
URL = "/api/v1/imports/bulletin"


@pytest.fixture
def client(settings: Settings, engine: Engine) -> TestClient:
    return TestClient(create_app(settings, engine))


def test_text_upload_is_a_dry_run(client: TestClient, engine: Engine) -> None:
    headers = bearer(engine, "nat.epi", "epidemiologist", "*")
    answer = client.post(
        URL + "?filename=nhc_2020-02-13.txt",
        content=BULLETIN.read_bytes(),
        headers={**headers, "Content-Type": "text/plain; charset=utf-8"},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["dry_run"] is True and body["stored"] is None
    assert body["date"] == "2020-02-13" and body["new_confirmed"] == 5090
    with engine.connect() as conn:
        assert conn.execute(select(m.DailyReportRow)).first() is None


def test_json_body_stores(client: TestClient, engine: Engine) -> None:
    headers = bearer(engine, "nat.epi", "epidemiologist", "*")
    payload = {"text": BULLETIN.read_text(encoding="utf-8"), "date": "2020-02-13", "dry_run": False}
    answer = client.post(URL, json=payload, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["stored"]["inserted"] >= 7


def test_errors_are_problems(client: TestClient, engine: Engine) -> None:
    assert client.post(URL, content=b"x").status_code == 401
    headers = bearer(engine, "hubei.rep", "reporter", "420000")
    text = BULLETIN.read_text(encoding="utf-8")
    forbidden = client.post(
        URL, json={"text": text, "date": "2020-02-13", "dry_run": False}, headers=headers
    )
    assert forbidden.status_code == 403
    assert forbidden.headers["content-type"].startswith("application/problem+json")
    no_year = client.post(URL, json={"text": text, "dry_run": False}, headers=headers)
    assert no_year.status_code == 422
    bad_date = client.post(URL, json={"text": text, "date": "13/2/2020"}, headers=headers)
    assert bad_date.status_code == 422
    assert client.post(URL, json={"txt": text}, headers=headers).status_code == 422
    assert client.post(URL, content=b"\x00\x01", headers=headers).status_code == 422
