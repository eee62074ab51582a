"""The daily-report file formats Fangkong reads, their detection and their parsers.

Every format is described in ``docs/formats.md``. A format is recognised by its header
(the set of column names; the most specific match wins) or named explicitly. Parsers are
pure: they read text and return a :class:`~.daily_records.DailyParse`; storing is the job
of ``fangkong.services.daily_import``.

Formats:

``fangkong-daily``
    Our own CSV or JSON: ``region_code``, ``report_date`` and any of the count fields of
    :data:`fangkong.core.reports.COUNT_FIELDS`; a blank cell (JSON ``null``) is *not
    reported*; a negative daily figure is allowed only for the fields a publisher may
    correct (:data:`~fangkong.core.reports.CORRECTABLE_FIELDS`) and is flagged.
``jhu-wide``
    JHU CSSE global time series (one cumulative measure per file, one column per day).
``jhu-china-province``, ``jhu-country-long``
    JHU CSSE long layouts (cumulative confirmed, deaths, recovered).
``canghailan-national``, ``canghailan-province``, ``canghailan-city``
    The canghailan/Wuhan-2019-nCoV archive of the official figures (cumulative confirmed,
    cured, dead; ``suspected`` is the number of suspected cases *currently* under
    investigation, a stock, stored as ``current_suspected``).
``ccdc-province``
    The China CDC dashboard (cumulative and daily confirmed and deaths).
``who-daily``
    WHO's global table (``Date_reported,Country_code,…``).
"""

from __future__ import annotations

import io
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise
from typing import IO, Any

from fangkong.core.importing.daily_records import (
    SOURCE_PATTERN,
    CellError,
    DailyParse,
    ParsedDaily,
    RegionLookup,
    RejectedRow,
    field_count_issue,
    parse_count,
    parse_iso_date,
)
from fangkong.core.importing.daily_series import (
    CumulativePoint,
    daily_from_cumulative,
    drop_duplicate_days,
    note_gaps_in_daily,
)
from fangkong.core.importing.reading import CsvRow, iter_csv, load_json, normalise_header
from fangkong.core.reports import CORRECTABLE_FIELDS, COUNT_FIELDS, DailyReport
from fangkong.core.validation import ImportFormatError, RowIssue

#: JHU measures and the daily field each becomes.
JHU_MEASURES: dict[str, str] = {
    "confirmed": "new_confirmed",
    "deaths": "new_deaths",
    "recovered": "new_recovered",
}
_JHU_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{2})$")
_JHU_FIXED = ("Province/State", "Country/Region", "Lat", "Long")

#: Hubei "units" in the canghailan city file that are not regions: kind by name.
CANGHAILAN_PSEUDO_UNITS: dict[str, str] = {
    "境外输入": "imported cases",
    "监狱系统": "prison system",
    "未公布来源": "unassigned",
    "所属地待确认": "unassigned",
}
#: Their codes in that file (``4200y0`` prison system, ``4200y1`` imported cases, …).
CANGHAILAN_PSEUDO_CODES: dict[str, str] = {
    "4200y0": "prison system",
    "4200y1": "imported cases",
    "4200c7": "unassigned",
}


@dataclass(frozen=True, slots=True)
class ParseContext:
    """What a parser needs besides the text: the file name (for issues), the source to
    record (``None``: the format's own, e.g. ``jhu``), the known regions, today's date
    (no report from the future) and, for ``jhu-wide``, the measure the file holds."""

    file: str
    regions: RegionLookup
    today: date
    source: str | None = None
    measure: str | None = None


Parser = Callable[[Iterator[CsvRow], list[str], ParseContext, DailyParse], None]


@dataclass(frozen=True, slots=True)
class DailyFormat:
    name: str
    title: str
    columns: tuple[str, ...]
    default_source: str
    parser: Parser


