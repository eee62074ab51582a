"""``/api/v1/opendata``: tables as CSV, JSON and the WHO layout; ETag, 304, cache headers."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from fangkong.api.app import create_app
from fangkong.core.access import CLI_ACTOR
from fangkong.services.daily_import import import_daily_file
from fangkong.services.demo import demo_dir
from fangkong.settings import Settings

PROVINCES = "canghailan_china_province_daily_2020-01-10_2020-06-30.csv"
JHU_CHINA = "jhu_china_province_daily_2020-01-22_2020-06-30.csv"
WHO_HEADER = (
    "Date_reported,Country_code,Country,WHO_region,New_cases,Cumulative_cases,"
    "New_deaths,Cumulative_deaths"
)


@pytest.fixture
def client(engine: Engine, settings: Settings) -> Iterator[TestClient]:
    import_daily_file(engine, settings, demo_dir() / PROVINCES, actor=CLI_ACTOR)
    app = create_app(settings, engine)
    app.state.public_cache.ttl = 0  # see every change at once
    with TestClient(app) as c:
        yield c


def _rows(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8"))))


def test_daily_reports_csv_with_cumulative_figures(client: TestClient) -> None:
    r = client.get(
        "/api/v1/opendata/daily_reports.csv",
        params={"source": "canghailan", "region_code": "420000"},
    )
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in r.headers["content-disposition"]
    rows = _rows(r.content)
    with (demo_dir() / PROVINCES).open(encoding="utf-8") as fh:
        expected = {x["date"]: x for x in csv.DictReader(fh) if x["provinceCode"] == "420000"}
    assert [x["report_date"] for x in rows] == sorted(expected)
    for row in rows:
        src = expected[row["report_date"]]
        assert int(row["cumulative_confirmed"]) == int(src["confirmed"])
        assert int(row["cumulative_deaths"]) == int(src["dead"])
        assert row["new_confirmed_imported"] == ""  # not reported, not 0


def test_filtered_download_keeps_earlier_totals(client: TestClient) -> None:
    r = client.get(
        "/api/v1/opendata/daily_reports.json",
        params={"region_code": "420000", "from": "2020-02-12", "to": "2020-02-12"},
    )
    doc = r.json()
    assert doc["table"] == "daily_reports" and doc["licence"]["name"] == "CC BY 4.0"
    assert "canghailan" in doc["sources"]
    [item] = doc["items"]
    with (demo_dir() / PROVINCES).open(encoding="utf-8") as fh:
        hubei = {
            x["date"]: int(x["confirmed"])
            for x in csv.DictReader(fh)
            if x["provinceCode"] == "420000"
        }
    assert item["report_date"] == "2020-02-12"
    assert item["cumulative_confirmed"] == hubei["2020-02-12"]
    # The jump of clinically diagnosed cases is kept as published, not smoothed.
    assert item["new_confirmed"] == hubei["2020-02-12"] - hubei["2020-02-11"] > 10_000


def test_etag_and_304(client: TestClient) -> None:
    url = "/api/v1/opendata/regions.csv"
    first = client.get(url)
    etag = first.headers["etag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert "public" in first.headers["cache-control"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    assert client.get(url, headers={"If-None-Match": f"W/{etag}"}).status_code == 304
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
    regions = _rows(first.content)
    assert {"CN", "420000", "420100", "US"} <= {x["region_code"] for x in regions}
    assert list(regions[0]) == [
        "region_code",
        "level",
        "parent_code",
        "name_zh",
        "name_en",
        "population",
    ]


def test_etag_changes_when_the_data_change(
    client: TestClient, engine: Engine, settings: Settings
) -> None:
    url = "/api/v1/opendata/daily_reports.csv?source=jhu"
    before = client.get("/api/v1/opendata/daily_reports.csv")
    import_daily_file(engine, settings, demo_dir() / JHU_CHINA, actor=CLI_ACTOR)
    after = client.get(
        "/api/v1/opendata/daily_reports.csv", headers={"If-None-Match": before.headers["etag"]}
    )
    assert after.status_code == 200 and after.headers["etag"] != before.headers["etag"]
    assert len(_rows(client.get(url).content)) > 0


def test_who_layout(client: TestClient, engine: Engine, settings: Settings) -> None:
    import_daily_file(engine, settings, demo_dir() / JHU_CHINA, actor=CLI_ACTOR)
    r = client.get("/api/v1/opendata/who_daily.csv", params={"source": "jhu"})
    assert r.status_code == 200
    assert r.text.splitlines()[0] == WHO_HEADER
    rows = _rows(r.content)
    last = [x for x in rows if x["Date_reported"] == "2020-06-30"]
    assert [(x["Country_code"], x["Country"], x["WHO_region"]) for x in last] == [
        ("CN", "China", "WPR")
    ]
    with (demo_dir() / JHU_CHINA).open(encoding="utf-8") as fh:
        total = sum(int(x["confirmed"]) for x in csv.DictReader(fh) if x["date"] == "2020-06-30")
    assert int(last[0]["Cumulative_cases"]) == total
    as_json = client.get("/api/v1/opendata/who_daily.json", params={"source": "jhu"}).json()
    assert as_json["columns"] == WHO_HEADER.split(",")


def test_page_models_and_catalogue(client: TestClient) -> None:
    overview = client.get("/api/v1/opendata/overview.json", params={"date": "2020-02-12"})
    assert overview.status_code == 200 and overview.headers["etag"]
    assert len(overview.json()["provinces"]["items"]) == 34
    region = client.get("/api/v1/opendata/region/420000.json").json()
    assert region["region"]["name_en"] == "Hubei" and region["source"] == "canghailan"
    catalogue = client.get("/api/v1/opendata").json()
    columns = catalogue["tables"]["who_daily"]["columns"]
    assert [c["name"] for c in columns] == WHO_HEADER.split(",")
    assert catalogue["tables"]["daily_reports"]["title"]["zh"] == "按地区和来源的每日报告"


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/v1/opendata/regions.xml", 404),
        ("/api/v1/opendata/daily_reports.csv?source=NOT%20A%20SOURCE", 422),
        ("/api/v1/opendata/daily_reports.csv?from=2020-03-01&to=2020-02-01", 422),
        ("/api/v1/opendata/who_daily.csv?source=nosuch", 404),
        ("/api/v1/opendata/overview.json?date=2019-01-01", 200),
        ("/api/v1/opendata/region/999999.json", 404),
    ],
)
def test_bad_requests_are_problems(client: TestClient, url: str, status: int) -> None:
    r = client.get(url)
    assert r.status_code == status
    if status >= 400:
        assert r.headers["content-type"].startswith("application/problem+json")
