"""The public ICU runway (China and each province with hospitals, region totals only)
on both databases, and the public resources page's cache key."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine, insert

from fangkong.core.access import Actor, Role
from fangkong.services import hospitals
from fangkong.services.reference import region_tree
from fangkong.store import models as m

DAY = date(2020, 2, 10)
CMD = Actor("cmd", Role.COMMANDER, "*")
REP = Actor("rep", Role.REPORTER, "*")


def test_public_runways_by_province(engine: Engine) -> None:
    tree = region_tree(engine)
    assert hospitals.public_runways(engine, tree, day=DAY)["items"] == []
    before = hospitals.resources_version(engine)
    for code, region, icu in (("HSS", "420100", 30), ("JYT", "420100", 60), ("DT", "110105", 40)):
        hospitals.create_hospital(
            engine, CMD, tree, hospital_code=code, name=f"医院{code}", kind="designated",
            region_code=region, lat=30.0, lon=114.0, beds={"icu": icu}, day=DAY,
        )  # fmt: skip
    assert hospitals.resources_version(engine) != before
    hospitals.report_occupancy(
        engine, REP, tree, "HSS", report_date=DAY, occupied={"icu": 28}, today=DAY
    )
    hospitals.report_occupancy(
        engine, REP, tree, "JYT", report_date=DAY, occupied={"icu": 50}, today=DAY
    )
    with engine.begin() as conn:  # Hubei's epidemic grows; Beijing has no figures here
        conn.execute(
            insert(m.DailyReportRow),
            [{"region_code": "420000", "report_date": DAY - timedelta(days=30 - i),
              "source": "nhc", "new_confirmed": round(100 * math.exp(0.1 * i)),
              "updated_at": datetime.now(UTC)} for i in range(30)],
        )  # fmt: skip
    out = hospitals.public_runways(engine, tree, day=DAY)
    by_code = {r["region_code"]: r for r in out["items"]}
    assert list(by_code) == ["CN", "110000", "420000"]
    hubei = by_code["420000"]
    assert (hubei["hospitals"], hubei["icu_beds"], hubei["icu_occupied"]) == (2, 90, 78)
    assert hubei["error"] is None and hubei["stale_hospitals"] == 0
    # 12 free ICU beds against a fast-growing epidemic: they run out within days
    assert hubei["days_until_full_mean"] is not None and 0 < hubei["days_until_full_mean"] <= 7
    assert hubei["days_until_full_upper"] <= hubei["days_until_full_mean"]
    beijing = by_code["110000"]
    assert beijing["error"] and beijing["days_until_full_mean"] is None
    assert (beijing["icu_beds"], beijing["stale_hospitals"]) == (40, 1)
    assert by_code["CN"]["hospitals"] == 3 and by_code["CN"]["icu_beds"] == 130
    assert "医院" not in str(out)  # region totals only: no hospital is named
