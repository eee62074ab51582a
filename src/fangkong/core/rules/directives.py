"""Directives (指令) of a command to regions and guidance teams: states and escalation.

A directive is issued by a command to one or more *recipients* (a region, or a guidance
team — 指导组 — sent to a region). Each recipient moves through

    pending --acknowledge--> acknowledged --progress--> in_progress --100 %--> completed

Reporting progress on a pending recipient acknowledges it first (the report proves
receipt; both events are recorded). A completed recipient is final; a cancelled
directive accepts no further action. Progress may fall (a setback) only with a note
saying why.

Priorities follow the urgency marks of official documents in GB/T 9704-2012
(《党政机关公文格式》 7.2.4: 特急, 加急; an unmarked document is ordinary). Each has an
acknowledgement limit: a recipient that has not acknowledged within it, or any
recipient not completed by the due time, *escalates* the directive to the issuer's
dashboard. The limits are the platform's defaults (no regulation fixes them) and are
data, not code branches: :data:`ACK_LIMITS`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum


class Priority(StrEnum):
    EXTRA_URGENT = "extra_urgent"  # 特急
    URGENT = "urgent"  # 加急
    NORMAL = "normal"  # 平件

    @property
    def rank(self) -> int:
        return {Priority.EXTRA_URGENT: 3, Priority.URGENT: 2, Priority.NORMAL: 1}[self]


PRIORITY_NAMES: dict[Priority, tuple[str, str]] = {
    Priority.EXTRA_URGENT: ("特急", "extra urgent"),
    Priority.URGENT: ("加急", "urgent"),
    Priority.NORMAL: ("平件", "normal"),
}

#: How long a recipient has to acknowledge, by priority.
ACK_LIMITS: dict[Priority, timedelta] = {
    Priority.EXTRA_URGENT: timedelta(hours=1),
    Priority.URGENT: timedelta(hours=4),
    Priority.NORMAL: timedelta(hours=24),
}


class RecipientStatus(StrEnum):
    PENDING = "pending"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"


class DirectiveStatus(StrEnum):
    OPEN = "open"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class EventKind(StrEnum):
    ISSUE = "issue"
    ACKNOWLEDGE = "acknowledge"
    PROGRESS = "progress"
    COMPLETE = "complete"
    ESCALATE = "escalate"
    CANCEL = "cancel"
    ATTACH = "attach"


class InvalidTransition(ValueError):
    """The action is not allowed in the current state (or a value is out of range)."""


def parse_priority(text: str) -> Priority:
    """``"urgent"``, ``"加急"``, ``"extra-urgent"``, ``"特急"`` … → the priority."""
    cleaned = text.strip().lower().replace("-", "_").replace(" ", "_")
    for priority, (zh, _en) in PRIORITY_NAMES.items():
        if cleaned in (priority.value, zh):
            return priority
    raise InvalidTransition(
        f"unknown priority {text!r}; use {', '.join(p.value for p in Priority)}"
    )


@dataclass(frozen=True, slots=True)
class RecipientState:
    status: RecipientStatus
    progress_percent: int = 0
    acknowledged_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Step:
    """One recorded change: the audit event it makes and the state after it."""

    kind: EventKind
    state: RecipientState
    progress_percent: int | None = None


def acknowledge(state: RecipientState, directive: DirectiveStatus, at: datetime) -> RecipientState:
    if directive != DirectiveStatus.OPEN:
        raise InvalidTransition(f"the directive is {directive.value}")
    if state.status != RecipientStatus.PENDING:
        raise InvalidTransition(f"already {state.status.value}")
    return replace(state, status=RecipientStatus.ACKNOWLEDGED, acknowledged_at=at)


def report_progress(
    state: RecipientState,
    directive: DirectiveStatus,
    percent: int,
    note: str,
    at: datetime,
) -> list[Step]:
    """The steps a progress report makes: an implied acknowledgement when pending,
    the progress itself, and completion at 100 %."""
    if directive != DirectiveStatus.OPEN:
        raise InvalidTransition(f"the directive is {directive.value}")
    if state.status == RecipientStatus.COMPLETED:
        raise InvalidTransition("already completed")
    if not 0 <= percent <= 100:
        raise InvalidTransition(f"progress must be 0-100 %, not {percent}")
    if percent < state.progress_percent and not note.strip():
        raise InvalidTransition(
            f"progress falls from {state.progress_percent} % to {percent} %: a note must say why"
        )
    steps: list[Step] = []
    if state.status == RecipientStatus.PENDING:
        state = acknowledge(state, directive, at)
        steps.append(Step(EventKind.ACKNOWLEDGE, state))
    done = percent == 100
    state = replace(
        state,
        status=RecipientStatus.COMPLETED if done else RecipientStatus.IN_PROGRESS,
        progress_percent=percent,
    )
    steps.append(Step(EventKind.PROGRESS, state, percent))
    if done:
        steps.append(Step(EventKind.COMPLETE, state, percent))
    return steps


def directive_status(
    recipients: Iterable[RecipientStatus], cancelled: bool = False
) -> DirectiveStatus:
    """Cancelled when cancelled; completed when every recipient has completed."""
    if cancelled:
        return DirectiveStatus.CANCELLED
    statuses = list(recipients)
    if statuses and all(s == RecipientStatus.COMPLETED for s in statuses):
        return DirectiveStatus.COMPLETED
    return DirectiveStatus.OPEN


class Reason(StrEnum):
    UNACKNOWLEDGED = "unacknowledged"
    OVERDUE = "overdue"


@dataclass(frozen=True, slots=True)
class Escalation:
    """Why a recipient escalates, since when, and the zh/en explanation."""

    recipient: str
    reason: Reason
    since: datetime
    explanation_zh: str
    explanation_en: str


def _hours(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:.0f}" if hours >= 10 else f"{hours:.1f}"


def escalations(
    *,
    issued_at: datetime,
    due_at: datetime,
    priority: Priority,
    status: DirectiveStatus,
    recipients: Sequence[tuple[str, RecipientState]],
    now: datetime,
) -> list[Escalation]:
    """Every escalation of an open directive at ``now``: recipients that have not
    acknowledged within the priority's limit, and recipients not completed by the due
    time. ``recipients`` pairs a display name with its state."""
    if status != DirectiveStatus.OPEN:
        return []
    out: list[Escalation] = []
    ack_by = issued_at + ACK_LIMITS[priority]
    zh_p, en_p = PRIORITY_NAMES[priority]
    for name, state in recipients:
        if state.status == RecipientStatus.PENDING and now > ack_by:
            late = now - ack_by
            out.append(
                Escalation(
                    name,
                    Reason.UNACKNOWLEDGED,
                    ack_by,
                    f"{name}未在{zh_p}指令的签收时限（{_hours(ACK_LIMITS[priority])}小时）内签收，"
                    f"已超时{_hours(late)}小时",
                    f"{name} has not acknowledged within the {en_p} limit of "
                    f"{_hours(ACK_LIMITS[priority])} h; {_hours(late)} h past it",
                )
            )
        if state.status != RecipientStatus.COMPLETED and now > due_at:
            late = now - due_at
            out.append(
                Escalation(
                    name,
                    Reason.OVERDUE,
                    due_at,
                    f"{name}逾期未完成：截止 {due_at.isoformat()}，进度 {state.progress_percent}%，"
                    f"已逾期{_hours(late)}小时",
                    f"{name} is overdue: due {due_at.isoformat()}, "
                    f"{state.progress_percent} % done, {_hours(late)} h late",
                )
            )
    return out
