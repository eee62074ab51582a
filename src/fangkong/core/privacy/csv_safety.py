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
from collections.abc import Iterable, Sequence
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
    """:func:`csv.writer` whose cells go through :func:`safe_cell`.

    Also, a cell holding a carriage return or a line feed is always quoted (RFC 4180
    §2.6), whatever ``lineterminator`` is: :mod:`csv` quotes only the characters of the
    line terminator it writes, so with ``"\n"`` a bare ``"\r"`` in a value would go out
    unquoted and split the row for many readers."""

    def __init__(self, stream: Any, dialect: Any = "excel", **kwargs: Any) -> None:
        self._stream = stream
        self._end = kwargs.pop(
            "lineterminator",
            csv.get_dialect(dialect).lineterminator
            if isinstance(dialect, str)
            else dialect.lineterminator,
        )
        self._row = io.StringIO()
        self._writer = csv.writer(self._row, dialect, lineterminator="\r\n", **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        self._writer.writerow(safe_row(row))
        text = self._row.getvalue()
        self._row.seek(0)
        self._row.truncate()
        return self._stream.write(text[:-2] + self._end)

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class SafeDictWriter(csv.DictWriter):  # type: ignore[type-arg]
    """:class:`csv.DictWriter` writing through a :class:`SafeWriter`."""

    def __init__(
        self,
        stream: Any,
        fieldnames: Sequence[str],
        restval: Any = "",
        extrasaction: str = "raise",
        dialect: Any = "excel",
        **kwargs: Any,
    ) -> None:
        super().__init__(stream, fieldnames, restval, extrasaction, dialect, **kwargs)  # type: ignore[arg-type]
        self.writer = SafeWriter(stream, dialect, **kwargs)  # type: ignore[assignment]


def safe_csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]], **kwargs: Any) -> str:
    """A whole CSV document (header and rows) as text, every cell neutralised."""
    out = io.StringIO()
    writer = SafeWriter(out, **kwargs)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()