class _Row:
    """Cell access by column name for one CSV row, collecting issues as it goes."""

    def __init__(self, ctx: ParseContext, row: CsvRow, index: Mapping[str, int]) -> None:
        self.ctx = ctx
        self.row = row
        self.index = index
        self.issues: list[RowIssue] = []

    def text(self, column: str) -> str:
        return self.row.fields[self.index[column]].strip()

    def issue(self, column: str, value: str, reason: str) -> None:
        self.issues.append(RowIssue(self.ctx.file, self.row.line, column, value, reason))

    def date(self, column: str) -> date | None:
        value = self.text(column)
        try:
            return parse_iso_date(value, today=self.ctx.today)
        except CellError as exc:
            self.issue(column, value, str(exc))
            return None

    def count(
        self, column: str, *, allow_negative: bool = False, blank_ok: bool = False
    ) -> int | None:
        value = self.text(column)
        try:
            return parse_count(value, allow_negative=allow_negative, blank_ok=blank_ok)
        except CellError as exc:
            self.issue(column, value, str(exc))
            return None


def _rows(
    rows: Iterator[CsvRow], header: list[str], ctx: ParseContext, parse: DailyParse
) -> Iterator[_Row]:
    """Rows of the right shape; truncated or mis-sized rows are rejected here."""
    index = {name: i for i, name in enumerate(header)}
    for row in rows:
        parse.rows_read += 1
        if row.error is not None:
            issue = RowIssue(ctx.file, row.line, "*", ",".join(row.fields)[:200], row.error)
            parse.rejected.append(RejectedRow(row.line, tuple(row.fields), (issue,)))
            continue
        shape = field_count_issue(ctx.file, row.line, row.fields, header)
        if shape is not None:
            parse.rejected.append(RejectedRow(row.line, tuple(row.fields), (shape,)))
            continue
        yield _Row(ctx, row, index)


def _reject(parse: DailyParse, cells: _Row) -> None:
    parse.rejected.append(RejectedRow(cells.row.line, tuple(cells.row.fields), tuple(cells.issues)))


def _not_a_region(
    parse: DailyParse,
    cells: _Row,
    column: str,
    kind: str,
    counts: Sequence[int | None],
    skipped: dict[str, int],
) -> None:
    """A row naming no region: skipped with a note when all its counts are zero (it
    carries no figure), otherwise rejected so that its figures are seen, not lost."""
    if counts and all(c == 0 for c in counts):
        skipped[kind] += 1
        return
    cells.issue(column, cells.text(column), f"not a region ({kind}) — not stored")
    _reject(parse, cells)


def _note_skipped(parse: DailyParse, skipped: Mapping[str, int]) -> None:
    for kind, n in sorted(skipped.items()):
        parse.notes.append(
            f"{n} row(s) for a unit that is not a region ({kind}) skipped: every count in them is 0"
        )


# --- cumulative long layouts ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _LongSpec:
    """A long cumulative layout: one row per region and day."""

    date_column: str
    cumulative: Mapping[str, str]  # column -> daily flow field
    stocks: Mapping[str, str]  # column -> stock field
    published: Mapping[str, str]  # column of a daily figure -> flow field it checks
    region: Callable[[_Row], tuple[str | None, tuple[str, str] | None]]
    #: The as-of day of a row's date, for files dated by publication (see
    #: :func:`canghailan_city_as_of`); ``None``: the dates are as-of days already.
    as_of: Callable[[date], date] | None = None
    #: The file writes 0 for a stock it did not record: a 0 stock cell is stored as not
    #: reported (``None``), with a note.
    zero_stock_unrecorded: bool = False


#: From this file date on, the canghailan Hubei city file is dated by *publication*:
#: the Hubei Health Commission publishes each morning the figures to 24:00 of the day
#: before. Evidence (the bundled files): the sum of the city rows dated ``d`` equals
#: the province file's Hubei figure for ``d − 1`` on every day from 2020-02-07 on
#: where the figures change (e.g. 48,206 dated 02-13 is the official Hubei total to
#: 24:00 on 02-12; Wuhan's 32,994 dated 02-13 is Wuhan's total to 24:00 on 02-12;
#: Wuhan's revision of 2020-04-16 appears dated 04-17), while before 02-07 the two
#: files agree day by day, and the rows dated 02-06 and 02-07 repeat the same totals.
CANGHAILAN_CITY_PUBLICATION_DATED_FROM = date(2020, 2, 7)


