"""What a daily-report parser produces, and the checks every daily format shares.

A parser turns a file into :class:`DailyParse`: the daily reports it could read (each
with the line it came from and the fields the file provides), the rows it rejected
(their original fields and every :class:`~fangkong.core.validation.RowIssue`), the
publisher's corrections found in cumulative series, and human notes (gaps, first days,
disagreements between a file's own columns).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from fangkong.core.reports import DailyReport
from fangkong.core.validation import RowIssue

#: Source names: lower-case ASCII, as stored in ``daily_reports.source``.
SOURCE_PATTERN = re.compile(r"^[a-z0-9_-]{1,32}$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INTEGER = re.compile(r"^[+-]?\d+$")
#: Largest count accepted (the columns are 32-bit integers; no epidemic count is larger).
MAX_COUNT = 2_000_000_000


@dataclass(frozen=True, slots=True)
class RegionLookup:
    """The region codes a file may name and the aliases by which other publishers name
    them (``region_aliases``: scheme → alias → region_code)."""

    codes: frozenset[str]
    aliases: Mapping[str, Mapping[str, str]]

    def alias(self, scheme: str, name: str) -> str | None:
        return self.aliases.get(scheme, {}).get(name)


@dataclass(slots=True)
class ParsedDaily:
    """One daily report read from a file: the 1-based ``line`` it comes from (the first
    line when several rows were summed) and the count fields the file provides (fields it
    does not provide are left untouched in the store)."""

    line: int
    report: DailyReport
    provided: tuple[str, ...]

    @property
    def key(self) -> tuple[str, date, str]:
        return (self.report.region_code, self.report.report_date, self.report.source)


@dataclass(frozen=True, slots=True)
class RejectedRow:
    """A row not stored: its original fields and why (one issue per problem)."""

    line: int
    fields: tuple[str, ...]
    issues: tuple[RowIssue, ...]


@dataclass(frozen=True, slots=True)
class Correction:
    """A fall in a cumulative series: the publisher corrected an earlier total.

    The negative increment is stored as it is and this record becomes a revision."""

    region_code: str
    report_date: date
    field: str
    cumulative_before: int
    cumulative_after: int

    @property
    def value(self) -> int:
        return self.cumulative_after - self.cumulative_before

    @property
    def reason(self) -> str:
        return (
            f"cumulative {self.field} fell from {self.cumulative_before} to "
            f"{self.cumulative_after}: publisher's correction"
        )


@dataclass(slots=True)
class DailyParse:
    """Everything a parser read from one file."""

    format_name: str
    source: str
    header: list[str]
    reports: list[ParsedDaily] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)
    corrections: list[Correction] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rows_read: int = 0


class CellError(ValueError):
    """A cell value is not acceptable; the message is the reason shown to the user."""


def parse_iso_date(text: str, *, today: date | None = None) -> date:
    """A ``YYYY-MM-DD`` date (ISO 8601 calendar date), not after ``today``."""
    value = text.strip()
    if not _ISO_DATE.match(value):
        raise CellError("not an ISO 8601 date (YYYY-MM-DD)")
    try:
        parsed = date.fromisoformat(value)
    except ValueError as exc:
        raise CellError(f"no such day ({exc})") from exc
    if today is not None and parsed > today:
        raise CellError(f"date is in the future (after {today.isoformat()})")
    return parsed


def parse_count(text: str, *, allow_negative: bool = False, blank_ok: bool = True) -> int | None:
    """A whole number of people. Blank is ``None`` (not reported) when ``blank_ok``."""
    value = text.strip()
    if not value:
        if blank_ok:
            return None
        raise CellError("value is missing")
    if not _INTEGER.match(value):
        raise CellError("not a whole number")
    number = int(value)
    if number < 0 and not allow_negative:
        raise CellError(
            "negative count (only daily figures corrected by their publisher may be negative)"
        )
    if abs(number) > MAX_COUNT:
        raise CellError(f"implausibly large (more than {MAX_COUNT:,})")
    return number


def field_count_issue(
    file: str, line: int, fields: Sequence[str], header: Sequence[str]
) -> RowIssue | None:
    """An issue when a row has a different number of fields than the header."""
    if len(fields) == len(header):
        return None
    hint = " (truncated line?)" if len(fields) < len(header) else ""
    return RowIssue(
        file,
        line,
        "*",
        ",".join(fields)[:200],
        f"row has {len(fields)} field(s), the header has {len(header)}{hint}",
    )
