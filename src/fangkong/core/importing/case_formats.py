"""Case line-list formats: detection by header, and the ``fangkong-cases`` layout.

``fangkong-cases`` is the platform's own layout (``docs/formats.md``): a CSV whose
header names fields of :data:`fangkong.core.cases.CASE_FIELDS` in any order, or JSON
(an array of objects, or ``{"items": [...]}``) with the same names, described by the
JSON Schema ``fangkong/data/templates/cases.schema.json``.

The CSV parser is the import fast path: one tight loop over ``csv.reader`` that checks
each cell with a cached rule (:mod:`.case_values`) and emits storage-ready tuples in
:data:`CASE_FIELDS` order, batch by batch, so that memory stays bounded whatever the
size of the file. Rejected rows come out with every problem of the row named.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from fangkong.core.cases import CASE_FIELDS
from fangkong.core.importing.case_values import (
    MAX_ID_CHARS,
    MAX_ORIGIN_CHARS,
    REQUIRED_FIELDS,
    Rule,
)
from fangkong.core.importing.reading import MAX_FIELD_CHARS
from fangkong.core.importing.reading import load_json as read_json
from fangkong.core.validation import ImportFormatError, RowIssue

FANGKONG_CASES = "fangkong-cases"
BEOUTBREAKPREPARED = "beoutbreakprepared"
#: Every case format the importer knows, with the header columns that identify it.
CASE_FORMATS: dict[str, tuple[str, ...]] = {
    FANGKONG_CASES: REQUIRED_FIELDS,
    BEOUTBREAKPREPARED: ("ID", "date_onset_symptoms", "date_confirmation", "wuhan(0)_not_wuhan(1)"),
}

#: A stored case: the canonical texts of :data:`CASE_FIELDS`, in that order.
CaseValues = Sequence[str]
#: Distinct cell values remembered per cached rule (bounds memory on odd files).
CACHE_LIMIT = 200_000


@dataclass(slots=True)
class CaseBatch:
    """A slice of a file: accepted rows, rejected rows with their issues, and repairs
    (accepted rows changed by a documented rule). ``rows_read`` counts all data rows."""

    rows: list[CaseValues] = field(default_factory=list)
    rejects: list[tuple[list[str], list[RowIssue]]] = field(default_factory=list)
    repairs: list[RowIssue] = field(default_factory=list)
    rows_read: int = 0


def known_formats() -> str:
    return ", ".join(CASE_FORMATS)


def detect_case_format(header: Sequence[str]) -> str:
    """The format whose identifying columns all appear in ``header``."""
    names = set(header)
    for name, needed in CASE_FORMATS.items():
        if all(col in names for col in needed):
            return name
    shown = ", ".join(list(header)[:12])
    raise ImportFormatError(
        f"unknown case line-list layout (header: {shown}); known formats: {known_formats()}"
    )


def check_fangkong_header(header: Sequence[str], *, default_source: str | None) -> None:
    """Refuse a ``fangkong-cases`` header with unknown, repeated or missing columns."""
    unknown = [h for h in header if h not in CASE_FIELDS]
    if unknown:
        raise ImportFormatError(
            f"unknown column(s) {', '.join(unknown)}; the fangkong-cases columns are "
            f"{', '.join(CASE_FIELDS)}"
        )
    repeated = sorted({h for h in header if list(header).count(h) > 1})
    if repeated:
        raise ImportFormatError(f"repeated column(s) {', '.join(repeated)}")
    missing = [f for f in REQUIRED_FIELDS if f not in header]
    if "source" not in header and not default_source:
        missing.insert(0, "source")
    if missing:
        raise ImportFormatError(
            f"missing required column(s) {', '.join(missing)}"
            + (" (or give --source)" if "source" in missing else "")
        )


class _Invalid:
    """A cell value that its rule refused, with the reason (cached like good values)."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


def canonical(value: object) -> str:
    """The stored text of a rule's result: ``""`` for unknown, ``true``/``false``."""
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def _bad_text(limit: int, required: bool) -> re.Pattern[str]:
    """Finds, in a column joined with newlines, a value that is empty (when required),
    has surrounding blanks, a control character or U+FFFD (undecodable bytes), starts
    like a spreadsheet formula, or is longer than ``limit`` characters."""
    parts = [
        r"^[ \t\f\v=+\-@]",
        r"[ \t\f\v]$",
        r"[\x00-\x09\x0b-\x1f\x7f\ufffd]",
        f"^[^\n]{{{limit + 1},}}",
    ]
    if required:
        parts.append(r"^$")
    return re.compile("|".join(parts), re.MULTILINE)