def canghailan_city_as_of(file_date: date) -> date:
    """The as-of day of a canghailan Hubei city row dated ``file_date``."""
    if file_date >= CANGHAILAN_CITY_PUBLICATION_DATED_FROM:
        return file_date - timedelta(days=1)
    return file_date


def _superseded_by_publication(
    points: list[CumulativePoint], dated: set[int], parse: DailyParse
) -> list[CumulativePoint]:
    """Where a publication-dated row (line in ``dated``) and an as-of-dated row give
    the same region and day, the publication is the later, complete word: keep it and
    drop the other, with a note (not a rejection: nothing in it is lost)."""
    later = {(p.region_code, p.report_date) for p in points if p.line in dated}
    kept = [p for p in points if p.line in dated or (p.region_code, p.report_date) not in later]
    if dropped := len(points) - len(kept):
        first = CANGHAILAN_CITY_PUBLICATION_DATED_FROM
        parse.notes.append(
            f"rows dated from {first.isoformat()} on are dated by publication and stored "
            f"for the day before; {dropped} row(s) of {(first - timedelta(days=1)).isoformat()} "
            "are superseded by that day's later publication"
        )
    return kept


def _long_parser(spec: _LongSpec) -> Parser:
    def parse_long(
        rows: Iterator[CsvRow], header: list[str], ctx: ParseContext, parse: DailyParse
    ) -> None:
        points: list[CumulativePoint] = []
        dated_by_publication: set[int] = set()
        unrecorded_stocks = 0
        skipped: dict[str, int] = defaultdict(int)
        for cells in _rows(rows, header, ctx, parse):
            report_date = cells.date(spec.date_column)
            if spec.as_of is not None and report_date is not None:
                if (as_of := spec.as_of(report_date)) != report_date:
                    dated_by_publication.add(cells.row.line)
                report_date = as_of
            totals = {f: cells.count(c) for c, f in spec.cumulative.items()}
            stocks = {f: cells.count(c) for c, f in spec.stocks.items()}
            if spec.zero_stock_unrecorded and 0 in stocks.values():
                stocks = {f: None if v == 0 else v for f, v in stocks.items()}
                unrecorded_stocks += 1
            published = {f: cells.count(c, allow_negative=True) for c, f in spec.published.items()}
            region_code, not_region = spec.region(cells)
            if not_region is not None and not cells.issues:
                column, kind = not_region
                _not_a_region(
                    parse, cells, column, kind, [*totals.values(), *stocks.values()], skipped
                )
                continue
            if cells.issues or region_code is None or report_date is None:
                _reject(parse, cells)
                continue
            points.append(
                CumulativePoint(
                    cells.row.line,
                    region_code,
                    report_date,
                    {f: v for f, v in totals.items() if v is not None},
                    stocks,
                    {f: v for f, v in published.items() if v is not None},
                    tuple(cells.row.fields),
                )
            )
        _note_skipped(parse, skipped)
        if unrecorded_stocks:
            parse.notes.append(
                f"{unrecorded_stocks} row(s) give 0 for {', '.join(spec.stocks.values())}, "
                "which this file writes when it did not record the figure: stored as not reported"
            )
        if dated_by_publication:
            points = _superseded_by_publication(points, dated_by_publication, parse)
        daily_from_cumulative(points, parse, file=ctx.file, date_column=spec.date_column)

    return parse_long


