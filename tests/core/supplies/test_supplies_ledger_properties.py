"""Property tests of the stock ledger (Hypothesis): no sequence of operations makes
stock negative or loses a unit, and unusable lots are never issued."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fangkong.core.supplies.ledger import (
    Ledger,
    LedgerError,
    Lot,
    Movement,
    MovementKind,
    StockState,
    first_expiry_first_out,
    stock_status,
    to_base_units,
)

DAY0 = date(2020, 2, 1)
WAREHOUSES = ("WH-Wuhan", "WH-Hankou", "WH-Xiaogan")
LOTS = (
    Lot("N95-A", "n95", DAY0 + timedelta(days=10)),
    Lot("N95-B", "n95", None),
    Lot("SUIT-A", "suit", DAY0 + timedelta(days=3)),
    Lot("SUIT-B", "suit", DAY0 + timedelta(days=30), damaged=True),
)


def base_ledger() -> Ledger:
    ledger = Ledger()
    for lot in LOTS:
        ledger = ledger.with_lot(lot)
    return ledger


movements = st.builds(
    Movement,
    kind=st.sampled_from(list(MovementKind)),
    lot_code=st.sampled_from([lot.lot_code for lot in LOTS] + ["nope"]),
    quantity=st.integers(-50, 120),
    movement_date=st.integers(0, 40).map(lambda d: DAY0 + timedelta(days=d)),
    from_warehouse=st.one_of(st.none(), st.sampled_from(WAREHOUSES)),
    to_warehouse=st.one_of(st.none(), st.sampled_from(WAREHOUSES)),
    reason=st.sampled_from(["", "stock count 2020-02-10"]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(movements, max_size=60))
def test_no_sequence_makes_stock_negative_or_loses_a_unit(ops: list[Movement]) -> None:
    ledger = base_ledger()
    for op in ops:
        before = ledger
        try:
            ledger = ledger.apply(op)
        except LedgerError:
            assert ledger is before  # refused: nothing changed
            continue
        if op.kind in (MovementKind.ISSUE, MovementKind.TRANSFER):
            assert before.lots[op.lot_code].usable_on(op.movement_date)
        if op.kind is MovementKind.TRANSFER:
            assert before.on_hand(before.lots[op.lot_code].item_code) == ledger.on_hand(
                ledger.lots[op.lot_code].item_code
            )
        assert all(qty >= 0 for qty in ledger.balances.values())
        for item in ("n95", "suit"):
            assert ledger.conservation_gap(item) == 0


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(1, 40), min_size=1, max_size=10), st.integers(1, 300))
def test_fefo_picks_earliest_expiry_and_never_unusable(receipts: list[int], want: int) -> None:
    ledger = base_ledger()
    for k, qty in enumerate(receipts):
        lot = LOTS[k % len(LOTS)]
        ledger = ledger.apply(
            Movement(MovementKind.RECEIPT, lot.lot_code, qty, DAY0, to_warehouse=WAREHOUSES[0])
        )
    day = DAY0 + timedelta(days=5)  # SUIT-A expired, SUIT-B damaged
    usable = ledger.usable("n95", day, WAREHOUSES[0])
    if want > usable:
        with pytest.raises(LedgerError):
            first_expiry_first_out(ledger, "n95", WAREHOUSES[0], want, day)
        return
    picks = first_expiry_first_out(ledger, "n95", WAREHOUSES[0], want, day)
    assert sum(q for _, q in picks) == want
    assert [code for code, _ in picks] == sorted(
        (code for code, _ in picks), key=lambda c: ledger.lots[c].expiry_date or date.max
    )
    for code, qty in picks:
        ledger = ledger.apply(
            Movement(MovementKind.ISSUE, code, qty, day, from_warehouse=WAREHOUSES[0])
        )
    assert ledger.conservation_gap("n95") == 0


def test_only_expired_stock_left_is_a_stock_out() -> None:
    ledger = base_ledger().apply(
        Movement(MovementKind.RECEIPT, "SUIT-A", 40, DAY0, to_warehouse="WH-Wuhan")
    )
    assert stock_status(ledger, "suit", "WH-Wuhan", DAY0) is StockState.IN_STOCK
    later = DAY0 + timedelta(days=3)
    assert stock_status(ledger, "suit", "WH-Wuhan", later) is StockState.ONLY_UNUSABLE
    with pytest.raises(LedgerError, match="expired"):
        ledger.apply(Movement(MovementKind.ISSUE, "SUIT-A", 1, later, from_warehouse="WH-Wuhan"))
    written_off = ledger.apply(
        Movement(MovementKind.EXPIRY, "SUIT-A", 40, later, from_warehouse="WH-Wuhan")
    )
    assert stock_status(written_off, "suit", "WH-Wuhan", later) is StockState.STOCK_OUT
    assert written_off.conservation_gap("suit") == 0


def test_rules_refuse_bad_movements() -> None:
    ledger = base_ledger().apply(
        Movement(MovementKind.RECEIPT, "N95-B", 10, DAY0, to_warehouse="WH-Wuhan")
    )
    with pytest.raises(LedgerError, match="cannot take 11"):
        ledger.apply(Movement(MovementKind.ISSUE, "N95-B", 11, DAY0, from_warehouse="WH-Wuhan"))
    with pytest.raises(LedgerError, match="reason"):
        ledger.apply(Movement(MovementKind.ADJUSTMENT, "N95-B", -2, DAY0, to_warehouse="WH-Wuhan"))
    with pytest.raises(LedgerError, match="different"):
        ledger.apply(Movement(MovementKind.TRANSFER, "N95-B", 1, DAY0, "WH-Wuhan", "WH-Wuhan"))
    with pytest.raises(LedgerError, match="neither expired nor damaged"):
        ledger.apply(Movement(MovementKind.EXPIRY, "N95-B", 1, DAY0, from_warehouse="WH-Wuhan"))
    with pytest.raises(LedgerError, match="already registered"):
        ledger.with_lot(Lot("N95-B", "suit"))
    assert to_base_units(3, 20) == 60
    with pytest.raises(LedgerError):
        to_base_units(1, 0)
