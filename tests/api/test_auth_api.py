"""Authentication over HTTP: bearer tokens, web sessions with CSRF, throttling, access."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from fangkong.api.app import create_app
from fangkong.core.access import CLI_ACTOR, WORLD, Role
from fangkong.services import users as svc
from fangkong.services.reference import region_tree
from fangkong.settings import Settings
from fangkong.store.db import make_engine

PASSWORD = "correct horse battery"


@pytest.fixture
def client(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(settings, engine)) as c:
        yield c


def add_user(engine: Engine, username: str, role: Role, jurisdiction: str) -> svc.UserInfo:
    return svc.create_user(
        engine,
        CLI_ACTOR,
        username=username,
        password=PASSWORD,
        role=role,
        jurisdiction=jurisdiction,
        tree=region_tree(engine),
    )


def bearer(engine: Engine, username: str) -> dict[str, str]:
    token, _ = svc.create_token(engine, CLI_ACTOR, username)
    return {"Authorization": f"Bearer {token}"}


def assert_problem(response: httpx2.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


def login(client: TestClient, username: str, password: str = PASSWORD) -> httpx2.Response:
    return client.post("/api/v1/session", json={"username": username, "password": password})


def form_token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF field in the page"
    return found.group(1)


def test_protected_endpoints_need_credentials(client: TestClient) -> None:
    for method, path in [
        ("GET", "/api/v1/me"),
        ("GET", "/api/v1/users"),
        ("POST", "/api/v1/users"),
    ]:
        response = client.request(method, path, json={})
        assert_problem(response, 401)
        assert response.headers["www-authenticate"].startswith("Bearer")
    assert client.get("/api/v1/regions/420000").status_code == 200


def test_bearer_token_authenticates_and_bad_tokens_are_refused(
    client: TestClient, engine: Engine
) -> None:
    add_user(engine, "ops", Role.ADMIN, WORLD)
    headers = bearer(engine, "ops")
    me = client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200
    assert me.json()["user"]["username"] == "ops"
    assert me.json()["auth_method"] == "token" and me.json()["csrf_token"] is None
    assert "manage_users" in me.json()["permissions"]
    bad = client.get("/api/v1/me", headers={"Authorization": "Bearer fk_nope"})
    assert_problem(bad, 401)
    assert 'error="invalid_token"' in bad.headers["www-authenticate"]
    basic = client.get("/api/v1/me", headers={"Authorization": "Basic b3BzOnB3"})
    assert_problem(basic, 401)
    # a bad token is refused even where anonymous access would do
    assert client.get("/api/v1/users", headers={"Authorization": "Bearer fk_x"}).status_code == 401


def test_token_endpoints_issue_list_and_revoke(client: TestClient, engine: Engine) -> None:
    add_user(engine, "ops", Role.ADMIN, WORLD)
    add_user(engine, "hubei.rep", Role.REPORTER, "420000")
    add_user(engine, "other.rep", Role.REPORTER, "420000")
    admin = bearer(engine, "ops")
    made = client.post(
        "/api/v1/users/hubei.rep/tokens",
        headers=admin,
        json={"name": "uploader", "expires_days": 30},
    )
    assert made.status_code == 201, made.text
    assert made.headers["cache-control"] == "no-store"
    token = made.json()["token"]
    own = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=own).json()["user"]["username"] == "hubei.rep"
    mine = client.post("/api/v1/users/hubei.rep/tokens", headers=own)
    assert mine.status_code == 201 and mine.json()["name"] == "api"
    listed = client.get("/api/v1/users/hubei.rep/tokens", headers=own).json()["items"]
    assert [t["name"] for t in listed] == ["uploader", "api"]
    assert all("token" not in t for t in listed)
    assert_problem(client.post("/api/v1/users/other.rep/tokens", headers=own), 403)
    assert_problem(
        client.post("/api/v1/users/ops/tokens", headers=own, json={"expires_days": 0}), 422
    )
    revoked = client.delete(f"/api/v1/users/hubei.rep/tokens/{made.json()['id']}", headers=own)
    assert revoked.status_code == 200 and revoked.json()["revoked"] is True
    assert_problem(client.get("/api/v1/me", headers=own), 401)


def test_cached_token_stops_at_once_when_its_user_is_disabled(
    client: TestClient, engine: Engine
) -> None:
    add_user(engine, "ops", Role.ADMIN, WORLD)
    add_user(engine, "hubei.rep", Role.REPORTER, "420000")
    admin = bearer(engine, "ops")
    reporter = bearer(engine, "hubei.rep")
    assert client.get("/api/v1/me", headers=reporter).status_code == 200  # now cached
    etag = client.get("/api/v1/users/hubei.rep", headers=admin).headers["etag"]
    off = client.patch(
        "/api/v1/users/hubei.rep", headers={**admin, "If-Match": etag}, json={"active": False}
    )
    assert off.status_code == 200 and off.json()["active"] is False
    assert_problem(client.get("/api/v1/me", headers=reporter), 401)
    on = client.patch(
        "/api/v1/users/hubei.rep",
        headers={**admin, "If-Match": off.headers["etag"]},
        json={"active": True},
    )
    assert on.status_code == 200
    assert client.get("/api/v1/me", headers=reporter).status_code == 200


def test_token_revoked_by_another_process_stops_within_the_cache_ttl(
    client: TestClient, engine: Engine, settings: Settings
) -> None:
    """The documented bound: another server process (here a second engine, as the CLI
    or the other workers use) revokes the token; this process accepts it from memory
    for at most ``token_cache_seconds`` after it last read it from the database."""
    add_user(engine, "ops", Role.ADMIN, WORLD)
    token, info = svc.create_token(engine, CLI_ACTOR, "ops")
    headers = {"Authorization": f"Bearer {token}"}
    app_cache = client.app.state.token_cache  # type: ignore[attr-defined]
    assert app_cache.ttl == settings.token_cache_seconds == svc.TOKEN_CACHE_SECONDS
    moment = [0.0]
    client.app.state.token_cache = svc.TokenCache(  # type: ignore[attr-defined]
        engine, settings.token_cache_seconds, clock=lambda: moment[0]
    )
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    other = make_engine(settings.database_url)
    try:
        svc.revoke_token(other, CLI_ACTOR, "ops", info.id)
    finally:
        other.dispose()
    moment[0] = settings.token_cache_seconds - 0.1
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    moment[0] = settings.token_cache_seconds + 0.1
    refused = assert_problem(client.get("/api/v1/me", headers=headers), 401)
    assert "revoked" in refused["detail"]


def test_admin_creates_users_and_errors_are_problems(client: TestClient, engine: Engine) -> None:
    add_user(engine, "ops", Role.ADMIN, WORLD)
    admin = bearer(engine, "ops")
    body = {
        "username": "Hubei.Epi",
        "password": PASSWORD,
        "role": "epidemiologist",
        "jurisdiction": "420000",
        "display_name": "湖北省疾控",
    }
    created = client.post("/api/v1/users", headers=admin, json=body)
    assert created.status_code == 201, created.text
    assert created.headers["location"] == "/api/v1/users/hubei.epi"
    assert created.json()["username"] == "hubei.epi" and "password" not in created.text
    assert_problem(client.post("/api/v1/users", headers=admin, json=body), 409)
    weak = assert_problem(
        client.post(
            "/api/v1/users", headers=admin, json={**body, "username": "a.b.c", "password": "short"}
        ),
        422,
    )
    assert weak["errors"][0]["parameter"] == "password" and "short" not in str(weak)
    nowhere = assert_problem(
        client.post(
            "/api/v1/users",
            headers=admin,
            json={**body, "username": "d.e.f", "jurisdiction": "999999"},
        ),
        422,
    )
    assert nowhere["errors"][0]["parameter"] == "jurisdiction"
    role = assert_problem(
        client.post(
            "/api/v1/users", headers=admin, json={**body, "username": "g.h.i", "role": "king"}
        ),
        422,
    )
    assert role["errors"][0]["pointer"] == "/role"
    names = [u["username"] for u in client.get("/api/v1/users", headers=admin).json()["items"]]
    assert names == ["hubei.epi", "ops"]
    tag = client.get("/api/v1/users/hubei.epi", headers=admin).headers["ETag"]
    disabled = client.patch(
        "/api/v1/users/hubei.epi", headers={**admin, "If-Match": tag}, json={"active": False}
    )
    assert disabled.json()["active"] is False
    assert login(client, "hubei.epi").status_code == 401


def test_reporter_of_hubei_cannot_act_for_beijing(client: TestClient, engine: Engine) -> None:
    add_user(engine, "hubei.rep", Role.REPORTER, "420000")
    add_user(engine, "hubei.cmd", Role.COMMANDER, "420000")
    reporter = bearer(engine, "hubei.rep")
    body = {
        "username": "bj.viewer",
        "password": PASSWORD,
        "role": "viewer",
        "jurisdiction": "110000",
    }
    assert_problem(client.post("/api/v1/users", headers=reporter, json=body), 403)
    assert_problem(client.get("/api/v1/users", headers=reporter), 403)
    assert_problem(client.get("/api/v1/users/hubei.cmd", headers=reporter), 403)
    assert client.get("/api/v1/users/hubei.rep", headers=reporter).status_code == 200
    commander = bearer(engine, "hubei.cmd")
    outside = assert_problem(client.post("/api/v1/users", headers=commander, json=body), 403)
    assert "110000" in outside["detail"]
    inside = client.post(
        "/api/v1/users",
        headers=commander,
        json={**body, "username": "wuhan.viewer", "jurisdiction": "420100"},
    )
    assert inside.status_code == 201


def test_login_sets_session_cookies_and_csrf_guards_writes(
    client: TestClient, engine: Engine
) -> None:
    add_user(engine, "ops", Role.ADMIN, WORLD)
    response = login(client, "OPS")
    assert response.status_code == 200, response.text
    cookies = response.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("fangkong_session="))
    assert "HttpOnly" in session and "SameSite=lax" in session and "Secure" not in session
    assert "Max-Age=28800" in session
    csrf_cookie = next(c for c in cookies if c.startswith("fangkong_csrf="))
    assert "HttpOnly" not in csrf_cookie
    token = response.json()["csrf_token"]
    assert response.json()["user"]["username"] == "ops"

    me = client.get("/api/v1/me").json()
    assert me["auth_method"] == "session" and me["csrf_token"]
    body = {
        "username": "viewer.one",
        "password": PASSWORD,
        "role": "viewer",
        "jurisdiction": "420000",
    }
    refused = assert_problem(client.post("/api/v1/users", json=body), 403)
    assert "CSRF" in refused["detail"]
    assert_problem(
        client.post("/api/v1/users", json=body, headers={"X-CSRF-Token": token + "x"}), 403
    )
    made = client.post("/api/v1/users", json=body, headers={"X-CSRF-Token": token})
    assert made.status_code == 201, made.text
    # the token from /me works too
    made2 = client.post(
        "/api/v1/users",
        json={**body, "username": "viewer.two"},
        headers={"X-CSRF-Token": me["csrf_token"]},
    )
    assert made2.status_code == 201

    out = client.delete("/api/v1/session")
    assert out.status_code == 204
    assert any(
        c.startswith('fangkong_session=""') or "Max-Age=0" in c
        for c in out.headers.get_list("set-cookie")
    )
    assert_problem(client.get("/api/v1/me"), 401)


def test_session_of_another_user_does_not_carry_its_csrf_token(
    client: TestClient, engine: Engine
) -> None:
    add_user(engine, "ops", Role.ADMIN, WORLD)
    add_user(engine, "ops2", Role.ADMIN, WORLD)
    first = login(client, "ops").json()["csrf_token"]
    login(client, "ops2")
    body = {"username": "v.v.v", "password": PASSWORD, "role": "viewer", "jurisdiction": "*"}
    assert_problem(client.post("/api/v1/users", json=body, headers={"X-CSRF-Token": first}), 403)


def test_forged_or_foreign_session_cookie_is_anonymous(
    client: TestClient, engine: Engine, settings: Settings
) -> None:
    add_user(engine, "ops", Role.ADMIN, WORLD)
    cookie = login(client, "ops").cookies["fangkong_session"]
    client.cookies.clear()
    client.cookies.set("fangkong_session", cookie[:-2] + "AA")
    assert_problem(client.get("/api/v1/me"), 401)
    other = settings.model_copy(update={"secret_key": "another-secret-key-entirely"})
    with TestClient(create_app(other, engine)) as elsewhere:
        elsewhere.cookies.set("fangkong_session", cookie)
        assert_problem(elsewhere.get("/api/v1/me"), 401)


def test_html_form_login_with_csrf_and_redirect(client: TestClient, engine: Engine) -> None:
    add_user(engine, "ops", Role.ADMIN, WORLD)
    page = client.get("/login?next=/docs")
    assert page.status_code == 200 and "fangkong_login_nonce" in page.cookies
    token = form_token(page.text)
    form = {"username": "ops", "password": PASSWORD, "next": "/docs"}
    assert_problem(client.post("/api/v1/session", data=form), 403)
    html = {"Accept": "text/html,application/xhtml+xml"}
    back = client.post("/api/v1/session", data=form, headers=html, follow_redirects=False)
    assert back.status_code == 303 and back.headers["location"].startswith("/login?error=csrf")
    wrong = client.post(
        "/api/v1/session",
        data={**form, "csrf_token": token, "password": "nope nope nope"},
        headers=html,
        follow_redirects=False,
    )
    assert wrong.headers["location"].startswith("/login?error=invalid")
    done = client.post(
        "/api/v1/session", data={**form, "csrf_token": token}, headers=html, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"] == "/docs"
    assert client.get("/api/v1/me").json()["user"]["username"] == "ops"
    signed_in = client.get("/login")
    assert "ops" in signed_in.text and "/api/v1/session/logout" in signed_in.text
    logout_token = form_token(signed_in.text)
    assert_problem(client.post("/api/v1/session/logout", data={"csrf_token": "x"}), 403)
    bye = client.post(
        "/api/v1/session/logout", data={"csrf_token": logout_token}, follow_redirects=False
    )
    assert bye.status_code == 303 and bye.headers["location"] == "/"
    assert_problem(client.get("/api/v1/me"), 401)


def test_form_login_never_redirects_off_site(client: TestClient, engine: Engine) -> None:
    add_user(engine, "ops", Role.ADMIN, WORLD)
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        client.cookies.clear()
        page = client.get("/login")
        token = form_token(page.text)
        done = client.post(
            "/api/v1/session",
            follow_redirects=False,
            data={"username": "ops", "password": PASSWORD, "csrf_token": token, "next": target},
        )
        assert done.status_code == 303 and done.headers["location"] == "/"


def test_login_input_errors(client: TestClient) -> None:
    assert_problem(client.post("/api/v1/session", json={"username": "ops"}), 422)
    assert_problem(
        client.post(
            "/api/v1/session", content=b"{not json", headers={"Content-Type": "application/json"}
        ),
        422,
    )
    assert_problem(
        client.post(
            "/api/v1/session",
            content=b'{"username":"a","password":"b"}',
            headers={"Content-Type": "text/plain"},
        ),
        415,
    )
    assert_problem(login(client, "nobody"), 401)


def test_failed_logins_are_throttled(client: TestClient, engine: Engine) -> None:
    add_user(engine, "ops", Role.ADMIN, WORLD)
    for _ in range(10):
        assert_problem(login(client, "ops", "wrong password"), 401)
    blocked = assert_problem(login(client, "ops"), 429)
    assert int(blocked["retry_after"]) > 800
    assert (
        800
        < int(
            client.post("/api/v1/session", json={"username": "OPS", "password": PASSWORD}).headers[
                "retry-after"
            ]
        )
        <= 900
    )
    add_user(engine, "ops2", Role.ADMIN, WORLD)
    assert login(client, "ops2").status_code == 200


def test_production_cookies_are_secure(settings: Settings, engine: Engine) -> None:
    add_user(engine, "ops", Role.ADMIN, WORLD)
    prod = settings.model_copy(
        update={"environment": "production", "secret_key": "a-real-secret-for-production-" * 2}
    )
    with TestClient(create_app(prod, engine)) as c:
        response = login(c, "ops")
        assert all("Secure" in cookie for cookie in response.headers.get_list("set-cookie"))
