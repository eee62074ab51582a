"""Revisions: every change to a stored figure is kept, never overwritten silently."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Revision:
    """One changed value: what it was, what it became, why, by whom and when.

    ``entity`` names the kind of record (``daily_report``, ``case_record``) and
    ``entity_key`` identifies it (for a daily report ``region_code|report_date|source``).
    ``old_value`` is ``None`` for a figure that is new but notable (a negative increment
    derived from a falling cumulative series is recorded this way, with its reason).
    """

    entity: str
    entity_key: str
    field: str
    old_value: str | None
    new_value: str | None
    reason: str
    actor: str
    created_at: datetime
