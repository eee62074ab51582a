"""Which sources cover each region of a level, kept up to date incrementally.

Risk zoning (:mod:`fangkong.services.risk`) picks one source per unit and puts all
units of a level on one day axis starting at the earliest first report; both come from
the coverage of the whole level: per unit and source, how many reports up to a day and
the first report day. Counting it is a scan of every report of the level (about 0.5 s
for the 1 million county reports of a national dataset), and during an outbreak every
new report makes a new data version.

Coverage only grows: daily reports are never deleted, and an update never changes a
report's region, source or day. So the coverage of a new version is a *stable base*
(every report up to some id) plus the reports stored after it (an index range of ids).
The base may only include ids that no transaction in progress can still commit:

* SQLite has one writer at a time, and a read sees whole committed transactions, so
  every id up to the largest one read is stable.
* PostgreSQL allocates ids when a row is inserted, so a transaction that started
  earlier may commit a smaller id later. The base therefore moves only to the largest
  id read at or before the start of the oldest transaction now open on the database
  (``pg_stat_activity.xact_start``): every smaller id belongs to a transaction that has
  ended. Ids read since then are counted again each time (usually a few rows).

A database whose largest id went down (a restored backup) is counted again in full.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, select, text

from fangkong.services.public import PublicCache
from fangkong.store import models as m

D, R = m.DailyReportRow, m.RegionRow
#: Per unit and source: (reports, first report day).
Coverage = dict[str, dict[str, tuple[int, date]]]


def unit_sources(
    engine: Engine, unit: str, until: date, after_id: int = 0, upto_id: int | None = None
) -> Coverage:
    """Coverage of the units of level ``unit`` by reports up to ``until`` with
    ``after_id < id <= upto_id`` (all reports by default): one grouped query."""
    query = (
        select(D.region_code, D.source, func.count(), func.min(D.report_date))
        .join(R, R.region_code == D.region_code)
        .where(R.level == unit, D.report_date <= until, D.id > after_id)
        .group_by(D.region_code, D.source)
    )
    if upto_id is not None:
        query = query.where(D.id <= upto_id)
    out: Coverage = {}
    with engine.connect() as conn:
        for code, source, n, first in conn.execute(query).all():
            first_day = first if isinstance(first, date) else date.fromisoformat(str(first))
            out.setdefault(code, {})[source] = (int(n), first_day)
    return out


def merged(base: Coverage, more: Coverage) -> Coverage:
    """The coverage of two disjoint sets of reports."""
    out = {code: dict(per_source) for code, per_source in base.items()}
    for code, per_source in more.items():
        mine = out.setdefault(code, {})
        for source, (n, first) in per_source.items():
            old = mine.get(source)
            mine[source] = (n, first) if old is None else (old[0] + n, min(old[1], first))
    return out


@dataclass(frozen=True, slots=True)
class _State:
    base_id: int
    base: Coverage
    #: (database time, largest id then) read since the base was last moved.
    seen: tuple[tuple[Any, int], ...]
    coverage: Coverage


def _observe(conn: Connection) -> tuple[int, Any, Any]:
    """The largest report id, the database's clock, and the start of the oldest other
    transaction open (PostgreSQL; ``None`` when none is, and on SQLite)."""
    top = int(conn.execute(select(func.coalesce(func.max(D.id), 0))).scalar_one())
    if conn.dialect.name != "postgresql":
        return top, None, None
    clock, oldest = conn.execute(
        text(
            "SELECT clock_timestamp(), (SELECT min(xact_start) FROM pg_stat_activity "
            "WHERE xact_start IS NOT NULL AND pid <> pg_backend_pid())"
        )
    ).one()
    return top, clock, oldest


def unit_coverage(engine: Engine, unit: str, until: date, cache: PublicCache | None) -> Coverage:
    """:func:`unit_sources` of every report, kept per data version in ``cache`` and
    computed from the last one (see the module docstring)."""
    if cache is None:
        return unit_sources(engine, unit, until)
    key = ("risk-unit-sources", unit, until)

    def compute() -> _State:
        with engine.connect() as conn:
            top, clock, oldest = _observe(conn)
        last: _State | None = cache.last(key)
        if last is None or (last.seen and last.seen[-1][1] > top) or last.base_id > top:
            last = _State(0, {}, (), {})
        seen = (*last.seen, (clock, top))
        if clock is None:  # SQLite: everything read is committed and final
            stable = top
        else:
            horizon: datetime = oldest if oldest is not None else clock
            stable = max((i for t, i in seen if t <= horizon), default=last.base_id)
        base = last.base
        if stable > last.base_id:
            base = merged(base, unit_sources(engine, unit, until, last.base_id, stable))
        seen = tuple((t, i) for t, i in seen if i > stable)
        tail = unit_sources(engine, unit, until, stable, top)
        return _State(stable, base, seen, merged(base, tail))

    state: _State = cache.get(key, compute, remember=True)
    return state.coverage
