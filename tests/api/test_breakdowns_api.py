"""``GET /api/v1/regions/{code}/breakdowns``: public, and never a count from 1 to 4.

The real beoutbreakprepared line lists (Hubei and outside Hubei, 2020) are loaded and
every breakdown of every province, of China and of Wuhan is requested; no count in any
response may be a small one, and each hidden count is ``null`` with its flag."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from fangkong.api.app import create_app
from fangkong.services.case_import import import_case_file
from fangkong.settings import Settings

DEMO = Path(__file__).resolve().parents[2] / "src" / "fangkong" / "data" / "demo"
LISTS = (
    "beoutbreakprepared_ncov_hubei_20200221.csv",
    "beoutbreakprepared_ncov_outside_hubei_20200221.csv",
)
BREAKDOWNS = ("age_band", "sex", "age_band,sex", "area")


def counts_in(body: Any) -> list[Any]:
    """Every value under a ``count`` key anywhere in the document."""
    found: list[Any] = []
    if isinstance(body, dict):
        for key, value in body.items():
            if key == "count":
                found.append(value)
            else:
                found += counts_in(value)
    elif isinstance(body, list):
        for item in body:
            found += counts_in(item)
    return found


def flagged(body: Any) -> list[dict[str, Any]]:
    if isinstance(body, dict):
        own = [body] if "count" in body else []
        return own + [d for v in body.values() for d in flagged(v)]
    if isinstance(body, list):
        return [d for item in body for d in flagged(item)]
    return []


def test_public_breakdowns_of_real_line_lists_never_show_1_to_4(
    engine: Engine, settings: Settings
) -> None:
    for name in LISTS:
        import_case_file(engine, settings, DEMO / name)
    client = TestClient(create_app(settings, engine))  # no sign-in: a public endpoint
    provinces = client.get("/api/v1/regions", params={"level": "province", "limit": 100}).json()
    regions = ["CN", "420100", *(r["region_code"] for r in provinces["items"])]
    suppressed = 0
    for code in regions:
        for by in BREAKDOWNS:
            response = client.get(f"/api/v1/regions/{code}/breakdowns", params={"by": by})
            if by == "area" and response.status_code == 422:
                continue  # a region without sub-areas (e.g. Hong Kong)
            assert response.status_code == 200, (code, by, response.text)
            body = response.json()
            for count in counts_in(body):
                assert count is None or count == 0 or count >= 5, (code, by, count)
            for item in flagged(body):
                assert item["suppressed"] == (item["count"] is None)
                suppressed += item["suppressed"]
            assert body["suppression"]["min_cell"] == 5
    assert suppressed > 100  # the real lists are full of small cells


def test_rule_is_stated_and_min_cell_only_tightens(engine: Engine, settings: Settings) -> None:
    import_case_file(engine, settings, DEMO / LISTS[1])
    client = TestClient(create_app(settings, engine))
    body = client.get(
        "/api/v1/regions/440000/breakdowns",
        params={"by": "age_band,sex", "from": "2020-01-20", "to": "2020-02-21"},
    ).json()
    assert body["by"] == ["age_band", "sex"] and body["date_basis"] == "confirmation_date"
    assert "1 to 4" in body["suppression"]["rule"] and body["suppression"]["reference"]
    assert {"cells", "margins", "total", "categories", "suppressed_cells"} <= body.keys()
    strict = client.get(
        "/api/v1/regions/440000/breakdowns", params={"by": "age_band,sex", "min_cell": 20}
    ).json()
    assert strict["suppression"]["min_cell"] == 20
    assert all(c is None or c == 0 or c >= 20 for c in counts_in(strict))
    weaker = client.get("/api/v1/regions/440000/breakdowns", params={"by": "sex", "min_cell": 2})
    assert weaker.status_code == 422
    assert weaker.headers["content-type"] == "application/problem+json"
    assert "min_cell" in weaker.json()["detail"]


def test_settings_threshold_applies(engine: Engine, settings: Settings) -> None:
    import_case_file(engine, settings, DEMO / LISTS[1])
    strict = settings.model_copy(update={"suppress_below": 11})
    client = TestClient(create_app(strict, engine))
    body = client.get("/api/v1/regions/CN/breakdowns", params={"by": "area"}).json()
    assert body["suppression"]["min_cell"] == 11
    assert all(c is None or c == 0 or c >= 11 for c in counts_in(body))
    assert (
        client.get(
            "/api/v1/regions/CN/breakdowns", params={"by": "area", "min_cell": 5}
        ).status_code
        == 422
    )


def test_bad_requests_are_problems(engine: Engine, settings: Settings) -> None:
    client = TestClient(create_app(settings, engine))
    for params, status in (
        ({"by": "age_band,area"}, 422),
        ({"by": "colour"}, 422),
        ({"by": "sex", "from": "2020-02-30"}, 422),
        ({"by": "sex", "from": "2020-03-01", "to": "2020-02-01"}, 422),
        ({"by": "sex", "min_cell": 0}, 422),
        ({"by": "area"}, 200),
    ):
        r = client.get("/api/v1/regions/420000/breakdowns", params=params)
        assert r.status_code == status, (params, r.text)
        if status != 200:
            assert r.headers["content-type"] == "application/problem+json"
    missing = client.get("/api/v1/regions/999999/breakdowns")
    assert missing.status_code == 404
    default = client.get("/api/v1/regions/420000/breakdowns").json()
    assert default["by"] == ["age_band", "sex"] and default["total"]["count"] == 0