def _by_code(column: str) -> Callable[[_Row], tuple[str | None, tuple[str, str] | None]]:
    """Region given by its code (GB/T 2260 or ISO 3166-1) in ``column``."""

    def resolve(cells: _Row) -> tuple[str | None, tuple[str, str] | None]:
        code = cells.text(column)
        if not code:
            cells.issue(column, code, "region code is missing")
            return None, None
        if code not in cells.ctx.regions.codes:
            cells.issue(column, code, "unknown region code")
            return None, None
        return code, None

    return resolve


def _by_alias(
    column: str, scheme: str, unassigned: frozenset[str] = frozenset()
) -> Callable[[_Row], tuple[str | None, tuple[str, str] | None]]:
    """Region given by a publisher's name, mapped through ``region_aliases``."""

    def resolve(cells: _Row) -> tuple[str | None, tuple[str, str] | None]:
        name = cells.text(column)
        if name in unassigned:
            return None, (column, "unassigned")
        code = cells.ctx.regions.alias(scheme, name)
        if code is None:
            cells.issue(column, name, f"unknown name (no alias in scheme {scheme!r})")
        return code, None

    return resolve


def _constant(code: str) -> Callable[[_Row], tuple[str | None, tuple[str, str] | None]]:
    return lambda _cells: (code, None)


def _canghailan_city(cells: _Row) -> tuple[str | None, tuple[str, str] | None]:
    code, name = cells.text("cityCode"), cells.text("city")
    kind = CANGHAILAN_PSEUDO_CODES.get(code) or (
        CANGHAILAN_PSEUDO_UNITS.get(name) if not code else None
    )
    if kind is not None:
        return None, ("cityCode", kind)
    return _by_code("cityCode")(cells)


def _who_country(cells: _Row) -> tuple[str | None, tuple[str, str] | None]:
    code = cells.text("Country_code")
    if not code:
        return None, ("Country_code", f"no country: {cells.text('Country') or 'blank'}")
    mapped = cells.ctx.regions.alias("iso3166", code)
    if mapped is not None:
        return mapped, None
    if code not in cells.ctx.regions.codes:
        cells.issue("Country_code", code, "unknown ISO 3166-1 alpha-2 country code")
        return None, None
    return code, None


_CANGHAILAN_TOTALS = {"confirmed": "new_confirmed", "cured": "new_recovered", "dead": "new_deaths"}
_CANGHAILAN_STOCKS = {"suspected": "current_suspected"}
_JHU_LONG_TOTALS = {
    "confirmed": "new_confirmed",
    "deaths": "new_deaths",
    "recovered": "new_recovered",
}

_parse_canghailan_national = _long_parser(
    _LongSpec("date", _CANGHAILAN_TOTALS, _CANGHAILAN_STOCKS, {}, _constant("CN"))
)
_parse_canghailan_province = _long_parser(
    _LongSpec(
        "date",
        _CANGHAILAN_TOTALS,
        _CANGHAILAN_STOCKS,
        {},
        _by_code("provinceCode"),
        # Suspected cases are recorded for 12-16 provinces a day from 2020-01-20 to
        # 2020-02-06 only; every other cell is 0, Hubei's included on every day (it had
        # thousands under investigation) while the national file's figure stays above
        # 10,000 into February: a 0 here means "not recorded".
        zero_stock_unrecorded=True,
    )
)
_parse_canghailan_city = _long_parser(
    _LongSpec(
        "date",
        _CANGHAILAN_TOTALS,
        _CANGHAILAN_STOCKS,
        {},
        _canghailan_city,
        as_of=canghailan_city_as_of,
    )
)
_parse_ccdc = _long_parser(
    _LongSpec(
        "date",
        {"cum_confirmed": "new_confirmed", "cum_dead": "new_deaths"},
        {},
        {"new_confirmed": "new_confirmed", "new_dead": "new_deaths"},
        _by_code("adcode"),
    )
)
_parse_jhu_china = _long_parser(
    _LongSpec(
        "date",
        _JHU_LONG_TOTALS,
        {},
        {},
        _by_alias("province", "jhu_china_province", frozenset({"Unknown"})),
    )
)
_parse_jhu_country = _long_parser(
    _LongSpec("date", _JHU_LONG_TOTALS, {}, {}, _by_alias("country", "jhu"))
)
_parse_who = _long_parser(
    _LongSpec(
        "Date_reported",
        {"Cumulative_cases": "new_confirmed", "Cumulative_deaths": "new_deaths"},
        {},
        {"New_cases": "new_confirmed", "New_deaths": "new_deaths"},
        _who_country,
    )
)


