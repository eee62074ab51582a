"""Reading regions and their daily series."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy import Engine, and_, case, func, or_, select

from fangkong.core.regions import RegionTree
from fangkong.core.reports import COUNT_FIELDS, FLOW_FIELDS
from fangkong.services.errors import Invalid, NotFound
from fangkong.store import models as m

R = m.RegionRow
D = m.DailyReportRow


@dataclass(slots=True)
class RegionInfo:
    region_code: str
    level: str
    parent_code: str | None
    name_zh: str
    name_en: str
    population: int | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _info(row: Any) -> RegionInfo:
    return RegionInfo(
        row.region_code, row.level, row.parent_code, row.name_zh, row.name_en, row.population
    )


def get_region(engine: Engine, region_code: str) -> RegionInfo:
    with engine.connect() as conn:
        row = conn.execute(select(R).where(R.region_code == region_code)).first()
    if row is None:
        raise NotFound(f"no region with code {region_code!r}", field="region_code")
    return _info(row)


def list_regions(
    engine: Engine,
    *,
    level: str | None = None,
    parent_code: str | None = None,
    q: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[RegionInfo], int]:
    query = select(R)
    if level:
        query = query.where(R.level == level)
    if parent_code:
        query = query.where(R.parent_code == parent_code)
    if q:
        like = f"%{q}%"
        query = query.where(or_(R.name_zh.like(like), R.name_en.ilike(like), R.region_code == q))
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        rows = conn.execute(query.order_by(R.region_code).limit(limit).offset(offset)).all()
    return [_info(r) for r in rows], int(total)


def region_subtree(engine: Engine, root: str, depth: int) -> dict[str, Any]:
    """The region ``root`` with its children nested ``depth`` levels deep."""
    with engine.connect() as conn:
        rows = conn.execute(select(R)).all()
    by_parent: dict[str | None, list[Any]] = {}
    by_code: dict[str, Any] = {}
    for row in rows:
        by_parent.setdefault(row.parent_code, []).append(row)
        by_code[row.region_code] = row
    if root not in by_code:
        raise NotFound(f"no region with code {root!r}", field="root")

    def build(row: Any, level: int) -> dict[str, Any]:
        node = _info(row).as_dict()
        if level < depth:
            kids = sorted(by_parent.get(row.region_code, []), key=lambda r: r.region_code)
            node["children"] = [build(k, level + 1) for k in kids]
        return node

    return build(by_code[root], 0)


def source_coverage(
    engine: Engine, region_code: str, date_from: date | None, date_to: date | None
) -> dict[str, int]:
    """Every source with figures for the region, and how many days of the window it has."""
    in_window = case(
        (and_(D.report_date >= (date_from or date.min), D.report_date <= (date_to or date.max)), 1),
        else_=0,
    )
    query = (
        select(D.source, func.sum(in_window)).where(D.region_code == region_code).group_by(D.source)
    )
    with engine.connect() as conn:
        return {src: int(days or 0) for src, days in conn.execute(query).all()}


def pick_source(coverage: dict[str, int], priority: tuple[str, ...]) -> str | None:
    """The source that best covers the requested window; among equals, the first in
    ``priority`` (official figures before archives and aggregators), then by name."""
    if not coverage:
        return None

    def rank(src: str) -> tuple[int, int, str]:
        order = priority.index(src) if src in priority else len(priority)
        return (-coverage[src], order, src)

    return min(coverage, key=rank)


#: Longest span of days read into one (regions × days) matrix (ten years): bounds memory
#: and time of the analytics that classify or scan every region and day.
MAX_SERIES_DAYS = 3653


@dataclass(slots=True)
class SeriesRows:
    """Daily rows of many regions, one source each, laid out on a common day axis."""

    codes: list[str]
    chosen: dict[str, str]
    rows: list[Any]
    start: date
    days: int


def one_source_per_region(
    rows: Sequence[Any],
    tree: RegionTree,
    priority: tuple[str, ...],
    *,
    until: date,
    parent: str | None = None,
    date_field: str = "to",
) -> SeriesRows:
    """Keep, for each region (below ``parent`` when given), the rows of the source that
    covers it best (:func:`pick_source`), from the first kept day up to ``until``.

    Rows need ``region_code``, ``source`` and ``report_date``. A span longer than
    :data:`MAX_SERIES_DAYS` is refused, naming ``date_field``."""
    coverage: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in rows:
        coverage[r.region_code][r.source] += 1
    chosen: dict[str, str] = {}
    for code, cov in coverage.items():
        if parent and not tree.is_within(code, parent):
            continue
        src = pick_source(dict(cov), priority)
        if src:
            chosen[code] = src
    kept = [r for r in rows if chosen.get(r.region_code) == r.source]
    start = min((r.report_date for r in kept), default=until)
    return SeriesRows(sorted(chosen), chosen, kept, start, series_days(start, until, date_field))


def series_days(start: date, until: date, date_field: str) -> int:
    """Days from ``start`` to ``until``; a span longer than :data:`MAX_SERIES_DAYS` is
    refused, naming ``date_field``."""
    days = (until - start).days + 1
    if days > MAX_SERIES_DAYS:
        raise Invalid(
            f"{until.isoformat()} is {days:,} days after the first figures ({start.isoformat()}); "
            f"at most {MAX_SERIES_DAYS:,} days are analysed at once",
            field=date_field,
        )
    return days


def daily_series(
    engine: Engine,
    region_code: str,
    *,
    date_from: date | None,
    date_to: date | None,
    source: str | None,
    priority: tuple[str, ...],
    limit: int = 1000,
    offset: int = 0,
) -> dict[str, Any]:
    """Daily figures of one region with cumulative figures derived by summation.

    Without ``source``, the figures come from one source, the one that covers the window
    best (see :func:`pick_source`); sources are never mixed within a series, since their
    cumulative totals differ. Cumulative values on a day include every earlier stored
    day of the same source,
    also those before ``date_from``; ``current_confirmed`` = cumulative confirmed −
    cumulative recovered − cumulative deaths.
    """
    get_region(engine, region_code)
    if date_from and date_to and date_from > date_to:
        raise Invalid("'from' is after 'to'", field="from")
    coverage = source_coverage(engine, region_code, date_from, date_to)
    available = sorted(coverage)
    if source is not None and source not in available:
        raise NotFound(
            f"region {region_code} has no figures from source {source!r}; "
            f"available: {', '.join(sorted(available)) or 'none'}",
            field="source",
        )
    chosen = source or pick_source(coverage, priority)
    items: list[dict[str, Any]] = []
    total = 0
    if chosen is not None:
        cols = [D.report_date, *(getattr(D, f) for f in COUNT_FIELDS), D.flags]
        query = select(*cols).where(D.region_code == region_code, D.source == chosen)
        if date_to:
            query = query.where(D.report_date <= date_to)
        with engine.connect() as conn:
            rows = conn.execute(query.order_by(D.report_date)).all()
        running = dict.fromkeys(FLOW_FIELDS, 0)
        names = ("report_date", *COUNT_FIELDS, "flags")
        for row in rows:
            data = dict(zip(names, row, strict=True))  # cheaper than Row._asdict()
            for f in FLOW_FIELDS:
                running[f] += data[f] or 0
            if date_from and data["report_date"] < date_from:
                continue
            total += 1
            if total <= offset or len(items) >= limit:
                continue
            item: dict[str, Any] = {"report_date": data["report_date"].isoformat()}
            item.update({f: data[f] for f in COUNT_FIELDS})
            imported = data["new_confirmed_imported"]
            item["new_confirmed_local"] = (
                None
                if data["new_confirmed"] is None or imported is None
                else data["new_confirmed"] - imported
            )
            item["cumulative_confirmed"] = running["new_confirmed"]
            item["cumulative_deaths"] = running["new_deaths"]
            item["cumulative_recovered"] = running["new_recovered"]
            item["current_confirmed"] = (
                running["new_confirmed"] - running["new_recovered"] - running["new_deaths"]
            )
            item["flags"] = data["flags"].split(",") if data["flags"] else []
            items.append(item)
    return {
        "region_code": region_code,
        "source": chosen,
        "available_sources": sorted(available),
        "items": items,
        "total": total,
        "limit": limit,
        "offset": offset,
    }
