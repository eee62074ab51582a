"""``/api/v1/regions/{code}/growth`` (public) and ``/api/v1/delays`` (READ_CASES)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from fangkong.api.app import create_app
from fangkong.core.access import CLI_ACTOR
from fangkong.core.epi import intervals as iv
from fangkong.services import cases as case_svc
from fangkong.services import users
from fangkong.services.daily_import import import_daily_file
from fangkong.services.reference import region_tree
from fangkong.settings import Settings
from support import DEMO_DATA

CCDC = DEMO_DATA / "ccdc_dashboard_china_province_daily_2020-01-17_2020-03-04.csv"
TIANJIN = (
    Path(__file__).parents[1] / "fixtures" / "delays" / "tindale2020_Tianjin135cases_revised.csv"
)


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


def test_growth_is_public_and_bad_parameters_are_problems(
    client: TestClient, engine: Engine, settings: Settings
) -> None:
    assert import_daily_file(engine, settings, CCDC, actor=CLI_ACTOR).ok
    ok = client.get("/api/v1/regions/420000/growth?from=2020-01-19&to=2020-01-31&model=negbin")
    assert ok.status_code == 200, ok.text
    body = ok.json()
    assert body["source"] == "ccdc" and body["model"] == "negbin" and body["doubling_time"] > 0
    few = client.get("/api/v1/regions/420000/growth?from=2020-01-19&to=2020-01-20")
    assert few.status_code == 422
    assert few.headers["content-type"].startswith("application/problem+json")
    assert "at least" in few.json()["detail"]
    assert client.get("/api/v1/regions/420000/growth?model=ols").status_code == 422
    reverse = client.get("/api/v1/regions/420000/growth?from=2020-02-01&to=2020-01-01")
    assert reverse.status_code == 422
    assert client.get("/api/v1/regions/999999/growth").status_code == 404
    missing = client.get("/api/v1/regions/420000/growth?source=nope")
    assert missing.status_code == 404


def test_delays_need_read_cases(client: TestClient, engine: Engine) -> None:
    _, cases = iv.read_cluster_linelist(TIANJIN.read_text(encoding="utf-8-sig"))
    items = [
        {
            "source": "tj-hc",
            "case_id": c.case_id,
            "region_code": "120000",
            "classification": "confirmed",
            "onset_date": c.onset_date.isoformat() if c.onset_date else None,
            "confirmation_date": c.confirmation_date.isoformat() if c.confirmation_date else None,
        }
        for c in cases
    ]
    case_svc.submit_cases(engine, CLI_ACTOR, region_tree(engine), items)
    assert client.get("/api/v1/delays").status_code == 401
    viewer = token_for(engine, "viewer", "viewer", "*")
    assert client.get("/api/v1/delays", headers=viewer).status_code == 403
    epi = token_for(engine, "tj.epi", "epidemiologist", "120000")
    answer = client.get(
        "/api/v1/delays?kind=onset_to_confirmation&bootstrap=20&seed=3", headers=epi
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["region_code"] == "120000" and body["n"] == 125
    best = body["fits"][0]
    assert best["aic"] <= body["fits"][-1]["aic"] and len(best["ci95"]["mean"]) == 2
    outside = client.get("/api/v1/delays?region_code=420000", headers=epi)
    assert outside.status_code == 403
    bad = client.get("/api/v1/delays?kind=onset_to_death", headers=epi)
    assert bad.status_code == 422
    report = client.get("/api/v1/delays?kind=onset_to_report", headers=epi)
    assert report.status_code == 422 and "usable observation" in report.json()["detail"]
