"""Property tests (Hypothesis) of decoding, CSV reading and the cell parsers that every
importer shares: any bytes give text or an :class:`ImportFormatError`, never another
exception; what a CSV writer wrote is read back with the physical line of each record;
a file cut anywhere loses none of the records before the cut and never passes the cut
record off as complete."""

from __future__ import annotations

import csv
import io
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from fangkong.core.importing.daily_formats import jhu_header_date, jhu_measure_from_name
from fangkong.core.importing.daily_records import (
    MAX_COUNT,
    CellError,
    parse_count,
    parse_iso_date,
)
from fangkong.core.importing.reading import (
    MAX_FIELD_CHARS,
    CsvRow,
    detect_encoding,
    iter_csv,
    open_text,
)
from fangkong.core.validation import ImportFormatError

#: Cell text: any Unicode but NUL (refused as binary) and U+FEFF (a BOM when first).
CELL = st.text(
    alphabet=st.characters(blacklist_characters="\x00\ufeff", blacklist_categories=("Cs",)),
    max_size=12,
)
#: Chinese text as in real files, with the characters CSV quotes.
CHINESE = st.text(alphabet='确诊病例湖北省武汉市境外输入，,"\n 0123abc', max_size=8)
ROWS = st.lists(st.lists(st.one_of(CELL, CHINESE), min_size=1, max_size=5), min_size=1, max_size=12)
#: What a Chinese edition of Excel saves as GBK: Chinese and ASCII text.
GB_ROWS = st.lists(st.lists(CHINESE, min_size=1, max_size=5), min_size=1, max_size=12)
ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "gb18030"])


def rows_for(encoding: str) -> st.SearchStrategy[list[list[str]]]:
    return GB_ROWS if encoding == "gb18030" else ROWS


def write_csv(rows: list[list[str]]) -> tuple[str, list[int]]:
    """CSV text and the 1-based physical line on which each record starts."""
    out = io.StringIO()
    writer = csv.writer(out)
    starts = []
    for row in rows:
        starts.append(len(io.StringIO(out.getvalue(), newline="").readlines()) + 1)
        writer.writerow(row)
    return out.getvalue(), starts


def is_blank(fields: list[str]) -> bool:
    return not fields or (len(fields) == 1 and not fields[0].strip())


def read_all(data: bytes) -> list[CsvRow]:
    text, _ = open_text(io.BytesIO(data))
    return list(iter_csv(text))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300), st.booleans())
def test_any_bytes_are_decoded_or_refused_clearly(data: bytes, complete: bool) -> None:
    try:
        encoding = detect_encoding(data, complete=complete)
    except ImportFormatError as exc:
        assert "NUL" in str(exc) or "neither UTF-8 nor GB18030" in str(exc)
        return
    assert encoding in ("utf-8", "utf-8-sig", "gb18030")
    try:
        rows = read_all(data)
    except ImportFormatError as exc:
        assert str(exc)
        return
    lines = [r.line for r in rows]
    assert lines == sorted(set(lines)) and all(n >= 1 for n in lines)


@settings(max_examples=200, deadline=None)
@given(st.data(), ENCODINGS)
def test_written_rows_are_read_back_with_their_lines(data: st.DataObject, enc: str) -> None:
    rows = data.draw(rows_for(enc))
    text, starts = write_csv(rows)
    encoded = text.encode(enc)
    if enc == "gb18030" and encoded != text.encode("utf-8"):
        try:  # a rare GB18030 text that is also valid UTF-8 is read as UTF-8 (documented)
            encoded.decode("utf-8")
            return
        except UnicodeDecodeError:
            pass
    read = read_all(encoded)
    expected = [(line, row) for line, row in zip(starts, rows, strict=True) if not is_blank(row)]
    assert [(r.line, r.fields) for r in read] == expected
    assert all(r.error is None for r in read)


