"""Importing daily-report files into the real databases: counts, idempotence, rejects,
strict mode, revisions, corrections, jurisdiction, export."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine, func, select

from fangkong.core.access import CLI_ACTOR, Actor, Role
from fangkong.services.daily_import import import_daily_file
from fangkong.services.errors import Forbidden, Invalid
from fangkong.services.export import export_daily
from fangkong.services.import_reports import import_report
from fangkong.settings import Settings
from fangkong.store import models as m
from support import DEMO_DATA

CHINA = DEMO_DATA
PROVINCE = CHINA / "canghailan_china_province_daily_2020-01-10_2020-06-30.csv"
CITY = CHINA / "canghailan_hubei_city_daily_2020-01-10_2020-06-30.csv"
NATIONAL = CHINA / "canghailan_china_national_daily_2020-01-10_2020-06-30.csv"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "daily"
D = m.DailyReportRow
MALFORMED = (
    "date,province,province_en,provinceCode,confirmed,suspected,cured,dead\n"
    "2020-01-20,湖北省,Hubei,420000,270,0,25,6\n"
    "2020-01-21,湖北省,Hubei,420000,375,0,28,9\n"
    "2020-01-32,湖北省,Hubei,420000,400,0,30,9\n"
    "2020-01-22,火星省,Mars,990000,1,0,0,0\n"
    "2020-01-22,湖北省,Hubei,420000,444,-1,28,17\n"
    "2020-01-22,北京市,Beijing,110000,14,0,0,0\n"
    "2020-01-23,北京市,Beijing,110000,22.5,0,0,0\n"
    "2020-01-23,湖北省,Hubei,420000,549,0,31,24\n"
    '2020-01-24,北京市,Beijing,110000,"36'
)


def count(engine: Engine, model: type[m.Base] = D) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(model)).scalar_one())


def report(engine: Engine, region: str, day: str, source: str) -> m.DailyReportRow:
    with engine.connect() as conn:
        return conn.execute(
            select(D).where(
                D.region_code == region,
                D.source == source,
                D.report_date == date.fromisoformat(day),
            )
        ).one()


def revisions(engine: Engine) -> list[m.RevisionRow]:
    with engine.connect() as conn:
        return list(conn.execute(select(m.RevisionRow).order_by(m.RevisionRow.id)).all())


def write_slice(src: Path, dst: Path, lines: int) -> Path:
    dst.write_bytes(b"".join(src.read_bytes().splitlines(keepends=True)[:lines]))
    return dst


def test_full_canghailan_province_file(engine: Engine, settings: Settings) -> None:
    result = import_daily_file(engine, settings, PROVINCE, actor=CLI_ACTOR)
    assert result.ok and result.format == "canghailan-province"
    assert (result.rows_read, result.rows_inserted, result.rows_rejected) == (5509, 5509, 0)
    hubei = report(engine, "420000", "2020-02-12", "canghailan")
    assert hubei.new_confirmed == 47163 - 33366
    # the archive writes 0 for the suspected cases it did not record: not reported
    assert hubei.current_suspected is None and hubei.new_suspected is None
    assert report(engine, "110000", "2020-02-06", "canghailan").current_suspected == 157
    with engine.connect() as conn:
        total = conn.execute(
            select(func.sum(D.new_confirmed)).where(
                D.region_code == "420000", D.report_date <= date(2020, 2, 12)
            )
        ).scalar_one()
    assert total == 47163  # stored increments add up to the published total
    tianjin = report(engine, "120000", "2020-02-06", "canghailan")
    assert (tianjin.new_deaths, tianjin.flags) == (-1, "negative:new_deaths")
    again = import_daily_file(engine, settings, PROVINCE, actor=CLI_ACTOR)
    assert (again.rows_inserted, again.rows_updated, again.rows_unchanged) == (0, 0, 5509)
    assert count(engine) == 5509


def test_negative_increment_is_flagged_and_revised(engine: Engine, settings: Settings) -> None:
    result = import_daily_file(engine, settings, CITY, actor=CLI_ACTOR)
    wuhan = report(engine, "420100", "2020-04-16", "canghailan")
    assert wuhan.new_deaths == 1290  # Wuhan's revision of its deaths that day
    assert wuhan.new_recovered == -948
    assert "negative:new_recovered" in (wuhan.flags or "").split(",")
    fall = [r for r in revisions(engine) if r.entity_key == "420100|2020-04-16|canghailan"]
    assert [(r.entity, r.field, r.old_value, r.new_value, r.reason) for r in fall] == [
        (
            "daily_report",
            "new_recovered",
            None,
            "-948",
            "cumulative new_recovered fell from 47283 to 46335: publisher's correction",
        )
    ]
    assert result.revisions == len(revisions(engine)) == 29
    # the pseudo-units are kept as issues, not stored
    assert result.rows_rejected == 27 and result.reject_file
    assert count(engine, m.ImportIssueRow) == 27
    import_daily_file(engine, settings, CITY, actor=CLI_ACTOR)
    assert len(revisions(engine)) == 29  # a second run records nothing new


def test_malformed_file_keeps_valid_rows_and_loses_nothing(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(MALFORMED.encode("gbk"))
    result = import_daily_file(engine, settings, path, actor=CLI_ACTOR)
    assert result.status == "completed" and not result.ok
    assert result.encoding == "gb18030"
    assert (result.rows_read, result.rows_inserted, result.rows_rejected) == (9, 4, 5)
    assert [(i["line"], i["column"], i["value"]) for i in result.issues] == [
        (4, "date", "2020-01-32"),
        (5, "provinceCode", "990000"),
        (6, "suspected", "-1"),
        (8, "confirmed", "22.5"),
        (10, "*", "2020-01-24,北京市,Beijing,110000,36"),
    ]
    with open(result.reject_file or "", encoding="utf-8", newline="") as fh:
        rejects = list(csv.reader(fh))
    assert rejects[0][-4:] == ["_line", "_column", "_value", "_reason"]
    assert [r[-4] for r in rejects[1:]] == ["4", "5", "6", "8", "10"]
    assert rejects[2][1] == "火星省"
    report_doc = import_report(engine, result.import_id, actor=CLI_ACTOR, limit=2, offset=1)
    assert report_doc["issues"]["total"] == 5
    assert [i["line"] for i in report_doc["issues"]["items"]] == [5, 6]
    again = import_daily_file(engine, settings, path, actor=CLI_ACTOR)
    assert (again.rows_inserted, again.rows_updated, again.rows_unchanged) == (0, 0, 4)
    assert count(engine) == 4


def test_strict_stores_nothing(engine: Engine, settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(MALFORMED.encode("gbk"))
    result = import_daily_file(engine, settings, path, actor=CLI_ACTOR, strict=True)
    assert result.status == "failed" and result.rows_rejected == 5
    assert count(engine) == 0 and count(engine, m.ImportIssueRow) == 5


def test_reimport_with_changed_value_makes_a_revision(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    path = write_slice(NATIONAL, tmp_path / "national.csv", 20)
    import_daily_file(engine, settings, path, actor=CLI_ACTOR)
    before = report(engine, "CN", "2020-01-25", "canghailan")
    text = path.read_text(encoding="utf-8").replace("2020-01-25,1975,", "2020-01-25,1985,")
    path.write_text(text, encoding="utf-8")
    result = import_daily_file(engine, settings, path, actor=Actor("ops", Role.ADMIN, "*"))
    assert (result.rows_updated, result.rows_unchanged) == (2, 17)
    after = report(engine, "CN", "2020-01-25", "canghailan")
    assert after.new_confirmed == before.new_confirmed + 10
    changed = [
        (r.entity_key, r.field, r.old_value, r.new_value, r.reason, r.actor)
        for r in revisions(engine)
    ]
    assert changed == [
        (
            "CN|2020-01-25|canghailan",
            "new_confirmed",
            str(before.new_confirmed),
            str(before.new_confirmed + 10),
            "re-import of national.csv",
            "ops",
        ),
        (
            "CN|2020-01-26|canghailan",
            "new_confirmed",
            str(report(engine, "CN", "2020-01-26", "canghailan").new_confirmed + 10),
            str(report(engine, "CN", "2020-01-26", "canghailan").new_confirmed),
            "re-import of national.csv",
            "ops",
        ),
    ]


def test_jhu_files_fill_their_own_fields(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    jhu = DEMO_DATA
    for measure in ("confirmed", "deaths"):
        src = jhu / f"time_series_covid19_{measure}_global.csv"
        lines = [b",".join(line.split(b",")[:60]) + b"\n" for line in src.read_bytes().splitlines()]
        (tmp_path / src.name).write_bytes(b"".join(lines))
        result = import_daily_file(engine, settings, tmp_path / src.name, actor=CLI_ACTOR)
        assert result.format == "jhu-wide" and result.status == "completed"
    italy = report(engine, "IT", "2020-03-15", "jhu")
    assert (italy.new_confirmed, italy.new_deaths) == (24747 - 21157, 1809 - 1441)
    assert not [r for r in revisions(engine) if r.old_value is None and "fell" not in r.reason]


def test_who_daily(engine: Engine, settings: Settings) -> None:
    result = import_daily_file(engine, settings, FIXTURES / "who_daily_sample.csv", actor=CLI_ACTOR)
    assert (result.rows_inserted, result.rows_rejected) == (16, 2)
    assert report(engine, "810000", "2020-03-01", "who").new_confirmed == 100
    assert report(engine, "ES", "2020-03-04", "who").flags == "negative:new_confirmed"


def test_bad_requests(engine: Engine, settings: Settings, tmp_path: Path) -> None:
    odd = tmp_path / "odd.csv"
    odd.write_text("when,where\n2020-01-01,x\n", encoding="utf-8")
    with pytest.raises(Invalid, match="known formats: fangkong-daily, jhu-wide"):
        import_daily_file(engine, settings, odd, actor=CLI_ACTOR)
    with pytest.raises(Invalid, match="unknown format"):
        import_daily_file(engine, settings, PROVINCE, actor=CLI_ACTOR, format_name="nope")
    with pytest.raises(Invalid, match="cannot read"):
        import_daily_file(engine, settings, tmp_path / "missing.csv", actor=CLI_ACTOR)
    viewer = Actor("v", Role.VIEWER, "*")
    with pytest.raises(Forbidden, match="lacks the permission import"):
        import_daily_file(engine, settings, PROVINCE, actor=viewer)
    wuhan_reporter = Actor("w", Role.REPORTER, "420100")
    with pytest.raises(Forbidden, match="may not write reports for 110000"):
        import_daily_file(engine, settings, PROVINCE, actor=wuhan_reporter)
    assert count(engine) == 0 and count(engine, m.ImportRow) == 0


def test_export_formats(engine: Engine, settings: Settings, tmp_path: Path) -> None:
    import_daily_file(engine, settings, PROVINCE, actor=CLI_ACTOR)
    kw = {"date_from": date(2020, 2, 11), "date_to": date(2020, 2, 13)}
    rows = list(
        csv.DictReader(
            io.StringIO(export_daily(engine, settings, "420000", fmt="csv", **kw).decode())
        )
    )
    assert [r["report_date"] for r in rows] == ["2020-02-11", "2020-02-12", "2020-02-13"]
    assert rows[1]["cumulative_confirmed"] == "47163" and rows[1]["source"] == "canghailan"
    doc = json.loads(export_daily(engine, settings, "420000", fmt="json", **kw))
    assert doc["items"][2]["cumulative_confirmed"] == 51986
    out = tmp_path / "hubei.parquet"
    out.write_bytes(export_daily(engine, settings, "420000", fmt="parquet", **kw))
    table = pq.read_table(out)
    assert table.column("cumulative_deaths").to_pylist() == [1068, 1202, 1318]
    with pytest.raises(Invalid):
        export_daily(engine, settings, "420000", fmt="xlsx")
