"""The one error shape: bodies that are not JSON objects, and echoed values."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from fangkong.api.app import create_app
from fangkong.settings import Settings
from support import bearer


def admin_headers(engine: Engine) -> dict[str, str]:
    return bearer(engine, "root.admin", "admin", "*")


def test_non_json_body_is_415(settings: Settings, engine: Engine) -> None:
    client = TestClient(create_app(settings, engine))
    r = client.post(
        "/api/v1/users",
        content=b'{"username": "x"}',
        headers={**admin_headers(engine), "Content-Type": "text/plain"},
    )
    assert r.status_code == 415
    assert r.headers["content-type"] == "application/problem+json"
    assert "application/json" in r.json()["detail"]


def test_json_that_is_not_an_object_names_the_body(settings: Settings, engine: Engine) -> None:
    client = TestClient(create_app(settings, engine))
    r = client.post("/api/v1/users", json="x" * 5000, headers=admin_headers(engine))
    assert r.status_code == 422
    error = r.json()["errors"][0]
    assert error["pointer"] == ""
    assert "(the body)" in r.json()["detail"]
    assert len(error["value"]) <= 201  # long values are cut, not echoed whole
