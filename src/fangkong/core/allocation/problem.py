"""An allocation instance: who holds stock, who needs it, how urgent, how far.

Quantities are whole packs (the unit that leaves a depot); the service layer converts
base units to packs with the catalogue's pack sizes. Time is split into ``T`` periods
(days, shifts): ``supply[t, d, i]`` packs of item ``i`` become usable at depot ``d`` at
the start of period ``t`` (period 0 holds the stock on hand) and unused stock is carried
over to the next period; ``need[t, h, i]`` packs are needed by hospital ``h`` during
period ``t``. Unmet need is carried too (a backlog): a shipment in a later period still
counts against earlier need, and no hospital receives more than it has needed so far.

``priority[h, i] > 0`` ranks urgency (e.g. from severe cases or ICU load, see
:func:`icu_priority`); only ratios matter, so the solver scales each item's priorities
to a maximum of 1. ``cost[d, h]`` is the cost of moving one pack; by default the
great-circle distance in kilometres (haversine, mean Earth radius 6,371.0088 km, IUGG).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

#: Mean Earth radius in kilometres (IUGG).
EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True, slots=True)
class Site:
    """A depot or a hospital: an identifier, a display name and a WGS 84 position."""

    site_id: str
    name: str
    lat: float
    lon: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.lat) and -90 <= self.lat <= 90):
            raise ValueError(f"latitude of {self.site_id} must lie in [-90, 90]")
        if not (math.isfinite(self.lon) and -180 <= self.lon <= 180):
            raise ValueError(f"longitude of {self.site_id} must lie in [-180, 180]")


@dataclass(frozen=True, slots=True)
class ItemInfo:
    """An item as the explanation names it: code, names and base units per pack."""

    item_code: str
    name_zh: str
    name_en: str
    pack_size: int = 1
    unit: str = "piece"


def haversine_km(
    lat1: FloatArray, lon1: FloatArray, lat2: FloatArray, lon2: FloatArray
) -> FloatArray:
    """Great-circle distance in km between points (broadcasting arrays, degrees)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp = p2 - p1
    dl = np.radians(lon2) - np.radians(lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    out: FloatArray = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return out


def distance_matrix(depots: tuple[Site, ...], hospitals: tuple[Site, ...]) -> FloatArray:
    """``[d, h]`` great-circle distances in km."""
    dlat = np.array([s.lat for s in depots], dtype=np.float64)[:, None]
    dlon = np.array([s.lon for s in depots], dtype=np.float64)[:, None]
    hlat = np.array([s.lat for s in hospitals], dtype=np.float64)[None, :]
    hlon = np.array([s.lon for s in hospitals], dtype=np.float64)[None, :]
    return haversine_km(dlat, dlon, hlat, hlon)


def icu_priority(
    severe_or_icu_patients: FloatArray, beds: FloatArray, floor: float = 0.1
) -> FloatArray:
    """Priority of hospitals from their load: occupied critical-care beds per bed,
    floored at ``floor`` so that a quiet hospital still gets its share (never zero)."""
    beds_safe = np.where(beds > 0, beds, 1.0)
    load: FloatArray = np.asarray(severe_or_icu_patients / beds_safe, dtype=np.float64)
    return np.maximum(load, floor)


@dataclass(frozen=True)
class AllocationProblem:
    """One instance. Arrays are validated and stored as int64 / float64 copies."""

    depots: tuple[Site, ...]
    hospitals: tuple[Site, ...]
    items: tuple[ItemInfo, ...]
    supply: IntArray  # (T, D, I) packs usable from the start of period t
    need: IntArray  # (T, H, I) packs needed during period t
    priority: FloatArray  # (H, I) > 0
    cost: FloatArray = field(default_factory=lambda: np.zeros((0, 0)))  # (D, H)

    def __post_init__(self) -> None:
        supply = np.asarray(self.supply)
        need = np.asarray(self.need)
        priority = np.asarray(self.priority, dtype=np.float64)
        n_d, n_h, n_i = len(self.depots), len(self.hospitals), len(self.items)
        if n_d == 0 or n_h == 0 or n_i == 0:
            raise ValueError("an allocation needs at least one depot, hospital and item")
        for name, ids in (
            ("depot", [s.site_id for s in self.depots]),
            ("hospital", [s.site_id for s in self.hospitals]),
            ("item", [i.item_code for i in self.items]),
        ):
            if len(set(ids)) != len(ids):
                raise ValueError(f"{name} identifiers must be unique")
        if supply.ndim != 3 or supply.shape[1:] != (n_d, n_i):
            raise ValueError(f"supply must have shape (periods, {n_d}, {n_i})")
        n_t = supply.shape[0]
        if n_t < 1:
            raise ValueError("there must be at least one period")
        if need.shape != (n_t, n_h, n_i):
            raise ValueError(f"need must have shape ({n_t}, {n_h}, {n_i})")
        for name, arr in (("supply", supply), ("need", need)):
            whole = np.issubdtype(arr.dtype, np.integer) or (
                np.all(np.isfinite(arr)) and not np.any(arr != np.round(arr))
            )
            if not whole:
                raise ValueError(f"{name} must be whole packs")
            if np.any(arr < 0):
                raise ValueError(f"{name} must not be negative")
        if priority.shape != (n_h, n_i):
            raise ValueError(f"priority must have shape ({n_h}, {n_i})")
        if not np.all(np.isfinite(priority)) or np.any(priority <= 0):
            raise ValueError("priorities must be finite and > 0")
        cost = np.asarray(self.cost, dtype=np.float64)
        if cost.size == 0:
            cost = distance_matrix(self.depots, self.hospitals)
        if cost.shape != (n_d, n_h):
            raise ValueError(f"cost must have shape ({n_d}, {n_h})")
        if not np.all(np.isfinite(cost)) or np.any(cost < 0):
            raise ValueError("costs must be finite and >= 0")
        object.__setattr__(self, "supply", supply.astype(np.int64))
        object.__setattr__(self, "need", need.astype(np.int64))
        object.__setattr__(self, "priority", priority)
        object.__setattr__(self, "cost", cost)

    @property
    def periods(self) -> int:
        return int(self.supply.shape[0])

    @property
    def shape(self) -> tuple[int, int, int, int]:
        """(periods, depots, hospitals, items)."""
        return self.periods, len(self.depots), len(self.hospitals), len(self.items)

    def scaled_priority(self) -> FloatArray:
        """Priorities divided by each item's maximum (so in (0, 1])."""
        out: FloatArray = self.priority / self.priority.max(axis=0, keepdims=True)
        return out