@settings(max_examples=300, deadline=None)
@given(st.data(), st.floats(0, 1), st.sampled_from(["utf-8", "gb18030"]))
def test_a_cut_file_keeps_every_record_before_the_cut(
    data: st.DataObject, where: float, enc: str
) -> None:
    """Cut the bytes anywhere, even inside a multi-byte character: every record that
    ends before the cut is read unchanged, in the right encoding (never as mojibake)."""
    rows = data.draw(rows_for(enc))
    text, starts = write_csv(rows)
    encoded = text.encode(enc)
    cut = int(where * len(encoded))
    stream, detected = open_text(io.BytesIO(encoded[:cut]))
    if enc == "gb18030" and detected == "utf-8":
        return  # this GB18030 prefix is also valid UTF-8: nothing to tell apart
    assert detected == enc
    read = list(iter_csv(stream))
    out = io.StringIO()
    writer = csv.writer(out)
    complete = []
    for line, row in zip(starts, rows, strict=True):
        writer.writerow(row)
        if len(out.getvalue().encode(enc)) + 2 > cut:  # +2: the next record's first bytes
            break
        if not is_blank(row):
            complete.append((line, row))
    got = [(r.line, r.fields) for r in read]
    assert got[: len(complete)] == complete
    assert all(r.error is None for r in read[: len(complete)])


def test_a_field_over_the_limit_is_an_error_of_its_row_only() -> None:
    big = "x" * (MAX_FIELD_CHARS + 1)
    data = f"a,b\n1,2\n3,{big}\n5,6\n".encode()
    rows = read_all(data)
    assert [r.fields for r in rows if r.error is None] == [["a", "b"], ["1", "2"], ["5", "6"]]
    (bad,) = [r for r in rows if r.error is not None]
    assert bad.line == 3 and "longer than" in bad.error


# --- cell parsers ---------------------------------------------------------------------


@settings(deadline=None)
@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)))
def test_iso_dates_round_trip(day: date) -> None:
    assert parse_iso_date(day.isoformat()) == day
    assert parse_iso_date(f"  {day.isoformat()} ") == day
    if day > date(2024, 1, 1):
        try:
            parse_iso_date(day.isoformat(), today=date(2024, 1, 1))
        except CellError as exc:
            assert "future" in str(exc)
        else:
            raise AssertionError("a future date was accepted")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=20))
def test_date_parser_takes_any_text(text: str) -> None:
    try:
        parsed = parse_iso_date(text)
    except CellError as exc:
        assert str(exc)
    else:
        assert parsed.isoformat() == text.strip()


@settings(deadline=None)
@given(st.integers(-MAX_COUNT, MAX_COUNT), st.sampled_from(["", " ", "+"]))
def test_counts_round_trip(number: int, decoration: str) -> None:
    text = str(number)
    sign = decoration if number >= 0 else decoration.strip("+")
    assert parse_count(f"{sign}{text} ", allow_negative=True) == number
    if number < 0:
        try:
            parse_count(text)
        except CellError as exc:
            assert "negative" in str(exc)
        else:
            raise AssertionError("a negative count was accepted")


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=20), st.integers().map(str)), st.booleans())
def test_count_parser_takes_any_text(text: str, negative: bool) -> None:
    try:
        value = parse_count(text, allow_negative=negative)
    except CellError as exc:
        assert str(exc)
        return
    if value is None:
        assert not text.strip()
    else:
        assert abs(value) <= MAX_COUNT and (negative or value >= 0)
        assert value == int(text.strip())


@settings(deadline=None)
@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)))
def test_jhu_column_dates_round_trip(day: date) -> None:
    assert jhu_header_date(f"{day.month}/{day.day}/{day.year % 100:02d}") == day


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=12), st.text(max_size=30))
def test_jhu_column_and_file_names_take_any_text(column: str, filename: str) -> None:
    try:
        jhu_header_date(column)
    except ImportFormatError as exc:
        assert repr(column) in str(exc)
    assert jhu_measure_from_name(filename) in (None, "confirmed", "deaths", "recovered")


@settings(max_examples=100, deadline=None)
@given(
    st.text(alphabet="東京都大阪府ひらがなカタカナ日本語の確認", min_size=3, max_size=30),
    st.sampled_from(["shift_jis", "latin-1"]),
)
def test_other_encodings_are_refused_not_misread(text: str, enc: str) -> None:
    """Shift-JIS and Latin-1 bytes mostly decode as *some* GB18030 text: they are
    refused (rare GBK characters), never stored as mojibake."""
    if enc == "latin-1":
        text = "Curaçao Réunion Côte d'Ivoire São Tomé " + text.encode("ascii", "ignore").decode()
    data = f"case_id,origin\n1,{text}\n".encode(enc, errors="ignore")
    try:
        encoding = detect_encoding(data, complete=True)
    except ImportFormatError as exc:
        assert "neither UTF-8 nor GB18030" in str(exc)
    else:
        raise AssertionError(f"{enc} text read as {encoding}")
