"""Cached public answers (fangkong.api.caching) and Server-Timing (fangkong.api.timing):
repeated requests are answered from memory with the same bytes, ETags give 304s, a
change of the stored figures changes the answer at once, the internal cache header is
never sent, pages differ for visitors with a session cookie, and every response says
how long the server took."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from fangkong.api.app import create_app
from fangkong.api.caching import MARK
from fangkong.core.access import CLI_ACTOR
from fangkong.services import response as response_svc
from fangkong.services.daily_import import import_daily_file
from fangkong.services.daily_reports import submit_daily_reports
from fangkong.services.demo import demo_dir
from fangkong.services.reference import region_tree
from fangkong.settings import Settings

PROVINCES = "canghailan_china_province_daily_2020-01-10_2020-06-30.csv"
RT = "/api/v1/regions/420000/rt?si_mean=4.7&si_sd=2.9&window=7&to=2020-03-01"
FORECAST = "/api/v1/regions/420000/forecast?horizon=14&from=2020-02-10"
HISTORY = "/api/v1/risk/regions/420000/history?until=2020-03-01"
PUBLIC = [
    "/zh/",
    "/en/region/420000",
    RT,
    FORECAST,
    HISTORY,
    "/api/v1/risk/levels?unit=province&date=2020-03-01",
    "/api/v1/response/regions/420000",
    "/api/v1/response/levels",
    "/api/v1/opendata/region/420000.json",
]
DUR = re.compile(r"^app;dur=\d+(\.\d)?$")


@pytest.fixture
def client(engine: Engine, settings: Settings) -> Iterator[TestClient]:
    import_daily_file(engine, settings, demo_dir() / PROVINCES, actor=CLI_ACTOR)
    app = create_app(settings, engine)
    app.state.public_cache.ttl = 0  # see every change at once
    with TestClient(app) as c:
        yield c


def test_repeated_requests_get_the_same_bytes_and_timing(client: TestClient) -> None:
    for path in PUBLIC:
        first, again = client.get(path), client.get(path)
        assert first.status_code == again.status_code == 200, (path, first.text)
        assert again.content == first.content, path
        assert again.headers["etag"] == first.headers["etag"], path
        for answer in (first, again):
            assert MARK not in answer.headers, path
            assert DUR.match(answer.headers["server-timing"]), answer.headers["server-timing"]


def test_if_none_match_gets_304_from_the_route_and_from_the_cache(client: TestClient) -> None:
    for path in (RT, "/zh/region/420000"):
        etag = client.get(path).headers["etag"]
        for _ in range(2):  # once answered by the route, once by the response cache
            answer = client.get(path, headers={"If-None-Match": etag})
            assert answer.status_code == 304 and answer.content == b""
            assert answer.headers["etag"] == etag and MARK not in answer.headers
    assert client.get("/zh/").headers["cache-control"] == "no-cache"  # browsers revalidate


def test_head_requests_carry_no_internal_header(client: TestClient) -> None:
    for path in (RT, "/zh/"):
        answer = client.head(path)  # 405 today; should a route take HEAD, still no mark
        assert answer.status_code in (200, 405) and answer.content == b""
        assert MARK not in answer.headers


def test_rt_answer_is_the_validated_model(client: TestClient) -> None:
    body = client.get(RT).json()
    window = body["items"][-1]
    assert window["date_end"] == "2020-03-01"
    assert {"q0.025", "q0.975", "mean"} <= set(window)  # aliases, as response_model wrote
    assert body["source"] == "canghailan" and body["method"]


def test_a_change_of_the_figures_changes_every_answer(
    client: TestClient, engine: Engine, settings: Settings
) -> None:
    before = {p: client.get(p) for p in (RT, FORECAST, "/zh/region/420000")}
    # A correction of Hubei's figures (stored with a revision, like any entry).
    submit_daily_reports(
        engine,
        settings,
        [{"region_code": "420000", "report_date": "2020-02-05", "new_confirmed": 9000}],
        actor=CLI_ACTOR,
        source="canghailan",
        today=date(2020, 7, 1),
    )
    for path, old in before.items():
        new = client.get(path, headers={"If-None-Match": old.headers["etag"]})
        assert new.status_code == 200, path  # not 304: the ETag is stale
        assert new.headers["etag"] != old.headers["etag"] and new.content != old.content, path
    rt = {w["date_end"]: w["mean"] for w in client.get(RT).json()["items"]}
    old_rt = {w["date_end"]: w["mean"] for w in before[RT].json()["items"]}
    assert rt["2020-02-05"] != old_rt["2020-02-05"]


def test_a_response_level_declaration_shows_at_once(client: TestClient, engine: Engine) -> None:
    assert client.get("/api/v1/response/regions/420000").json()["level"] == "none"
    response_svc.declare(
        engine,
        CLI_ACTOR,
        region_tree(engine),
        region_code="420000",
        level="I",
        reason="test declaration",
    )
    assert client.get("/api/v1/response/regions/420000").json()["level"] == "I"
    levels = client.get("/api/v1/response/levels").json()["items"]
    assert next(i for i in levels if i["region_code"] == "420000")["level"] == "I"


def test_pages_for_visitors_with_a_session_cookie_are_kept_apart(client: TestClient) -> None:
    anonymous = client.get("/zh/region/420000")
    client.cookies.set("fangkong_session", "any")
    signed_in = client.get("/zh/region/420000")
    client.cookies.clear()
    assert 'href="/zh/console"' in signed_in.text
    assert 'href="/zh/console"' not in anonymous.text
    assert client.get("/zh/region/420000").content == anonymous.content


def test_errors_are_not_cached(client: TestClient) -> None:
    for _ in range(2):
        answer = client.get("/api/v1/regions/420000/rt?si_mean=0.5&si_sd=2.9")
        assert answer.status_code == 422 and MARK not in answer.headers
    assert client.get("/zh/region/999999").status_code == 404


def test_timing_log_is_written_at_shutdown(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    logged = settings.model_copy(update={"timing_log": tmp_path / "timing"})
    with TestClient(create_app(logged, engine)) as c:
        for _ in range(3):
            assert c.get("/api/v1/health").status_code == 200
    files = list((tmp_path / "timing").glob("timing-*.tsv"))
    assert len(files) == 1
    rows = [line.split("\t") for line in files[0].read_text().splitlines()]
    assert len(rows) == 3 and all(float(ms) >= 0 and float(at) > 1e9 for at, ms in rows)


def test_opendata_answers_match_a_fresh_app(
    client: TestClient, engine: Engine, settings: Settings
) -> None:
    path = "/api/v1/opendata/region/420000.json"
    client.get(path)
    cached = client.get(path)  # from the response cache
    fresh = TestClient(create_app(settings, engine)).get(path)
    assert json.loads(cached.content) == json.loads(fresh.content)
