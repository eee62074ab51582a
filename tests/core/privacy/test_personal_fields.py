"""The masked view of a case hides its personal fields and keeps the age band."""

from __future__ import annotations

from fangkong.core.cases import CASE_FIELDS
from fangkong.core.privacy.personal import PERSONAL_CASE_FIELDS, masked_case, shown_case

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
