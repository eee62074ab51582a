"""Consistency checks of a bulletin before publication: each failure says why."""

from __future__ import annotations

from datetime import date

from fangkong.core.bulletins.checks import blocking, run_checks
from fangkong.core.bulletins.compose import BulletinFigures, Place

HUBEI = Place("420000", "湖北", "Hubei")


def bulletin(**figures: int) -> BulletinFigures:
    base = {
        "new_confirmed": 5090,
        "cumulative_confirmed": 63851,
        "cumulative_recovered": 6723,
        "cumulative_deaths": 1380,
        "current_confirmed": 55748,
    }
    base.update(figures)
    return BulletinFigures(
        "CN",
        date(2020, 2, 13),
        Place("CN", "全国", "China"),
        figures=base,
        places={"420000": HUBEI},
    )


def test_the_real_figures_of_2020_02_13_pass() -> None:
    results = run_checks(bulletin())
    assert blocking(results) == []
    identity = [r for r in results if r.check == "current_identity"]
    assert identity[0].passed and "55748 = cumulative 63851" in identity[0].message


def test_current_identity_failure_says_by_how_much() -> None:
    results = blocking(run_checks(bulletin(current_confirmed=55750)))
    assert [r.check for r in results] == ["current_identity"]
    assert results[0].message == (
        "China (CN): current confirmed is 55750 but cumulative 63851 − recovered 6723 − "
        "deaths 1380 = 55748 (off by 2)"
    )
    assert results[0].details == {"current_confirmed": 55750, "expected": 55748}


def test_identity_is_checked_for_listed_regions_too() -> None:
    b = bulletin()
    b.breakdowns["420000"] = {
        "cumulative_confirmed": 51986,
        "cumulative_recovered": 3862,
        "cumulative_deaths": 1318,
        "current_confirmed": 46800,
    }
    failed = blocking(run_checks(b))
    assert failed[0].region_code == "420000" and "Hubei (420000)" in failed[0].message


def test_a_falling_cumulative_needs_a_reason() -> None:
    previous = {"420000": {"cumulative_confirmed": 50000, "cumulative_deaths": 1318}}
    current = {"420000": {"cumulative_confirmed": 48957, "cumulative_deaths": 1318}}
    failed = blocking(run_checks(bulletin(), previous=previous, current=current))
    assert len(failed) == 1
    assert failed[0].check == "cumulative_not_decreasing"
    assert "Hubei (420000): cumulative confirmed fell from 50000" in failed[0].message
    assert "to 48957 (-1043) and no revision reason is recorded" in failed[0].message
    reasons = {("420000", "cumulative_confirmed"): "核减重复统计病例"}
    results = run_checks(bulletin(), previous=previous, current=current, reasons=reasons)
    assert blocking(results) == []
    ok = [r for r in results if r.check == "cumulative_not_decreasing"]
    assert ok[0].passed and "revision reason: 核减重复统计病例" in ok[0].message
    # the reason must be for that figure
    wrong = {("420000", "cumulative_deaths"): "x"}
    assert blocking(run_checks(bulletin(), previous=previous, current=current, reasons=wrong))


def test_local_and_imported_must_add_up() -> None:
    failed = blocking(run_checks(bulletin(new_confirmed_local=5000, new_confirmed_imported=3)))
    assert failed[0].check == "local_imported_sum"
    assert failed[0].message == "local 5000 + imported 3 = 5003, but new confirmed is 5090"


def test_breakdown_larger_than_total_warns_without_blocking() -> None:
    b = bulletin()
    b.breakdowns["420000"] = {"new_confirmed": 5094}
    results = run_checks(b)
    warn = [r for r in results if r.check == "breakdown_sum"]
    assert not warn[0].passed and warn[0].severity == "warning" and not warn[0].blocking
    assert "add up to 5094, more than the total 5090" in warn[0].message
    assert blocking(results) == []


def test_negative_stock_blocks() -> None:
    failed = blocking(run_checks(bulletin(current_suspected=-1)))
    assert failed[0].check == "non_negative" and "cannot be negative" in failed[0].message


def test_nothing_to_check_is_not_a_failure() -> None:
    b = BulletinFigures("CN", date(2020, 2, 13), Place("CN", "全国", "China"), {"new_deaths": 1})
    results = run_checks(b)
    assert blocking(results) == [] and "nothing to check" in results[0].message
    assert results[0].as_dict()["blocking"] is False
