"""The masked view of a case hides its personal fields and keeps the age band; the
masked view of an import issue hides a value that may be personal."""

from __future__ import annotations

from fangkong.core.cases import CASE_FIELDS
from fangkong.core.importing.case_beoutbreak import SOURCE_COLUMNS
from fangkong.core.privacy.personal import (
    NON_PERSONAL_CASE_COLUMNS,
    NON_PERSONAL_SOURCE_COLUMNS,
    PERSONAL_CASE_FIELDS,
    masked_case,
    masked_issue,
    personal_issue,
    shown_case,
    shown_issue,
)

CASE = {
    "source": "cdc",
    "case_id": "7",
    "region_code": "420106",
    "classification": "confirmed",
    "onset_date": "2020-01-20",
    "origin": "华南海鲜市场 stall 12",
    "age_years": 47,
    "age_band": None,
    "sex": "male",
    "health_worker": True,
    "cluster_id": "family-3",
}


def test_personal_fields_are_case_fields() -> None:
    assert set(PERSONAL_CASE_FIELDS) <= set(CASE_FIELDS)


def test_masked_case_withholds_personal_fields_and_coarsens_the_age() -> None:
    masked = masked_case(CASE)
    assert all(masked[f] is None for f in PERSONAL_CASE_FIELDS)
    assert masked["age_band"] == "40-49"
    assert masked["masked"] == list(PERSONAL_CASE_FIELDS)
    assert masked["onset_date"] == "2020-01-20" and masked["sex"] == "male"
    assert CASE["age_years"] == 47  # the input is not changed


def test_a_band_that_spans_two_decades_is_dropped_and_a_narrow_one_kept() -> None:
    assert masked_case({**CASE, "age_years": None, "age_band": "15-88"})["age_band"] is None
    assert masked_case({**CASE, "age_years": None, "age_band": "42-44"})["age_band"] == "40-49"


def test_shown_case_keeps_everything() -> None:
    shown = shown_case(CASE)
    assert shown["age_years"] == 47 and shown["origin"] == CASE["origin"]
    assert shown["masked"] == []


def test_the_harmless_columns_feed_no_personal_field() -> None:
    """Every source column of the BEOutbreakPrepared list counted harmless feeds only
    fields that are not personal (``age`` and ``travel_history_location`` feed personal
    ones); no personal field is harmless."""
    assert not set(PERSONAL_CASE_FIELDS) & NON_PERSONAL_CASE_COLUMNS
    feeds: dict[str, set[str]] = {}
    for target, column in SOURCE_COLUMNS.items():
        feeds.setdefault(column, set()).add(target)
    for column, targets in feeds.items():
        harmless = not targets & set(PERSONAL_CASE_FIELDS)
        assert (column in NON_PERSONAL_SOURCE_COLUMNS) == harmless, column


def test_issue_values_that_may_be_personal_are_masked() -> None:
    issue = {"line": 3, "column": "origin", "value": "武昌区中山路12号", "reason": "r"}
    assert personal_issue(issue)
    assert masked_issue(issue) == {**issue, "value": None, "masked": True}
    assert shown_issue(issue) == {**issue, "masked": False}
    for column in ("age", "travel_history_location", "*", "name", "cluster_id"):
        assert masked_issue({**issue, "column": column})["value"] is None, column
    for column in ("onset_date", "region_code", "sex", "date_confirmation", "city", "case_id"):
        assert masked_issue({**issue, "column": column})["value"] == issue["value"], column
    assert not personal_issue({**issue, "value": ""})  # nothing to hide
    assert masked_issue({**issue, "value": ""})["masked"] is False
