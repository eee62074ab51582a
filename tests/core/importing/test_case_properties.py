"""Property tests (Hypothesis) of the case line-list parsers: ``fangkong-cases`` (CSV and
JSON), ``beoutbreakprepared``, their field rules and the place-name gazetteer.

For any rows: nothing but the documented errors is raised (a rule's ``ValueError``, an
:class:`ImportFormatError` for a whole file), every rejected row names its file, line,
column, value and reason, and accepted + rejected = the data rows of the file. Valid
cases written with the template (CSV) or as JSON objects are read back unchanged, and
both ways give the same stored values.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from importlib import resources
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fangkong.core.cases import CASE_FIELDS, Classification, Outcome, Severity, Sex
from fangkong.core.importing.case_beoutbreak import BeoutbreakParser, messy_age, messy_date
from fangkong.core.importing.case_formats import (
    CaseBatch,
    CaseRowChecker,
    check_json_items,
    parse_fangkong_csv,
)
from fangkong.core.importing.case_gazetteer import Gazetteer, fold
from fangkong.core.importing.case_values import MAX_AGE_YEARS, field_rules
from fangkong.core.importing.reading import iter_csv
from fangkong.core.validation import ImportFormatError, RowIssue
from fangkong.services.reference import bundled_aliases, bundled_regions

TODAY = date(2024, 1, 1)
REGIONS = bundled_regions()
KNOWN = frozenset(r.region_code for r in REGIONS)
GAZETTEER = Gazetteer(
    REGIONS, [(a["alias"], a["region_code"], a["scheme"]) for a in bundled_aliases()]
)
RULES = field_rules(KNOWN, TODAY)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

JUNK = st.text(
    alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)),
    max_size=10,
)
TEMPLATE_HEADER = (
    resources.files("fangkong.data")
    .joinpath("templates/cases_template.csv")
    .read_text(encoding="utf-8")
    .splitlines()[0]
    .split(",")
)
DEMO = resources.files("fangkong.data").joinpath("demo")
BEO_HEADERS = {
    name: DEMO.joinpath(f"beoutbreakprepared_ncov_{name}_20200221.csv")
    .read_bytes()[:2000]
    .decode("utf-8")
    .splitlines()[0]
    .split(",")
    for name in ("hubei", "outside_hubei")
}


def checker(columns: list[str] | tuple[str, ...] = CASE_FIELDS, source: str | None = None):
    return CaseRowChecker(RULES, list(columns), file="cases.csv", default_source=source)


# --- field rules ------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(CASE_FIELDS), st.one_of(JUNK, st.integers().map(str)))
def test_every_rule_takes_any_text(name: str, text: str) -> None:
    rule, _ = RULES[name]
    try:
        value = rule(text)
    except ValueError as exc:
        assert str(exc)
        return
    if value is None:
        assert name not in ("source", "case_id", "region_code", "classification")
    elif name == "age_years":
        assert isinstance(value, int) and 0 <= value <= MAX_AGE_YEARS
    elif name.endswith("_date"):
        assert "1900-01-01" <= str(value) <= TODAY.isoformat()
        assert date.fromisoformat(str(value)).isoformat() == value


@settings(max_examples=300, deadline=None)
@given(JUNK)
def test_messy_values_never_raise(text: str) -> None:
    iso, note, bad = messy_date(text)
    assert iso == "" or date.fromisoformat(iso).isoformat() == iso
    assert not bad or note
    years, band, note, bad = messy_age(text)
    assert not (years and band)
    try:  # a stored value, or refused with a reason by the checker
        if years:
            assert RULES["age_years"][0](years) == int(years)
        if band:
            RULES["age_band"][0](band)
    except ValueError as exc:
        assert "above" in str(exc) or "below" in str(exc)
    assert not bad or note


@settings(deadline=None)
@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)))
def test_messy_dates_read_day_month_year(day: date) -> None:
    assert messy_date(f"{day.day:02d}.{day.month:02d}.{day.year}") == (day.isoformat(), None, False)


@settings(max_examples=300, deadline=None)
@given(JUNK, st.sampled_from(["420000", "110000", "340000", "CN"]))
def test_gazetteer_takes_any_name(name: str, province: str) -> None:
    assert isinstance(fold(name), str)
    for found in (
        GAZETTEER.country(name),
        GAZETTEER.province(name),
        GAZETTEER.place(province, name),
        GAZETTEER.place_anywhere(name),
    ):
        assert found is None or found in KNOWN


# --- fangkong-cases: any rows -----------------------------------------------------------

CELL = st.one_of(
    JUNK,
    st.sampled_from(
        ["", "confirmed", "420100", "CN", "2020-01-20", "2999-01-01", "true", "F", "40-49"]
    ),
    st.sampled_from(["=cmd|' /C calc'!A0", "+1", "-1", "@SUM(A1)", " padded "]),
)


def check_batches(batches: list[CaseBatch], columns: set[str], rows: int) -> None:
    read = sum(b.rows_read for b in batches)
    assert read == rows
    assert sum(len(b.rows) + len(b.rejects) for b in batches) == read
    for batch in batches:
        for row in batch.rows:
            assert len(row) == len(CASE_FIELDS)
        for _fields, issues in batch.rejects:
            assert issues
            for issue in issues:
                check_issue(issue, columns)


def check_issue(issue: RowIssue, columns: set[str]) -> None:
    assert issue.file == "cases.csv" and issue.line >= 1
    assert issue.column == "*" or issue.column in columns, issue
    assert isinstance(issue.value, str) and issue.reason.strip()
    assert issue.severity in ("error", "repair")


def data_rows(rows: list[list[str]]) -> int:
    return sum(1 for r in rows if r and not (len(r) == 1 and not r[0].strip()))


@SETTINGS
@given(
    st.lists(st.lists(CELL, min_size=len(CASE_FIELDS), max_size=len(CASE_FIELDS)), max_size=12),
    st.lists(st.lists(CELL, max_size=4), max_size=3),
    st.integers(1, 5),
)
def test_fangkong_csv_takes_any_rows(
    rows: list[list[str]], odd: list[list[str]], batch_rows: int
) -> None:
    rows = rows + odd
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CASE_FIELDS)
    writer.writerows(rows)
    reader = csv.reader(io.StringIO(out.getvalue(), newline=""))
    next(reader)
    batches = list(parse_fangkong_csv(reader, CASE_FIELDS, checker(), batch_rows=batch_rows))
    check_batches(batches, set(CASE_FIELDS), data_rows(rows))
    # every accepted row is already canonical: checking it again changes nothing
    again = checker()
    for n, row in enumerate(r for b in batches for r in b.rows):
        assert again.check(n + 2, list(row)) == tuple(row)


JSON_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False),
    CELL,
    st.lists(st.integers(), max_size=2),
    st.dictionaries(JUNK, st.integers(), max_size=2),
)


@SETTINGS
@given(
    st.lists(
        st.one_of(
            st.dictionaries(st.sampled_from([*CASE_FIELDS, "notes"]), JSON_VALUE, max_size=8),
            JSON_VALUE,
        ),
        max_size=10,
    )
)
def test_json_items_take_any_values(items: list[Any]) -> None:
    batch = check_json_items(items, checker())
    keys = {str(k) for item in items if isinstance(item, dict) for k in item}
    check_batches([batch], {*CASE_FIELDS, *keys}, len(items))


@SETTINGS
@given(
    st.sampled_from(sorted(BEO_HEADERS)),
    st.lists(st.lists(CELL, min_size=1, max_size=34), max_size=10),
)
def test_beoutbreak_takes_any_rows(name: str, rows: list[list[str]]) -> None:
    header = BEO_HEADERS[name]
    rows = [(r * 34)[: len(header)] if len(r) > 3 else r for r in rows]
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    parser = BeoutbreakParser(header, GAZETTEER, checker())
    batches = list(parser.parse(iter_csv(io.StringIO(out.getvalue(), newline="")), 4))
    check_batches(batches, set(header), data_rows(rows))
    for batch in batches:
        for issue in batch.repairs:
            check_issue(issue, set(header))


# --- round trips ------------------------------------------------------------------------

DATES = st.one_of(
    st.just(""), st.dates(min_value=date(1900, 1, 1), max_value=TODAY).map(date.isoformat)
)
TEXT = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\ufffd\ufeff"
    ),
    max_size=20,
).map(lambda s: s.strip().lstrip("=+-@ \t").strip())  # a leading =+-@ is refused (CSV injection)


def optional(values: list[str]) -> st.SearchStrategy[str]:
    return st.sampled_from(["", *values])


CASE = st.fixed_dictionaries(
    {
        "source": st.sampled_from(["hubei-cdc", "wuhan", "来源"]),
        "case_id": TEXT.filter(bool),
        "region_code": st.sampled_from(["420100", "420106", "CN", "US", "710000"]),
        "classification": st.sampled_from([c.value for c in Classification]),
        "onset_date": DATES,
        "confirmation_date": DATES,
        "report_date": DATES,
        "imported": optional(["true", "false"]),
        "origin": TEXT,
        "severity": optional([s.value for s in Severity]),
        "outcome": optional([o.value for o in Outcome]),
        "outcome_date": DATES,
        "age_years": st.one_of(st.just(""), st.integers(0, MAX_AGE_YEARS).map(str)),
        "age_band": optional(["0-9", "40-49", "80+", "100-130"]),
        "sex": optional([s.value for s in Sex]),
        "health_worker": optional(["true", "false"]),
        "cluster_id": TEXT,
    }
)
CASES = st.lists(CASE, max_size=12, unique_by=lambda c: (c["source"], c["case_id"]))


def as_json(case: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {k: (v or None) for k, v in case.items()}
    for name in ("imported", "health_worker"):
        if out[name] is not None:
            out[name] = out[name] == "true"
    if out["age_years"] is not None:
        out["age_years"] = int(out["age_years"])
    return out


@SETTINGS
@given(CASES, st.permutations(TEMPLATE_HEADER), st.integers(1, 4))
def test_template_csv_and_json_round_trip(
    cases: list[dict[str, str]], columns: list[str], batch_rows: int
) -> None:
    expected = [tuple(c[f] for f in CASE_FIELDS) for c in cases]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    writer.writerows([[c[f] for f in columns] for c in cases])
    reader = csv.reader(io.StringIO(out.getvalue(), newline=""))
    next(reader)
    batches = list(parse_fangkong_csv(reader, columns, checker(columns), batch_rows=batch_rows))
    assert not [r for b in batches for r in b.rejects]
    assert [tuple(r) for b in batches for r in b.rows] == expected
    document = json.loads(json.dumps({"items": [as_json(c) for c in cases]}))
    batch = check_json_items(document["items"], checker())
    assert not batch.rejects and [tuple(r) for r in batch.rows] == expected


@SETTINGS
@given(CASE)
def test_equivalent_spellings_are_stored_alike(case: dict[str, str]) -> None:
    """Upper case, surrounding blanks and synonyms are read as the canonical values."""
    expected = tuple(case[f] for f in CASE_FIELDS)
    spelled = dict(case)
    for name in ("classification", "severity", "outcome"):
        spelled[name] = f" {case[name].upper()} "
    for name in ("imported", "health_worker"):
        spelled[name] = {"true": "Yes", "false": "N", "": ""}[case[name]]
    spelled["sex"] = {"female": "F", "male": "男", "other": "Other", "": " "}[case["sex"]]
    spelled["region_code"] = f" {case['region_code']}"
    assert checker().check(2, [spelled[f] for f in CASE_FIELDS]) == expected


def test_an_unreadable_json_file_is_a_format_error() -> None:
    from fangkong.core.importing.case_formats import load_json

    for text in (
        "[" * 100_000,
        '{"items": 1}',
        "[1, 2",
        "[" + "1" * 5000 + "]",
        '[{"age_years": NaN}]',
        '[{"age_years": 1e999}]',
        '[{"case_id": "1", "case_id": "2"}]',
    ):
        try:
            load_json(io.StringIO(text))
        except ImportFormatError as exc:
            assert str(exc)
        else:
            raise AssertionError(text[:20])
