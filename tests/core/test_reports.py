"""Daily increments from cumulative series, and cumulative figures from daily ones."""

from __future__ import annotations

from datetime import date

import pytest

from fangkong.core.reports import DailyReport, cumulate, date_range, increments_from_cumulative


def d(day: int, month: int = 2) -> date:
    return date(2020, month, day)


def test_hubei_clinically_diagnosed_jump_is_kept() -> None:
    # Hubei cumulative confirmed as published for 2020-02-10..13 (NHC bulletins).
    series = [(d(10), 31728), (d(11), 33366), (d(12), 48206), (d(13), 51986)]
    incs = increments_from_cumulative(series, start_value=29631)
    assert [i.value for i in incs] == [2097, 1638, 14840, 3780]
    assert not any(i.negative for i in incs)


def test_fall_in_cumulative_is_a_negative_flagged_increment() -> None:
    incs = increments_from_cumulative([(d(1), 10), (d(2), 12), (d(3), 11)])
    assert [(i.value, i.negative) for i in incs] == [(10, False), (2, False), (-1, True)]


def test_skipped_days_are_reported_and_the_change_lands_on_the_next_day() -> None:
    incs = increments_from_cumulative([(d(1), 5), (d(4), 9)])
    assert [(i.report_date, i.value, i.gap_days) for i in incs] == [(d(1), 5, 0), (d(4), 4, 2)]


def test_dates_must_increase() -> None:
    with pytest.raises(ValueError, match="2020-02-01"):
        increments_from_cumulative([(d(1), 5), (d(1), 6)])


def test_cumulate_sums_flows_and_refuses_stocks() -> None:
    reports = [
        DailyReport("420000", d(2), "t", new_confirmed=3),
        DailyReport("420000", d(1), "t", new_confirmed=2, new_confirmed_imported=1),
        DailyReport("420000", d(3), "t", new_confirmed=None),
    ]
    assert cumulate(reports, "new_confirmed") == [(d(1), 2), (d(2), 5), (d(3), 5)]
    assert reports[1].new_confirmed_local == 1
    assert reports[0].new_confirmed_local is None
    with pytest.raises(ValueError):
        cumulate(reports, "current_severe")


def test_date_range_is_inclusive() -> None:
    assert date_range(d(28), d(2, 3)) == [d(28), d(29), date(2020, 3, 1), date(2020, 3, 2)]
