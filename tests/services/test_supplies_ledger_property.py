"""Property: any sequence of stock operations through the services leaves the stored
balances equal to the core ledger's replay of the accepted movements, never negative,
and the ledger balanced (nothing lost) — on both databases."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from fangkong.core.access import Actor, Role
from fangkong.core.supplies.ledger import Ledger, LedgerError, Lot, Movement, MovementKind
from fangkong.services import supplies
from fangkong.services.errors import Invalid
from fangkong.services.reference import region_tree
from fangkong.store import models as m

LOG = Actor("log", Role.LOGISTICS, "*")
DAY = date(2020, 3, 1)
WAREHOUSES = ("P-A", "P-B")
_run = itertools.count()

operation = st.tuples(
    st.sampled_from(["receipt", "issue", "transfer", "adjustment", "expiry"]),
    st.integers(0, 2),  # lot
    st.integers(-30, 60),  # quantity
    st.integers(0, 1),  # warehouse
    st.integers(0, 4),  # day offset
)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(ops=st.lists(operation, min_size=1, max_size=14))
def test_services_agree_with_core_ledger(engine: Engine, ops: list[tuple[int, ...]]) -> None:
    tree = region_tree(engine)
    supplies.load_catalogue(engine)
    with engine.connect() as conn:
        known = {w.warehouse_code for w in conn.execute(select(m.WarehouseRow))}
    for code in WAREHOUSES:
        if code not in known:
            supplies.create_depot(
                engine, LOG, tree, warehouse_code=code, name=code, region_code="420100",
                lat=30.0, lon=114.0,
            )  # fmt: skip
    run = next(_run)
    lots = [Lot(f"R{run}-L{i}", "goggles", DAY + timedelta(days=2 * i)) for i in range(3)]
    model = Ledger()
    for kind, lot_i, qty, wh_i, offset in ops:
        lot, day = lots[lot_i], DAY + timedelta(days=offset)
        here, there = WAREHOUSES[wh_i], WAREHOUSES[1 - wh_i]
        try:
            if kind == "receipt":
                supplies.receive_stock(
                    engine, LOG, tree, warehouse_code=here, item_code="goggles",
                    lot_code=lot.lot_code, quantity=qty, movement_date=day,
                    expiry_date=lot.expiry_date,
                )  # fmt: skip
                mv = Movement(MovementKind.RECEIPT, lot.lot_code, qty, day, to_warehouse=here)
            else:
                supplies.record_movement(
                    engine, LOG, tree, kind=kind, lot_code=lot.lot_code, quantity=qty,
                    movement_date=day, from_warehouse=here,
                    to_warehouse=there if kind == "transfer" else None, reason="count",
                )  # fmt: skip
                mv = Movement(
                    MovementKind(kind), lot.lot_code, qty, day, from_warehouse=here,
                    to_warehouse=there if kind == "transfer" else None, reason="count",
                )  # fmt: skip
        except Invalid:
            # the core ledger refuses it too (or the lot was never received)
            try:
                model.with_lot(lot).apply(
                    Movement(
                        MovementKind(kind),
                        lot.lot_code,
                        qty,
                        day,
                        from_warehouse=None if kind == "receipt" else here,
                        to_warehouse=here
                        if kind == "receipt"
                        else (there if kind == "transfer" else None),
                        reason="count",
                    )
                )
                accepted = kind != "receipt" and lot.lot_code not in model.lots
                assert accepted, f"service refused what the core accepts: {kind} {qty}"
            except LedgerError:
                pass
            continue
        model = model.with_lot(lot).apply(mv)
    with engine.connect() as conn:
        stored = {
            (b.warehouse_code, b.lot_code): b.quantity
            for b in conn.execute(select(m.StockBalanceRow))
            if b.lot_code.startswith(f"R{run}-")
        }
    assert all(q >= 0 for q in stored.values())
    assert {k: v for k, v in stored.items() if v} == {k: v for k, v in model.balances.items() if v}
    assert supplies.ledger_check(engine)["balanced"]
