"""``/api/v1/cases`` and ``/api/v1/imports/cases``: submit, list with filters, read one."""

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


def token_for(engine: Engine, username: str, role: Role, jurisdiction: str) -> dict[str, str]:
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


def case(case_id: str, region_code: str = "420106", **values: Any) -> dict[str, Any]:
    return {
        "source": "cdc",
        "case_id": case_id,
        "region_code": region_code,
        "classification": "confirmed",
        "onset_date": "2020-01-20",
        **values,
    }


def test_submit_list_get_and_revise(client: TestClient, engine: Engine) -> None:
    auth = token_for(engine, "epi", Role.EPIDEMIOLOGIST, "420000")
    body = {
        "items": [
            case("1"),
            case("2", "420202", onset_date="2020-02-01"),
            case("3", "429004", imported=True, age_years=70),
        ]
    }
    response = client.post("/api/v1/cases", json=body, headers=auth)
    assert response.status_code == 200, response.text
    assert response.json()["inserted"] == 3
    page = client.get("/api/v1/cases", params={"region_code": "420100"}, headers=auth).json()
    assert [c["case_id"] for c in page["items"]] == ["1"] and page["total"] == 1
    page = client.get(
        "/api/v1/cases", params={"region_code": "420000", "onset_from": "2020-01-25"}, headers=auth
    )
    assert [c["case_id"] for c in page.json()["items"]] == ["2"]
    one = client.get("/api/v1/cases/cdc/3", headers=auth).json()
    assert one["imported"] is True and one["age_years"] == 70
    again = client.post(
        "/api/v1/cases", json=[case("3", "429004", imported=False, age_years=70)], headers=auth
    ).json()
    assert (again["updated"], again["revisions"]) == (1, 1)


def test_bad_items_are_named_by_json_pointer(client: TestClient, engine: Engine) -> None:
    auth = token_for(engine, "epi", Role.EPIDEMIOLOGIST, "*")
    items = [case(str(i)) for i in range(3)]
    items.append(case("3", onset_date="2020-02-30"))
    items.append(case("4", region_code="000000", colour="red"))
    response = client.post("/api/v1/cases", json={"items": items}, headers=auth)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    pointers = {e["pointer"] for e in response.json()["errors"]}
    assert pointers == {"/items/3/onset_date", "/items/4/region_code", "/items/4/colour"}
    assert client.get("/api/v1/cases", headers=auth).json()["total"] == 0


def test_jurisdiction_and_roles(client: TestClient, engine: Engine) -> None:
    hubei = token_for(engine, "hubei1", Role.REPORTER, "420000")
    viewer = token_for(engine, "viewer1", Role.VIEWER, "*")
    response = client.post("/api/v1/cases", json=[case("1", "110101")], headers=hubei)
    assert response.status_code == 403  # a refusal, not a typing error
    assert "110101" in response.json()["detail"] and "jurisdiction" in response.json()["detail"]
    assert client.post("/api/v1/cases", json=[case("1")], headers=viewer).status_code == 403
    assert client.get("/api/v1/cases", headers=viewer).status_code == 403
    assert (
        client.get("/api/v1/cases", params={"region_code": "110000"}, headers=hubei).status_code
        == 403
    )
    assert client.get("/api/v1/cases").status_code == 401
    assert client.get("/api/v1/cases/cdc/nope", headers=hubei).status_code == 404


def test_upload_a_case_file(client: TestClient, engine: Engine) -> None:
    auth = token_for(engine, "epi", Role.EPIDEMIOLOGIST, "*")
    template = client.get("/api/v1/imports/templates/cases.csv")
    assert template.status_code == 200
    response = client.post(
        "/api/v1/imports/cases",
        headers=auth,
        files={"file": ("cases.csv", template.content, "text/csv")},
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["rows_inserted"], report["rows_rejected"]) == (2, 0)
    bad = client.post(
        "/api/v1/imports/cases", headers=auth, files={"file": ("x.csv", b"a,b\n1,2\n", "text/csv")}
    )
    assert bad.status_code == 422 and "known formats" in bad.json()["detail"]