# --- JHU CSSE wide time series ----------------------------------------------------------


def jhu_header_date(text: str) -> date:
    """A JHU column date ``m/d/yy`` (``1/22/20`` is 2020-01-22)."""
    match = _JHU_DATE.match(text)
    if not match:
        raise ImportFormatError(f"jhu-wide: column {text!r} is not a date (m/d/yy)")
    month, day, year = (int(g) for g in match.groups())
    try:
        return date(2000 + year, month, day)
    except ValueError as exc:
        raise ImportFormatError(f"jhu-wide: column {text!r} is not a date ({exc})") from exc


def jhu_measure_from_name(filename: str) -> str | None:
    """``confirmed``, ``deaths`` or ``recovered`` from a JHU file name, if it says."""
    lowered = filename.lower()
    found = [m for m in JHU_MEASURES if m in lowered]
    return found[0] if len(found) == 1 else None


def _parse_jhu_wide(
    rows: Iterator[CsvRow], header: list[str], ctx: ParseContext, parse: DailyParse
) -> None:
    """Rows are summed per region code: rows of a country's parts that have no region
    code of their own (Canada's provinces, Australia's states) make up the country."""
    measure = ctx.measure or jhu_measure_from_name(ctx.file)
    if measure not in JHU_MEASURES:
        raise ImportFormatError(
            f"jhu-wide: cannot tell which measure {ctx.file!r} holds; name the file "
            "…confirmed…/…deaths…/…recovered… or pass --measure confirmed|deaths|recovered"
        )
    target = JHU_MEASURES[measure]
    days = [jhu_header_date(h) for h in header[len(_JHU_FIXED) :]]
    if not days:
        raise ImportFormatError("jhu-wide: the header has no date columns")
    if any(b <= a for a, b in pairwise(days)):
        raise ImportFormatError("jhu-wide: the date columns are not in increasing order")
    if days[-1] > ctx.today:
        raise ImportFormatError(f"jhu-wide: column {days[-1].isoformat()} is in the future")
    sums: dict[str, list[int]] = {}
    first_line: dict[str, int] = {}
    parts: dict[str, int] = defaultdict(int)
    seen: dict[tuple[str, str], int] = {}
    skipped: dict[str, int] = defaultdict(int)
    regions = ctx.regions
    for cells in _rows(rows, header, ctx, parse):
        province, country = cells.text("Province/State"), cells.text("Country/Region")
        values = [cells.count(h) for h in header[len(_JHU_FIXED) :]]
        previous = seen.get((country, province))
        if previous is not None:
            cells.issue(
                "Country/Region",
                f"{country}|{province}",
                f"duplicate row: line {previous} has the same place",
            )
        code: str | None = None
        own_code = True
        if country == "China" and province:
            code = regions.alias("jhu_china_province", province)
            if code is None and not cells.issues:
                _not_a_region(parse, cells, "Province/State", "unassigned", values, skipped)
                continue
        elif province:
            code = regions.alias("jhu_subnational", f"{country}|{province}")
            if code is None:
                code, own_code = regions.alias("jhu", country), False
        else:
            code = regions.alias("jhu", country)
        if code is None:
            cells.issue("Country/Region", country, "unknown name (no alias in scheme 'jhu')")
        if cells.issues or code is None:
            _reject(parse, cells)
            continue
        seen[(country, province)] = cells.row.line
        counts = [v or 0 for v in values]
        if code in sums:
            sums[code] = [a + b for a, b in zip(sums[code], counts, strict=True)]
        else:
            sums[code], first_line[code] = counts, cells.row.line
        if not own_code:
            parts[f"{country} → {code}"] += 1
    _note_skipped(parse, skipped)
    if parts:
        parse.notes.append(
            "rows of parts without a region code of their own summed into "
            "their country: " + ", ".join(f"{k} ({n} row(s))" for k, n in sorted(parts.items()))
        )
    points = [
        CumulativePoint(first_line[code], code, day, {target: total})
        for code, totals in sums.items()
        for day, total in zip(days, totals, strict=True)
    ]
    daily_from_cumulative(points, parse, file=ctx.file)


