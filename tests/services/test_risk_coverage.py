"""The risk zoning's per-level source coverage is brought up to date incrementally from
the reports stored since the last data version, and equals a full count every time,
also when a transaction commits a smaller id after a larger one (PostgreSQL); the data
version changes at such a commit."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, insert, text

from fangkong.core.access import CLI_ACTOR
from fangkong.services import coverage as cov
from fangkong.services.daily_import import import_daily_file
from fangkong.services.daily_reports import submit_daily_reports
from fangkong.services.public import PublicCache, data_version
from fangkong.settings import Settings
from fangkong.store import models as m
from support import DEMO_DATA

PROVINCES = DEMO_DATA / "canghailan_china_province_daily_2020-01-10_2020-06-30.csv"
UNTIL = date(2020, 3, 1)
D = m.DailyReportRow


def submit(engine: Engine, settings: Settings, source: str, items: list[dict[str, object]]) -> None:
    submit_daily_reports(
        engine, settings, items, actor=CLI_ACTOR, source=source, today=date(2020, 7, 1)
    )


def test_incremental_coverage_equals_a_full_count(engine: Engine, settings: Settings) -> None:
    assert import_daily_file(engine, settings, PROVINCES, actor=CLI_ACTOR).ok
    cache = PublicCache(engine, ttl=0)
    first = cov.unit_coverage(engine, "province", UNTIL, cache)
    assert first == cov.unit_sources(engine, "province", UNTIL)
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
    second = cov.unit_coverage(engine, "province", UNTIL, cache)
    assert second == cov.unit_sources(engine, "province", UNTIL)
    assert second["110000"]["nhc"] == (2, date(2020, 2, 10))
    assert second["540000"]["canghailan"][1] == date(2020, 1, 5)
    assert second != first


def test_a_database_whose_ids_went_down_is_counted_again(
    engine: Engine, settings: Settings
) -> None:
    assert import_daily_file(engine, settings, PROVINCES, actor=CLI_ACTOR).ok
    cache = PublicCache(engine, ttl=0)
    cov.unit_coverage(engine, "province", UNTIL, cache)
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
    assert cov.unit_coverage(engine, "province", UNTIL, cache) == cov.unit_sources(
        engine, "province", UNTIL
    )


def test_a_smaller_id_committed_later_is_counted(engine: Engine, settings: Settings) -> None:
    """PostgreSQL allocates ids at insert: a transaction open while the coverage is
    computed may commit a smaller id afterwards (SQLite has one writer at a time)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite writers are serialised: ids are committed in order")
    assert import_daily_file(engine, settings, PROVINCES, actor=CLI_ACTOR).ok
    cache = PublicCache(engine, ttl=0)
    cov.unit_coverage(engine, "province", UNTIL, cache)
    now = datetime.now(UTC)
    row = {"source": "who", "new_confirmed": 1, "updated_at": now}
    with engine.connect() as slow:
        slow.begin()
        slow.execute(insert(D).values(region_code="310000", report_date=date(2020, 2, 2), **row))
        # A later transaction commits a larger id; the coverage is computed meanwhile.
        with engine.begin() as fast:
            fast.execute(
                insert(D).values(region_code="320000", report_date=date(2020, 2, 3), **row)
            )
        during = cov.unit_coverage(engine, "province", UNTIL, cache)
        assert "who" in during["320000"] and "who" not in during.get("310000", {})
        version = data_version(engine)
        slow.commit()
    # Its id and time are not the largest: only the commit-ordered counter shows it.
    assert data_version(engine) != version
    after = cov.unit_coverage(engine, "province", UNTIL, cache)
    assert after == cov.unit_sources(engine, "province", UNTIL)
    assert after["310000"]["who"] == (1, date(2020, 2, 2))
    for _ in range(3):  # and stays right as the base moves on
        submit(engine, settings, "who", [
            {"region_code": "330000", "report_date": f"2020-02-0{_ + 1}", "new_confirmed": 1},
        ])  # fmt: skip
        assert cov.unit_coverage(engine, "province", UNTIL, cache) == cov.unit_sources(
            engine, "province", UNTIL
        )
