"""Concurrent writers cannot overdraw a lot: PostgreSQL row locks (``FOR UPDATE`` on
the warehouses) and SQLite's ``BEGIN IMMEDIATE`` serialise the balance checks."""

from __future__ import annotations

import threading
from datetime import date

from sqlalchemy import Engine

from fangkong.core.access import Actor, Role
from fangkong.services import supplies
from fangkong.services.errors import Invalid
from fangkong.services.reference import region_tree

LOG = Actor("hubei.log", Role.LOGISTICS, "420000")
TODAY = date.today()


def test_parallel_issues_and_transfers_never_overdraw(engine: Engine) -> None:
    supplies.load_catalogue(engine)
    tree = region_tree(engine)
    for code, region in (("D-A", "420100"), ("D-B", "420500")):
        supplies.create_depot(
            engine, LOG, tree, warehouse_code=code, name=code, region_code=region,
            lat=30.6, lon=114.3,
        )  # fmt: skip
    supplies.receive_stock(
        engine, LOG, tree, warehouse_code="D-A", item_code="exam_gloves", lot_code="G",
        quantity=100, movement_date=TODAY,
    )  # fmt: skip
    done: list[int] = []
    refused: list[int] = []
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        for k in range(12):
            try:
                if (n + k) % 3 == 0:
                    supplies.record_movement(
                        engine, LOG, tree, kind="transfer", lot_code="G", quantity=7,
                        movement_date=TODAY, from_warehouse="D-A", to_warehouse="D-B",
                    )  # fmt: skip
                else:
                    supplies.record_movement(
                        engine, LOG, tree, kind="issue", lot_code="G", quantity=7,
                        movement_date=TODAY, from_warehouse="D-A",
                    )  # fmt: skip
                done.append(n)
            except Invalid:
                refused.append(n)
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(done) == 14 and len(refused) == 48 - 14
    stock = {s["warehouse_code"]: s for s in supplies.stock(engine, LOG, tree, day=TODAY)}
    assert stock["D-A"]["on_hand"] == 2
    check = supplies.ledger_check(engine)
    assert check["balanced"], check
