"""Case records: the individual line list.

Classifications follow China's Diagnosis and Treatment Protocol for COVID-19 (NHC,
editions 5-9): suspected, confirmed (laboratory), clinically diagnosed (Hubei only,
edition 5, 2020-02-08 to 2020-03-03), asymptomatic infection, and discarded (ruled
out). Severity uses the protocol's clinical types: mild, moderate (普通型), severe,
critical.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class Classification(StrEnum):
    SUSPECTED = "suspected"
    CONFIRMED = "confirmed"
    CLINICALLY_DIAGNOSED = "clinically_diagnosed"
    ASYMPTOMATIC = "asymptomatic"
    DISCARDED = "discarded"


class Severity(StrEnum):
    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"
    CRITICAL = "critical"


class Outcome(StrEnum):
    RECOVERED = "recovered"
    DIED = "died"
    UNDER_TREATMENT = "under_treatment"


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"


@dataclass(slots=True)
class CaseRecord:
    """One case. ``(source, case_id)`` identifies it: ids are scoped to their reporter.

    Age is either exact (``age_years``) or a band ``age_band`` such as ``"15-88"``; both
    may be ``None`` when unknown.
    """

    source: str
    case_id: str
    region_code: str
    classification: Classification
    onset_date: date | None = None
    confirmation_date: date | None = None
    report_date: date | None = None
    imported: bool | None = None
    origin: str | None = None
    severity: Severity | None = None
    outcome: Outcome | None = None
    outcome_date: date | None = None
    age_years: int | None = None
    age_band: str | None = None
    sex: Sex | None = None
    health_worker: bool | None = None
    cluster_id: str | None = None


#: Column order of the case table, shared by the CSV format and the storage layer.
CASE_FIELDS: tuple[str, ...] = (
    "source",
    "case_id",
    "region_code",
    "classification",
    "onset_date",
    "confirmation_date",
    "report_date",
    "imported",
    "origin",
    "severity",
    "outcome",
    "outcome_date",
    "age_years",
    "age_band",
    "sex",
    "health_worker",
    "cluster_id",
)
