"""The risk zoning's per-level source coverage is brought up to date incrementally from
the reports stored since the last data version, and equals a full count every time."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine, text

from fangkong.core.access import CLI_ACTOR
from fangkong.services import risk
from fangkong.services.daily_import import import_daily_file
from fangkong.services.daily_reports import submit_daily_reports
from fangkong.services.public import PublicCache
from fangkong.settings import Settings
from support import DEMO_DATA

PROVINCES = DEMO_DATA / "canghailan_china_province_daily_2020-01-10_2020-06-30.csv"
UNTIL = date(2020, 3, 1)


def submit(engine: Engine, settings: Settings, source: str, items: list[dict[str, object]]) -> None:
    submit_daily_reports(
        engine, settings, items, actor=CLI_ACTOR, source=source, today=date(2020, 7, 1)
    )


def test_incremental_coverage_equals_a_full_count(engine: Engine, settings: Settings) -> None:
    assert import_daily_file(engine, settings, PROVINCES, actor=CLI_ACTOR).ok
    cache = PublicCache(engine, ttl=0)
    first = risk.unit_coverage(engine, "province", UNTIL, cache)
    assert first == risk.unit_sources(engine, "province", UNTIL)
    assert first["420000"]["canghailan"][0] > 40

    # A correction of an existing report, a new day of an existing source, a region's
    # first report in a new source, an earlier first day, and a day after UNTIL.
    submit(engine, settings, "canghailan", [
        {"region_code": "420000", "report_date": "2020-02-05", "new_confirmed": 9000},
        {"region_code": "540000", "report_date": "2020-01-05", "new_confirmed": 0},
    ])  # fmt: skip
    submit(engine, settings, "nhc", [
        {"region_code": "110000", "report_date": "2020-02-10", "new_confirmed": 5},
        {"region_code": "110000", "report_date": "2020-02-11", "new_confirmed": 6},
        {"region_code": "110000", "report_date": "2020-04-11", "new_confirmed": 6},
    ])  # fmt: skip
    second = risk.unit_coverage(engine, "province", UNTIL, cache)
    assert second == risk.unit_sources(engine, "province", UNTIL)
    assert second["110000"]["nhc"] == (2, date(2020, 2, 10))
    assert second["540000"]["canghailan"][1] == date(2020, 1, 5)
    assert second != first and cache.last(("risk-unit-sources", "province", UNTIL))[1] == second


def test_a_database_whose_ids_went_down_is_counted_again(
    engine: Engine, settings: Settings
) -> None:
    assert import_daily_file(engine, settings, PROVINCES, actor=CLI_ACTOR).ok
    cache = PublicCache(engine, ttl=0)
    risk.unit_coverage(engine, "province", UNTIL, cache)
    with engine.begin() as conn:  # as after restoring an older backup
        top = conn.execute(text("SELECT max(id) FROM daily_reports")).scalar_one()
        conn.execute(text("DELETE FROM daily_reports WHERE id > :n"), {"n": top - 500})
        if engine.dialect.name == "postgresql":  # pg_restore sets the sequence back too
            conn.execute(
                text("SELECT setval(pg_get_serial_sequence('daily_reports', 'id'), :n)"),
                {"n": top - 500},
            )
    submit(engine, settings, "nhc", [
        {"region_code": "110000", "report_date": "2020-02-10", "new_confirmed": 5},
    ])  # fmt: skip
    assert risk.unit_coverage(engine, "province", UNTIL, cache) == risk.unit_sources(
        engine, "province", UNTIL
    )
