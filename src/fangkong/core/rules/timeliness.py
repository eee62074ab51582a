"""Reporting accountability: deadlines of daily reports and urgent event reports, the
status of each expected report, and the per-region scorecard.

Daily reports. Every region in scope owes one daily report per ``report_date`` (the
0-24 h window of that day). Its deadline is ``due_time`` on ``report_date +
day_offset`` in the region's time zone. No regulation fixes the hour; the platform's
default (next day 09:00 Beijing time) leaves the national bulletin, published in the
morning, time to be compiled. A deadline rule is looked up for the region itself,
then for its administrative level (``@province``, ``@prefecture`` …), then for every
region (``*``), then the built-in default.

An expected report is

* **on time** — its first submission came at or before the deadline;
* **late** — its first submission came after the deadline (minutes late are kept);
* **missing** — nothing was submitted and the deadline has passed;
* **pending** — nothing was submitted yet, but the deadline is still ahead (not scored);

and, independently, **later corrected** when a correction was submitted after the
first submission (a changed figure, see services/daily_reports.py). Corrected reports
are therefore also counted as on time or late.

Urgent events. The Regulation on Public Health Emergencies (《突发公共卫生事件应急
条例》, State Council Decree No. 376, 2003) sets the limits used by default:

* art. 20 — monitoring institutions, medical and health institutions and other units
  report within **2 hours** of discovering an event to the county health
  administration, and each government level passes the report up within 2 hours;
* art. 19 — a province (autonomous region, municipality) reports to the health
  administration of the State Council within **1 hour** of receiving the report.

So the default urgent limit is 60 minutes for provincial units and 120 minutes for
every other unit; the limit is configurable with the daily deadline. (Network direct
reporting of class A and class-A-managed diseases is likewise due within 2 hours under
the 《传染病信息报告管理规范》.)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fangkong.core.regions import RegionLevel

#: Key of the rule for every region.
EVERY_REGION = "*"
#: Prefix of a rule key for an administrative level (``@county``).
LEVEL_PREFIX = "@"
DEFAULT_TIMEZONE = "Asia/Shanghai"
#: Art. 20: 2 hours for reporting units and each level below the province.
TWO_HOURS = 120
#: Art. 19: 1 hour for a province reporting to the State Council's health department.
ONE_HOUR = 60
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class InvalidRule(ValueError):
    """A deadline rule with an impossible value."""


@dataclass(frozen=True, slots=True)
class DeadlineRule:
    """When a region's daily report is due, and its urgent-event limit."""

    due_time: str = "09:00"
    day_offset: int = 1
    timezone: str = DEFAULT_TIMEZONE
    urgent_limit_minutes: int = TWO_HOURS

    def check(self) -> DeadlineRule:
        """Return the rule, or raise :class:`InvalidRule` naming the bad member."""
        if not _HHMM.match(self.due_time):
            raise InvalidRule(f"due_time must be HH:MM (00:00-23:59), not {self.due_time!r}")
        if not 0 <= self.day_offset <= 7:
            raise InvalidRule(f"day_offset must be 0-7 days, not {self.day_offset}")
        if not 1 <= self.urgent_limit_minutes <= 24 * 60:
            raise InvalidRule(
                f"urgent_limit_minutes must be 1-1440, not {self.urgent_limit_minutes}"
            )
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise InvalidRule(f"unknown time zone {self.timezone!r}") from exc
        return self

    def deadline(self, report_date: date) -> datetime:
        """The aware moment the report of ``report_date`` is due."""
        hour, minute = (int(x) for x in self.due_time.split(":"))
        day = report_date + timedelta(days=self.day_offset)
        return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(self.timezone))


def level_key(level: RegionLevel | str) -> str:
    return f"{LEVEL_PREFIX}{RegionLevel(level).value}"


def default_rule(level: RegionLevel | str | None) -> DeadlineRule:
    """The built-in rule: next day 09:00 Beijing time; 1-hour urgent limit for a
    province (art. 19), 2 hours otherwise (art. 20)."""
    if level is not None and RegionLevel(level) == RegionLevel.PROVINCE:
        return DeadlineRule(urgent_limit_minutes=ONE_HOUR)
    return DeadlineRule()


def resolve_rule(
    region_code: str,
    level: RegionLevel | str | None,
    configured: Mapping[str, DeadlineRule],
) -> tuple[DeadlineRule, str]:
    """The rule that applies to a region and where it comes from (its key, or
    ``default``)."""
    keys = [region_code]
    if level is not None:
        keys.append(level_key(level))
    keys.append(EVERY_REGION)
    for key in keys:
        if key in configured:
            return configured[key], key
    return default_rule(level), "default"


