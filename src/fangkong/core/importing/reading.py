"""Decoding and CSV reading that keeps physical line numbers.

Encodings: UTF-8 with or without a byte-order mark, and GB18030 (a superset of GBK and
GB2312, the encodings of files saved by Chinese editions of Excel). Detection is by
trial: strict UTF-8 first (a GB18030 text of any length almost never decodes as valid
UTF-8), then GB18030. Anything else is a clear error rather than mojibake.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from fangkong.core.validation import ImportFormatError

#: Largest field accepted; longer fields are an error of the row, not a crash.
MAX_FIELD_CHARS = 100_000
csv.field_size_limit(MAX_FIELD_CHARS)

BOM = b"\xef\xbb\xbf"


def detect_encoding(sample: bytes, *, complete: bool = False) -> str:
    """Name the encoding of ``sample`` (the file's first bytes): ``utf-8-sig``,
    ``utf-8`` or ``gb18030``. ``complete`` says the sample is the whole file; otherwise a
    multi-byte character cut at the end of the sample is tolerated. A whole file whose
    last character is cut (a truncated download) keeps its encoding too: the cut
    character is undecodable, so only the last row is rejected, instead of the whole
    UTF-8 file being misread as GB18030 (whose two-byte codes accept most UTF-8 bytes)."""
    if sample.startswith(BOM):
        return "utf-8-sig"
    if b"\x00" in sample:
        raise ImportFormatError(
            "the file contains NUL bytes: it is binary or UTF-16, not a UTF-8 or GB18030 text file"
        )
    for encoding in ("utf-8", "gb18030"):
        try:
            text = sample.decode(encoding)
        except UnicodeDecodeError as exc:
            if not (exc.start >= len(sample) - 4 and (not complete or _cut_at_end(sample, exc))):
                continue
            text = sample[: exc.start].decode(encoding)  # a character cut by the end
        if encoding == "gb18030" and _not_chinese(text):
            break
        return encoding
    raise ImportFormatError(
        "the file is neither UTF-8 nor GB18030/GBK text (Latin-1, Shift-JIS or UTF-16? "
        "save it as UTF-8)"
    )


#: Share of rare GBK characters above which a text is taken for another encoding.
RARE_SHARE = 0.2


def _not_chinese(text: str) -> bool:
    """True when a text decoded as GB18030 is most likely another encoding misread.

    Chinese files use the GB2312 characters almost only (two bytes from 0xA1 to 0xFE).
    The extension areas of GBK and GB18030 (a byte below 0xA1, or four-byte codes) hold
    rare characters; Latin-1 accents before ASCII letters and the Shift-JIS kana and
    kanji (lead bytes 0x81–0x9F) fall there. When more than :data:`RARE_SHARE` of the
    non-ASCII characters are rare, the file is not Chinese text."""
    wide = [c for c in text if ord(c) > 0x7F]
    if not wide:
        return False
    rare = 0
    for char in wide:
        code = char.encode("gb18030")
        if len(code) != 2 or code[0] < 0xA1 or code[1] < 0xA1:
            rare += 1
    return rare >= 2 and rare > RARE_SHARE * len(wide)


def _cut_at_end(sample: bytes, exc: UnicodeDecodeError) -> bool:
    """True when the first undecodable bytes are an incomplete last character."""
    return exc.end == len(sample) and exc.reason in (
        "unexpected end of data",
        "incomplete multibyte sequence",
    )


@dataclass(frozen=True, slots=True)
class CsvRow:
    """One CSV record: the 1-based physical line where it starts, and its fields.

    ``error`` is set when the record cannot be trusted as read (the file ends inside a
    quoted field: a truncated last line); its ``fields`` are then only what was read."""

    line: int
    fields: list[str]
    error: str | None = None


def open_text(binary: IO[bytes], *, sample_size: int = 1 << 16) -> tuple[IO[str], str]:
    """Wrap a seekable binary stream as text in its detected encoding.

    Undecodable bytes later in the file become U+FFFD so that the row holding them is
    rejected with its line number instead of the whole import failing."""
    sample = binary.read(sample_size)
    complete = len(sample) < sample_size
    encoding = detect_encoding(sample, complete=complete)
    binary.seek(0)
    text = io.TextIOWrapper(binary, encoding=encoding, errors="replace", newline="")
    return text, encoding


def iter_csv(text: IO[str]) -> Iterator[CsvRow]:
    """Yield CSV records with the physical line number on which each starts.

    Blank lines are skipped. A quoted field left open at end of file (a truncated last
    line) would be read by the lenient :mod:`csv` reader as if it were complete, taking
    every following line into that one field; such a record is yielded with ``error``
    set instead, so that the importer rejects it with its line number. So is a record
    the reader refuses (a field longer than :data:`MAX_FIELD_CHARS`): reading goes on
    at the next line, so one bad record never hides the rest of the file."""
    consumed: list[str] = []

    def lines() -> Iterator[str]:
        for physical in text:
            consumed.append(physical)
            yield physical

    reader = csv.reader(lines())
    line = 1
    pending: CsvRow | None = None
    pending_raw = ""
    while True:
        start = line
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            # The reader starts afresh on the next physical line: the bad record is
            # rejected with its line and the rest of the file is still read.
            consumed.clear()
            line = reader.line_num + 1
            if pending is not None:
                yield pending
            pending, pending_raw = CsvRow(start, [], _csv_error(exc)), ""
            continue
        raw = "".join(consumed)
        consumed.clear()
        line = reader.line_num + 1
        if not fields or (len(fields) == 1 and not fields[0].strip()):
            continue
        if pending is not None:
            yield pending
        pending, pending_raw = CsvRow(start, fields), raw
    if pending is not None:
        yield CsvRow(pending.line, pending.fields, pending.error or _open_quote_error(pending_raw))


def _csv_error(exc: csv.Error) -> str:
    """The reason of a record the :mod:`csv` reader refused."""
    if "field limit" in str(exc):
        return f"a field is longer than {MAX_FIELD_CHARS:,} characters: row not read"
    return f"malformed CSV ({exc})"


def _open_quote_error(raw: str) -> str | None:
    """Why the raw text of the *last* record is truncated, or ``None``.

    An odd number of quote characters in a record that opens a quoted field means the
    quote was never closed: the file ends inside the field."""
    opens_quote = raw.startswith('"') or ',"' in raw
    if opens_quote and raw.count('"') % 2 == 1:
        return "the file ends inside a quoted field: the last line is truncated"
    return None


def normalise_header(fields: list[str]) -> list[str]:
    """Header names stripped of white space and a stray BOM."""
    return [f.strip().lstrip("\ufeff") for f in fields]


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number (RFC 8259)")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:40]} is too large")
    return value


def _unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"an object names the member {key[:60]!r} twice")
        out[key] = value
    return out


def load_json(text: str) -> Any:
    """Parse a JSON document (RFC 8259) of an import file strictly.

    Whatever cannot be stored without a guess is an :class:`ImportFormatError` naming
    what is wrong: invalid JSON (with its line and column), ``NaN`` or ``Infinity`` (not
    JSON), a number too long to convert or too large for a float, an object naming a
    member twice (which of the two is meant?), nesting too deep for the parser."""
    try:
        return json.loads(
            text,
            parse_constant=_no_constant,
            parse_float=_finite,
            object_pairs_hook=_unique_members,
        )
    except json.JSONDecodeError as exc:
        raise ImportFormatError(
            f"not valid JSON at line {exc.lineno} column {exc.colno} ({exc.msg})"
        ) from exc
    except RecursionError:
        raise ImportFormatError("the JSON is nested too deeply to be read") from None
    except ValueError as exc:  # the hooks, and integers over Python's digit limit
        reason = str(exc)
        if "integer string conversion" in reason:
            reason = "a number has more digits than any count (over 4,300)"
        raise ImportFormatError(f"the JSON cannot be read: {reason}") from exc
