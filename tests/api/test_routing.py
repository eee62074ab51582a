"""``ApiRouter`` (api/routing.py): routers that skip requests outside their prefix route
exactly as FastAPI's own routers did: found routes, 404, 405 with ``Allow``, and the
redirect of a path with a trailing slash."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from starlette.routing import Match

from fangkong.api.app import create_app
from fangkong.api.routing import ApiRouter
from fangkong.settings import Settings


@pytest.fixture
def client(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(settings, engine)) as c:
        yield c


def test_every_api_router_is_an_api_router(client: TestClient) -> None:
    app: FastAPI = client.app  # type: ignore[assignment]
    included = [r.original_router for r in app.router.routes if hasattr(r, "original_router")]
    api = [r for r in included if isinstance(r, APIRouter) and r.prefix.startswith("/api/")]
    assert len(api) >= 25 and all(isinstance(r, ApiRouter) for r in api)


def test_requests_route_as_before(client: TestClient) -> None:
    cases = [
        ("GET", "/api/v1/timeliness/deadlines", 401, None),  # found: needs a user
        ("GET", "/api/v1/opendata/overview.json", 200, None),
        ("GET", "/api/v1/timeliness/nope", 404, None),
        ("GET", "/api/v1/", 404, None),
        ("DELETE", "/api/v1/me", 405, None),
        ("PUT", "/api/v1/health", 405, None),
        ("GET", "/api/v1/cases/", 307, "http://testserver/api/v1/cases"),
        ("GET", "/api/v1/regions/420000/", 307, "http://testserver/api/v1/regions/420000"),
        ("GET", "/zh/region/420000/", 307, "http://testserver/zh/region/420000"),
    ]
    for method, path, status, location in cases:
        answer = client.request(method, path, follow_redirects=False)
        assert answer.status_code == status, (method, path, answer.text)
        assert answer.headers.get("location") == location, (method, path)
        if status == 405:
            assert answer.headers["allow"] == "GET"
        if status in (401, 404, 405):
            assert answer.headers["content-type"].startswith("application/problem+json")


def test_a_router_skips_paths_outside_its_prefix() -> None:
    router = ApiRouter(prefix="/api/v1/things")

    @router.get("/{thing_id}")
    def thing(thing_id: int) -> dict[str, int]:
        return {"id": thing_id}

    app = FastAPI()
    app.include_router(router)
    with TestClient(app) as c:
        assert c.get("/api/v1/things/7").json() == {"id": 7}
        assert c.get("/api/v1/other/7").status_code == 404
    scope = {"type": "http", "method": "GET", "path": "/api/v1/other/7", "root_path": ""}
    assert router.matches(scope) == (Match.NONE, {})
