"""Regions API on both databases, and the RFC 9457 error shape."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from fangkong.api.app import create_app
from fangkong.settings import Settings


def client(settings: Settings, engine: Engine) -> TestClient:
    return TestClient(create_app(settings, engine))


def test_region_list_filters_by_level_and_parent(settings: Settings, engine: Engine) -> None:
    c = client(settings, engine)
    provinces = c.get("/api/v1/regions", params={"level": "province", "limit": 100}).json()
    assert provinces["total"] == 34
    assert {"420000", "810000", "710000"} <= {r["region_code"] for r in provinces["items"]}
    hubei = c.get("/api/v1/regions", params={"parent": "420000", "limit": 100}).json()
    wuhan = next(r for r in hubei["items"] if r["region_code"] == "420100")
    assert (wuhan["name_zh"], wuhan["name_en"], wuhan["level"]) == ("武汉市", "Wuhan", "prefecture")


def test_one_region_and_tree(settings: Settings, engine: Engine) -> None:
    c = client(settings, engine)
    hubei = c.get("/api/v1/regions/420000").json()
    assert hubei["population"] == 57752557
    tree = c.get("/api/v1/regions/tree", params={"root": "420000", "depth": 2}).json()
    codes = {child["region_code"] for child in tree["children"]}
    assert {"420100", "429004"} <= codes
    wuhan = next(ch for ch in tree["children"] if ch["region_code"] == "420100")
    assert any(g["region_code"] == "420102" for g in wuhan["children"])


def test_unknown_region_is_problem_json(settings: Settings, engine: Engine) -> None:
    r = client(settings, engine).get("/api/v1/regions/999999")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["status"] == 404 and "999999" in body["detail"]


def test_bad_query_names_the_parameter(settings: Settings, engine: Engine) -> None:
    r = client(settings, engine).get(
        "/api/v1/regions/420000/daily", params={"from": "2020-13-45", "limit": 0}
    )
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    params = {e["parameter"] for e in r.json()["errors"]}
    assert params == {"from", "limit"}


def test_daily_without_data_is_empty(settings: Settings, engine: Engine) -> None:
    body = client(settings, engine).get("/api/v1/regions/420000/daily").json()
    assert body["items"] == [] and body["source"] is None


def test_health_reports_database(settings: Settings, engine: Engine) -> None:
    body = client(settings, engine).get("/api/v1/health").json()
    assert body["status"] == "ok"
    assert body["database"] in {"sqlite", "postgresql"}


def test_docs_are_served_offline(settings: Settings, engine: Engine) -> None:
    c = client(settings, engine)
    page = c.get("/docs").text
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()
    assert c.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200
    assert c.get("/api/v1/openapi.json").json()["info"]["title"] == "Fangkong API"


def test_data_sources_page_names_every_licence(settings: Settings, engine: Engine) -> None:
    page = client(settings, engine).get("/about/data").text
    assert "CC BY 4.0" in page and "MIT" in page and "Scientific Data" in page


def test_reported_figures_schema_names_every_count_field() -> None:
    from fangkong.api.routes.regions import ReportedFigures
    from fangkong.core.reports import COUNT_FIELDS

    assert tuple(ReportedFigures.model_fields) == COUNT_FIELDS
