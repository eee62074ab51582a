"""Request status is derived from line quantities, never typed in."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from fangkong.core.supplies.requests import (
    LineQuantities,
    RequestStatus,
    derive_status,
    progress,
)


def test_the_workflow_in_order() -> None:
    draft = [LineQuantities(100), LineQuantities(40)]
    assert derive_status(draft) is RequestStatus.DRAFT
    submitted = [LineQuantities(100, 100), LineQuantities(40, 40)]
    assert derive_status(submitted) is RequestStatus.SUBMITTED
    approved = [LineQuantities(100, 100, 80), LineQuantities(40, 40, 40)]
    assert derive_status(approved) is RequestStatus.APPROVED
    committed = [LineQuantities(100, 100, 80, 80), LineQuantities(40, 40, 40, 40)]
    assert derive_status(committed) is RequestStatus.COMMITTED
    half = [LineQuantities(100, 100, 80, 80, 80), LineQuantities(40, 40, 40, 40, 0)]
    assert derive_status(half) is RequestStatus.COMMITTED
    assert progress(half)["shipped"] == 80 / 120
    shipped = [LineQuantities(100, 100, 80, 80, 80), LineQuantities(40, 40, 40, 40, 40)]
    assert derive_status(shipped) is RequestStatus.SHIPPED
    received = [LineQuantities(100, 100, 80, 80, 80, 80), LineQuantities(40, 40, 40, 40, 40, 40)]
    assert derive_status(received) is RequestStatus.RECEIVED
    rejected = [LineQuantities(100, 100, 0)]
    assert derive_status(rejected) is RequestStatus.REJECTED


def test_inconsistent_quantities_are_named() -> None:
    bad = LineQuantities(10, 10, 5, 6)
    assert bad.check() == ["committed must not exceed approved"]
    assert LineQuantities(10, None, 5).check()
    assert LineQuantities(0).check() == ["requested must be > 0"]


@given(
    st.lists(
        st.tuples(
            st.integers(1, 50),
            st.integers(0, 50),
            st.integers(0, 50),
            st.integers(0, 50),
            st.integers(0, 50),
        ),
        min_size=1,
        max_size=5,
    )
)
def test_status_never_runs_ahead_of_any_line(raw: list[tuple[int, int, int, int, int]]) -> None:
    lines = []
    for req, a, c, s, r in raw:
        approved = min(a, req)
        committed = min(c, approved)
        shipped = min(s, committed)
        lines.append(LineQuantities(req, req, approved, committed, shipped, min(r, shipped)))
    assert all(not line.check() for line in lines)
    status = derive_status(lines)
    order = ["approved", "committed", "shipped", "received"]
    if status.value in order:
        reached = order.index(status.value)
        for line in lines:
            qty = [line.approved, line.committed, line.shipped, line.received][reached]
            assert qty == line.approved
