"""The publisher (fangkong.api.warming): it computes the most viewed public answers of a
new data version in the background and then publishes it; until then public readers
keep the published version's answers (stale while revalidate) while signed-in users
see the latest; a new version is published no sooner than the interval allows; the
running server starts it and it warms every page's API calls without a failure."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from datetime import date

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from fangkong.api.app import create_app
from fangkong.api.warming import Publisher, page_calls
from fangkong.core.access import CLI_ACTOR
from fangkong.services.daily_import import import_daily_file
from fangkong.services.daily_reports import submit_daily_reports
from fangkong.services.demo import demo_dir
from fangkong.settings import Settings

PROVINCES = "canghailan_china_province_daily_2020-01-10_2020-06-30.csv"
OVERVIEW = "/api/v1/opendata/overview.json"
HUBEI = "/api/v1/opendata/region/420000.json"


@pytest.fixture
def loaded(engine: Engine, settings: Settings) -> Engine:
    import_daily_file(engine, settings, demo_dir() / PROVINCES, actor=CLI_ACTOR)
    return engine


@pytest.fixture
def app(loaded: Engine, settings: Settings) -> FastAPI:
    app = create_app(settings, loaded)  # publish_interval 0: no background task
    app.state.public_cache.ttl = 0
    return app


def hubei_cumulative(body: bytes) -> int:
    document = json.loads(body)
    items = document.get("items") or document.get("provinces", {}).get("items") or []
    for item in items:
        if item.get("region_code") == "420000":
            return int(item["figures"]["cumulative_confirmed"])
    raise AssertionError(f"Hubei not in {list(document)}")


def correct_hubei(engine: Engine, settings: Settings, new_confirmed: int) -> None:
    submit_daily_reports(
        engine,
        settings,
        [{"region_code": "420000", "report_date": "2020-02-05", "new_confirmed": new_confirmed}],
        actor=CLI_ACTOR,
        source="canghailan",
        today=date(2020, 7, 1),
    )


def test_warming_requests_every_page_and_call_without_failure(app: FastAPI) -> None:
    publisher = Publisher(app, app.state.public_cache, interval=0)
    assert asyncio.run(publisher.step()) is True
    assert publisher.last_failures == []
    paths = publisher.last_paths
    assert {"/zh/", "/en/", "/zh/world", "/en/world", OVERVIEW} <= set(paths)
    assert any(p.startswith("/api/v1/risk/levels?unit=province") for p in paths)
    for lang in ("zh", "en"):
        assert f"/{lang}/region/420000" in paths
    hubei_calls = [p for p in paths if "420000" in p and p.startswith("/api/")]
    assert any("/rt?" in p for p in hubei_calls) and any("/forecast?" in p for p in hubei_calls)
    assert any("/risk/regions/420000/history?until=" in p for p in hubei_calls)
    assert any(p.startswith("/api/v1/response/regions/420000") for p in hubei_calls)
    provinces = {p.split("/")[-1] for p in paths if p.startswith("/zh/region/")}
    assert len(provinces) >= 34  # every province (and one region of each lower level)
    assert app.state.public_cache.published == app.state.public_cache.version()
    assert asyncio.run(publisher.step()) is False  # nothing new to publish


def test_readers_keep_the_published_version_until_the_next_is_ready_and_due(
    app: FastAPI, loaded: Engine, settings: Settings
) -> None:
    client = TestClient(app)
    publisher = Publisher(app, app.state.public_cache, interval=3600)
    assert asyncio.run(publisher.step()) is True  # the first publication is at once
    first = app.state.public_cache.published
    before = client.get(OVERVIEW)
    old = hubei_cumulative(before.content)
    old_region = client.get(HUBEI).content

    correct_hubei(loaded, settings, 9000)  # a much larger figure for one day

    stale = client.get(OVERVIEW)
    assert stale.content == before.content and stale.headers["etag"] == before.headers["etag"]
    revalidated = client.get(OVERVIEW, headers={"If-None-Match": before.headers["etag"]})
    assert revalidated.status_code == 304
    assert client.get(HUBEI).content == old_region  # kept for the published version too
    client.cookies.set("fangkong_session", "any")  # a signed-in user sees the latest
    assert hubei_cumulative(client.get(OVERVIEW).content) > old
    client.cookies.clear()

    assert asyncio.run(publisher.step()) is False  # not before the interval has passed
    assert app.state.public_cache.published == first
    publisher.interval = 0
    assert asyncio.run(publisher.step()) is True
    fresh = client.get(OVERVIEW)
    assert hubei_cumulative(fresh.content) > old and fresh.headers["etag"] != before.headers["etag"]
    assert client.get(HUBEI).content != old_region


@pytest.fixture
def served(loaded: Engine, settings: Settings) -> Iterator[TestClient]:
    if loaded.dialect.name != "sqlite":  # the publisher's logic is the database's neither
        pytest.skip("the background task is the same on PostgreSQL (tested above)")
    app = create_app(settings.model_copy(update={"publish_interval": 1.0}), loaded)
    with TestClient(app) as client:  # the lifespan starts the publisher
        yield client


def test_the_server_publishes_in_the_background(
    served: TestClient, loaded: Engine, settings: Settings
) -> None:
    cache = served.app.state.public_cache  # type: ignore[attr-defined]
    deadline = time.monotonic() + 120
    while cache.published is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert cache.published is not None
    assert served.app.state.publisher.last_failures == []  # type: ignore[attr-defined]
    old = hubei_cumulative(served.get(OVERVIEW).content)
    first = cache.published
    correct_hubei(loaded, settings, 8000)
    while cache.published == first and time.monotonic() < deadline:
        time.sleep(0.1)
    assert cache.published != first
    assert hubei_cumulative(served.get(OVERVIEW).content) > old


def test_page_calls_are_read_from_the_page(app: FastAPI) -> None:
    body = TestClient(app).get("/zh/region/420000").text
    calls = page_calls("420000", body)
    assert len(calls) == 4 and all(TestClient(app).get(c).status_code == 200 for c in calls)
    with_date = TestClient(app).get("/zh/region/420000?date=2020-02-20").text
    at = [c for c in page_calls("420000", with_date) if c.startswith("/api/v1/response")]
    assert at == ["/api/v1/response/regions/420000?at=2020-02-20T23%3A59%3A59%2B08%3A00"]
    assert TestClient(app).get(at[0]).status_code == 200


def test_a_region_without_cases_makes_no_forecast_call(
    app: FastAPI, loaded: Engine, settings: Settings
) -> None:
    submit_daily_reports(
        loaded,
        settings,
        [
            {"region_code": "110101", "report_date": f"2020-02-{day:02d}", "new_confirmed": 0}
            for day in range(1, 21)
        ],
        actor=CLI_ACTOR,
        source="canghailan",
        today=date(2020, 7, 1),
    )
    client = TestClient(app)
    page = client.get("/zh/region/110101?date=2020-02-20").text
    assert "无可预测" in page
    calls = page_calls("110101", page)
    assert calls and not any("/forecast" in c for c in calls)
    assert all(client.get(c).status_code == 200 for c in calls)


def test_a_region_with_too_few_days_makes_no_rt_or_forecast_call(
    app: FastAPI, loaded: Engine, settings: Settings
) -> None:
    submit_daily_reports(
        loaded,
        settings,
        [{"region_code": "110101", "report_date": "2020-02-20", "new_confirmed": 3}],
        actor=CLI_ACTOR,
        source="canghailan",
        today=date(2020, 7, 1),
    )
    client = TestClient(app)
    for lang, text in (("zh", "目前仅有 1 天的数据"), ("en", "1 day(s) of figures so far")):
        page = client.get(f"/{lang}/region/110101?date=2020-02-20").text
        assert text in page
        calls = page_calls("110101", page)
        assert calls and not any("/forecast" in c or "/rt?" in c for c in calls)
        assert all(client.get(c).status_code == 200 for c in calls)
