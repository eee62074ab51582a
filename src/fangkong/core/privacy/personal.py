"""Personal fields of the line list, and the masked view of a case for other readers.

The line list (``case_records``) holds no name, identity-card number, telephone or
address — the import formats do not carry them. What it does hold that can single a
person out, combined with the region and the dates (the quasi-identifiers of Sweeney,
"k-anonymity: a model for protecting privacy", *Int. J. Uncertainty, Fuzziness and
Knowledge-Based Systems* 10(5):557-570, 2002), are:

* ``age_years`` — the exact age, a stand-in for the birth date;
* ``origin`` — free text on where the case travelled from or lives (place names,
  sometimes a workplace or a household);
* ``health_worker`` — the occupation;
* ``cluster_id`` — the link to the family or the contacts of the case.

These are the *personal fields* (:data:`PERSONAL_CASE_FIELDS`). China's Personal
Information Protection Law (2021) art. 28 counts medical and health information as
sensitive personal information, to be handled only as far as needed (art. 6, "the
minimum scope"); GB/T 35273-2020 §7.1 asks for access by role. So the personal fields
are shown only to roles holding ``READ_PERSONAL`` (``core.access``) and every such read
is recorded in the audit log; every other reader of the line list gets
:func:`masked_case`: the personal fields set to ``None`` and the exact age replaced by
its ten-year band (the bands of the public breakdowns, ``categories.band_of_years``),
so that age distributions remain usable.

Dates of onset, confirmation, report and outcome stay visible: they are what the line
list is read for (epidemic curves, delays), and they are already limited to the
reader's jurisdiction.

The same holds for the *issues* of a line-list import (the rejected or repaired cells
of ``GET /api/v1/imports/{id}``): a value may be a personal field as the file had it.
:func:`personal_issue` tells which: a value in a column that is not known to be
harmless (:data:`NON_PERSONAL_CASE_COLUMNS`) — a personal field, the source column it
came from (``age``, ``travel_history_location`` of the BEOutbreakPrepared list), a
whole row (column ``*``), or a column the importer does not know (a JSON key such as
``name``). Readers without ``READ_PERSONAL`` get it as :func:`masked_issue`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fangkong.core.cases import CASE_FIELDS
from fangkong.core.privacy.categories import UNKNOWN, age_category

#: Fields of a case record that identify a person (see the module docstring).
PERSONAL_CASE_FIELDS: tuple[str, ...] = ("age_years", "origin", "health_worker", "cluster_id")

#: Source columns of the BEOutbreakPrepared list (``core.importing.case_beoutbreak``)
#: that feed only fields which are not personal, and its place columns (the region,
#: which every reader sees). ``age`` and ``travel_history_location`` feed personal
#: fields and are not here.
NON_PERSONAL_SOURCE_COLUMNS: frozenset[str] = frozenset(
    {
        "ID",
        "date_onset_symptoms",
        "date_confirmation",
        "date_death_or_discharge",
        "sex",
        "outcome",
        "country",
        "province",
        "city",
    }
)
#: Columns of a line-list import whose issue values never identify a person.
NON_PERSONAL_CASE_COLUMNS: frozenset[str] = (
    frozenset(CASE_FIELDS) - frozenset(PERSONAL_CASE_FIELDS)
) | NON_PERSONAL_SOURCE_COLUMNS


def masked_case(case: Mapping[str, Any]) -> dict[str, Any]:
    """``case`` without its personal fields: those set to ``None``, the age coarsened to
    its ten-year band in ``age_band`` (``None`` when it cannot be placed in one), and
    ``masked`` listing what was withheld."""
    out = dict(case)
    band = age_category(case.get("age_years"), case.get("age_band"))
    out["age_band"] = None if band == UNKNOWN else band
    for name in PERSONAL_CASE_FIELDS:
        out[name] = None
    out["masked"] = list(PERSONAL_CASE_FIELDS)
    return out


def shown_case(case: Mapping[str, Any]) -> dict[str, Any]:
    """``case`` with every field, and an empty ``masked`` list."""
    out = dict(case)
    out["masked"] = []
    return out


def personal_issue(issue: Mapping[str, Any]) -> bool:
    """Whether the value of an issue of a line-list import (``column``, ``value``) may
    identify a person (see the module docstring); an empty value holds nothing."""
    return bool(issue.get("value")) and issue.get("column") not in NON_PERSONAL_CASE_COLUMNS


def masked_issue(issue: Mapping[str, Any]) -> dict[str, Any]:
    """``issue`` with its value withheld (``None``) and ``masked`` true when it may be
    personal (:func:`personal_issue`); otherwise as it is, ``masked`` false."""
    out = dict(issue)
    out["masked"] = personal_issue(issue)
    if out["masked"]:
        out["value"] = None
    return out


def shown_issue(issue: Mapping[str, Any]) -> dict[str, Any]:
    """``issue`` with its value, and ``masked`` false."""
    out = dict(issue)
    out["masked"] = False
    return out
