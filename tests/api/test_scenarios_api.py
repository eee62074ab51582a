"""``POST /api/v1/scenarios``: authentication, results, problem+json with JSON pointers."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from fangkong.api.app import create_app
from fangkong.core.access import CLI_ACTOR, Role
from fangkong.services import users
from fangkong.services.reference import region_tree
from fangkong.settings import Settings


def token_for(engine: Engine, username: str, role: Role) -> dict[str, str]:
    users.create_user(
        engine,
        CLI_ACTOR,
        username=username,
        password="correct horse battery",
        role=role,
        jurisdiction="*",
        tree=region_tree(engine),
    )
    token, _ = users.create_token(engine, CLI_ACTOR, username)
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def client(settings: Settings, engine: Engine) -> TestClient:
    return TestClient(create_app(settings, engine))


def body(**changes: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "region_code": "420000",
        "start": "2020-01-01",
        "days": 180,
        "r0": 2.5,
        "initial_infections": 1000,
        "interventions": [{"start": "2020-01-23", "reduction": 0.7, "label": "Level I"}],
        "scenarios": [{"name": "on time"}, {"name": "a week later", "delay_days": 7}],
    }
    out.update(changes)
    return out


def test_requires_authentication(client: TestClient) -> None:
    response = client.post("/api/v1/scenarios", json=body())
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


def test_viewer_runs_and_compares_scenarios(client: TestClient, engine: Engine) -> None:
    auth = token_for(engine, "viewer", Role.VIEWER)
    response = client.post("/api/v1/scenarios", json=body(), headers=auth)
    assert response.status_code == 200, response.text
    out = response.json()
    assert out["population"] == 57_752_557
    assert [s["name"] for s in out["scenarios"]] == ["on time", "a week later"]
    assert out["scenarios"][1]["interventions"][0]["start"] == "2020-01-30"
    assert out["comparison"][0]["differences"]["peak_prevalence_day"] == 7
    assert len(out["scenarios"][0]["series"]["hospital_beds"]) == 180
    hospital = {"hospitalised_fraction": 0.1, "icu_stay": {"mean": 14, "sd": 7}}
    stoch = client.post(
        "/api/v1/scenarios",
        headers=auth,
        json=body(hospital=hospital, stochastic=True, seed=1, replicates=5, include_series=False),
    )
    assert stoch.status_code == 200, stoch.text
    assert stoch.json()["hospital"]["icu_stay"] == {"mean": 14, "sd": 7}
    assert stoch.json()["scenarios"][0]["stochastic"]["replicates"] == 5


def _pointers(response: Any) -> list[str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return sorted(e["pointer"] for e in response.json()["errors"])


def test_bad_fields_are_named_by_json_pointer(client: TestClient, engine: Engine) -> None:
    auth = token_for(engine, "epi", Role.EPIDEMIOLOGIST)
    post = lambda b: client.post("/api/v1/scenarios", json=b, headers=auth)  # noqa: E731
    assert _pointers(post(body(days=5000, population=3e9))) == ["/days", "/population"]
    many = [{"name": f"s{k}"} for k in range(11)]
    assert _pointers(post(body(scenarios=many))) == ["/scenarios"]
    bad_iv = [{"start": "2020-02-01", "reduction": 0.5, "end": "2020-01-01"}]
    assert _pointers(post(body(interventions=bad_iv))) == ["/interventions/0/end"]
    assert _pointers(post(body(interventions=[{"start": "2020-02-30", "reduction": 2}]))) == [
        "/interventions/0/reduction",
        "/interventions/0/start",
    ]
    assert _pointers(post(body(colour="red"))) == ["/colour"]
    assert _pointers(post(body(region_code="999999"))) == ["/region_code"]
    assert _pointers(post(body(region_code="420100"))) == ["/region_code"]
    assert _pointers(post(body(hospital={"hospital_stay": {"mean": 0, "sd": 0}}))) == [
        "/hospital/hospital_stay/mean"
    ]
    ages = {"labels": ["a"], "fractions": [0.5, 0.5], "contact_matrix": [[1, 0], [0]]}
    assert _pointers(post(body(age_groups=ages))) == [
        "/age_groups/contact_matrix/1",
        "/age_groups/labels",
    ]
    assert _pointers(post(body(calibrate={"date": "2019-01-01", "cumulative_infections": 5}))) == [
        "/calibrate/date"
    ]
    missing = post({"population": 1000})
    assert _pointers(missing) == ["/start"]
    assert post(body(initial_infections=1e9)).status_code == 422
