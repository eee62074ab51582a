"""Logins in the audit log, on both databases: every refused login — JSON or the HTML
form; unknown user, wrong password, disabled account, throttled, missing CSRF token —
is a ``session.login_failed`` entry naming the username attempted, the client address
and the reason, in the hash chain, and never the password; a successful login is a
``session.login`` entry of the user; of the attempts refused during one lockout only the
first is recorded; ``GET /api/v1/audit`` lists them and ``fangkong audit verify`` still
finds the chain intact."""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from fangkong.api.app import create_app
from fangkong.cli import app as cli_app
from fangkong.core.access import CLI_ACTOR
from fangkong.services import users
from fangkong.services.auth import LoginRateLimiter
from fangkong.settings import Settings
from fangkong.store import audit as hook
from support import PASSWORD, bearer

#: Passwords tried in the test: none may appear anywhere in the audit log.
WRONG = "not-the-password-7f3c"
HTML = {"Accept": "text/html,application/xhtml+xml"}


def entries(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(select(hook.LOG).order_by(hook.LOG.c.id)).all()
    return [{**r._mapping, "details": json.loads(r.details)} for r in rows]


def failures(client: TestClient, admin: dict[str, str]) -> list[dict[str, Any]]:
    """The ``session.login_failed`` entries through the API, oldest first."""
    page = client.get(
        "/api/v1/audit", params={"action": "session.login_failed", "limit": 500}, headers=admin
    )
    assert page.status_code == 200, page.text
    return list(reversed(page.json()["items"]))


def form_token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF field in the page"
    return found.group(1)


def test_failed_logins_are_in_the_chain(settings: Settings, engine: Engine, tmp_path: Any) -> None:
    admin = bearer(engine, "admin", "admin", "*")
    bearer(engine, "wuhan.rep", "reporter", "420100")
    bearer(engine, "gone.rep", "reporter", "420100")
    users.set_active(engine, CLI_ACTOR, "gone.rep", False)
    client = TestClient(create_app(settings, engine), follow_redirects=False)

    def attempt(username: str, password: str) -> int:
        body = {"username": username, "password": password}
        return int(client.post("/api/v1/session", json=body).status_code)

    assert attempt("nobody.here", WRONG) == 401
    assert attempt("Wuhan.Rep", WRONG) == 401  # recorded as normalised
    assert attempt("gone.rep", PASSWORD) == 401
    page = client.get("/login")
    token = form_token(page.text)
    form = {"username": "wuhan.rep", "password": WRONG, "csrf_token": token}
    back = client.post("/api/v1/session", data=form, headers=HTML)
    assert back.status_code == 303 and "error=invalid" in back.headers["location"]
    forged = client.post("/api/v1/session", data={**form, "csrf_token": "x"}, headers=HTML)
    assert forged.status_code == 303 and "error=csrf" in forged.headers["location"]
    assert attempt("wuhan.rep", PASSWORD) == 200

    got = failures(client, admin)
    assert [(e["target_id"], e["details"]["reason"], e["details"]["via"]) for e in got] == [
        ("nobody.here", "unknown_user", "json"),
        ("wuhan.rep", "wrong_password", "json"),
        ("gone.rep", "disabled", "json"),
        ("wuhan.rep", "wrong_password", "form"),
        ("wuhan.rep", "csrf", "form"),
    ]
    for e in got:
        assert e["actor"] == "anonymous" and e["target_type"] == "session"
        assert e["details"]["username"] == e["target_id"]
        assert e["details"]["client"] == "testclient"
        assert e["details"]["context"]["path"] == "/api/v1/session"
    # the failed form logins are not also recorded as a "session.login" of status 303
    rows = entries(engine)
    logins = [e for e in rows if e["action"] == "session.login"]
    assert [(e["actor"], e["details"]["context"]["client"]) for e in logins] == [
        ("wuhan.rep", "testclient")
    ]
    assert logins[0]["details"]["writes"]["api_tokens"] == {"insert": 1}  # the session
    text = json.dumps(rows, default=str, ensure_ascii=False)
    assert WRONG not in text and PASSWORD not in text

    verified = client.get("/api/v1/audit/verify", headers=admin).json()
    assert verified["ok"] and verified["entries"] == len(rows)
    env = {"FANGKONG_DATABASE_URL": settings.database_url, "FANGKONG_VAR_DIR": str(tmp_path)}
    out = CliRunner().invoke(cli_app, ["audit", "verify"], env=env)
    assert out.exit_code == 0, out.output
    assert f"{len(entries(engine)):,} entries, chain intact" in out.output


def test_one_entry_per_lockout(settings: Settings, engine: Engine) -> None:
    """Throttled attempts: the first refusal of a lockout is recorded, the next ones are
    not (neither as a failure nor as a generic entry); after the lockout, again."""
    admin = bearer(engine, "admin", "admin", "*")
    bearer(engine, "wuhan.rep", "reporter", "420100")
    strict = settings.model_copy(update={"login_max_failures": 2, "login_window_seconds": 60})
    app = create_app(strict, engine)
    now = [0.0]
    app.state.login_limiter = LoginRateLimiter(
        max_failures=2, window_seconds=60, clock=lambda: now[0]
    )
    client = TestClient(app, follow_redirects=False)
    bad = {"username": "wuhan.rep", "password": WRONG}
    assert [client.post("/api/v1/session", json=bad).status_code for _ in range(2)] == [401, 401]
    before = len(entries(engine))
    throttled = [client.post("/api/v1/session", json=bad) for _ in range(5)]
    assert {t.status_code for t in throttled} == {429}
    token = form_token(client.get("/login").text)
    html = client.post("/api/v1/session", data={**bad, "csrf_token": token}, headers=HTML)
    assert "error=throttled" in html.headers["location"]
    new = entries(engine)[before:]
    assert [(e["action"], e["details"].get("reason")) for e in new] == [
        ("session.login_failed", "throttled")
    ]
    assert new[0]["details"]["retry_after"] == 60
    now[0] += 61  # the lockout is over: the next refusals are recorded again
    assert client.post("/api/v1/session", json=bad).status_code == 401
    assert client.post("/api/v1/session", json=bad).status_code == 401
    assert client.post("/api/v1/session", json=bad).status_code == 429
    reasons = [e["details"]["reason"] for e in failures(client, admin)]
    assert reasons == ["wrong_password"] * 2 + ["throttled"] + ["wrong_password"] * 2 + [
        "throttled"
    ]
    assert client.get("/api/v1/audit/verify", headers=admin).json()["ok"]