class CaseRowChecker:
    """Checks rows of the ``fangkong-cases`` layout given as lists of cell texts.

    ``rules`` maps each field to its rule and whether results may be cached (see
    :func:`.case_values.field_rules`). ``columns`` are the names of the cells in each
    row; absent fields are empty, except ``source`` which defaults to
    ``default_source``. Accepted rows come out as sequences of *canonical text* in
    :data:`CASE_FIELDS` order (``""`` = unknown, booleans ``true``/``false``, ISO
    dates), which both databases convert on loading. Duplicate ``(source, case_id)``
    keys within one file are rejected, naming the line of the first occurrence.

    Rows are checked a batch at a time, column by column, so that the cost per row is
    a few C-level set and string operations: a cached rule runs once per distinct cell
    text, a column whose distinct texts are all already canonical is passed through
    untouched, and a free-text column is screened by one regular-expression search
    over the joined column (each value is checked on its own only when that search
    finds something). A well-formed file in the canonical column order is therefore
    stored from the very lists the CSV reader produced.
    """

    def __init__(
        self,
        rules: dict[str, tuple[Rule, bool]],
        columns: Sequence[str],
        *,
        file: str,
        default_source: str | None,
    ) -> None:
        self.file = file
        self.width = len(columns)
        index = {name: i for i, name in enumerate(columns)}
        self._in_order = tuple(columns) == CASE_FIELDS
        self._specs: list[
            tuple[int, str, Rule, dict[str, object] | None, set[str], re.Pattern[str] | None]
        ] = []
        for name in CASE_FIELDS:
            rule, cacheable = rules[name]
            pattern = (
                None
                if cacheable
                else _bad_text(
                    MAX_ORIGIN_CHARS if name == "origin" else MAX_ID_CHARS, name == "case_id"
                )
            )
            self._specs.append(
                (index.get(name, -1), name, rule, {} if cacheable else None, set(), pattern)
            )
        self._default_source = (default_source or "").strip()
        self._seen: dict[str, dict[str, int]] = {}

    def _apply(self, name: str, rule: Rule, text: str) -> object:
        if name == "source" and not text.strip():
            text = self._default_source
        try:
            return canonical(rule(text))
        except ValueError as exc:
            return _Invalid(str(exc))

    def _cached_column(
        self, name: str, rule: Rule, cache: dict[str, object], same: set[str], col: Sequence[str]
    ) -> Sequence[object]:
        distinct = set(col)
        if distinct <= same:
            return col
        missing = distinct.difference(cache)
        if missing and len(cache) + len(missing) > CACHE_LIMIT:
            cache.clear()
            same.clear()
            missing = distinct
        for text in missing:
            value = self._apply(name, rule, text)
            cache[text] = value
            if value == text:
                same.add(text)
        if distinct <= same:
            return col
        return list(map(cache.__getitem__, col))

    def _text_column(
        self, name: str, rule: Rule, pattern: re.Pattern[str], col: Sequence[str]
    ) -> Sequence[object]:
        joined = "\n".join(col)
        if joined.count("\n") == len(col) - 1 and pattern.search(joined) is None:
            return col
        return [self._apply(name, rule, text) for text in col]

    def check_batch(
        self, lines: Sequence[int], batch: Sequence[Sequence[str]]
    ) -> tuple[list[Sequence[str]], list[tuple[list[str], list[RowIssue]]]]:
        """Accepted rows (canonical text) and rejected rows (cells, issues) of a batch
        whose rows all have the checker's width; ``lines`` name their lines."""
        n = len(batch)
        if not n:
            return [], []
        columns = list(zip(*batch, strict=True))
        out: list[Sequence[object]] = []
        bad: dict[int, list[RowIssue]] = {}
        changed = not self._in_order
        for ci, name, rule, cache, same, pattern in self._specs:
            col: Sequence[str] = columns[ci] if ci >= 0 else ("",) * n
            if cache is not None:
                values = self._cached_column(name, rule, cache, same, col)
            else:
                assert pattern is not None
                values = self._text_column(name, rule, pattern, col)
            if values is not col:
                changed = True
                if _Invalid in set(map(type, values)):
                    values = list(values)
                    for i, v in enumerate(values):
                        if type(v) is _Invalid:
                            text = col[i]
                            if name == "source" and not text.strip():
                                text = self._default_source
                            bad.setdefault(i, []).append(
                                RowIssue(self.file, lines[i], name, text, v.reason)
                            )
                            values[i] = ""
            out.append(values)
        self._check_keys(lines, out[0], out[1], bad)
        rows: list[Sequence[Any]] = list(zip(*out, strict=True)) if changed or bad else list(batch)
        if not bad:
            return rows, []
        accepted = [row for i, row in enumerate(rows) if i not in bad]
        rejected = [(list(batch[i]), bad[i]) for i in sorted(bad)]
        return accepted, rejected

    def _check_keys(
        self,
        lines: Sequence[int],
        sources: Sequence[object],
        ids: Sequence[object],
        bad: dict[int, list[RowIssue]],
    ) -> None:
        distinct_sources = set(sources)
        if not bad and len(distinct_sources) == 1:
            seen = self._seen.setdefault(str(next(iter(distinct_sources))), {})
            if seen.keys().isdisjoint(ids) and len(set(ids)) == len(ids):
                seen.update(zip(ids, lines, strict=True))  # type: ignore[arg-type]
                return
        for i, (source, case_id) in enumerate(zip(sources, ids, strict=True)):
            if i in bad:
                continue
            first = self._seen.setdefault(str(source), {}).setdefault(str(case_id), lines[i])
            if first != lines[i]:
                bad[i] = [
                    RowIssue(
                        self.file,
                        lines[i],
                        "case_id",
                        str(case_id),
                        f"duplicate case id for source {source} in this file "
                        f"(first on line {first})",
                    )
                ]

    def check(self, line: int, cells: Sequence[str]) -> tuple[str, ...] | list[RowIssue]:
        """The canonical cells of one row, or the issues that reject it."""
        accepted, rejected = self.check_batch([line], [cells])
        return tuple(accepted[0]) if accepted else rejected[0][1]


