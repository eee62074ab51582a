"""The stock ledger: lots held in warehouses, changed only by movements, in base units.

Rules (what a warehouse keeper's stock card enforces, after WHO, *Guidelines for the
storage of essential medicines and other health commodities*, 2003, and the FEFO
principle of the *Logistics Handbook*, USAID | DELIVER, 2011):

* quantities are whole **base units** (single respirators, single kits); catalogues give
  the pack size and :func:`to_base_units` converts;
* a **receipt** brings units of a lot into a warehouse; an **issue** sends them out (to a
  hospital); a **transfer** moves them between warehouses (the total is unchanged); an
  **adjustment** corrects a count by a signed amount with a reason; an **expiry**
  writes off units of an expired or damaged lot;
* stock never goes negative: a movement taking more than the lot holds is refused and
  changes nothing;
* units of an expired lot (expiry date on or before the movement date) or of a lot
  marked damaged are **unusable**: they cannot be issued or transferred, only written
  off or counted; a warehouse whose stock of an item is only unusable units is out of
  stock (:func:`stock_status`);
* nothing is lost: for every item the balance equals receipts - issues - expiries +
  adjustments (transfers cancel out), which :meth:`Ledger.conservation_gap` checks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum


class MovementKind(StrEnum):
    RECEIPT = "receipt"
    ISSUE = "issue"
    TRANSFER = "transfer"
    ADJUSTMENT = "adjustment"
    EXPIRY = "expiry"


class StockState(StrEnum):
    IN_STOCK = "in_stock"
    #: No usable units, none at all.
    STOCK_OUT = "stock_out"
    #: No usable units, but expired or damaged ones are still on the shelf: a stock-out.
    ONLY_UNUSABLE = "only_unusable"


class LedgerError(ValueError):
    """A movement breaks a ledger rule; ``field`` names the offending input."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True, slots=True)
class Lot:
    """A batch of one item with one expiry date (``None``: does not expire)."""

    lot_code: str
    item_code: str
    expiry_date: date | None = None
    damaged: bool = False

    def usable_on(self, day: date) -> bool:
        return not self.damaged and (self.expiry_date is None or day < self.expiry_date)


@dataclass(frozen=True, slots=True)
class Movement:
    """One line of the stock card. ``quantity`` is base units: > 0, except for an
    adjustment, where it is the signed correction (non-zero)."""

    kind: MovementKind
    lot_code: str
    quantity: int
    movement_date: date
    from_warehouse: str | None = None
    to_warehouse: str | None = None
    reason: str = ""


def to_base_units(packs: int, pack_size: int) -> int:
    """Base units in ``packs`` whole packs of ``pack_size`` units."""
    if pack_size < 1:
        raise LedgerError("pack size must be at least 1", "pack_size")
    if packs < 0:
        raise LedgerError("packs must not be negative", "packs")
    return packs * pack_size


