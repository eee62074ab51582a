"""Age bands and sex categories of the public breakdowns."""

from __future__ import annotations

import pytest

from fangkong.core.privacy.categories import (
    AGE_CATEGORIES,
    SEX_CATEGORIES,
    age_category,
    band_of_years,
    sex_category,
)


def test_categories() -> None:
    assert AGE_CATEGORIES[0] == "0-9" and AGE_CATEGORIES[-2:] == ("80+", "unknown")
    assert len(AGE_CATEGORIES) == 10
    assert SEX_CATEGORIES == ("female", "male", "other", "unknown")


@pytest.mark.parametrize(
    ("years", "band", "expected"),
    [
        (0, None, "0-9"),
        (9, None, "0-9"),
        (10, None, "10-19"),
        (79, None, "70-79"),
        (80, None, "80+"),
        (104, "15-88", "80+"),
        (None, "40-49", "40-49"),
        (None, "41-45", "40-49"),
        (None, "15-88", "unknown"),
        (None, "70-82", "unknown"),
        (None, "80-89", "80+"),
        (None, "85+", "80+"),
        (None, "60+", "unknown"),
        (None, "49-40", "unknown"),
        (None, "adult", "unknown"),
        (None, "", "unknown"),
        (None, None, "unknown"),
    ],
)
def test_age_category(years: int | None, band: str | None, expected: str) -> None:
    assert age_category(years, band) == expected


def test_negative_age_is_an_error() -> None:
    with pytest.raises(ValueError):
        band_of_years(-1)


@pytest.mark.parametrize(
    ("sex", "expected"),
    [
        ("female", "female"),
        ("male", "male"),
        ("other", "other"),
        (None, "unknown"),
        ("x", "unknown"),
    ],
)
def test_sex_category(sex: str | None, expected: str) -> None:
    assert sex_category(sex) == expected
