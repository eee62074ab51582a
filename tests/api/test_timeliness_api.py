"""``/api/v1/timeliness`` and ``fangkong timeliness scorecard`` on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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


def test_scorecard_alerts_deadlines_events(client: TestClient, engine: Engine) -> None:
    rep = bearer(engine, "hubei.rep", "reporter", "420000")
    cmd = bearer(engine, "hubei.cmd", "commander", "420000")
    bj = bearer(engine, "bj.view", "viewer", "110000")
    old = (datetime.now(UTC) - timedelta(days=5)).date().isoformat()
    sent = client.post(
        "/api/v1/daily",
        headers=rep,
        json={"items": [{"region_code": "420100", "report_date": old, "new_confirmed": 4}]},
    )
    assert sent.status_code == 200, sent.text
    q = f"from={old}&to={old}"
    assert client.get(f"/api/v1/timeliness/scorecard?{q}").status_code == 401
    card = client.get(f"/api/v1/timeliness/scorecard?{q}", headers=cmd).json()
    wuhan = next(i for i in card["items"] if i["region_code"] == "420100")
    assert (wuhan["late"], wuhan["missing"]) == (1, 0)
    assert card["totals"]["missing"] == 16 and card["alerts_total"] == 17
    problem(client.get(f"/api/v1/timeliness/scorecard?{q}&region=420000", headers=bj), 403)
    problem(
        client.get("/api/v1/timeliness/scorecard?from=2020-02-30&to=2020-03-01", headers=cmd), 422
    )
    problem(
        client.get("/api/v1/timeliness/scorecard?from=2020-03-02&to=2020-03-01", headers=cmd), 422
    )
    problem(client.get(f"/api/v1/timeliness/scorecard?{q}&level=street", headers=cmd), 422)
    problem(client.get(f"/api/v1/timeliness/scorecard?{q}&region=999999", headers=cmd), 404)
    alerts = client.get(f"/api/v1/timeliness/alerts?{q}&limit=5", headers=cmd).json()
    assert alerts["total"] == 17 and len(alerts["items"]) == 5
    # deadlines
    put = client.put(
        "/api/v1/timeliness/deadlines/420100",
        json={"due_time": "08:00", "day_offset": 1},
        headers=cmd,
    )
    assert put.status_code == 201 and put.json()["urgent_limit_minutes"] == 120
    assert put.headers["ETag"] == '"1"' and put.json()["result"] == "created"
    problem(
        client.put("/api/v1/timeliness/deadlines/420100", json={"due_time": "8h"}, headers=cmd), 422
    )
    problem(
        client.put("/api/v1/timeliness/deadlines/*", json={"due_time": "08:00"}, headers=cmd), 403
    )
    problem(
        client.put("/api/v1/timeliness/deadlines/420100", json={"due_time": "08:00"}, headers=rep),
        403,
    )
    listed = client.get("/api/v1/timeliness/deadlines", headers=bj).json()
    assert [i["key"] for i in listed["items"]] == ["420100"] and len(listed["defaults"]) == 4
    assert client.delete("/api/v1/timeliness/deadlines/420100", headers=cmd).status_code == 204
    problem(client.delete("/api/v1/timeliness/deadlines/420100", headers=cmd), 404)
    # urgent events
    seen = datetime.now(UTC) - timedelta(hours=3)
    ev = client.post(
        "/api/v1/timeliness/events",
        json={"region_code": "420102", "title": "聚集性疫情", "detected_at": seen.isoformat()},
        headers=rep,
    )
    assert ev.status_code == 201 and ev.json()["status"] == "overdue"
    problem(
        client.post(
            "/api/v1/timeliness/events",
            json={"region_code": "420102", "title": "x", "detected_at": "yesterday"},
            headers=rep,
        ),
        422,
    )
    problem(
        client.post(
            "/api/v1/timeliness/events",
            json={"region_code": "110000", "title": "x", "detected_at": seen.isoformat()},
            headers=rep,
        ),
        403,
    )
    done = client.post(
        f"/api/v1/timeliness/events/{ev.json()['id']}/reported", json={}, headers=rep
    )
    assert done.status_code == 200 and done.json()["status"] == "late"
    problem(
        client.post(f"/api/v1/timeliness/events/{ev.json()['id']}/reported", json={}, headers=rep),
        422,
    )
    problem(client.post("/api/v1/timeliness/events/99999/reported", json={}, headers=rep), 404)
    assert client.get("/api/v1/timeliness/events?status=late", headers=cmd).json()["total"] == 1
    assert client.get("/api/v1/timeliness/events", headers=bj).json()["total"] == 0
    problem(client.get("/api/v1/timeliness/events?status=lost", headers=cmd), 422)


def test_scorecard_cli(settings: Settings, engine: Engine) -> None:
    runner = CliRunner()
    env = {
        "FANGKONG_DATABASE_URL": settings.database_url,
        "FANGKONG_VAR_DIR": str(settings.var_dir),
    }
    out = runner.invoke(
        cli_app,
        [
            "timeliness",
            "scorecard",
            "--from",
            "2020-02-01",
            "--to",
            "2020-02-03",
            "--region",
            "420000",
        ],
        env=env,
    )
    assert out.exit_code == 0, out.output
    text = " ".join(out.output.split())
    assert "17 prefecture unit(s) in 420000: 0 on time, 0 late, 51 missing" in text
    bad = runner.invoke(cli_app, ["timeliness", "scorecard", "--from", "x", "--to", "y"], env=env)
    assert bad.exit_code == 2
    nope = runner.invoke(
        cli_app,
        [
            "timeliness",
            "scorecard",
            "--from",
            "2020-02-01",
            "--to",
            "2020-02-03",
            "--region",
            "999999",
        ],
        env=env,
    )
    assert nope.exit_code == 1 and "no region" in nope.output
