"""Case line-list parsing: field rules, the fangkong-cases checker, beoutbreakprepared
messy values and place names (pure: no database)."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from fangkong.core.cases import CASE_FIELDS
from fangkong.core.importing.case_beoutbreak import BeoutbreakParser, messy_age, messy_date
from fangkong.core.importing.case_formats import (
    CaseRowChecker,
    check_fangkong_header,
    check_json_items,
    detect_case_format,
    parse_fangkong_csv,
)
from fangkong.core.importing.case_gazetteer import Gazetteer
from fangkong.core.importing.case_values import field_rules
from fangkong.core.importing.reading import CsvRow
from fangkong.core.validation import ImportFormatError
from fangkong.services.reference import bundled_aliases, bundled_regions

REGIONS = bundled_regions()
KNOWN = frozenset(r.region_code for r in REGIONS)
TODAY = date(2024, 1, 1)


def checker(columns=CASE_FIELDS, default_source=None) -> CaseRowChecker:
    return CaseRowChecker(
        field_rules(KNOWN, TODAY), list(columns), file="f.csv", default_source=default_source
    )


def row(**values: str) -> list[str]:
    base = dict.fromkeys(CASE_FIELDS, "")
    base.update(source="cdc", case_id="1", region_code="420100", classification="confirmed")
    base.update(values)
    return [base[f] for f in CASE_FIELDS]


def test_detects_formats_and_lists_known_ones_for_an_unknown_header() -> None:
    assert detect_case_format(list(CASE_FIELDS)) == "fangkong-cases"
    with pytest.raises(
        ImportFormatError, match="known formats: fangkong-cases, beoutbreakprepared"
    ):
        detect_case_format(["case_id", "generation", "date_of_onset"])


def test_header_rules() -> None:
    check_fangkong_header(["case_id", "region_code", "classification"], default_source="x")
    with pytest.raises(ImportFormatError, match="source"):
        check_fangkong_header(["case_id", "region_code", "classification"], default_source=None)
    with pytest.raises(ImportFormatError, match="unknown column"):
        check_fangkong_header([*CASE_FIELDS, "notes"], default_source=None)


def test_canonical_rows_pass_through_and_values_are_normalised() -> None:
    ck = checker()
    good = row(onset_date="2020-01-20", imported="yes", sex=" Male", age_years="40")
    accepted, rejected = ck.check_batch([2], [good])
    assert rejected == []
    values = dict(zip(CASE_FIELDS, accepted[0], strict=True))
    assert values["imported"] == "true" and values["sex"] == "male"
    assert values["onset_date"] == "2020-01-20" and values["age_years"] == "40"


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("onset_date", "2020-02-30", "not a valid calendar date"),
        ("onset_date", "20.01.2020", "YYYY-MM-DD"),
        ("onset_date", "2030-01-01", "future"),
        ("region_code", "999999", "unknown region code"),
        ("age_years", "-3", "negative age"),
        ("age_band", "50-40", "upper bound"),
        ("classification", "probable", "not a classification"),
        ("case_id", "", "case_id is required"),
        ("case_id", "x" * 65, "longer than 64"),
        ("origin", "bad\ufffdbytes", "undecodable"),
    ],
)
def test_each_bad_cell_is_named(field: str, value: str, reason: str) -> None:
    accepted, rejected = checker().check_batch([7], [row(**{field: value})])
    assert accepted == []
    (issue,) = rejected[0][1]
    assert (issue.file, issue.line, issue.column, issue.value) == ("f.csv", 7, field, value)
    assert reason in issue.reason


def test_all_problems_of_a_row_are_reported_and_good_rows_kept() -> None:
    ck = checker()
    accepted, rejected = ck.check_batch(
        [2, 3, 4], [row(case_id="a"), row(case_id="b", onset_date="x", sex="q"), row(case_id="c")]
    )
    assert [r[1] for r in accepted] == ["a", "c"]
    assert [i.column for i in rejected[0][1]] == ["onset_date", "sex"]


def test_duplicate_case_ids_in_one_file_are_rejected_across_batches() -> None:
    ck = checker()
    ck.check_batch([2], [row(case_id="a")])
    accepted, rejected = ck.check_batch([9], [row(case_id="a")])
    assert accepted == [] and "first on line 2" in rejected[0][1][0].reason


def test_default_source_and_column_order() -> None:
    columns = ["case_id", "classification", "region_code"]
    ck = checker(columns, default_source="cdc")
    accepted, _ = ck.check_batch([2], [["7", "confirmed", "CN"]])
    values = dict(zip(CASE_FIELDS, accepted[0], strict=True))
    assert (values["source"], values["case_id"], values["region_code"]) == ("cdc", "7", "CN")


def test_csv_parser_batches_truncated_last_line_and_open_quote() -> None:
    header = ",".join(CASE_FIELDS)
    lines = [",".join(row(case_id=str(i))) for i in range(5)]
    text = header + "\n" + "\n".join(lines) + "\ncdc,99,420100\n"
    reader = csv.reader(io.StringIO(text))
    next(reader)
    batches = list(parse_fangkong_csv(reader, list(CASE_FIELDS), checker(), batch_rows=2))
    assert [b.rows_read for b in batches] == [2, 2, 2]
    assert sum(len(b.rows) for b in batches) == 5
    ((_fields, issues),) = batches[-1].rejects
    assert issues[0].line == 7 and "truncated row" in issues[0].reason
    reader = csv.reader(io.StringIO(header + "\n" + lines[0] + '\ncdc,"open'))
    next(reader)
    (batch,) = parse_fangkong_csv(reader, list(CASE_FIELDS), checker(), batch_rows=10)
    assert len(batch.rows) == 1 and batch.rejects[0][1][0].line == 3


def test_json_items_name_item_and_field() -> None:
    good = dict(zip(CASE_FIELDS, row(), strict=True)) | {"imported": True, "age_years": 4}
    bad = dict(good, case_id="2", onset_date="yesterday", extra=1)
    batch = check_json_items([good, bad, 5], checker())
    assert len(batch.rows) == 1
    issues = [(i.line, i.column) for _, row_issues in batch.rejects for i in row_issues]
    assert issues == [(2, "extra"), (2, "onset_date"), (3, "*")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20.01.2020", ("2020-01-20", None, False)),
        ("3.02.2020", ("2020-02-03", None, False)),
        ("15.01.2020 - 18.01.2020", ("2020-01-18", "date range reduced to its last day", False)),
        ("pre 18.01.2020", ("", "upper bound only ('pre' date): stored as unknown", False)),
        ("early january", ("", "not a date: stored as unknown", False)),
        ("01.31.2020", ("", "not a calendar date", True)),
        ("N/A", ("", None, False)),
    ],
)
def test_messy_dates(text: str, expected: tuple[str, str | None, bool]) -> None:
    assert messy_date(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("66", ("66", "", None, False)),
        ("0.5", ("0", "", None, False)),
        ("40-49", ("", "40-49", None, False)),
        ("80+", ("", "80+", None, False)),
        ("60-60", ("60", "", None, False)),
        ("N/A", ("", "", None, False)),
        ("-4", ("", "", "negative age", True)),
    ],
)
def test_messy_ages(text: str, expected: tuple[str, str, str | None, bool]) -> None:
    assert messy_age(text) == expected


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    aliases = [(a["alias"], a["region_code"], a["scheme"]) for a in bundled_aliases()]
    return Gazetteer(REGIONS, aliases)


def test_place_names(gazetteer: Gazetteer) -> None:
    assert gazetteer.province("Hubei") == "420000"
    assert gazetteer.place("420000", "Wuhan City") == "420100"
    assert gazetteer.place("420000", "Jingzhou City") == "421000"
    assert gazetteer.place("420000", "Enshi Prefecture") == "422800"
    assert gazetteer.place("420000", "Shennongjia Forest District") == "429021"
    assert gazetteer.place("230000", "Harbin City") == "230100"
    assert gazetteer.country("United States") == "US"
    assert gazetteer.country("UAE") == "AE"
    assert gazetteer.country("Taiwan") == "710000"


BEO_HEADER = [
    "ID",
    "age",
    "sex",
    "city",
    "province",
    "country",
    "wuhan(0)_not_wuhan(1)",
    "date_onset_symptoms",
    "date_confirmation",
    "lives_in_Wuhan",
    "travel_history_location",
    "outcome",
    "date_death_or_discharge",
    "data_moderator_initials",
]


def beo(gazetteer: Gazetteer, **cells: str) -> tuple[list[str], list]:
    parser = BeoutbreakParser(BEO_HEADER, gazetteer, checker())
    fields = [cells.get(h, "") for h in BEO_HEADER]
    return parser.convert(CsvRow(5, fields))


def test_beoutbreak_rows(gazetteer: Gazetteer) -> None:
    cells, issues = beo(
        gazetteer,
        ID="9",
        city="Baohe District, Hefei City",
        province="Anhui",
        country="China",
        travel_history_location="Wuhan",
        date_onset_symptoms="15.01.2020 - 18.01.2020",
        date_confirmation="23.01.2020",
        outcome="discharged",
        date_death_or_discharge="05.02.2020",
        age="40-49",
        sex="male ",
    )
    values = dict(zip(CASE_FIELDS, cells, strict=True))
    assert values["case_id"] == "outside_hubei-9" and values["region_code"] == "340111"
    assert (values["imported"], values["origin"]) == ("true", "Wuhan")
    assert values["onset_date"] == "2020-01-18" and values["outcome"] == "recovered"
    assert values["outcome_date"] == "2020-02-05" and values["age_band"] == "40-49"
    assert [i.severity for i in issues] == ["repair"]


def test_beoutbreak_unknown_city_falls_back_to_province(gazetteer: Gazetteer) -> None:
    cells, issues = beo(
        gazetteer,
        ID="1",
        city="Atlantis City",
        province="Hubei",
        country="China",
        date_onset_symptoms="25.01.2020",
        date_confirmation="20.01.2020",
    )
    assert cells[CASE_FIELDS.index("region_code")] == "420000"
    assert {i.column for i in issues} == {"city", "date_onset_symptoms"}
    assert cells[CASE_FIELDS.index("onset_date")] == "2020-01-25"  # kept as published


def test_beoutbreak_abroad_and_unknown_country(gazetteer: Gazetteer) -> None:
    cells, _ = beo(
        gazetteer, ID="2", province="Kanagawa", country="Japan ", travel_history_location="Wuhan"
    )
    assert cells[CASE_FIELDS.index("region_code")] == "JP"
    assert cells[CASE_FIELDS.index("imported")] == "true"
    _, issues = beo(gazetteer, ID="3", country="Narnia")
    assert issues[0].severity == "error" and issues[0].column == "country"
