"""Property tests (Hypothesis) of every daily-report parser: ``fangkong-daily`` (CSV and
JSON), ``jhu-wide``, ``jhu-china-province``, ``jhu-country-long``, the three
``canghailan`` layouts, ``ccdc-province`` and ``who-daily``.

For any file made of the format's header and rows of plausible and hostile cells:

* the parser returns or raises :class:`ImportFormatError`, nothing else;
* every rejected row names the file, its line, a column of the file (or ``*`` for the
  whole row), the offending value and a reason;
* accepted + rejected + skipped (all-zero rows of units that are not regions, noted)
  = the data rows of the file: no row is silently lost.

And round trips: reports written with the template are read back with the same values;
cumulative series written in a cumulative layout come back as daily increments whose
running sums are the published totals.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from importlib import resources
from itertools import pairwise
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fangkong.core.importing.daily_formats import FORMATS, ParseContext, parse_daily_text
from fangkong.core.importing.daily_records import DailyParse, RegionLookup
from fangkong.core.importing.reading import open_text
from fangkong.core.reports import CORRECTABLE_FIELDS, COUNT_FIELDS
from fangkong.core.validation import ImportFormatError
from fangkong.services.reference import bundled_aliases, bundled_regions

TODAY = date(2024, 1, 1)
_ALIASES: dict[str, dict[str, str]] = {}
for _a in bundled_aliases():
    _ALIASES.setdefault(_a["scheme"], {})[_a["alias"]] = _a["region_code"]
REGIONS = bundled_regions()
LOOKUP = RegionLookup(frozenset(r.region_code for r in REGIONS), _ALIASES)
PROVINCES = sorted(r.region_code for r in REGIONS if r.level.value == "province")
HUBEI_CITIES = sorted(r.region_code for r in REGIONS if r.parent_code == "420000")
COUNTRIES = sorted(r.region_code for r in REGIONS if r.level.value == "country")
SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

JUNK = st.text(
    alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)),
    max_size=8,
)
DAYS = st.dates(min_value=date(2020, 1, 1), max_value=date(2020, 1, 6))
HOSTILE = st.one_of(
    st.sampled_from(
        ["", "-3", "1.5", "1e3", "x", "99999999999", "=1+1", "+7", " 12 ", "１２", "XX"]
    ),
    st.sampled_from(["2020-02-30", "2999-01-01", "20200101", "1/22/20", "=cmd|' /C calc'!A0"]),
    JUNK,
)
COUNT = st.one_of(st.sampled_from(["0", "1", "2", "10"]), st.integers(0, 10**6).map(str))


def codes(values: list[str], *extra: str) -> st.SearchStrategy[str]:
    return st.sampled_from(values[:4] + list(extra))


#: Valid cells of each column a format reads (few values, so that valid rows meet:
#: duplicate days, falls of totals); other columns get any text.
VALID_CELLS: dict[str, st.SearchStrategy[str]] = {
    "date": DAYS.map(date.isoformat),
    "report_date": DAYS.map(date.isoformat),
    "Date_reported": DAYS.map(date.isoformat),
    "region_code": codes(["420100", "420000", "CN", "US"]),
    "provinceCode": codes(PROVINCES),
    "adcode": codes(PROVINCES),
    "cityCode": codes(HUBEI_CITIES, "", "4200y0", "4200y1", "4200c7"),
    "city": st.sampled_from(["武汉市", "境外输入", "监狱系统", "未公布来源", ""]),
    "province": codes(sorted(_ALIASES["jhu_china_province"]), "Unknown"),
    "country": codes(sorted(_ALIASES["jhu"])),
    "Country_code": codes(COUNTRIES, "", "HK", "TW"),
    "Province/State": st.sampled_from(["", "Hubei", "Ontario", "Unknown"]),
    "Country/Region": st.sampled_from(["China", "Canada", "France", "Taiwan*"]),
    "Lat": st.just("1.0"),
    "Long": st.just("2.0"),
}
for _name in (
    "confirmed",
    "suspected",
    "cured",
    "dead",
    "deaths",
    "recovered",
    "cum_confirmed",
    "new_dead",
    "cum_dead",
    "New_cases",
    "Cumulative_cases",
    "New_deaths",
    "Cumulative_deaths",
    *COUNT_FIELDS,
):
    VALID_CELLS[_name] = COUNT


def header_of(name: str) -> list[str]:
    if name == "fangkong-daily":
        return ["region_code", "report_date", "new_confirmed", "new_deaths", "tests"]
    return list(FORMATS[name].columns)


@st.composite
def daily_files(draw: st.DrawFn, name: str) -> tuple[list[str], list[list[str]]]:
    """A header and data rows for format ``name``: valid rows, rows with hostile
    cells, rows of the wrong width."""
    header = header_of(name)
    if name == "jhu-wide":
        start = draw(DAYS)
        days = draw(st.integers(1, 4))
        header += [
            f"{d.month}/{d.day}/{d.year % 100}"
            for d in (start + timedelta(days=i) for i in range(days))
        ]
    valid = [VALID_CELLS.get(column, COUNT if "/" in column else JUNK) for column in header]
    good = st.tuples(*valid).map(list)
    bad = st.tuples(*(st.one_of(v, HOSTILE) for v in valid)).map(list)
    odd = st.lists(st.one_of(JUNK, HOSTILE), max_size=len(header) + 2)
    rows = draw(st.lists(st.one_of(good, good, bad, odd), max_size=15))
    return header, rows


def to_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def parse(data: bytes, file: str = "in.csv", **kw: Any) -> DailyParse:
    text, _ = open_text(io.BytesIO(data))
    fmt = kw.pop("format_name", None)
    return parse_daily_text(text, ParseContext(file, LOOKUP, TODAY, **kw), format_name=fmt)


def skipped_in_notes(parse: DailyParse) -> int:
    return sum(int(n.split()[0]) for n in parse.notes if "skipped: every count" in n)


def check_rejections(parse: DailyParse, file: str, columns: set[str]) -> None:
    for row in parse.rejected:
        assert row.issues, row
        for issue in row.issues:
            assert issue.file == file
            assert issue.line == row.line >= 1
            assert issue.column == "*" or issue.column in columns, (issue, columns)
            assert isinstance(issue.value, str)
            assert issue.reason.strip()


def data_rows(rows: list[list[str]]) -> int:
    return sum(1 for r in rows if r and not (len(r) == 1 and not r[0].strip()))


def check_any_file(name: str, header: list[str], rows: list[list[str]]) -> None:
    data = to_bytes(header, rows)
    try:
        result = parse(data, "deaths.csv", format_name=name)
    except ImportFormatError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert result.format_name == name
    check_rejections(result, "deaths.csv", set(header))
    assert result.rows_read == data_rows(rows)
    rejected = {r.line for r in result.rejected}
    if name == "jhu-wide":  # rows are summed per region: one report per region and day
        assert len(rejected) == len(result.rejected) <= result.rows_read
        return
    accepted = [r.line for r in result.reports]
    assert len(set(accepted)) == len(accepted)
    assert not rejected & set(accepted)
    assert len(accepted) + len(result.rejected) + skipped_in_notes(result) == result.rows_read


@SETTINGS
@given(st.data())
def test_every_format_takes_any_rows(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(sorted(FORMATS)), label="format")
    header, rows = data.draw(daily_files(name), label="file")
    check_any_file(name, header, rows)


@SETTINGS
@given(st.data())
def test_detection_takes_any_rows(data: st.DataObject) -> None:
    """The same files without naming the format: detected, or a clear error."""
    name = data.draw(st.sampled_from(sorted(FORMATS)), label="format")
    header, rows = data.draw(daily_files(name), label="file")
    try:
        result = parse(to_bytes(header, rows), "deaths.csv")
    except ImportFormatError as exc:
        assert str(exc)
        return
    assert result.format_name == name
    check_rejections(result, "deaths.csv", set(header))


JSON_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False),
    JUNK,
    DAYS.map(date.isoformat),
    st.sampled_from(["420100", "CN"]),
    st.lists(st.integers(), max_size=2),
)
JSON_ITEM = st.one_of(
    st.dictionaries(
        st.sampled_from(["region_code", "report_date", *COUNT_FIELDS, "colour"]),
        JSON_VALUE,
        max_size=6,
    ),
    JSON_VALUE,
)


@SETTINGS
@given(st.lists(JSON_ITEM, max_size=12), st.booleans())
def test_json_items_take_any_values(items: list[Any], wrapped: bool) -> None:
    document: Any = {"source": "mine", "items": items} if wrapped else items
    data = json.dumps(document).encode()
    try:
        result = parse(data, "in.json")
    except ImportFormatError as exc:
        assert str(exc)
        return
    allowed = {"region_code", "report_date", *COUNT_FIELDS, "colour"}
    check_rejections(result, "in.json", allowed)
    assert result.rows_read == len(items)
    assert len(result.reports) + len(result.rejected) == len(items)
    assert all(1 <= r.line <= len(items) for r in [*result.reports, *result.rejected])


# --- round trips ----------------------------------------------------------------------

TEMPLATE = (
    resources.files("fangkong.data")
    .joinpath("templates/daily_template.csv")
    .read_text(encoding="utf-8")
)
TEMPLATE_HEADER = TEMPLATE.splitlines()[0].split(",")
TEMPLATE_COUNTS = TEMPLATE_HEADER[2:]


def count_value(name: str) -> st.SearchStrategy[int | None]:
    low = -1000 if name in CORRECTABLE_FIELDS else 0
    return st.one_of(st.none(), st.integers(low, 2_000_000_000))


REPORT = st.fixed_dictionaries(
    {
        "region_code": st.sampled_from(["420100", "420000", "CN", "US", "810000"]),
        "report_date": st.dates(min_value=date(2020, 1, 1), max_value=TODAY),
        **{name: count_value(name) for name in TEMPLATE_COUNTS},
    }
)
REPORTS = st.lists(
    REPORT, min_size=1, max_size=15, unique_by=lambda r: (r["region_code"], r["report_date"])
)


def stored(result: DailyParse) -> list[dict[str, Any]]:
    out = []
    for item in sorted(result.reports, key=lambda i: i.line):
        report = item.report
        out.append(
            {
                "region_code": report.region_code,
                "report_date": report.report_date,
                **{name: getattr(report, name) for name in TEMPLATE_COUNTS},
            }
        )
    return out


@SETTINGS
@given(REPORTS, st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
def test_template_csv_round_trip(reports: list[dict[str, Any]], encoding: str) -> None:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(TEMPLATE_HEADER)
    for r in reports:
        writer.writerow(["" if r[c] is None else str(r[c]) for c in TEMPLATE_HEADER])
    result = parse(out.getvalue().encode(encoding), "mine.csv")
    assert result.format_name == "fangkong-daily" and not result.rejected
    assert stored(result) == reports
    assert all(i.provided == tuple(TEMPLATE_COUNTS) for i in result.reports)
    for item in result.reports:
        negatives = [f"negative:{n}" for n in TEMPLATE_COUNTS if (getattr(item.report, n) or 0) < 0]
        assert item.report.flags == negatives


@SETTINGS
@given(REPORTS)
def test_json_round_trip(reports: list[dict[str, Any]]) -> None:
    items = [{**r, "report_date": r["report_date"].isoformat()} for r in reports]
    result = parse(json.dumps({"items": items}).encode(), "mine.json")
    assert not result.rejected and stored(result) == reports


CUMULATIVE_LAYOUTS = {
    # format: (region column, its value for 420000, total columns → field, stock columns)
    "canghailan-province": (
        "provinceCode",
        "420000",
        {"confirmed": "new_confirmed", "cured": "new_recovered", "dead": "new_deaths"},
        {"suspected": "current_suspected"},
    ),
    "ccdc-province": (
        "adcode",
        "420000",
        {"cum_confirmed": "new_confirmed", "cum_dead": "new_deaths"},
        {},
    ),
    "jhu-china-province": (
        "province",
        "Hubei",
        {"confirmed": "new_confirmed", "deaths": "new_deaths", "recovered": "new_recovered"},
        {},
    ),
    "who-daily": (
        "Country_code",
        "CN",
        {"Cumulative_cases": "new_confirmed", "Cumulative_deaths": "new_deaths"},
        {},
    ),
}


@SETTINGS
@given(
    st.sampled_from(sorted(CUMULATIVE_LAYOUTS)),
    st.lists(st.integers(-30, 500), min_size=1, max_size=20),
    st.lists(st.booleans(), min_size=20, max_size=20),
)
def test_cumulative_round_trip(name: str, steps: list[int], present: list[bool]) -> None:
    """Totals (which may fall: a publisher's correction) on some days of a series: the
    stored increments add up to each published total, and each fall is a correction."""
    column, value, totals, stocks = CUMULATIVE_LAYOUTS[name]
    header = list(FORMATS[name].columns)
    running = 0
    days: list[tuple[date, int]] = []
    for i, step in enumerate(steps):
        running = max(0, running + step)
        if present[i] or i == 0:
            days.append((date(2020, 1, 10) + timedelta(days=i), running))
    rows = []
    for day, total in days:
        cells = dict.fromkeys(header, "")
        cells.update({"province_en": "Hubei", "Country": "China", "WHO_region": "WPRO"})
        cells.update({c: str(total) for c in totals})
        cells.update({c: "7" for c in stocks})
        cells.update({"new_confirmed": "0", "new_dead": "0", "New_cases": "0", "New_deaths": "0"})
        cells.update({column: value, header[header.index(column)]: value})
        date_column = "Date_reported" if name == "who-daily" else "date"
        cells[date_column] = day.isoformat()
        rows.append([cells[c] for c in header])
    result = parse(to_bytes(header, rows), "series.csv")
    assert result.format_name == name and not result.rejected
    code = "CN" if name == "who-daily" else "420000"
    got = sorted(
        (i.report.report_date, i.report) for i in result.reports if i.report.region_code == code
    )
    assert [d for d, _ in got] == [d for d, _ in days]
    for field in totals.values():
        sums = 0
        for (day, total), (_, report) in zip(days, got, strict=True):
            sums += getattr(report, field)
            assert sums == total, (day, field)
    for stock in stocks.values():
        assert all(getattr(r, stock) == 7 for _, r in got)
    falls = sum(1 for (_, a), (_, b) in pairwise(days) if b < a)
    assert len(result.corrections) == falls * len(totals)
