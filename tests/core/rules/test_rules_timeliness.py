"""Deadlines, report statuses, the scorecard and urgent-event limits."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from fangkong.core.regions import RegionLevel
from fangkong.core.rules import timeliness as t
from fangkong.core.rules.timeliness import DeadlineRule, Status, Submission

BJT = timedelta(hours=8)
DAY = date(2020, 2, 1)


def utc(y: int, mo: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=UTC)


def test_default_deadline_is_next_morning_beijing_time() -> None:
    due = DeadlineRule().deadline(DAY)
    assert due.utcoffset() == BJT
    assert due.astimezone(UTC) == utc(2020, 2, 2, 1)  # 09:00 +08:00


def test_rule_checks() -> None:
    assert DeadlineRule("23:59", 0).check().due_time == "23:59"
    for bad, match in [
        (DeadlineRule("24:00"), "HH:MM"),
        (DeadlineRule("9:00"), "HH:MM"),
        (DeadlineRule(day_offset=8), "day_offset"),
        (DeadlineRule(timezone="Mars/Olympus"), "time zone"),
        (DeadlineRule(urgent_limit_minutes=0), "urgent_limit"),
    ]:
        with pytest.raises(t.InvalidRule, match=match):
            bad.check()


def test_resolve_order_region_level_every_default() -> None:
    conf = {
        "420100": DeadlineRule("08:00"),
        "@prefecture": DeadlineRule("10:00"),
        "*": DeadlineRule("12:00"),
    }
    assert t.resolve_rule("420100", "prefecture", conf) == (conf["420100"], "420100")
    assert t.resolve_rule("420200", "prefecture", conf)[1] == "@prefecture"
    assert t.resolve_rule("420000", "province", conf)[1] == "*"
    rule, key = t.resolve_rule("420000", RegionLevel.PROVINCE, {})
    assert key == "default" and rule.urgent_limit_minutes == t.ONE_HOUR  # art. 19
    assert t.resolve_rule("420102", "county", {})[0].urgent_limit_minutes == t.TWO_HOURS


def test_evaluate_statuses() -> None:
    due = DeadlineRule().deadline(DAY)
    now = due + timedelta(days=3)
    on_time = t.evaluate("420000", DAY, due, [Submission(due)], now)
    assert on_time.status == Status.ON_TIME and not on_time.corrected
    late = t.evaluate("420000", DAY, due, [Submission(due + timedelta(minutes=95))], now)
    assert late.status == Status.LATE and late.minutes_late == 95
    missing = t.evaluate("420000", DAY, due, [], now)
    assert missing.status == Status.MISSING
    assert t.evaluate("420000", DAY, due, [], due - timedelta(seconds=1)).status == Status.PENDING
    fixed = t.evaluate(
        "420000",
        DAY,
        due,
        [
            Submission(due + timedelta(days=1), correction=True),
            Submission(due - timedelta(hours=2)),
        ],
        now,
    )
    assert fixed.status == Status.ON_TIME and fixed.corrected and fixed.corrections == 1
    # a second source's first submission is not a correction
    two = t.evaluate("420000", DAY, due, [Submission(due), Submission(due + BJT)], now)
    assert not two.corrected


def test_scorecard_counts_and_alerts() -> None:
    days = [DAY + timedelta(days=i) for i in range(4)]
    rule = DeadlineRule()
    subs = {
        ("A", days[0]): [Submission(rule.deadline(days[0]) - timedelta(hours=1))],
        ("A", days[1]): [Submission(rule.deadline(days[1]) + timedelta(minutes=30))],
        ("A", days[2]): [
            Submission(rule.deadline(days[2])),
            Submission(rule.deadline(days[2]) + timedelta(hours=5), correction=True),
        ],
        ("B", days[1]): [Submission(rule.deadline(days[1]) + timedelta(minutes=90))],
    }
    now = rule.deadline(days[2]) + timedelta(hours=6)  # day 3 is still pending
    rows, alerts = t.scorecard([("A", "province"), ("B", "province")], days, {}, subs, now)
    a, b = rows
    assert (a.expected, a.on_time, a.late, a.missing, a.pending, a.corrected) == (4, 2, 1, 0, 1, 1)
    assert (b.on_time, b.late, b.missing, b.pending) == (0, 1, 2, 1)
    assert a.on_time_rate == pytest.approx(2 / 3) and b.median_minutes_late == 90
    assert [(e.region_code, e.status.value) for e in alerts] == [
        ("B", "missing"),
        ("B", "late"),
        ("A", "late"),
        ("B", "missing"),
    ]


def test_median_of_even_count() -> None:
    row = t.ScoreRow("A", "default", minutes_late=[10, 30])
    assert row.median_minutes_late == 20
    assert t.ScoreRow("A", "default").on_time_rate is None


def test_event_limits() -> None:
    seen = utc(2020, 1, 20, 8)
    assert (
        t.evaluate_event(seen, seen + timedelta(minutes=119), 120, seen).status.value == "on_time"
    )
    late = t.evaluate_event(seen, seen + timedelta(minutes=61), t.ONE_HOUR, seen)
    assert late.status.value == "late" and late.minutes_taken == 61
    assert t.evaluate_event(seen, None, 120, seen + timedelta(hours=1)).status.value == "pending"
    overdue = t.evaluate_event(seen, None, 120, seen + timedelta(hours=3))
    assert overdue.status.value == "overdue" and overdue.due_at == seen + timedelta(hours=2)