class Status(StrEnum):
    ON_TIME = "on_time"
    LATE = "late"
    MISSING = "missing"
    PENDING = "pending"


@dataclass(frozen=True, slots=True)
class Submission:
    submitted_at: datetime
    correction: bool = False


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The status of one expected report."""

    region_code: str
    report_date: date
    deadline: datetime
    status: Status
    first_submitted_at: datetime | None
    minutes_late: int | None
    corrected: bool
    corrections: int


def evaluate(
    region_code: str,
    report_date: date,
    deadline: datetime,
    submissions: Iterable[Submission],
    now: datetime,
) -> Evaluation:
    """Status of one expected daily report at ``now`` (aware datetimes)."""
    subs = sorted(submissions, key=lambda s: s.submitted_at)
    if not subs:
        status = Status.MISSING if now > deadline else Status.PENDING
        return Evaluation(region_code, report_date, deadline, status, None, None, False, 0)
    first = subs[0].submitted_at
    late = first > deadline
    minutes = int((first - deadline).total_seconds() // 60) if late else None
    corrections = sum(1 for s in subs if s.correction)
    return Evaluation(
        region_code,
        report_date,
        deadline,
        Status.LATE if late else Status.ON_TIME,
        first,
        minutes,
        corrections > 0,
        corrections,
    )


@dataclass(slots=True)
class ScoreRow:
    """One region's counts over a period."""

    region_code: str
    rule_key: str
    expected: int = 0
    on_time: int = 0
    late: int = 0
    missing: int = 0
    pending: int = 0
    corrected: int = 0
    minutes_late: list[int] = field(default_factory=list)

    @property
    def scored(self) -> int:
        """Reports whose deadline has passed (on time + late + missing)."""
        return self.on_time + self.late + self.missing

    @property
    def on_time_rate(self) -> float | None:
        return None if not self.scored else self.on_time / self.scored

    @property
    def median_minutes_late(self) -> float | None:
        values = sorted(self.minutes_late)
        if not values:
            return None
        mid = len(values) // 2
        return float(values[mid]) if len(values) % 2 else (values[mid - 1] + values[mid]) / 2

    def add(self, ev: Evaluation) -> None:
        self.expected += 1
        if ev.status == Status.ON_TIME:
            self.on_time += 1
        elif ev.status == Status.LATE:
            self.late += 1
            if ev.minutes_late is not None:
                self.minutes_late.append(ev.minutes_late)
        elif ev.status == Status.MISSING:
            self.missing += 1
        else:
            self.pending += 1
        if ev.corrected:
            self.corrected += 1


def scorecard(
    units: Sequence[tuple[str, RegionLevel | str | None]],
    dates: Sequence[date],
    configured: Mapping[str, DeadlineRule],
    submissions: Mapping[tuple[str, date], Sequence[Submission]],
    now: datetime,
) -> tuple[list[ScoreRow], list[Evaluation]]:
    """Count every unit's expected reports on ``dates``; also return the late and
    missing ones (the alerts), newest first."""
    rows: list[ScoreRow] = []
    alerts: list[Evaluation] = []
    for code, level in units:
        rule, key = resolve_rule(code, level, configured)
        row = ScoreRow(code, key)
        for day in dates:
            ev = evaluate(code, day, rule.deadline(day), submissions.get((code, day), ()), now)
            row.add(ev)
            if ev.status in (Status.LATE, Status.MISSING):
                alerts.append(ev)
        rows.append(row)
    alerts.sort(key=lambda e: (e.report_date, e.region_code), reverse=True)
    return rows, alerts


class EventStatus(StrEnum):
    ON_TIME = "on_time"
    LATE = "late"
    OVERDUE = "overdue"  # not reported yet, and the limit has passed
    PENDING = "pending"  # not reported yet, still within the limit


@dataclass(frozen=True, slots=True)
class EventEvaluation:
    status: EventStatus
    due_at: datetime
    minutes_taken: int | None
    limit_minutes: int


def evaluate_event(
    detected_at: datetime, reported_at: datetime | None, limit_minutes: int, now: datetime
) -> EventEvaluation:
    """An urgent event report against its limit (art. 19/20 by default)."""
    due = detected_at + timedelta(minutes=limit_minutes)
    if reported_at is None:
        status = EventStatus.OVERDUE if now > due else EventStatus.PENDING
        return EventEvaluation(status, due, None, limit_minutes)
    taken = int((reported_at - detected_at).total_seconds() // 60)
    status = EventStatus.LATE if reported_at > due else EventStatus.ON_TIME
    return EventEvaluation(status, due, taken, limit_minutes)
