"""Categories of the public case breakdowns: ten-year age bands and sex.

Bands follow the ten-year grouping of China CDC's epidemiological description of the
first 72,314 cases (Novel Coronavirus Pneumonia Emergency Response Epidemiology Team,
*China CDC Weekly* 2(8):113-122, 2020): 0-9, 10-19, …, 70-79, 80+. Every category is
always listed, also when empty, so that the set of categories reveals nothing.
"""

from __future__ import annotations

import re

from fangkong.core.cases import Sex

UNKNOWN = "unknown"
#: Ten-year bands, then 80 and over.
AGE_BANDS: tuple[str, ...] = (*(f"{lo}-{lo + 9}" for lo in range(0, 80, 10)), "80+")
AGE_CATEGORIES: tuple[str, ...] = (*AGE_BANDS, UNKNOWN)
SEX_CATEGORIES: tuple[str, ...] = (*(s.value for s in Sex), UNKNOWN)

_BAND = re.compile(r"^(\d{1,3})(?:-(\d{1,3})|(\+))$")


def band_of_years(age_years: int) -> str:
    """The band of an age in completed years."""
    if age_years < 0:
        raise ValueError("negative age")
    return AGE_BANDS[min(age_years // 10, 8)]


def age_category(age_years: int | None, age_band: str | None) -> str:
    """The band of a case: from ``age_years``, else from a recorded band such as
    ``"40-49"`` or ``"85+"`` when it lies within one band, else ``"unknown"`` (a band
    such as ``"15-88"`` cannot be placed)."""
    if age_years is not None:
        return band_of_years(age_years)
    if not age_band:
        return UNKNOWN
    match = _BAND.match(age_band.strip())
    if match is None:
        return UNKNOWN
    low, high, plus = match.groups()
    first = band_of_years(int(low))
    if plus:
        return first if int(low) >= 80 else UNKNOWN
    if high is None or int(high) < int(low):
        return UNKNOWN
    return first if band_of_years(int(high)) == first else UNKNOWN


def sex_category(sex: str | None) -> str:
    """``female``, ``male``, ``other`` or ``unknown``."""
    return sex if sex in SEX_CATEGORIES and sex != UNKNOWN else UNKNOWN