# --- fangkong-daily (CSV and JSON) ------------------------------------------------------


def _daily_report(
    source: str, region_code: str, report_date: date, values: Mapping[str, int | None]
) -> DailyReport:
    report = DailyReport(region_code, report_date, source)
    for name, value in values.items():
        setattr(report, name, value)
        if value is not None and value < 0:
            report.flags.append(f"negative:{name}")
    return report


def _finish_daily(
    parse: DailyParse,
    ctx: ParseContext,
    items: list[ParsedDaily],
    raws: Mapping[int, tuple[str, ...]],
) -> None:
    """Reject duplicated days, keep the rest, note gaps."""
    points = [
        CumulativePoint(
            i.line,
            i.report.region_code,
            i.report.report_date,
            {k: v for k, v in i.report.counts().items() if v is not None},
            fields=raws[i.line],
        )
        for i in items
    ]
    by_region, rejected = drop_duplicate_days(points, file=ctx.file)
    parse.rejected.extend(rejected)
    kept = {p.line for series in by_region.values() for p in series}
    parse.reports.extend(i for i in items if i.line in kept)
    note_gaps_in_daily(parse)


def _check_count(name: str, value: int | None) -> str | None:
    if value is not None and value < 0 and name not in CORRECTABLE_FIELDS:
        return (
            "negative count (only daily figures corrected by their publisher may be "
            f"negative: {', '.join(sorted(CORRECTABLE_FIELDS))})"
        )
    return None


def _parse_fangkong_csv(
    rows: Iterator[CsvRow], header: list[str], ctx: ParseContext, parse: DailyParse
) -> None:
    unknown = [h for h in header if h not in ("region_code", "report_date", *COUNT_FIELDS)]
    if unknown:
        raise ImportFormatError(
            f"fangkong-daily: unknown column(s) {', '.join(unknown)}; the columns are "
            f"region_code, report_date and any of {', '.join(COUNT_FIELDS)}"
        )
    fields = [h for h in header if h in COUNT_FIELDS]
    items: list[ParsedDaily] = []
    raws: dict[int, tuple[str, ...]] = {}
    for cells in _rows(rows, header, ctx, parse):
        region_code = _by_code("region_code")(cells)[0]
        report_date = cells.date("report_date")
        values: dict[str, int | None] = {}
        for name in fields:
            value = cells.count(name, allow_negative=True, blank_ok=True)
            reason = _check_count(name, value)
            if reason:
                cells.issue(name, cells.text(name), reason)
            values[name] = value
        if cells.issues or region_code is None or report_date is None:
            _reject(parse, cells)
            continue
        raws[cells.row.line] = tuple(cells.row.fields)
        items.append(
            ParsedDaily(
                cells.row.line,
                _daily_report(parse.source, region_code, report_date, values),
                tuple(fields),
            )
        )
    _finish_daily(parse, ctx, items, raws)


