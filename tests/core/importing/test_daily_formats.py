"""Daily-report formats: detection and parsing of the real files, and every kind of
bad row reported precisely (pure: no database)."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest

from fangkong.core.importing.daily_formats import (
    FORMATS,
    ParseContext,
    canghailan_city_as_of,
    detect_format,
    parse_daily_text,
)
from fangkong.core.importing.daily_records import DailyParse, RegionLookup
from fangkong.core.importing.reading import open_text
from fangkong.core.validation import ImportFormatError
from fangkong.services.reference import bundled_aliases, bundled_regions
from support import DEMO_DATA

CHINA = DEMO_DATA
JHU = DEMO_DATA
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "daily"
TODAY = date(2024, 1, 1)


@pytest.fixture(scope="module")
def lookup() -> RegionLookup:
    aliases: dict[str, dict[str, str]] = {}
    for a in bundled_aliases():
        aliases.setdefault(a["scheme"], {})[a["alias"]] = a["region_code"]
    return RegionLookup(frozenset(r.region_code for r in bundled_regions()), aliases)


def parse_bytes(data: bytes, name: str, lookup: RegionLookup, **kw: object) -> DailyParse:
    text, _ = open_text(io.BytesIO(data))
    fmt = kw.pop("format_name", None)
    ctx = ParseContext(name, lookup, TODAY, **kw)  # type: ignore[arg-type]
    return parse_daily_text(text, ctx, format_name=fmt)  # type: ignore[arg-type]


def parse_file(path: Path, lookup: RegionLookup, **kw: object) -> DailyParse:
    return parse_bytes(path.read_bytes(), path.name, lookup, **kw)


def head(path: Path, lines: int) -> bytes:
    return b"".join(path.read_bytes().splitlines(keepends=True)[:lines])


def by_key(parse: DailyParse) -> dict[tuple[str, str], object]:
    return {
        (i.report.region_code, i.report.report_date.isoformat()): i.report for i in parse.reports
    }


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (
            CHINA / "canghailan_china_national_daily_2020-01-10_2020-06-30.csv",
            "canghailan-national",
        ),
        (
            CHINA / "canghailan_china_province_daily_2020-01-10_2020-06-30.csv",
            "canghailan-province",
        ),
        (CHINA / "canghailan_hubei_city_daily_2020-01-10_2020-06-30.csv", "canghailan-city"),
        (CHINA / "ccdc_dashboard_china_province_daily_2020-01-17_2020-03-04.csv", "ccdc-province"),
        (CHINA / "jhu_china_province_daily_2020-01-22_2020-06-30.csv", "jhu-china-province"),
        (JHU / "jhu_selected_countries_daily_2020-01-22_2021-05-30.csv", "jhu-country-long"),
        (JHU / "time_series_covid19_deaths_global.csv", "jhu-wide"),
        (FIXTURES / "who_daily_sample.csv", "who-daily"),
    ],
)
def test_each_real_file_is_detected(path: Path, expected: str) -> None:
    header = path.read_text(encoding="utf-8").splitlines()[0].split(",")
    fmt = detect_format(header)
    assert fmt is not None and fmt.name == expected


def test_canghailan_province_hubei_increments(lookup: RegionLookup) -> None:
    parse = parse_file(CHINA / "canghailan_china_province_daily_2020-01-10_2020-06-30.csv", lookup)
    assert parse.source == "canghailan" and parse.rows_read == 5509
    assert len(parse.reports) == 5509 and not parse.rejected
    reports = by_key(parse)
    hubei = reports[("420000", "2020-02-12")]
    # canghailan's Hubei total went 33,366 -> 47,163 that day (the ccdc dashboard has
    # 48,206; the clinically diagnosed cases were added in two steps in this archive).
    assert hubei.new_confirmed == 47163 - 33366  # type: ignore[attr-defined]
    assert hubei.new_deaths == 1202 - 1068  # type: ignore[attr-defined]
    assert hubei.current_suspected is None  # type: ignore[attr-defined]  # 0: not recorded
    assert reports[("110000", "2020-02-06")].current_suspected == 157  # type: ignore[attr-defined]
    (note,) = [n for n in parse.notes if "current_suspected" in n]
    assert note.startswith("5306 row(s) give 0 for current_suspected")
    first = reports[("420000", "2020-01-10")]
    assert first.new_confirmed == 41  # type: ignore[attr-defined]  # total up to day 1
    tianjin = reports[("120000", "2020-02-06")]
    assert tianjin.new_deaths == -1  # type: ignore[attr-defined]
    assert tianjin.flags == ["negative:new_deaths"]  # type: ignore[attr-defined]
    fall = [c for c in parse.corrections if c.region_code == "120000"]
    assert fall[0].reason == "cumulative new_deaths fell from 1 to 0: publisher's correction"
    assert any("skipped day" in n and "530000 1 day(s) before 2020-01-23" in n for n in parse.notes)


def test_canghailan_suspected_is_a_stock(lookup: RegionLookup) -> None:
    parse = parse_bytes(
        head(CHINA / "canghailan_china_national_daily_2020-01-10_2020-06-30.csv", 40),
        "national.csv",
        lookup,
    )
    reports = by_key(parse)
    # national suspected: 21,675 on 02-10 fell to 16,067 on 02-11 — a stock, not a total
    assert reports[("CN", "2020-01-20")].current_suspected == 54  # type: ignore[attr-defined]
    assert all(r.report.new_suspected is None for r in parse.reports)


def test_canghailan_city_pseudo_units_and_wuhan_revision(lookup: RegionLookup) -> None:
    parse = parse_file(CHINA / "canghailan_hubei_city_daily_2020-01-10_2020-06-30.csv", lookup)
    wuhan = by_key(parse)[("420100", "2020-04-16")]
    assert wuhan.new_deaths == 1290  # type: ignore[attr-defined]  # Wuhan's revision
    assert wuhan.new_recovered == -948  # type: ignore[attr-defined]
    assert "negative:new_recovered" in wuhan.flags  # type: ignore[attr-defined]
    reasons = {i.reason for r in parse.rejected for i in r.issues}
    assert reasons <= {
        "not a region (imported cases) — not stored",
        "not a region (prison system) — not stored",
        "not a region (unassigned) — not stored",
    }
    by_line = {r.line: r for r in parse.rejected}
    prison = next(r for r in parse.rejected if r.fields[:2] == ("2020-02-21", "监狱系统"))
    assert (prison.issues[0].column, prison.issues[0].value) == ("cityCode", "")
    assert prison.issues[0].reason == "not a region (prison system) — not stored"
    imported = [r for r in by_line.values() if r.fields[2] == "4200y1"]
    assert imported and imported[0].fields[3] == "1"
    assert imported[0].issues[0].reason == "not a region (imported cases) — not stored"
    assert not any(i.report.region_code.startswith("4200y") for i in parse.reports)
    stored = len(parse.reports) + len(parse.rejected)
    skipped = sum(int(n.split()[0]) for n in parse.notes if "skipped: every count" in n)
    (dating,) = [n for n in parse.notes if "dated by publication" in n]
    superseded = int(dating.split("; ")[1].split()[0])
    assert superseded == 17  # the 17 units' rows dated 2020-02-06
    assert stored + skipped + superseded == parse.rows_read == 2962


def test_canghailan_city_rows_are_stored_for_their_as_of_day(lookup: RegionLookup) -> None:
    """From 2020-02-07 the city file is dated by publication: its Hubei sum dated d is
    the province file's Hubei figure for d - 1. Stored by as-of day, the sum of the
    cities' daily figures equals Hubei's own on the days they agree (Wuhan's 13,436 new
    cases of 2020-02-12, the first day of clinically diagnosed cases, included)."""
    city = by_key(
        parse_file(CHINA / "canghailan_hubei_city_daily_2020-01-10_2020-06-30.csv", lookup)
    )
    province = by_key(
        parse_file(CHINA / "canghailan_china_province_daily_2020-01-10_2020-06-30.csv", lookup)
    )
    assert city[("420100", "2020-02-12")].new_confirmed == 13436  # type: ignore[attr-defined]
    assert ("420100", "2020-06-30") not in city  # published 07-01: beyond the file
    for day in ("2020-02-05", "2020-02-10", "2020-02-15", "2020-03-01"):
        cities = sum(
            r.new_confirmed or 0  # type: ignore[attr-defined]
            for (code, d), r in city.items()
            if d == day and code.startswith("42")
        )
        assert cities == province[("420000", day)].new_confirmed, day  # type: ignore[attr-defined]
    assert canghailan_city_as_of(date(2020, 2, 6)) == date(2020, 2, 6)
    assert canghailan_city_as_of(date(2020, 2, 7)) == date(2020, 2, 6)


def test_ccdc_uses_totals_and_notes_disagreements(lookup: RegionLookup) -> None:
    parse = parse_file(
        CHINA / "ccdc_dashboard_china_province_daily_2020-01-17_2020-03-04.csv", lookup
    )
    assert parse.source == "ccdc"
    assert by_key(parse)[("420000", "2020-02-12")].new_confirmed == 14840  # type: ignore
    assert any("differs from the difference of its cumulative totals" in n for n in parse.notes)


def test_jhu_wide_sums_parts_and_maps_names(lookup: RegionLookup) -> None:
    path = JHU / "time_series_covid19_confirmed_global.csv"
    data = b"\n".join(
        line[: 4 + 40 * 8] and b",".join(line.split(b",")[:44])
        for line in path.read_bytes().splitlines()
    )
    parse = parse_bytes(data, path.name, lookup)
    assert parse.format_name == "jhu-wide" and parse.source == "jhu"
    reports = by_key(parse)
    assert reports[("420000", "2020-01-22")].new_confirmed == 444  # type: ignore
    assert reports[("710000", "2020-01-22")].new_confirmed == 1  # type: ignore  # Taiwan*
    assert ("CA", "2020-02-29") in reports  # Canada's provinces summed into CA
    assert any("Canada → CA (16 row(s))" in n for n in parse.notes)
    assert all(r.provided == ("new_confirmed",) for r in parse.reports)


def test_jhu_wide_measure_comes_from_name_or_option(lookup: RegionLookup) -> None:
    data = head(JHU / "time_series_covid19_deaths_global.csv", 3)
    with pytest.raises(ImportFormatError, match="--measure"):
        parse_bytes(data, "global.csv", lookup)
    parse = parse_bytes(data, "global.csv", lookup, measure="deaths")
    assert all(r.provided == ("new_deaths",) for r in parse.reports)


def test_who_daily(lookup: RegionLookup) -> None:
    parse = parse_file(FIXTURES / "who_daily_sample.csv", lookup)
    assert parse.source == "who"
    reports = by_key(parse)
    assert reports[("810000", "2020-03-02")].new_confirmed == 1  # type: ignore  # HK alias
    assert reports[("NA", "2020-03-01")].new_confirmed == 0  # type: ignore  # Namibia
    spain = reports[("ES", "2020-03-04")]
    assert spain.new_confirmed == -3 and spain.flags == ["negative:new_confirmed"]  # type: ignore
    bad = [i for r in parse.rejected for i in r.issues]
    assert [(i.line, i.column, i.value) for i in bad] == [
        (18, "Country_code", ""),
        (19, "Country_code", ""),
    ]
    assert "not a region (no country: Other)" in bad[0].reason


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


def test_malformed_gbk_file_reports_every_bad_row(lookup: RegionLookup) -> None:
    data = MALFORMED.encode("gbk")
    text, encoding = open_text(io.BytesIO(data))
    assert encoding == "gb18030"
    parse = parse_daily_text(text, ParseContext("bad.csv", lookup, TODAY))
    assert parse.format_name == "canghailan-province"
    issues = [(i.line, i.column, i.value) for r in parse.rejected for i in r.issues]
    assert issues == [
        (4, "date", "2020-01-32"),
        (5, "provinceCode", "990000"),
        (6, "suspected", "-1"),
        (8, "confirmed", "22.5"),
        (10, "*", "2020-01-24,北京市,Beijing,110000,36"),
    ]
    reasons = [i.reason for r in parse.rejected for i in r.issues]
    assert reasons[0].startswith("no such day")
    assert reasons[1] == "unknown region code"
    assert reasons[2].startswith("negative count")
    assert reasons[3] == "not a whole number"
    assert "truncated" in reasons[4]
    assert parse.rejected[1].fields[1] == "火星省"  # the original row, for the reject file
    assert sorted(by_key(parse)) == [
        ("110000", "2020-01-22"),
        ("420000", "2020-01-20"),
        ("420000", "2020-01-21"),
        ("420000", "2020-01-23"),
    ]
    assert by_key(parse)[("420000", "2020-01-23")].new_confirmed == 549 - 375  # type: ignore
    assert any("420000 1 day(s) before 2020-01-23" in n for n in parse.notes)


def test_fangkong_daily_csv_rules(lookup: RegionLookup) -> None:
    data = (
        b"region_code,report_date,new_confirmed,new_deaths,tests,close_contacts_under_observation\n"
        b"420100,2020-02-10,100,5,1000,20\n"
        b"420100,2020-02-11,,-2,,\n"
        b"420100,2020-02-12,3,0,-5,\n"
        b"420100,2020-02-13,1,0,,-1\n"
        b"420100,2020-02-11,9,9,9,9\n"
        b"420100,2999-01-01,1,0,,\n"
    )
    parse = parse_bytes(data, "mine.csv", lookup)
    assert parse.format_name == "fangkong-daily" and parse.source == "fangkong"
    reports = by_key(parse)
    assert reports[("420100", "2020-02-11")].new_confirmed is None  # type: ignore  # blank
    assert reports[("420100", "2020-02-11")].flags == ["negative:new_deaths"]  # type: ignore
    issues = [(i.line, i.column, i.value) for r in parse.rejected for i in r.issues]
    assert issues == [
        (4, "tests", "-5"),
        (5, "close_contacts_under_observation", "-1"),
        (7, "report_date", "2999-01-01"),
        (6, "report_date", "2020-02-11"),
    ]
    duplicate = parse.rejected[-1].issues[0]
    assert duplicate.reason.startswith("duplicate day: line 3 already gives 420100")


def test_fangkong_daily_json(lookup: RegionLookup) -> None:
    data = (
        b'{"source": "hubei-cdc", "items": [{"region_code": "420100", '
        b'"report_date": "2020-02-12", "new_confirmed": 13436, "tests": null},'
        b'{"region_code": "420100", "report_date": "2020-02-13", '
        b'"new_deaths": "x", "colour": 1}]}'
    )
    parse = parse_bytes(data, "mine.json", lookup)
    assert parse.source == "hubei-cdc"
    assert parse.reports[0].provided == ("new_confirmed", "tests")
    assert {(i.line, i.column) for r in parse.rejected for i in r.issues} == {
        (2, "colour"),
        (2, "new_deaths"),
    }


def test_unknown_layout_lists_known_formats(lookup: RegionLookup) -> None:
    with pytest.raises(ImportFormatError) as err:
        parse_bytes(b"when,where,how many\n2020-01-01,x,1\n", "odd.csv", lookup)
    message = str(err.value)
    assert "unknown daily-report layout" in message and "\n" not in message
    for name in FORMATS:
        assert name in message


def test_binary_and_missing_columns_are_clear_errors(lookup: RegionLookup) -> None:
    with pytest.raises(ImportFormatError, match="binary"):
        parse_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00", "x.csv", lookup)
    with pytest.raises(ImportFormatError, match="missing required column"):
        parse_bytes(
            b"date,confirmed\n2020-01-01,1\n", "x.csv", lookup, format_name="canghailan-national"
        )