@dataclass(frozen=True)
class Ledger:
    """Balances by (warehouse, lot) and the totals of each kind of movement, per item.
    Immutable: :meth:`apply` returns a new ledger or raises, never half-applies."""

    lots: dict[str, Lot] = field(default_factory=dict)
    balances: dict[tuple[str, str], int] = field(default_factory=dict)
    totals: dict[tuple[str, MovementKind], int] = field(default_factory=dict)

    def with_lot(self, lot: Lot) -> Ledger:
        """Register a lot (or update its damaged flag; item and expiry are fixed)."""
        known = self.lots.get(lot.lot_code)
        if known is not None and (known.item_code, known.expiry_date) != (
            lot.item_code,
            lot.expiry_date,
        ):
            raise LedgerError(
                f"lot {lot.lot_code} is already registered for {known.item_code} "
                f"expiring {known.expiry_date}",
                "lot_code",
            )
        return replace(self, lots={**self.lots, lot.lot_code: lot})

    def balance(self, warehouse: str, lot_code: str) -> int:
        return self.balances.get((warehouse, lot_code), 0)

    def apply(self, movement: Movement) -> Ledger:
        """The ledger after ``movement``; :class:`LedgerError` when a rule is broken."""
        lot = self.lots.get(movement.lot_code)
        if lot is None:
            raise LedgerError(f"unknown lot {movement.lot_code}", "lot_code")
        kind, qty = movement.kind, movement.quantity
        if kind is MovementKind.ADJUSTMENT:
            if qty == 0:
                raise LedgerError("an adjustment must change the count", "quantity")
            if not movement.reason.strip():
                raise LedgerError("an adjustment needs a reason", "reason")
        elif qty <= 0:
            raise LedgerError("quantity must be a positive number of base units", "quantity")
        changes: list[tuple[str, int]] = []
        if kind is MovementKind.RECEIPT:
            changes.append((self._need(movement.to_warehouse, "to_warehouse"), qty))
        elif kind is MovementKind.ISSUE:
            self._usable(lot, movement)
            changes.append((self._need(movement.from_warehouse, "from_warehouse"), -qty))
        elif kind is MovementKind.TRANSFER:
            source = self._need(movement.from_warehouse, "from_warehouse")
            target = self._need(movement.to_warehouse, "to_warehouse")
            if source == target:
                raise LedgerError("a transfer needs two different warehouses", "to_warehouse")
            self._usable(lot, movement)
            changes += [(source, -qty), (target, qty)]
        elif kind is MovementKind.EXPIRY:
            if lot.usable_on(movement.movement_date):
                raise LedgerError(
                    f"lot {lot.lot_code} is neither expired nor damaged on "
                    f"{movement.movement_date}",
                    "lot_code",
                )
            changes.append((self._need(movement.from_warehouse, "from_warehouse"), -qty))
        else:  # adjustment
            where = movement.to_warehouse or movement.from_warehouse
            changes.append((self._need(where, "to_warehouse"), qty))
        balances = dict(self.balances)
        for warehouse, delta in changes:
            key = (warehouse, lot.lot_code)
            new = balances.get(key, 0) + delta
            if new < 0:
                raise LedgerError(
                    f"{warehouse} holds {balances.get(key, 0)} units of lot {lot.lot_code}; "
                    f"cannot take {-delta}",
                    "quantity",
                )
            balances[key] = new
        totals = dict(self.totals)
        tkey = (lot.item_code, kind)
        totals[tkey] = totals.get(tkey, 0) + qty
        return replace(self, balances=balances, totals=totals)

    def apply_all(self, movements: Iterable[Movement]) -> Ledger:
        ledger = self
        for movement in movements:
            ledger = ledger.apply(movement)
        return ledger

    @staticmethod
    def _need(warehouse: str | None, name: str) -> str:
        if not warehouse:
            raise LedgerError(f"{name} is required for this movement", name)
        return warehouse

    @staticmethod
    def _usable(lot: Lot, movement: Movement) -> None:
        if not lot.usable_on(movement.movement_date):
            why = "damaged" if lot.damaged else f"expired on {lot.expiry_date}"
            raise LedgerError(f"lot {lot.lot_code} is {why}: it cannot be used", "lot_code")

    def on_hand(self, item_code: str, warehouse: str | None = None) -> int:
        """Units of ``item_code`` held (usable or not), in one warehouse or all."""
        return sum(
            qty
            for (wh, code), qty in self.balances.items()
            if self.lots[code].item_code == item_code and (warehouse is None or wh == warehouse)
        )

    def usable(self, item_code: str, day: date, warehouse: str | None = None) -> int:
        """Usable units of ``item_code`` on ``day``."""
        return sum(
            qty
            for (wh, code), qty in self.balances.items()
            if self.lots[code].item_code == item_code
            and self.lots[code].usable_on(day)
            and (warehouse is None or wh == warehouse)
        )

    def conservation_gap(self, item_code: str) -> int:
        """Balance minus (receipts - issues - expiries + adjustments): always 0."""
        t = self.totals
        expected = (
            t.get((item_code, MovementKind.RECEIPT), 0)
            - t.get((item_code, MovementKind.ISSUE), 0)
            - t.get((item_code, MovementKind.EXPIRY), 0)
            + t.get((item_code, MovementKind.ADJUSTMENT), 0)
        )
        return self.on_hand(item_code) - expected


def stock_status(ledger: Ledger, item_code: str, warehouse: str, day: date) -> StockState:
    """In stock, out of stock, or out of stock with only unusable units left."""
    if ledger.usable(item_code, day, warehouse) > 0:
        return StockState.IN_STOCK
    if ledger.on_hand(item_code, warehouse) > 0:
        return StockState.ONLY_UNUSABLE
    return StockState.STOCK_OUT


def first_expiry_first_out(
    ledger: Ledger, item_code: str, warehouse: str, quantity: int, day: date
) -> list[tuple[str, int]]:
    """Lots and units to pick for ``quantity`` usable units, earliest expiry first
    (FEFO); :class:`LedgerError` when the usable stock is short."""
    lots = sorted(
        (
            (ledger.lots[code], qty)
            for (wh, code), qty in ledger.balances.items()
            if wh == warehouse
            and qty > 0
            and ledger.lots[code].item_code == item_code
            and ledger.lots[code].usable_on(day)
        ),
        key=lambda lq: (lq[0].expiry_date or date.max, lq[0].lot_code),
    )
    picks: list[tuple[str, int]] = []
    rest = quantity
    for lot, qty in lots:
        if rest == 0:
            break
        take = min(rest, qty)
        picks.append((lot.lot_code, take))
        rest -= take
    if rest > 0:
        raise LedgerError(
            f"{warehouse} has {quantity - rest} usable units of {item_code}, {quantity} needed",
            "quantity",
        )
    return picks