def parse_daily_items(items: Sequence[Any], ctx: ParseContext, parse: DailyParse) -> None:
    """Parse JSON objects of the ``fangkong-daily`` format. An issue's ``line`` is the
    1-based position of the item and its ``column`` the member name, so that an API can
    point at ``/items/<line - 1>/<column>`` (RFC 6901)."""
    allowed = ("region_code", "report_date", *COUNT_FIELDS)
    parsed: list[ParsedDaily] = []
    raws: dict[int, tuple[str, ...]] = {}
    for position, item in enumerate(items, start=1):
        parse.rows_read += 1
        raw = (json.dumps(item, ensure_ascii=False),)
        issues: list[RowIssue] = []

        def bad(
            column: str,
            value: object,
            reason: str,
            line: int = position,
            into: list[RowIssue] = issues,
        ) -> None:
            shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            into.append(RowIssue(ctx.file, line, column, shown, reason))

        if not isinstance(item, dict):
            bad("*", item, "not a JSON object")
            parse.rejected.append(RejectedRow(position, raw, tuple(issues)))
            continue
        for key in item:
            if key not in allowed:
                bad(str(key), item[key], "unknown field")
        region_code = item.get("region_code")
        if not isinstance(region_code, str) or not region_code:
            bad("region_code", region_code, "region_code is required (a string)")
            region_code = None
        elif region_code not in ctx.regions.codes:
            bad("region_code", region_code, "unknown region code")
            region_code = None
        report_date: date | None = None
        text = item.get("report_date")
        if not isinstance(text, str):
            bad("report_date", text, "report_date is required (YYYY-MM-DD)")
        else:
            try:
                report_date = parse_iso_date(text, today=ctx.today)
            except CellError as exc:
                bad("report_date", text, str(exc))
        values: dict[str, int | None] = {}
        for name in COUNT_FIELDS:
            if name not in item:
                continue
            value = item[name]
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                bad(name, value, "not a whole number (or null for not reported)")
                continue
            reason = _check_count(name, value)
            if reason:
                bad(name, value, reason)
            values[name] = value
        if issues or region_code is None or report_date is None:
            parse.rejected.append(RejectedRow(position, raw, tuple(issues)))
            continue
        raws[position] = raw
        parsed.append(
            ParsedDaily(
                position,
                _daily_report(parse.source, region_code, report_date, values),
                tuple(values),
            )
        )
    _finish_daily(parse, ctx, parsed, raws)


def _parse_fangkong_json(text: str, ctx: ParseContext, parse: DailyParse) -> None:
    try:
        document = load_json(text)
    except ImportFormatError as exc:
        raise ImportFormatError(f"fangkong-daily JSON: {exc}") from exc
    items = document.get("items") if isinstance(document, dict) else document
    named = document.get("source") if isinstance(document, dict) else None
    if named is not None and ctx.source is None:
        if not isinstance(named, str) or not SOURCE_PATTERN.match(named):
            raise ImportFormatError(
                f"fangkong-daily JSON: source {named!r} must be 1-32 characters of a-z, "
                "0-9, '_' or '-'"
            )
        parse.source = named
    if not isinstance(items, list):
        raise ImportFormatError(
            "fangkong-daily JSON: expected a list of reports or an object with 'items'"
        )
    parse_daily_items(items, ctx, parse)


# --- registry and entry point -----------------------------------------------------------

