"""Read models of the public pages, on the real canghailan and JHU files (both backends).

Expected figures are read from the source files themselves: the cumulative columns
of canghailan and JHU are what the platform's sums of daily increments must give back.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine

from fangkong.core.access import CLI_ACTOR
from fangkong.services import public as pub
from fangkong.services.daily_import import import_daily_file
from fangkong.services.demo import demo_dir
from fangkong.services.errors import Invalid, NotFound
from fangkong.services.rt import region_rt
from fangkong.settings import Settings

NATIONAL = "canghailan_china_national_daily_2020-01-10_2020-06-30.csv"
PROVINCES = "canghailan_china_province_daily_2020-01-10_2020-06-30.csv"
JHU_COUNTRIES = "jhu_selected_countries_daily_2020-01-22_2021-05-30.csv"
JHU_CHINA = "jhu_china_province_daily_2020-01-22_2020-06-30.csv"
PRIORITY = Settings().source_priority


def _load(engine: Engine, settings: Settings, *names: str) -> None:
    for name in names:
        result = import_daily_file(engine, settings, demo_dir() / name, actor=CLI_ACTOR)
        assert result.rows_inserted > 0, name


def _csv(name: str) -> list[dict[str, str]]:
    with Path(demo_dir() / name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture
def china(engine: Engine, settings: Settings) -> Engine:
    _load(engine, settings, NATIONAL, PROVINCES)
    return engine


def test_national_overview_defaults_to_latest_day_and_matches_the_file(china: Engine) -> None:
    rows = {r["date"]: r for r in _csv(NATIONAL)}
    data = pub.national_overview(china, None, priority=PRIORITY)
    assert data["source"] == "canghailan"
    assert data["date"] == max(rows) == "2020-06-30"
    figures = data["headline"]["figures"]
    last, before = rows["2020-06-30"], rows["2020-06-29"]
    assert figures["cumulative_confirmed"]["value"] == int(last["confirmed"])
    assert figures["cumulative_deaths"]["value"] == int(last["dead"])
    assert figures["cumulative_recovered"]["value"] == int(last["cured"])
    new = int(last["confirmed"]) - int(before["confirmed"])
    assert figures["new_confirmed"]["value"] == new
    assert figures["cumulative_confirmed"]["change"] == new
    current = int(last["confirmed"]) - int(last["cured"]) - int(last["dead"])
    assert figures["current_confirmed"]["value"] == current
    previous = int(before["confirmed"]) - int(before["cured"]) - int(before["dead"])
    assert figures["current_confirmed"]["change"] == current - previous
    assert figures["current_suspected"]["value"] == int(last["suspected"])
    # canghailan has no severe cases: not reported, never 0.
    assert figures["current_severe"] == {"value": None, "change": None}


def test_provinces_table_has_all_34_with_incidence_and_rt(china: Engine) -> None:
    day = date(2020, 2, 5)
    data = pub.national_overview(china, day, priority=PRIORITY)
    provinces = data["provinces"]
    assert provinces["source"] == "canghailan" and provinces["date"] == "2020-02-05"
    assert len(provinces["items"]) == 34
    assert all(p["figures"] is not None for p in provinces["items"])
    hubei = next(p for p in provinces["items"] if p["region_code"] == "420000")
    file = {
        r["date"]: int(r["confirmed"]) for r in _csv(PROVINCES) if r["provinceCode"] == "420000"
    }
    assert hubei["figures"]["cumulative_confirmed"] == file["2020-02-05"]
    assert hubei["figures"]["new_confirmed"] == file["2020-02-05"] - file["2020-02-04"]
    cases_14d = file["2020-02-05"] - file["2020-01-22"]
    assert hubei["figures"]["cases_14d"] == cases_14d
    assert hubei["figures"]["incidence_14d"] == round(cases_14d * 100_000 / hubei["population"], 2)
    # The map's R_t is the R_t service's last window (same data, same method).
    service = region_rt(
        china,
        "420000",
        si_mean=pub.RT_SI_MEAN,
        si_sd=pub.RT_SI_SD,
        date_to=day,
        source="canghailan",
    )
    last = service["items"][-1]
    assert last["date_end"] == "2020-02-05"
    assert hubei["figures"]["rt"]["mean"] == pytest.approx(last["mean"], abs=1e-3)
    assert hubei["figures"]["rt"]["lower"] == pytest.approx(last["q0.025"], abs=1e-3)
    # Tibet had one case in the window: too few for an estimate.
    tibet = next(p for p in provinces["items"] if p["region_code"] == "540000")
    assert tibet["figures"]["rt"]["mean"] is None
    assert tibet["figures"]["rt"]["cases"] < pub.RT_MIN_CASES


def test_curve_marks_days_without_an_imported_split(china: Engine) -> None:
    data = pub.region_overview(china, "CN", date(2020, 2, 12), priority=PRIORITY)
    day = data["curve"][-1]
    assert day["date"] == "2020-02-12"
    assert day["unsplit"] == day["new_confirmed"] and day["local"] is None


def test_region_page_model_of_a_province(china: Engine) -> None:
    data = pub.region_overview(china, "420000", None, priority=PRIORITY)
    assert data["date"] == "2020-06-30"  # the national "as of" day
    assert [p["region_code"] for p in data["parents"]] == ["CN"]
    subs = pub.subregion_table(china, "420000", date(2020, 6, 30), priority=PRIORITY)
    assert len(subs["items"]) >= 17  # every prefecture listed, with or without data
    assert subs["source"] is None  # no city file loaded
    assert all(s["figures"] is None for s in subs["items"])


def test_bad_requests_are_clear_errors(china: Engine) -> None:
    with pytest.raises(NotFound):
        pub.region_overview(china, "999999", None, priority=PRIORITY)
    with pytest.raises(NotFound):
        pub.region_overview(china, "420000", None, source="who", priority=PRIORITY)
    with pytest.raises(Invalid):
        pub.parse_day("2020-02-30")


def test_world_table_sums_china_from_provinces(engine: Engine, settings: Settings) -> None:
    _load(engine, settings, JHU_COUNTRIES, JHU_CHINA)
    data = pub.world_table(engine, date(2020, 6, 30), priority=PRIORITY)
    assert data["source"] == "jhu"
    by_code = {i["region_code"]: i for i in data["items"]}
    china_file = [r for r in _csv(JHU_CHINA) if r["date"] == "2020-06-30"]
    assert by_code["CN"]["figures"]["cumulative_confirmed"] == sum(
        int(r["confirmed"]) for r in china_file
    )
    us = next(r for r in _csv(JHU_COUNTRIES) if r["country"] == "US" and r["date"] == "2020-06-30")
    assert by_code["US"]["figures"]["cumulative_confirmed"] == int(us["confirmed"])
    assert "420000" not in by_code  # provinces fold into their country
    assert data["items"][0]["region_code"] == "US"  # sorted by cumulative cases


def test_cache_recomputes_after_a_change(china: Engine, settings: Settings) -> None:
    cache = pub.PublicCache(china, ttl=0)
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    assert cache.get(("k",), compute) == 1
    assert cache.get(("k",), compute) == 1
    _load(china, settings, JHU_CHINA)
    assert cache.get(("k",), compute) == 2