def width_issue(file: str, line: int, got: int, expected: int) -> RowIssue:
    what = "truncated row" if got < expected else "too many fields"
    return RowIssue(file, line, "*", str(got), f"{what}: {got} field(s), the header has {expected}")


def parse_fangkong_csv(
    reader: Any, header: Sequence[str], checker: CaseRowChecker, *, batch_rows: int
) -> Iterator[CaseBatch]:
    """Read the data rows of a ``fangkong-cases`` CSV from ``reader`` (a ``csv.reader``
    positioned after the header) in batches of ``batch_rows`` rows.

    Lines are physical, 1-based (a quoted cell may span lines; its row is named by the
    line where it starts). A row of the wrong width (a truncated last line) and a quote
    left open at end of file are rejected rows, and so is a record the reader refuses (a
    field over :data:`~.reading.MAX_FIELD_CHARS`): reading goes on after it."""
    width = len(header)
    file = checker.file
    line = reader.line_num + 1
    while True:
        cells_batch: list[list[str]] = []
        lines: list[int] = []
        rejects: list[tuple[list[str], list[RowIssue]]] = []
        read = 0
        done = False
        add_cells = cells_batch.append
        add_line = lines.append
        try:
            for cells in reader:
                start = line
                line = reader.line_num + 1
                if len(cells) == width:
                    add_cells(cells)
                    add_line(start)
                elif not cells or (len(cells) == 1 and not cells[0].strip()):
                    continue
                else:
                    rejects.append((cells, [width_issue(file, start, len(cells), width)]))
                read += 1
                if read == batch_rows:
                    break
            else:
                done = True
        except csv.Error as exc:
            # The reader starts afresh on the next physical line, so one bad record
            # (a field over the size limit) is rejected and the rest is still read.
            reason = (
                f"a field is longer than {MAX_FIELD_CHARS:,} characters: row not read"
                if "field limit" in str(exc)
                else f"malformed CSV: {exc}"
            )
            rejects.append(([], [RowIssue(file, line, "*", "", reason)]))
            line = reader.line_num + 1
            read += 1
        rows, rejected = checker.check_batch(lines, cells_batch)
        if rejected:
            rejects.extend(rejected)
            rejects.sort(key=lambda r: r[1][0].line)
        if read:
            yield CaseBatch(rows=rows, rejects=rejects, rows_read=read)
        if done:
            return


def json_items(data: object) -> list[Any]:
    """The list of case objects of a JSON document (array or ``{"items": [...]}``)."""
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        return list(data["items"])
    if isinstance(data, list):
        return data
    raise ImportFormatError('JSON case files hold an array of objects or {"items": [...]}')


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float | str):
        return str(value)
    raise ValueError("not a scalar value")


def check_json_items(items: Iterable[object], checker: CaseRowChecker) -> CaseBatch:
    """Check JSON case objects. An issue's ``line`` is the 1-based position of the
    object in the array (the API turns it into the pointer ``/items/<line-1>/<field>``).
    Unknown keys and non-scalar values reject the object."""
    batch = CaseBatch()
    for number, item in enumerate(items, start=1):
        batch.rows_read += 1
        raw = [json.dumps(item, ensure_ascii=False, default=str)]
        if not isinstance(item, dict):
            batch.rejects.append(
                (raw, [RowIssue(checker.file, number, "*", raw[0][:200], "not a JSON object")])
            )
            continue
        issues: list[RowIssue] = []
        cells: list[str] = []
        for name in CASE_FIELDS:
            try:
                cells.append(_cell(item.get(name)))
            except ValueError as exc:
                issues.append(RowIssue(checker.file, number, name, str(item.get(name)), str(exc)))
                cells.append("")
        issues.extend(
            RowIssue(
                checker.file,
                number,
                str(key),
                str(item[key])[:200],
                "unknown field; the fields are " + ", ".join(CASE_FIELDS),
            )
            for key in item
            if key not in CASE_FIELDS
        )
        result = checker.check(number, cells)
        if isinstance(result, list):
            issues.extend(result)
        if issues:
            batch.rejects.append((raw, issues))
        else:
            assert isinstance(result, tuple)
            batch.rows.append(result)
    return batch


def load_json(text: IO[str]) -> list[Any]:
    """The case objects of a JSON file (see :func:`.reading.load_json` for what is
    refused)."""
    return json_items(read_json(text.read()))
