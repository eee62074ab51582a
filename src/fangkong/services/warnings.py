"""Early warning: aberration detection (EARS C1/C2/C3, negative-binomial regression;
core/rules/aberration.py) and data-quality signals (core/rules/quality.py) on the
daily series of regions, with zh/en explanations and links to the figures.

Each region's series comes from one source (best coverage, then source priority, as
for the daily series). Days between a region's first and last report without a
report are missing (NaN), not zero. Stored signals keep their status (new,
acknowledged, dismissed) across rescans; a status change is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Engine, func, insert, select, update

from fangkong.core.access import WORLD, Actor, Permission
from fangkong.core.regions import RegionTree
from fangkong.core.reports import FLOW_FIELDS
from fangkong.core.rules import aberration, quality
from fangkong.services.auth import authorize
from fangkong.services.errors import Invalid, NotFound
from fangkong.services.regions import one_source_per_region
from fangkong.settings import Settings
from fangkong.store import models as m

D = m.DailyReportRow
R = m.RegionRow
W = m.WarningSignalRow
ABERRATION_METHODS = tuple(aberration.METHODS)
QUALITY_METHODS = ("negative_increment", "jump", "stale")
METHODS = ABERRATION_METHODS + QUALITY_METHODS
STATUSES = ("new", "acknowledged", "dismissed")
LEVELS = ("country", "province", "prefecture", "county")
METHOD_NAMES = {
    "ears_c1": ("EARS C1", "EARS C1"),
    "ears_c2": ("EARS C2", "EARS C2"),
    "ears_c3": ("EARS C3", "EARS C3"),
    "negbin": ("负二项回归阈值", "negative-binomial regression threshold"),
    "negative_increment": ("负增量", "negative increment"),
    "jump": ("异常跳变", "jump"),
    "stale": ("报告中断", "stale region"),
}


@dataclass(slots=True)
class Series:
    """Daily values of many regions on a common calendar (NaN = no report)."""

    codes: list[str]
    names: dict[str, tuple[str, str]]
    sources: dict[str, str]
    last_report: dict[str, date]
    start: date
    values: np.ndarray[Any, np.dtype[np.float64]]

    def day(self, t: int) -> date:
        return self.start + timedelta(days=t)


def load_series(
    engine: Engine,
    settings: Settings,
    tree: RegionTree,
    *,
    field: str = "new_confirmed",
    level: str | None = "province",
    region_codes: list[str] | None = None,
    until: date,
    parent: str | None = None,
) -> Series:
    if field not in FLOW_FIELDS and field != "new_confirmed_local":
        raise Invalid(f"series must be one of {[*FLOW_FIELDS, 'new_confirmed_local']}", "series")
    if level is not None and level not in LEVELS:
        raise Invalid(f"level must be one of {list(LEVELS)}", field="level")
    cols = [D.region_code, D.source, D.report_date, D.new_confirmed, D.new_confirmed_imported]
    if field not in ("new_confirmed", "new_confirmed_local", "new_confirmed_imported"):
        cols.append(getattr(D, field))
    query = select(*cols).join(R, R.region_code == D.region_code).where(D.report_date <= until)
    region_query = select(R.region_code, R.name_zh, R.name_en)
    if region_codes:
        query = query.where(D.region_code.in_(region_codes))
        region_query = region_query.where(R.region_code.in_(region_codes))
    elif level:
        query = query.where(R.level == level)
        region_query = region_query.where(R.level == level)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
        names = {r.region_code: (r.name_zh, r.name_en) for r in conn.execute(region_query)}
    if region_codes:
        missing = sorted(set(region_codes) - set(names))
        if missing:
            raise NotFound(f"no region with code {missing[0]!r}", field="region")
    series = one_source_per_region(
        rows, tree, settings.source_priority, until=until, parent=parent, date_field="to"
    )
    codes, chosen, kept, start, days = (
        series.codes,
        series.chosen,
        series.rows,
        series.start,
        series.days,
    )
    index = {c: i for i, c in enumerate(codes)}
    values = np.full((len(codes), days), np.nan)
    last: dict[str, date] = {}
    for r in kept:
        if field == "new_confirmed_local":
            if r.new_confirmed is None or r.new_confirmed_imported is None:
                continue
            value: int | None = r.new_confirmed - r.new_confirmed_imported
        else:
            value = getattr(r, field)
        if value is None:
            continue
        values[index[r.region_code], (r.report_date - start).days] = value
        last[r.region_code] = max(r.report_date, last.get(r.region_code, r.report_date))
    return Series(codes, names, chosen, last, start, values)


def _link(code: str, source: str, day: date, back: int = 30) -> str:
    return (
        f"/api/v1/regions/{code}/daily?from={(day - timedelta(days=back)).isoformat()}"
        f"&to={day.isoformat()}&source={source}"
    )


def _fmt(x: float) -> str:
    return f"{x:.0f}" if float(x).is_integer() else f"{x:.1f}"


def _explain(
    method: str,
    field: str,
    day: date,
    observed: float,
    threshold: float,
    expected: float,
    statistic: float,
) -> tuple[str, str]:
    zh_m, en_m = METHOD_NAMES[method]
    d = day.isoformat()
    obs = _fmt(observed)
    if method in ("ears_c1", "ears_c2"):
        span = (7, 1) if method == "ears_c1" else (9, 3)
        b0, b1 = (
            (day - timedelta(days=span[0])).isoformat(),
            (day - timedelta(days=span[1])).isoformat(),
        )
        return (
            f"{zh_m}：{d} {field} = {obs}，基线 {b0}～{b1} 均值 {expected:.1f}，"
            f"统计量 {statistic:.1f} > 3",
            f"{en_m}: {field} = {obs} on {d}, baseline {b0}…{b1} mean {expected:.1f}, "
            f"statistic {statistic:.1f} > 3",
        )
    if method == "ears_c3":
        return (
            f"{zh_m}：{d} 前3天 C2 超出量之和 {statistic:.1f} > 2（{field} = {obs}）",
            f"{en_m}: sum of C2 excesses over 3 days {statistic:.1f} > 2 on {d} ({field} = {obs})",
        )
    return (
        f"{zh_m}：{d} {field} = {obs}，超过 99% 阈值 {_fmt(threshold)}（预期 {expected:.1f}）",
        f"{en_m}: {field} = {obs} on {d} exceeds the 99% threshold {_fmt(threshold)} "
        f"(expected {expected:.1f})",
    )


def scan(
    engine: Engine,
    settings: Settings,
    tree: RegionTree,
    *,
    date_from: date,
    date_to: date,
    level: str | None = "province",
    region_codes: list[str] | None = None,
    methods: list[str] | None = None,
    field: str = "new_confirmed",
    parent: str | None = None,
    stale_days: int = 2,
) -> list[dict[str, Any]]:
    """Every signal of the chosen methods on days ``date_from`` … ``date_to``."""
    if date_from > date_to:
        raise Invalid("'from' is after 'to'", field="from")
    chosen = methods or list(METHODS)
    unknown = [x for x in chosen if x not in METHODS]
    if unknown:
        raise Invalid(f"unknown method {unknown[0]!r}; use {list(METHODS)}", field="methods")
    series = load_series(
        engine,
        settings,
        tree,
        field=field,
        level=level,
        region_codes=region_codes,
        until=date_to,
        parent=parent,
    )
    y = series.values
    lo = max(0, (date_from - series.start).days)
    found: list[dict[str, Any]] = []

    def add(
        u: int, t: int, method: str, obs: float | None, thr: float | None, zh: str, en: str
    ) -> None:
        code = series.codes[u]
        day = series.day(t)
        found.append(
            {
                "region_code": code,
                "name_zh": series.names.get(code, (code, code))[0],
                "name_en": series.names.get(code, (code, code))[1],
                "signal_date": day.isoformat(),
                "method": method,
                "kind": "quality" if method in QUALITY_METHODS else "aberration",
                "series": field,
                "source": series.sources[code],
                "observed": obs,
                "threshold": thr,
                "explanation_zh": zh,
                "explanation_en": en,
                "link": _link(code, series.sources[code], day),
            }
        )

    for method in chosen:
        if method in ABERRATION_METHODS:
            det = aberration.METHODS[method](y)
            for u, t in zip(*np.nonzero(det.signal), strict=True):
                if t < lo:
                    continue
                zh, en = _explain(
                    method,
                    field,
                    series.day(int(t)),
                    float(y[u, t]),
                    float(det.threshold[u, t]),
                    float(det.expected[u, t]),
                    float(det.statistic[u, t]),
                )
                add(int(u), int(t), method, float(y[u, t]), float(det.threshold[u, t]), zh, en)
        elif method == "negative_increment":
            for f in quality.negative_increments(y):
                if f.day >= lo:
                    d = series.day(f.day).isoformat()
                    add(
                        f.unit,
                        f.day,
                        method,
                        f.observed,
                        0.0,
                        f"负增量：{d} {field} = {_fmt(f.observed)}（发布方下调累计数的更正）",
                        f"negative increment: {field} = {_fmt(f.observed)} on {d} "
                        "(the publisher lowered its cumulative total)",
                    )
        elif method == "jump":
            for f in quality.jumps(y):
                if f.day >= lo:
                    d = series.day(f.day).isoformat()
                    ref = f.reference or 0.0
                    add(
                        f.unit,
                        f.day,
                        method,
                        f.observed,
                        ref,
                        f"异常跳变：{d} {field} = {_fmt(f.observed)}，"
                        f"超过前7天均值的5倍加50（{ref:.0f}）；"
                        "请先核查数据口径或积压",
                        f"jump: {field} = {_fmt(f.observed)} on {d} exceeds 5 × the previous "
                        f"7 days' mean + 50 ({ref:.0f}); check definitions or backlog first",
                    )
        elif method == "stale":
            last = {(c, series.sources[c]): series.last_report[c] for c in series.last_report}
            for s in quality.stale_regions(last, as_of=date_to, stale_days=stale_days):
                u = series.codes.index(s.region_code)
                t = (s.newest_of_source - series.start).days
                d = s.last_report.isoformat()
                add(
                    u,
                    t,
                    method,
                    float(s.days_behind),
                    float(stale_days),
                    f"报告中断：最后报告 {d}，已 {s.days_behind} 天未报告（{s.source}）",
                    f"stale region: last report {d}, {s.days_behind} days without a report "
                    f"({s.source})",
                )
    found.sort(key=lambda x: (x["signal_date"], x["region_code"], x["method"]))
    return found


def first_signals(signals: list[dict[str, Any]], region_code: str) -> dict[str, str | None]:
    """The first signal date of each method for one region."""
    firsts: dict[str, str | None] = dict.fromkeys(METHODS)
    for s in signals:
        if s["region_code"] == region_code:
            held = firsts[s["method"]]
            if held is None or s["signal_date"] < held:
                firsts[s["method"]] = s["signal_date"]
    return firsts


def store_signals(
    engine: Engine, actor: Actor, signals: list[dict[str, Any]], tree: RegionTree | None = None
) -> dict[str, int]:
    """Insert new signals of regions in the actor's jurisdiction; known ones (same
    region, date, method, series, source) keep their status and are counted as
    unchanged, those of other regions are not stored (counted as ``outside``: a scan
    may cover the whole country, but a user fills only their own work list)."""
    authorize(actor, Permission.READ_CASES)
    if actor.jurisdiction != WORLD:
        if tree is None:
            raise ValueError("storing signals for a scoped user needs the region tree")
        mine = [s for s in signals if tree.is_within(s["region_code"], actor.jurisdiction)]
    else:
        mine = list(signals)
    outside = len(signals) - len(mine)
    signals = mine
    now = datetime.now(UTC)
    inserted = unchanged = 0
    with engine.begin() as conn:
        existing = {
            (r.region_code, r.signal_date.isoformat(), r.method, r.series, r.source)
            for r in conn.execute(
                select(W.region_code, W.signal_date, W.method, W.series, W.source)
            )
        }
        for s in signals:
            key = (s["region_code"], s["signal_date"], s["method"], s["series"], s["source"])
            if key in existing:
                unchanged += 1
                continue
            existing.add(key)
            conn.execute(
                insert(W).values(
                    region_code=s["region_code"],
                    signal_date=date.fromisoformat(s["signal_date"]),
                    method=s["method"],
                    series=s["series"],
                    source=s["source"],
                    observed=s["observed"],
                    threshold=s["threshold"],
                    explanation_zh=s["explanation_zh"],
                    explanation_en=s["explanation_en"],
                    status="new",
                    actor=actor.username,
                    created_at=now,
                )
            )
            inserted += 1
    return {"inserted": inserted, "unchanged": unchanged, "outside": outside}


def _row(r: Any) -> dict[str, Any]:
    return {
        "id": r.id,
        "region_code": r.region_code,
        "signal_date": r.signal_date.isoformat(),
        "method": r.method,
        "kind": "quality" if r.method in QUALITY_METHODS else "aberration",
        "series": r.series,
        "source": r.source,
        "observed": r.observed,
        "threshold": r.threshold,
        "explanation_zh": r.explanation_zh,
        "explanation_en": r.explanation_en,
        "status": r.status,
        "link": _link(r.region_code, r.source, r.signal_date),
    }


def list_signals(
    engine: Engine,
    actor: Actor,
    tree: RegionTree,
    *,
    region_code: str | None = None,
    status: str | None = None,
    method: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    limit: int = 100,
    offset: int = 0,
) -> dict[str, Any]:
    """Stored signals inside the actor's jurisdiction, newest first."""
    authorize(actor, Permission.READ_AGGREGATE)
    if status and status not in STATUSES:
        raise Invalid(f"status must be one of {list(STATUSES)}", field="status")
    if method and method not in METHODS:
        raise Invalid(f"method must be one of {list(METHODS)}", field="method")
    query = select(W)
    if region_code:
        query = query.where(W.region_code == region_code)
    if status:
        query = query.where(W.status == status)
    if method:
        query = query.where(W.method == method)
    if date_from:
        query = query.where(W.signal_date >= date_from)
    if date_to:
        query = query.where(W.signal_date <= date_to)
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(W.signal_date.desc(), W.id.desc())).all()
    if actor.jurisdiction != WORLD:
        rows = [r for r in rows if tree.is_within(r.region_code, actor.jurisdiction)]
    return {
        "items": [_row(r) for r in rows[offset : offset + limit]],
        "total": len(rows),
        "limit": limit,
        "offset": offset,
    }


def set_status(
    engine: Engine, actor: Actor, tree: RegionTree, signal_id: int, status: str, note: str
) -> dict[str, Any]:
    """Acknowledge or dismiss a signal (audited with the note)."""
    if status not in STATUSES:
        raise Invalid(f"status must be one of {list(STATUSES)}", field="status")
    with engine.begin() as conn:
        row = conn.execute(select(W).where(W.id == signal_id)).first()
        if row is None:
            raise NotFound(f"no warning signal {signal_id}", field="id")
        authorize(actor, Permission.RESPOND, row.region_code, tree)
        if row.status != status:
            conn.execute(update(W).where(W.id == signal_id).values(status=status))
            conn.execute(
                insert(m.RevisionRow).values(
                    entity="warning_signal",
                    entity_key=str(signal_id),
                    field="status",
                    old_value=row.status,
                    new_value=status,
                    reason=note.strip() or f"signal {status}",
                    actor=actor.username,
                    created_at=datetime.now(UTC),
                )
            )
        row = conn.execute(select(W).where(W.id == signal_id)).one()
    return _row(row)


def signal_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(W)).scalar_one())
