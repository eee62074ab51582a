"""``load_demo_data``: every bundled daily file loads, and a second run skips them."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from fangkong.api.app import create_app
from fangkong.services.demo import DAILY_FILES, load_demo_data
from fangkong.settings import Settings
from fangkong.store import models as m


@pytest.mark.slow
def test_demo_loads_then_skips(engine: Engine, settings: Settings) -> None:
    lines = list(load_demo_data(settings))
    daily = [line for line in lines if line.split(":")[0] in DAILY_FILES]
    assert len(daily) == len(DAILY_FILES)
    assert daily[1].startswith(
        "canghailan_china_province_daily_2020-01-10_2020-06-30.csv: 5,509 rows, 5,509 inserted"
    )
    with engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(m.DailyReportRow)).scalar_one()
    again = list(load_demo_data(settings))
    assert all(
        line.endswith("already loaded") for line in again if line.split(":")[0] in DAILY_FILES
    )
    with engine.connect() as conn:
        assert (
            conn.execute(select(func.count()).select_from(m.DailyReportRow)).scalar_one() == stored
        )

    # The acceptance check: by default the API serves the published figures of
    # 2020-02-12, Hubei's jump from clinically diagnosed cases (NHC: +14,840; 48,206).
    client = TestClient(create_app(settings, engine))
    page = client.get("/api/v1/regions/420000/daily?from=2020-02-10&to=2020-02-14").json()
    by_day = {item["report_date"]: item for item in page["items"]}
    assert page["source"] == "ccdc"
    assert by_day["2020-02-12"]["new_confirmed"] == 14840
    assert by_day["2020-02-12"]["cumulative_confirmed"] == 48206
    # The whole first half of 2020 comes from the source that covers it (canghailan).
    assert (
        client.get("/api/v1/regions/420000/daily?from=2020-01-10&to=2020-06-30").json()["source"]
        == "canghailan"
    )
