"""Daily reports: one region's figures for one day, as China's daily bulletins give them.

The bulletins of the National Health Commission report, for the 0-24 h window of a day,
new confirmed cases (local and imported), new suspected cases, new deaths, new recoveries
(discharged), severe cases currently in hospital, new asymptomatic infections and close
contacts under medical observation. Only daily figures are stored; cumulative figures are
derived by summation (:func:`cumulate`) and never stored twice.

Cumulative source series (JHU CSSE, the canghailan archive of the official figures) are
turned into increments by :func:`increments_from_cumulative`. A fall in a cumulative
series is a *correction* made by the publisher: it is kept as a negative increment and
flagged, never clipped to zero (clipping would silently change the published total).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

#: Daily count fields (flows: events during the day).
FLOW_FIELDS: tuple[str, ...] = (
    "new_confirmed",
    "new_confirmed_imported",
    "new_suspected",
    "new_deaths",
    "new_recovered",
    "new_asymptomatic",
    "tests",
)
#: Stock fields (a count at 24:00 of the day); these are not summed.
STOCK_FIELDS: tuple[str, ...] = (
    "current_severe",
    "current_suspected",
    "close_contacts_under_observation",
)
COUNT_FIELDS: tuple[str, ...] = FLOW_FIELDS + STOCK_FIELDS
#: Flow fields that may legitimately be negative (a publisher's correction).
CORRECTABLE_FIELDS: frozenset[str] = frozenset(
    {"new_confirmed", "new_confirmed_imported", "new_deaths", "new_recovered", "new_suspected"}
)


@dataclass(slots=True)
class DailyReport:
    """Figures of one region for one ``report_date`` from one ``source``.

    ``None`` means *not reported*, which differs from zero. ``new_confirmed`` is the total
    of local and imported cases; ``new_confirmed_local`` is derived.
    """

    region_code: str
    report_date: date
    source: str
    new_confirmed: int | None = None
    new_confirmed_imported: int | None = None
    new_suspected: int | None = None
    new_deaths: int | None = None
    new_recovered: int | None = None
    new_asymptomatic: int | None = None
    tests: int | None = None
    current_severe: int | None = None
    current_suspected: int | None = None
    close_contacts_under_observation: int | None = None
    flags: list[str] = field(default_factory=list)

    @property
    def new_confirmed_local(self) -> int | None:
        if self.new_confirmed is None or self.new_confirmed_imported is None:
            return None
        return self.new_confirmed - self.new_confirmed_imported

    def counts(self) -> dict[str, int | None]:
        return {name: getattr(self, name) for name in COUNT_FIELDS}


@dataclass(frozen=True, slots=True)
class Increment:
    """A daily increment derived from two cumulative values."""

    report_date: date
    value: int
    cumulative: int
    negative: bool
    gap_days: int  # days skipped before this one (0 when the previous day was present)


def increments_from_cumulative(
    series: Sequence[tuple[date, int]],
    start_value: int = 0,
) -> list[Increment]:
    """Turn a date-sorted cumulative series into daily increments.

    The first value's increment is measured from ``start_value`` (0 for a series that
    starts at the beginning of an epidemic). When days are missing, the whole difference
    lands on the next present day and ``gap_days`` says how many days were skipped.
    """
    out: list[Increment] = []
    previous_value = start_value
    previous_date: date | None = None
    for report_date, cumulative in series:
        if previous_date is not None and report_date <= previous_date:
            raise ValueError(f"series not strictly increasing in date at {report_date}")
        gap = 0 if previous_date is None else (report_date - previous_date).days - 1
        delta = cumulative - previous_value
        out.append(Increment(report_date, delta, cumulative, delta < 0, gap))
        previous_value = cumulative
        previous_date = report_date
    return out


def cumulate(reports: Iterable[DailyReport], field_name: str) -> list[tuple[date, int]]:
    """Running total of a flow field over date-sorted reports; missing days count 0."""
    if field_name not in FLOW_FIELDS:
        raise ValueError(f"{field_name} is not a daily flow field")
    total = 0
    out: list[tuple[date, int]] = []
    for report in sorted(reports, key=lambda r: r.report_date):
        value = getattr(report, field_name)
        total += value or 0
        out.append((report.report_date, total))
    return out


def date_range(first: date, last: date) -> list[date]:
    """Every date from ``first`` to ``last`` inclusive."""
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]
