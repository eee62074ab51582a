"""Directive states: acknowledgement, progress, completion and escalation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fangkong.core.rules import directives as d
from fangkong.core.rules.directives import (
    DirectiveStatus,
    EventKind,
    Priority,
    RecipientState,
    RecipientStatus,
)

T0 = datetime(2020, 1, 23, 2, 0, tzinfo=UTC)
PENDING = RecipientState(RecipientStatus.PENDING)
OPEN = DirectiveStatus.OPEN


@pytest.mark.parametrize(
    ("text", "priority"),
    [
        ("urgent", Priority.URGENT),
        ("特急", Priority.EXTRA_URGENT),
        ("Extra-Urgent", Priority.EXTRA_URGENT),
        (" normal ", Priority.NORMAL),
    ],
)
def test_parse_priority(text: str, priority: Priority) -> None:
    assert d.parse_priority(text) == priority


def test_parse_priority_rejects() -> None:
    with pytest.raises(d.InvalidTransition, match="unknown priority"):
        d.parse_priority("asap")


def test_acknowledge_once() -> None:
    state = d.acknowledge(PENDING, OPEN, T0)
    assert state.status == RecipientStatus.ACKNOWLEDGED and state.acknowledged_at == T0
    with pytest.raises(d.InvalidTransition, match="already acknowledged"):
        d.acknowledge(state, OPEN, T0)
    with pytest.raises(d.InvalidTransition, match="cancelled"):
        d.acknowledge(PENDING, DirectiveStatus.CANCELLED, T0)


def test_progress_implies_acknowledgement_and_completes_at_100() -> None:
    steps = d.report_progress(PENDING, OPEN, 40, "teams deployed", T0)
    assert [s.kind for s in steps] == [EventKind.ACKNOWLEDGE, EventKind.PROGRESS]
    state = steps[-1].state
    assert state.status == RecipientStatus.IN_PROGRESS and state.progress_percent == 40
    done = d.report_progress(state, OPEN, 100, "", T0)
    assert [s.kind for s in done] == [EventKind.PROGRESS, EventKind.COMPLETE]
    assert done[-1].state.status == RecipientStatus.COMPLETED
    with pytest.raises(d.InvalidTransition, match="already completed"):
        d.report_progress(done[-1].state, OPEN, 100, "", T0)


def test_progress_range_and_setback_needs_a_note() -> None:
    state = d.report_progress(PENDING, OPEN, 60, "", T0)[-1].state
    with pytest.raises(d.InvalidTransition, match="0-100"):
        d.report_progress(state, OPEN, 101, "", T0)
    with pytest.raises(d.InvalidTransition, match="note must say why"):
        d.report_progress(state, OPEN, 30, " ", T0)
    assert (
        d.report_progress(state, OPEN, 30, "site closed again", T0)[-1].state.progress_percent == 30
    )


def test_directive_status() -> None:
    assert d.directive_status([RecipientStatus.COMPLETED] * 2) == DirectiveStatus.COMPLETED
    assert d.directive_status([RecipientStatus.COMPLETED, RecipientStatus.PENDING]) == OPEN
    assert d.directive_status([], cancelled=True) == DirectiveStatus.CANCELLED
    assert d.directive_status([]) == OPEN


def test_escalations_by_priority_limit_and_due_time() -> None:
    due = T0 + timedelta(days=1)
    ack = d.acknowledge(PENDING, OPEN, T0)
    recipients = [("湖北省", PENDING), ("武汉市", ack)]

    def esc(priority: Priority, now: datetime) -> list[tuple[str, str]]:
        found = d.escalations(
            issued_at=T0,
            due_at=due,
            priority=priority,
            status=OPEN,
            recipients=recipients,
            now=now,
        )
        return [(e.recipient, e.reason.value) for e in found]

    assert esc(Priority.EXTRA_URGENT, T0 + timedelta(minutes=59)) == []
    assert esc(Priority.EXTRA_URGENT, T0 + timedelta(minutes=61)) == [("湖北省", "unacknowledged")]
    assert esc(Priority.URGENT, T0 + timedelta(hours=3)) == []
    assert esc(Priority.NORMAL, T0 + timedelta(hours=23)) == []
    late = esc(Priority.NORMAL, due + timedelta(hours=2))
    assert late == [("湖北省", "unacknowledged"), ("湖北省", "overdue"), ("武汉市", "overdue")]
    found = d.escalations(
        issued_at=T0,
        due_at=due,
        priority=Priority.NORMAL,
        status=OPEN,
        recipients=recipients,
        now=due + timedelta(hours=2),
    )
    assert "2.0 h late" in found[1].explanation_en and "逾期" in found[1].explanation_zh
    assert (
        d.escalations(
            issued_at=T0,
            due_at=due,
            priority=Priority.NORMAL,
            status=DirectiveStatus.CANCELLED,
            recipients=recipients,
            now=due + timedelta(days=3),
        )
        == []
    )


def test_completed_recipient_never_escalates() -> None:
    done = d.report_progress(PENDING, OPEN, 100, "", T0)[-1].state
    assert (
        d.escalations(
            issued_at=T0,
            due_at=T0 + timedelta(hours=1),
            priority=Priority.URGENT,
            status=OPEN,
            recipients=[("x", done)],
            now=T0 + timedelta(days=9),
        )
        == []
    )
