"""Data-quality signals on daily series: negative increments, jumps, stale regions.

* **negative increment** — a daily figure below zero: the publisher lowered a
  cumulative total (a correction, kept as published, see core/reports.py).
* **jump** — ``y_t > factor × mean(y_{t−7} … y_{t−1}) + minimum`` (default factor 5,
  minimum 50): a change of definition or a backlog, such as Hubei's 14,840 clinically
  diagnosed cases on 2020-02-12. Not an epidemiological signal by itself: it asks for a
  check of the data before anything else.
* **stale** — a region's last report is more than ``stale_days`` (default 2) days older
  than the newest report of the same source: it has stopped reporting.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray


@dataclass(frozen=True, slots=True)
class QualityFinding:
    """One finding: series index, day index, kind, the value and its reference."""

    unit: int
    day: int
    kind: str
    observed: float
    reference: float | None


def negative_increments(y: NDArray[np.float64]) -> list[QualityFinding]:
    units, days = np.nonzero(np.nan_to_num(y, nan=0.0) < 0)
    return [
        QualityFinding(int(u), int(t), "negative_increment", float(y[u, t]), 0.0)
        for u, t in zip(units, days, strict=True)
    ]


def jumps(
    y: NDArray[np.float64], factor: float = 5.0, minimum: float = 50.0, baseline: int = 7
) -> list[QualityFinding]:
    """Days whose count exceeds ``factor`` × the mean of the previous ``baseline`` days
    plus ``minimum`` (see module text)."""
    y = np.asarray(y, dtype=float)
    days = y.shape[1]
    if days <= baseline:
        return []
    clean = np.nan_to_num(y, nan=0.0)
    means = sliding_window_view(clean, baseline, axis=1)[:, : days - baseline].mean(axis=2)
    limit = factor * means + minimum
    hit = y[:, baseline:] > limit
    found = []
    for u, k in zip(*np.nonzero(hit), strict=True):
        t = int(k) + baseline
        found.append(QualityFinding(int(u), t, "jump", float(y[u, t]), float(limit[u, k])))
    return found


@dataclass(frozen=True, slots=True)
class StaleRegion:
    region_code: str
    source: str
    last_report: date
    newest_of_source: date
    days_behind: int


def stale_regions(
    last_reports: Mapping[tuple[str, str], date],
    as_of: date | None = None,
    stale_days: int = 2,
    sources: Sequence[str] | None = None,
) -> list[StaleRegion]:
    """Regions whose last report of a source lags the source's newest report (or
    ``as_of`` when given) by more than ``stale_days`` days."""
    newest: dict[str, date] = {}
    for (_, source), day in last_reports.items():
        if sources is None or source in sources:
            newest[source] = max(day, newest.get(source, day))
    found: list[StaleRegion] = []
    for (region, source), day in sorted(last_reports.items()):
        if source not in newest:
            continue
        reference = as_of or newest[source]
        behind = (reference - day).days
        if behind > stale_days:
            found.append(StaleRegion(region, source, day, reference, behind))
    return found