FORMATS: dict[str, DailyFormat] = {
    f.name: f
    for f in (
        DailyFormat(
            "fangkong-daily",
            "Fangkong daily reports (CSV or JSON)",
            ("region_code", "report_date"),
            "fangkong",
            _parse_fangkong_csv,
        ),
        DailyFormat(
            "jhu-wide", "JHU CSSE global time series (wide)", _JHU_FIXED, "jhu", _parse_jhu_wide
        ),
        DailyFormat(
            "jhu-china-province",
            "JHU CSSE China provinces (long)",
            ("province", "date", "confirmed", "deaths", "recovered"),
            "jhu",
            _parse_jhu_china,
        ),
        DailyFormat(
            "jhu-country-long",
            "JHU CSSE countries (long)",
            ("country", "date", "confirmed", "deaths", "recovered"),
            "jhu",
            _parse_jhu_country,
        ),
        DailyFormat(
            "canghailan-national",
            "canghailan China national totals",
            ("date", "confirmed", "suspected", "cured", "dead"),
            "canghailan",
            _parse_canghailan_national,
        ),
        DailyFormat(
            "canghailan-province",
            "canghailan China provinces",
            (
                "date",
                "province",
                "province_en",
                "provinceCode",
                "confirmed",
                "suspected",
                "cured",
                "dead",
            ),
            "canghailan",
            _parse_canghailan_province,
        ),
        DailyFormat(
            "canghailan-city",
            "canghailan Hubei cities",
            ("date", "city", "cityCode", "confirmed", "suspected", "cured", "dead"),
            "canghailan",
            _parse_canghailan_city,
        ),
        DailyFormat(
            "ccdc-province",
            "China CDC dashboard provinces",
            (
                "date",
                "province",
                "adcode",
                "cum_confirmed",
                "new_confirmed",
                "cum_dead",
                "new_dead",
            ),
            "ccdc",
            _parse_ccdc,
        ),
        DailyFormat(
            "who-daily",
            "WHO COVID-19 global daily table",
            (
                "Date_reported",
                "Country_code",
                "Country",
                "WHO_region",
                "New_cases",
                "Cumulative_cases",
                "New_deaths",
                "Cumulative_deaths",
            ),
            "who",
            _parse_who,
        ),
    )
}


def known_formats() -> str:
    return ", ".join(FORMATS)


def detect_format(header: Sequence[str]) -> DailyFormat | None:
    """The most specific format whose required columns are all in ``header``."""
    names = set(header)
    matches = [f for f in FORMATS.values() if set(f.columns) <= names]
    if not matches:
        return None
    return max(matches, key=lambda f: len(f.columns))


def parse_daily_text(
    text: IO[str], ctx: ParseContext, *, format_name: str | None = None
) -> DailyParse:
    """Read a whole daily-report file. Raises :class:`ImportFormatError` when the file
    as a whole cannot be read (unknown layout, missing columns, broken JSON) or holds
    no data row (an empty file, a header alone: most likely a failed export)."""
    if format_name is not None and format_name not in FORMATS:
        raise ImportFormatError(f"unknown format {format_name!r}; known formats: {known_formats()}")
    content = text.read()
    if content.lstrip()[:1] in ("[", "{"):
        if format_name not in (None, "fangkong-daily"):
            raise ImportFormatError(f"{ctx.file}: a JSON file, but format {format_name} is CSV")
        parse = DailyParse("fangkong-daily", ctx.source or "fangkong", ["json"])
        _parse_fangkong_json(content, ctx, parse)
        if not parse.rows_read:
            raise ImportFormatError(f"{ctx.file}: the JSON file holds no reports")
        return parse
    rows = iter_csv(io.StringIO(content))
    first = next(rows, None)
    if first is None:
        raise ImportFormatError(f"{ctx.file}: the file is empty")
    header = normalise_header(first.fields)
    fmt = FORMATS[format_name] if format_name else detect_format(header)
    if fmt is None:
        shown = ",".join(header)[:120]
        raise ImportFormatError(
            f"{ctx.file}: unknown daily-report layout (header {shown!r}); known formats: "
            f"{known_formats()}"
        )
    missing = [c for c in fmt.columns if c not in header]
    if missing:
        raise ImportFormatError(
            f"{ctx.file}: missing required column(s) for format {fmt.name}: {', '.join(missing)}"
        )
    duplicated = sorted({h for h in header if header.count(h) > 1})
    if duplicated:
        raise ImportFormatError(f"{ctx.file}: column(s) named twice: {', '.join(duplicated)}")
    parse = DailyParse(fmt.name, ctx.source or fmt.default_source, header)
    fmt.parser(rows, header, ctx, parse)
    if not parse.rows_read:
        raise ImportFormatError(f"{ctx.file}: the file has a header but no data rows")
    return parse
