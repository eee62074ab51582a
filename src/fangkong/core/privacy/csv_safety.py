"""CSV cells that a spreadsheet would run as formulas are neutralised (CSV injection).

A spreadsheet opening a CSV file treats a cell beginning with ``=``, ``+``, ``-`` or
``@`` as a formula (and a leading tab or carriage return can hide such a cell), so a
value typed by anybody — a hospital name, a rejected row of an upload, a note — could
run ``=HYPERLINK(…)`` or ``=cmd|' /C calc'!A0`` on the computer of whoever opens an
export. Following the OWASP "CSV Injection" guidance
(https://owasp.org/www-community/attacks/CSV_Injection), every cell that begins with
one of ``= + - @``, tab (0x09) or carriage return (0x0D) is prefixed with a single
quote, which spreadsheets show as text. The full-width forms ``＝ ＋ － ＠``, which some
East Asian spreadsheet set-ups also accept as formula starts, are treated the same way
(a defensive addition).

Numbers are left alone: an ``int`` or ``float``, or a string that is entirely one
decimal number such as ``-3`` or ``+1.5e3`` (a publisher's negative correction), cannot
hold a formula, and quoting it would turn the number into text for every reader.
Quoting of separators, quotes and line breaks is left to :mod:`csv` (RFC 4180).

Every CSV writer of the product goes through :func:`safe_cell` — via
:class:`SafeWriter` / :class:`SafeDictWriter` or :func:`safe_row`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

#: Characters that make a spreadsheet read a cell as a formula (OWASP), and their
#: full-width forms.
FORMULA_STARTS = frozenset("=+-@\t\r" + "\uff1d\uff0b\uff0d\uff20")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def safe_cell(value: Any) -> Any:
    """``value``, with a ``'`` put in front when it is text that a spreadsheet would
    take for a formula; numbers and ``None`` are returned unchanged."""
    if not isinstance(value, str) or isinstance(value, bool):
        return value
    if value[:1] in FORMULA_STARTS and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def safe_row(row: Iterable[Any]) -> list[Any]:
    """Every cell of ``row`` through :func:`safe_cell`."""
    return [safe_cell(v) for v in row]


class SafeWriter:
    """:func:`csv.writer` whose cells go through :func:`safe_cell`."""

    def __init__(self, stream: Any, **kwargs: Any) -> None:
        self._writer = csv.writer(stream, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow(safe_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class SafeDictWriter(csv.DictWriter):  # type: ignore[type-arg]
    """:class:`csv.DictWriter` whose cells go through :func:`safe_cell`."""

    def writerow(self, rowdict: Mapping[str, Any]) -> Any:
        return super().writerow({k: safe_cell(v) for k, v in rowdict.items()})

    def writerows(self, rowdicts: Iterable[Mapping[str, Any]]) -> None:
        for rowdict in rowdicts:
            self.writerow(rowdict)


def safe_csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]], **kwargs: Any) -> str:
    """A whole CSV document (header and rows) as text, every cell neutralised."""
    out = io.StringIO()
    writer = SafeWriter(out, **kwargs)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()
