"""``GET /api/v1/regions/{code}/forecast`` (public) and ``/nowcast`` (READ_CASES), and the
commands ``fangkong epi forecast``, ``fangkong forecast`` and ``fangkong epi nowcast``."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from fangkong.api.app import create_app
from fangkong.cli import app as cli_app
from fangkong.core.access import CLI_ACTOR, Role
from fangkong.services import users
from fangkong.services.cases import submit_cases
from fangkong.services.daily_import import import_daily_file
from fangkong.services.reference import region_tree
from fangkong.settings import Settings

DEMO = Path(__file__).resolve().parents[2] / "src" / "fangkong" / "data" / "demo"
CCDC = DEMO / "ccdc_dashboard_china_province_daily_2020-01-17_2020-03-04.csv"
runner = CliRunner()


@pytest.fixture
def client(settings: Settings, engine: Engine) -> TestClient:
    return TestClient(create_app(settings, engine))


def bearer(engine: Engine, username: str, role: Role, jurisdiction: str) -> dict[str, str]:
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


def test_forecast_endpoint(client: TestClient, engine: Engine, settings: Settings) -> None:
    import_daily_file(engine, settings, CCDC, actor=CLI_ACTOR)
    r = client.get(
        "/api/v1/regions/420000/forecast",
        params={"horizon": 14, "from": "2020-02-20", "si_mean": 7.5, "si_sd": 3.4},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert len(body["items"]) == 14
    assert body["items"][0]["date"] == "2020-02-20"
    assert {"q0.05", "q0.5", "q0.95", "q0.025", "q0.975", "observed"} <= set(body["items"][0])
    assert body["si_mean"] == 7.5


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"horizon": 0}, "horizon"),
        ({"horizon": 29}, "horizon"),
        ({"si_mean": 1}, "si_mean"),
        ({"from": "2020-13-01"}, "from"),
        ({"source": "BAD!"}, "source"),
    ],
)
def test_forecast_bad_parameters_are_problems(
    client: TestClient, engine: Engine, settings: Settings, params: dict[str, object], field: str
) -> None:
    import_daily_file(engine, settings, CCDC, actor=CLI_ACTOR)
    r = client.get("/api/v1/regions/420000/forecast", params=params)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert field in r.text


def test_forecast_unknown_region_and_too_little_data(
    client: TestClient, engine: Engine, settings: Settings
) -> None:
    r = client.get("/api/v1/regions/999999/forecast")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    import_daily_file(engine, settings, CCDC, actor=CLI_ACTOR)
    r = client.get("/api/v1/regions/420000/forecast", params={"from": "2020-01-20"})
    assert r.status_code == 422


def test_nowcast_endpoint_needs_read_cases(client: TestClient, engine: Engine) -> None:
    items = [
        {
            "source": "cdc",
            "case_id": str(i),
            "region_code": "420106",
            "classification": "confirmed",
            "onset_date": f"2020-03-{1 + i % 20:02d}",
            "confirmation_date": f"2020-03-{1 + i % 20 + i % 5:02d}",
        }
        for i in range(200)
    ]
    submit_cases(engine, CLI_ACTOR, region_tree(engine), items)
    assert client.get("/api/v1/regions/420000/nowcast").status_code == 401
    viewer = bearer(engine, "viewer1", Role.VIEWER, "420000")
    assert client.get("/api/v1/regions/420000/nowcast", headers=viewer).status_code == 403
    epi = bearer(engine, "epi1", Role.EPIDEMIOLOGIST, "420000")
    r = client.get("/api/v1/regions/420000/nowcast", params={"days": 5}, headers=epi)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["cutoff"] == "2020-03-24"
    assert len(body["items"]) == 5
    r = client.get("/api/v1/regions/420000/nowcast", params={"max_delay": -1}, headers=epi)
    assert r.status_code == 422
    r = client.get("/api/v1/regions/420000/nowcast", params={"cutoff": "2020-01-01"}, headers=epi)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")


def test_cli_epi_forecast_and_nowcast(tmp_path: Path) -> None:
    inc = tmp_path / "inc.csv"
    inc.write_text("date,I\n" + "".join(f"2020-03-{d:02d},{10 + d}\n" for d in range(1, 31)))
    args = [
        "epi",
        "forecast",
        "--incidence",
        str(inc),
        "--si-mean",
        "4.7",
        "--si-sd",
        "2.9",
        "--horizon",
        "14",
        "--seed",
        "1",
    ]
    res = runner.invoke(cli_app, args)
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert len(rows) == 14 and rows[0]["date"] == "2020-03-31"
    again = runner.invoke(cli_app, args)
    assert again.stdout == res.stdout
    res = runner.invoke(cli_app, [*args, "--format", "json"])
    assert json.loads(res.stdout)["horizon"] == 14
    bad = runner.invoke(cli_app, [*args[:4], "--horizon", "99"])
    assert bad.exit_code == 2
    lst = DEMO / "beoutbreakprepared_ncov_outside_hubei_20200221.csv"
    res = runner.invoke(
        cli_app, ["epi", "nowcast", "--file", str(lst), "--cutoff", "2020-02-05", "--days", "7"]
    )
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert rows[-1]["onset_date"] == "2020-02-05"


def test_cli_forecast_region(
    engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_daily_file(engine, settings, CCDC, actor=CLI_ACTOR)
    monkeypatch.setenv("FANGKONG_DATABASE_URL", settings.database_url)
    res = runner.invoke(
        cli_app,
        [
            "forecast",
            "--region",
            "420000",
            "--horizon",
            "5",
            "--from",
            "2020-02-25",
            "--format",
            "csv",
        ],
    )
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert next(r["date"] for r in rows) == "2020-02-25" and rows[0]["observed"]
