"""Per-region series checks: duplicated days, skipped days, cumulative → daily.

Cumulative files (JHU CSSE, canghailan, the China CDC dashboard, WHO) give running
totals; the store keeps daily figures only, so each region's series is turned into
increments by :func:`fangkong.core.reports.increments_from_cumulative`:

* the first day of a series carries the whole total up to that day (the series is
  measured from zero), so that summing the stored days gives the published total;
* a skipped day is not invented: the increment of the next present day covers it;
* a fall of a total (a publisher's correction) is kept as a negative increment, flagged
  ``negative:<field>`` and reported as a :class:`~.daily_records.Correction`;
* a second row for the same region and day is rejected (the first one is used).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from itertools import pairwise

from fangkong.core.importing.daily_records import (
    Correction,
    DailyParse,
    ParsedDaily,
    RejectedRow,
)
from fangkong.core.reports import DailyReport, increments_from_cumulative
from fangkong.core.validation import RowIssue

#: How many examples a note lists before summarising the rest.
NOTE_EXAMPLES = 10


@dataclass(frozen=True, slots=True)
class CumulativePoint:
    """One region's totals on one day, as read from a row (or summed from several).

    ``cumulative`` maps a daily flow field (``new_deaths``) to the running total of the
    file; ``stocks`` are stock fields stored as they are (``current_suspected``);
    ``published`` are daily figures the file also gives, checked against the totals."""

    line: int
    region_code: str
    report_date: date
    cumulative: Mapping[str, int]
    stocks: Mapping[str, int | None] = field(default_factory=dict)
    published: Mapping[str, int] = field(default_factory=dict)
    fields: tuple[str, ...] = ()


def _summarise(items: list[str], what: str) -> str:
    shown = "; ".join(items[:NOTE_EXAMPLES])
    more = f"; and {len(items) - NOTE_EXAMPLES} more" if len(items) > NOTE_EXAMPLES else ""
    return f"{len(items)} {what}: {shown}{more}"


def drop_duplicate_days(
    points: Iterable[CumulativePoint],
    *,
    file: str,
    date_column: str = "report_date",
    key: Callable[[CumulativePoint], tuple[str, date]] = lambda p: (p.region_code, p.report_date),
) -> tuple[dict[str, list[CumulativePoint]], list[RejectedRow]]:
    """Group points by region in date order; a second point for a region and day is
    rejected with a reason naming the line it duplicates (the issue names the file's
    own ``date_column``)."""
    seen: dict[tuple[str, date], CumulativePoint] = {}
    rejected: list[RejectedRow] = []
    by_region: dict[str, list[CumulativePoint]] = defaultdict(list)
    for point in sorted(points, key=lambda p: p.line):
        first = seen.get(key(point))
        if first is not None:
            same = first.cumulative == point.cumulative and first.stocks == point.stocks
            kind = "identical values" if same else "different values"
            issue = RowIssue(
                file,
                point.line,
                date_column,
                point.report_date.isoformat(),
                f"duplicate day: line {first.line} already gives {point.region_code} on "
                f"this date ({kind}); the first is used",
            )
            rejected.append(RejectedRow(point.line, point.fields, (issue,)))
            continue
        seen[key(point)] = point
        by_region[point.region_code].append(point)
    for series in by_region.values():
        series.sort(key=lambda p: p.report_date)
    return dict(by_region), rejected


def daily_from_cumulative(
    points: Iterable[CumulativePoint],
    parse: DailyParse,
    *,
    file: str,
    date_column: str = "report_date",
) -> None:
    """Turn cumulative points into daily reports, adding them, rejected duplicates,
    corrections and notes (gaps, first days, disagreeing daily columns) to ``parse``."""
    by_region, rejected = drop_duplicate_days(points, file=file, date_column=date_column)
    parse.rejected.extend(rejected)
    gaps: list[str] = []
    disagreements: list[str] = []
    starts: dict[date, int] = defaultdict(int)
    for region_code in sorted(by_region):
        series = by_region[region_code]
        starts[series[0].report_date] += 1
        measures = sorted({m for p in series for m in p.cumulative})
        stocks = sorted({s for p in series for s in p.stocks})
        provided = tuple(measures + stocks)
        reports = [
            ParsedDaily(p.line, DailyReport(region_code, p.report_date, parse.source), provided)
            for p in series
        ]
        for measure in measures:
            present = [(i, p) for i, p in enumerate(series) if measure in p.cumulative]
            steps = increments_from_cumulative(
                [(p.report_date, p.cumulative[measure]) for _, p in present]
            )
            previous = 0
            for (index, point), step in zip(present, steps, strict=True):
                report = reports[index].report
                setattr(report, measure, step.value)
                if step.negative:
                    report.flags.append(f"negative:{measure}")
                    parse.corrections.append(
                        Correction(
                            region_code, step.report_date, measure, previous, step.cumulative
                        )
                    )
                if step.gap_days and measure == measures[0]:
                    gaps.append(
                        f"{region_code} {step.gap_days} day(s) before "
                        f"{step.report_date.isoformat()}"
                    )
                published = point.published.get(measure)
                if published is not None and published != step.value:
                    disagreements.append(
                        f"{region_code} {step.report_date.isoformat()} {measure} "
                        f"(published {published}, difference of totals {step.value})"
                    )
                previous = step.cumulative
        for index, point in enumerate(series):
            for stock in stocks:
                setattr(reports[index].report, stock, point.stocks.get(stock))
        parse.reports.extend(reports)
    if starts:
        first_days = ", ".join(
            f"{d.isoformat()} ({n} region(s))" for d, n in sorted(starts.items())[:NOTE_EXAMPLES]
        )
        parse.notes.append(
            "cumulative totals were turned into daily increments; the first day of each "
            f"region's series carries the whole total up to that day (first days: "
            f"{first_days})"
        )
    if gaps:
        parse.notes.append(
            _summarise(gaps, "skipped day(s) (the increment of the next present day covers them)")
        )
    if disagreements:
        parse.notes.append(
            _summarise(
                disagreements,
                "day(s) where the file's own daily figure differs from the "
                "difference of its cumulative totals; the totals were used so that stored "
                "days add up to the published totals",
            )
        )
    if parse.corrections:
        parse.notes.append(
            _summarise(
                [
                    f"{c.region_code} {c.report_date.isoformat()} {c.field} {c.value:+d}"
                    for c in parse.corrections
                ],
                "fall(s) of a cumulative total kept as negative daily figures (publisher's "
                "corrections, flagged negative:<field>)",
            )
        )


def note_gaps_in_daily(parse: DailyParse) -> None:
    """For files of daily figures: days missing inside a region's series are noted
    (they are *not reported*, not zero)."""
    by_region: dict[str, list[date]] = defaultdict(list)
    for item in parse.reports:
        by_region[item.report.region_code].append(item.report.report_date)
    gaps: list[str] = []
    for region_code in sorted(by_region):
        days = sorted(by_region[region_code])
        for before, after in pairwise(days):
            missing = (after - before).days - 1
            if missing > 0:
                gaps.append(f"{region_code} {missing} day(s) before {after.isoformat()}")
    if gaps:
        parse.notes.append(
            _summarise(gaps, "skipped day(s) (not reported: no figures stored for them)")
        )
