"""``/api/v1/directives`` and ``fangkong directive …`` on both databases."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from fangkong.api.app import create_app
from fangkong.cli import app as cli_app
from fangkong.settings import Settings
from support import bearer, problem


@pytest.fixture
def client(settings: Settings, engine: Engine) -> TestClient:
    return TestClient(create_app(settings, engine))


def test_directive_lifecycle_over_http(client: TestClient, engine: Engine) -> None:
    cmd = bearer(engine, "hubei.cmd", "commander", "420000")
    wuhan = bearer(engine, "wuhan.rep", "reporter", "420100")
    bj = bearer(engine, "bj.rep", "reporter", "110000")
    due = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    body = {
        "title": "加强发热门诊管理",
        "body": "立即落实预检分诊",
        "priority": "加急",
        "due_at": due,
        "regions": ["420100", "420200"],
    }
    assert client.post("/api/v1/directives", json=body).status_code == 401
    problem(client.post("/api/v1/directives", json=body, headers=wuhan), 403)
    problem(
        client.post("/api/v1/directives", json={**body, "regions": ["110000"]}, headers=cmd), 403
    )
    bad = problem(
        client.post("/api/v1/directives", json={**body, "due_at": "soon"}, headers=cmd), 422
    )
    assert bad["errors"][0]["pointer"] == "/due_at"
    problem(client.post("/api/v1/directives", json={**body, "priority": "asap"}, headers=cmd), 422)
    problem(client.post("/api/v1/directives", json={**body, "regions": ["../x"]}, headers=cmd), 422)
    made = client.post("/api/v1/directives", json=body, headers=cmd)
    assert made.status_code == 201, made.text
    did = made.json()["id"]
    assert made.json()["priority"] == "urgent"
    problem(client.get(f"/api/v1/directives/{did}", headers=bj), 403)
    problem(client.get("/api/v1/directives/999999", headers=cmd), 404)
    problem(client.get("/api/v1/directives/abc", headers=cmd), 422)
    ack = client.post(f"/api/v1/directives/{did}/acknowledge", json={"note": "收到"}, headers=wuhan)
    assert ack.status_code == 200, ack.text
    problem(client.post(f"/api/v1/directives/{did}/acknowledge", json={}, headers=wuhan), 409)
    problem(
        client.post(f"/api/v1/directives/{did}/progress", json={"percent": 101}, headers=wuhan),
        422,
    )
    prog = client.post(
        f"/api/v1/directives/{did}/progress",
        json={"percent": 60, "note": "8 clinics"},
        headers=wuhan,
    )
    assert prog.json()["recipients"][0]["progress_percent"] == 60
    received = client.get("/api/v1/directives?box=received", headers=wuhan).json()
    assert (
        received["total"] == 1 and received["items"][0]["recipients_by_status"]["in_progress"] == 1
    )
    problem(client.get("/api/v1/directives?box=outbox", headers=wuhan), 422)
    assert client.get("/api/v1/directives/dashboard", headers=cmd).json()["total"] == 0
    problem(client.get("/api/v1/directives/dashboard", headers=wuhan), 403)
    # attachments
    data = "关于加强防控的通知\n".encode()
    up = client.post(
        f"/api/v1/directives/{did}/attachments",
        files={"file": ("通知.txt", data, "application/x-evil")},
        headers=cmd,
    )
    assert up.status_code == 201, up.text
    att = up.json()
    assert att["sha256"] == hashlib.sha256(data).hexdigest() and att["content_type"] == "text/plain"
    problem(
        client.post(
            f"/api/v1/directives/{did}/attachments",
            files={"file": ("run.sh", b"rm -rf /", "text/plain")},
            headers=cmd,
        ),
        422,
    )
    problem(
        client.post(
            f"/api/v1/directives/{did}/attachments",
            files={"file": ("a.txt", b"x", "text/plain")},
            headers=wuhan,
        ),
        403,
    )
    got = client.get(att["url"], headers=wuhan)
    assert got.status_code == 200 and got.content == data
    assert "attachment" in got.headers["content-disposition"]
    assert got.headers["x-content-type-options"] == "nosniff"
    problem(client.get(att["url"], headers=bj), 403)
    problem(client.get(f"/api/v1/directives/{did}/attachments/999", headers=cmd), 404)
    # teams
    team = client.post(
        "/api/v1/directives/teams",
        json={"name": "省指导组", "leader": "li", "members": ["wang"], "region_code": "420100"},
        headers=cmd,
    )
    assert team.status_code == 201, team.text
    problem(client.post("/api/v1/directives/teams", json={"name": "x"}, headers=cmd), 422)
    assert client.get("/api/v1/directives/teams", headers=wuhan).json()["total"] == 1
    # cancel
    problem(client.post(f"/api/v1/directives/{did}/cancel", json={"note": ""}, headers=cmd), 422)
    out = client.post(f"/api/v1/directives/{did}/cancel", json={"note": "superseded"}, headers=cmd)
    assert out.json()["status"] == "cancelled"
    kinds = [e["kind"] for e in out.json()["events"]]
    assert kinds == ["issue", "acknowledge", "progress", "attach", "cancel"]


def test_directive_cli(settings: Settings, engine: Engine, tmp_path: Any) -> None:
    runner = CliRunner()
    env = {
        "FANGKONG_DATABASE_URL": settings.database_url,
        "FANGKONG_VAR_DIR": str(settings.var_dir),
    }
    note = tmp_path / "notice.pdf"
    note.write_bytes(b"%PDF-1.4")
    due = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    out = runner.invoke(
        cli_app,
        [
            "directive",
            "issue",
            "--title",
            "封控",
            "--body",
            "立即执行",
            "--due",
            due,
            "--region",
            "420100",
            "--region",
            "420200",
            "--priority",
            "extra_urgent",
            "--attach",
            str(note),
        ],
        env=env,
    )
    assert out.exit_code == 0, out.output
    assert "attached notice.pdf" in out.output and "issued #" in out.output
    did = out.output.split("issued #")[1].split()[0]
    bad = runner.invoke(
        cli_app,
        [
            "directive",
            "issue",
            "--title",
            "x",
            "--body",
            "y",
            "--due",
            "tomorrow",
            "--region",
            "420100",
        ],
        env=env,
    )
    assert bad.exit_code == 2
    ack = runner.invoke(cli_app, ["directive", "ack", did], env=env)
    assert ack.exit_code == 1 and "name one" in ack.output
    ack = runner.invoke(cli_app, ["directive", "ack", did, "--region", "420100"], env=env)
    assert ack.exit_code == 0 and "acknowledged" in ack.output
    prog = runner.invoke(
        cli_app,
        ["directive", "progress", did, "100", "--region", "420100", "--note", "done"],
        env=env,
    )
    assert prog.exit_code == 0 and "completed 100 %" in prog.output
    listed = runner.invoke(cli_app, ["directive", "list"], env=env)
    assert listed.exit_code == 0 and "1 directive(s)" in listed.output
    board = runner.invoke(cli_app, ["directive", "list", "--escalated"], env=env)
    assert board.exit_code == 0 and "0 directive(s)" in board.output
