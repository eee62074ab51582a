"""Web sessions: cookie flags, absolute and idle expiry (on a clock the test moves),
logout that really ends the session, CSRF on every state-changing route, login
throttling, production start-up checks and the security headers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from fangkong.api.app import create_app
from fangkong.api.security_headers import CONTENT_SECURITY_POLICY
from fangkong.core.access import CLI_ACTOR, WORLD
from fangkong.services import users
from fangkong.services.auth import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE, LoginRateLimiter
from fangkong.services.reference import region_tree
from fangkong.settings import DEV_SECRET, Settings
from support import PASSWORD

START = 1_800_000_000.0
LONG_SECRET = "k" * 48


class Clock:
    """Seconds since the epoch, moved by the test."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(settings: Settings, engine: Engine, clock: Clock) -> FastAPI:
    made = create_app(settings, engine)
    made.state.session_signer.clock = clock
    return made


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as c:
        yield c


def add_user(engine: Engine, username: str = "ops", role: str = "admin") -> None:
    users.create_user(
        engine, CLI_ACTOR, username=username, password=PASSWORD, role=role,
        jurisdiction=WORLD, tree=region_tree(engine),
    )  # fmt: skip


def login(client: TestClient, username: str = "ops") -> Any:
    answer = client.post("/api/v1/session", json={"username": username, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return answer


def set_cookie(answer: Any, name: str) -> str | None:
    for header in answer.headers.get_list("set-cookie"):
        if header.startswith(f"{name}="):
            return str(header)
    return None


def test_cookie_flags(client: TestClient, engine: Engine, settings: Settings) -> None:
    add_user(engine)
    answer = login(client)
    session = set_cookie(answer, SESSION_COOKIE) or ""
    csrf = set_cookie(answer, CSRF_COOKIE) or ""
    assert "HttpOnly" in session and "SameSite=lax" in session and "Path=/" in session
    assert "Max-Age=28800" in session  # the absolute timeout, 8 h
    assert "HttpOnly" not in csrf and "SameSite=lax" in csrf
    assert "Secure" not in session  # development over plain HTTP
    prod = settings.model_copy(update={"environment": "production", "secret_key": LONG_SECRET})
    with TestClient(create_app(prod, engine)) as secure:
        cookies = login(secure).headers.get_list("set-cookie")
        assert cookies and all("Secure" in c for c in cookies)
    forced = settings.model_copy(update={"cookie_secure": True})
    with TestClient(create_app(forced, engine)) as secure:
        assert "Secure" in (set_cookie(login(secure), SESSION_COOKIE) or "")


def test_idle_timeout_slides_with_use(client: TestClient, engine: Engine, clock: Clock) -> None:
    add_user(engine)
    login(client)
    assert client.get("/api/v1/me").status_code == 200
    # used every 29 minutes, the session lives on: each answer renews the cookie
    for _ in range(5):
        clock.now += 29 * 60
        answer = client.get("/api/v1/me")
        assert answer.status_code == 200, answer.text
        assert set_cookie(answer, SESSION_COOKIE), "an active session's cookie is renewed"
    # a request within the minute does not rewrite the cookie
    clock.now += 10
    assert set_cookie(client.get("/api/v1/me"), SESSION_COOKIE) is None
    # 30 minutes without a request end it (pages send the visitor to the login form)
    clock.now += 30 * 60
    assert client.get("/api/v1/me").status_code == 401
    page = client.get("/zh/console")
    assert page.status_code == 303 and page.headers["location"].startswith("/login")


def test_absolute_timeout_ends_even_a_busy_session(
    client: TestClient, engine: Engine, clock: Clock
) -> None:
    add_user(engine)
    login(client)
    for _ in range(int(8 * 60 / 20) - 1):
        clock.now += 20 * 60
        assert client.get("/api/v1/me").status_code == 200
    clock.now += 20 * 60  # 8 h after login
    assert client.get("/api/v1/me").status_code == 401


def test_expiry_reported_by_me(client: TestClient, engine: Engine) -> None:
    add_user(engine)
    body = login(client).json()
    me = client.get("/api/v1/me").json()
    assert me["auth_method"] == "session"
    # START + 8 h, UTC (the JSON body and the response model spell UTC differently)
    assert body["expires_at"] == "2027-01-15T16:00:00+00:00"
    assert me["session_expires_at"] in (body["expires_at"], "2027-01-15T16:00:00Z")


def test_logout_invalidates_a_copy_of_the_cookie(client: TestClient, engine: Engine) -> None:
    add_user(engine)
    login(client)
    stolen = client.cookies[SESSION_COOKIE]
    assert client.delete("/api/v1/session").status_code == 204
    client.cookies.clear()
    replay = client.get("/api/v1/me", headers={"Cookie": f"{SESSION_COOKIE}={stolen}"})
    assert replay.status_code == 401
    # the form logout needs the session's CSRF token, then ends the session too
    login(client)
    token = client.cookies[CSRF_COOKIE]
    stolen = client.cookies[SESSION_COOKIE]
    refused = client.post("/api/v1/session/logout", data={})
    assert refused.status_code == 403
    done = client.post("/api/v1/session/logout", data={"csrf_token": token})
    assert done.status_code == 303
    client.cookies.clear()
    replay = client.get("/api/v1/me", headers={"Cookie": f"{SESSION_COOKIE}={stolen}"})
    assert replay.status_code == 401


def test_disabling_a_user_ends_their_sessions(client: TestClient, engine: Engine) -> None:
    add_user(engine)
    add_user(engine, "wuhan", "reporter")
    login(client, "wuhan")
    assert client.get("/api/v1/me").status_code == 200
    users.set_active(engine, CLI_ACTOR, "wuhan", False)
    assert client.get("/api/v1/me").status_code == 401


def test_web_sessions_are_not_listed_nor_usable_as_tokens(
    client: TestClient, engine: Engine
) -> None:
    add_user(engine)
    login(client)
    assert client.get("/api/v1/users/ops/tokens").json()["items"] == []
    stolen = client.cookies[SESSION_COOKIE]
    client.cookies.clear()
    as_bearer = client.get("/api/v1/me", headers={"Authorization": f"Bearer {stolen}"})
    assert as_bearer.status_code == 401


def test_csrf_is_enforced_on_every_state_changing_route(
    client: TestClient, engine: Engine, app: FastAPI
) -> None:
    """Every POST, PUT, PATCH and DELETE of the app, sent with a valid session cookie
    but no CSRF token, is refused before it runs (login and the DELETE logout excepted:
    they carry their own protection, see api/routes/session.py)."""
    from test_access_matrix import route_keys

    add_user(engine)
    login(client)
    token = client.cookies[CSRF_COOKIE]
    exempt = {"POST /api/v1/session", "DELETE /api/v1/session"}
    changing = sorted(
        k for k in route_keys(app) if k.split()[0] in {"POST", "PUT", "PATCH", "DELETE"}
    )
    assert len(changing) > 50
    for key in changing:
        if key in exempt:
            continue
        method, path = key.split(" ", 1)
        url = path.replace("{", "").replace("}", "")  # any value: refused before routing
        answer = client.request(method, url, json={})
        assert answer.status_code == 403, (key, answer.text)
        assert "CSRF" in answer.json()["detail"], key
        forged = client.request(method, url, json={}, headers={CSRF_HEADER: "forged"})
        assert forged.status_code == 403, key
    # with the token the same request gets past the check (to its own validation)
    answer = client.post("/api/v1/directives", json={}, headers={CSRF_HEADER: token})
    assert answer.status_code == 422


def test_login_throttling_window(settings: Settings, engine: Engine) -> None:
    add_user(engine)
    strict = settings.model_copy(update={"login_max_failures": 3, "login_window_seconds": 60})
    app = create_app(strict, engine)
    now = [0.0]
    app.state.login_limiter = LoginRateLimiter(
        max_failures=strict.login_max_failures,
        window_seconds=strict.login_window_seconds,
        clock=lambda: now[0],
    )
    bad = {"username": "ops", "password": "wrong password!"}
    with TestClient(app) as c:
        for _ in range(3):
            assert c.post("/api/v1/session", json=bad).status_code == 401
        throttled = c.post("/api/v1/session", json=bad)
        assert throttled.status_code == 429 and throttled.headers["retry-after"] == "60"
        # even the right password waits: the limit is on attempts, not on failures seen
        good = {"username": "ops", "password": PASSWORD}
        assert c.post("/api/v1/session", json=good).status_code == 429
        now[0] += 61
        assert c.post("/api/v1/session", json=good).status_code == 200
        # a success clears the count
        assert c.post("/api/v1/session", json=bad).status_code == 401


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_production_refuses_weak_settings(settings: Settings, engine: Engine) -> None:
    prod = {"environment": "production"}
    for update, message in (
        ({"secret_key": DEV_SECRET}, "FANGKONG_SECRET_KEY must be set"),
        ({"secret_key": "   "}, "FANGKONG_SECRET_KEY must be set"),
        ({"secret_key": "short-but-not-default"}, "at least 32 characters"),
        ({"secret_key": LONG_SECRET, "cookie_secure": False}, "FANGKONG_COOKIE_SECURE"),
    ):
        with pytest.raises(RuntimeError, match=message):
            create_app(settings.model_copy(update={**prod, **update}), engine)
    create_app(settings.model_copy(update={**prod, "secret_key": LONG_SECRET}), engine)
    create_app(settings, engine)  # development keeps its defaults


# --- security headers ------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_security_headers_on_every_kind_of_response(client: TestClient) -> None:
    for path in (
        "/api/v1/health",  # JSON
        "/zh/",  # a page
        "/docs",  # Swagger UI
        "/static/js/common.js",  # a static file
        "/api/v1/regions/nowhere",  # a problem (404)
        "/zh/console",  # a redirect to the login form
    ):
        answer = client.get(path)
        h = answer.headers
        assert h["content-security-policy"] == CONTENT_SECURITY_POLICY, path
        assert h["x-content-type-options"] == "nosniff", path
        assert h["x-frame-options"] == "DENY", path
        assert h["referrer-policy"] == "same-origin", path
        assert "camera=()" in h["permissions-policy"], path
        assert "strict-transport-security" not in h, path  # plain HTTP, development
    policy = dict(
        part.strip().split(" ", 1) for part in CONTENT_SECURITY_POLICY.split(";") if part.strip()
    )
    assert policy["script-src"] == "'self'" and policy["frame-ancestors"] == "'none'"
    assert policy["style-src"] == policy["style-src-elem"] == "'self'"
    # the one relaxation: style attributes (ECharts tooltips); never for scripts
    unsafe = [name for name, value in policy.items() if "unsafe" in value]
    assert unsafe == ["style-src-attr"]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_hsts_over_https_and_in_production(settings: Settings, engine: Engine) -> None:
    with TestClient(create_app(settings, engine), base_url="https://testserver") as c:
        assert c.get("/api/v1/health").headers["strict-transport-security"] == "max-age=31536000"
    prod = settings.model_copy(update={"environment": "production", "secret_key": LONG_SECRET})
    with TestClient(create_app(prod, engine)) as c:
        assert "strict-transport-security" in c.get("/api/v1/health").headers
