"""Risk zoning: classify every unit (county, prefecture or province) on every day by a
versioned rule set (core/rules/risk.py), from the stored daily reports.

Each unit's figures come from one source, the one covering the unit best (ties by the
configured source priority, as for the daily series); a day without a report counts
as a day without a new case. Line-list ``cluster_id`` values give clusters (by
confirmation date, else report date, else onset date, mapped up to the unit).
Shipped rule sets are the JSON files in ``fangkong/data/rulesets/``; user-defined ones
are stored in ``risk_rulesets`` with their own name, version and unit.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
from sqlalchemy import Engine, func, insert, select

from fangkong.core.access import Actor, Permission
from fangkong.core.regions import RegionTree
from fangkong.core.rules import risk as rules
from fangkong.services.auth import authorize
from fangkong.services.cases import subtree_codes
from fangkong.services.coverage import unit_coverage
from fangkong.services.errors import Conflict, Invalid, NotFound
from fangkong.services.public import PublicCache
from fangkong.services.regions import one_source_per_region, pick_source, series_days
from fangkong.settings import Settings
from fangkong.store import models as m

D = m.DailyReportRow
R = m.RegionRow
C = m.CaseRecordRow
S = m.RiskRuleSetRow
DEFAULT_RULESET = "cn-2020-02-county"
SHIPPED = (
    "cn-2020-02-county.json",
    "cn-2022-06-ninth-edition.json",
    "cn-2022-11-twenty-measures.json",
)


@cache
def shipped_rulesets() -> dict[str, rules.RuleSet]:
    found: dict[str, rules.RuleSet] = {}
    folder = resources.files("fangkong.data").joinpath("rulesets")
    for name in SHIPPED:
        rs = rules.parse_ruleset(json.loads(folder.joinpath(name).read_text(encoding="utf-8")))
        found[rs.key] = rs
    return found


def _stored(engine: Engine) -> list[tuple[rules.RuleSet, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(select(S).order_by(S.name, S.created_at)).all()
    return [(rules.parse_ruleset(json.loads(r.definition)), r) for r in rows]


def _summary(rs: rules.RuleSet, shipped: bool) -> dict[str, Any]:
    return {
        "key": rs.key,
        "name": rs.name,
        "version": rs.version,
        "unit": rs.unit,
        "title_zh": rs.title_zh,
        "title_en": rs.title_en,
        "levels": list(rs.levels),
        "window_days": rs.window_days,
        "count_fields": list(rs.count_fields),
        "source": dict(rs.source),
        "notes_en": rs.notes_en,
        "shipped": shipped,
        "strategy": {k: {"zh": v[0], "en": v[1]} for k, v in rs.strategy.items()},
    }


def list_rulesets(engine: Engine) -> list[dict[str, Any]]:
    out = [_summary(rs, True) for rs in shipped_rulesets().values()]
    out += [_summary(rs, False) for rs, _ in _stored(engine)]
    return out


def get_ruleset(engine: Engine, key: str | None) -> rules.RuleSet:
    """``name@version``, or ``name`` for its latest version (shipped or stored)."""
    key = key or DEFAULT_RULESET
    candidates = list(shipped_rulesets().values()) + [rs for rs, _ in _stored(engine)]
    if "@" in key:
        for rs in candidates:
            if rs.key == key:
                return rs
    else:
        named = [rs for rs in candidates if rs.name == key]
        if named:
            return max(named, key=lambda rs: rs.version)
    known = ", ".join(sorted({rs.key for rs in candidates}))
    raise NotFound(f"no rule set {key!r}; known: {known}", field="ruleset")


def create_ruleset(engine: Engine, actor: Actor, definition: Any) -> dict[str, Any]:
    """Store a user-defined rule set (checked in full; every problem reported)."""
    authorize(actor, Permission.COMMAND)
    try:
        rs = rules.parse_ruleset(definition)
    except rules.RuleSetError as exc:
        first = exc.problems[0][0] if exc.problems else None
        raise Invalid(f"invalid rule set: {exc}", field=first) from exc
    if any(s.name == rs.name for s in shipped_rulesets().values()):
        raise Conflict(f"{rs.name!r} is a shipped rule set; choose another name", field="name")
    with engine.begin() as conn:
        exists = conn.execute(
            select(func.count()).where(S.name == rs.name, S.version == rs.version)
        ).scalar_one()
        if exists:
            raise Conflict(f"rule set {rs.key} exists; versions are immutable", field="version")
        now = datetime.now(UTC)
        conn.execute(
            insert(S).values(
                name=rs.name,
                version=rs.version,
                unit=rs.unit,
                definition=json.dumps(definition, ensure_ascii=False),
                actor=actor.username,
                created_at=now,
            )
        )
        conn.execute(
            insert(m.RevisionRow).values(
                entity="risk_ruleset",
                entity_key=rs.key,
                field="definition",
                old_value=None,
                new_value=json.dumps(definition, ensure_ascii=False)[:20000],
                reason="rule set created",
                actor=actor.username,
                created_at=now,
            )
        )
    return _summary(rs, False)


class UnitData:
    """The daily new-case matrix of every unit with figures, and its provenance."""

    def __init__(
        self,
        codes: list[str],
        names: dict[str, tuple[str, str]],
        sources: dict[str, str],
        last_report: dict[str, date],
        start: date,
        new: np.ndarray[Any, np.dtype[np.int64]],
        clusters: np.ndarray[Any, np.dtype[np.int64]],
    ) -> None:
        self.codes, self.names, self.sources, self.last_report = codes, names, sources, last_report
        self.start, self.new, self.clusters = start, new, clusters


def _one_unit(
    engine: Engine,
    settings: Settings,
    unit: str,
    until: date,
    only: str,
    date_field: str,
    cache: PublicCache | None,
) -> tuple[list[str], dict[str, str], list[Any], date, int, list[Any]]:
    """What :func:`one_source_per_region` gives for all units of the level, restricted to
    ``only``: the same source choice and the same first day of the common day axis
    (both from :func:`unit_sources`), but only ``only``'s reports and clusters are read.
    A unit's levels depend on its own series only, so its classification is the same."""

    cov = unit_coverage(engine, unit, until, cache)
    priority = settings.source_priority
    chosen: dict[str, str] = {}
    for code, per_source in cov.items():
        src = pick_source({s: n for s, (n, _) in per_source.items()}, priority)
        if src:
            chosen[code] = src
    start = min((cov[c][s][1] for c, s in chosen.items()), default=until)
    days = series_days(start, until, date_field)
    if only not in chosen:
        return [], {}, [], start, days, []
    cols = [D.region_code, D.source, D.report_date, D.new_confirmed, D.new_confirmed_imported]
    cols.append(D.new_asymptomatic)
    with engine.connect() as conn:
        rows = conn.execute(
            select(*cols).where(
                D.region_code == only, D.source == chosen[only], D.report_date <= until
            )
        ).all()
        cluster_rows = conn.execute(
            select(
                C.region_code,
                func.coalesce(C.confirmation_date, C.report_date, C.onset_date),
                C.cluster_id,
            ).where(C.cluster_id.is_not(None), C.region_code.in_(subtree_codes(engine, only)))
        ).all()
    return [only], {only: chosen[only]}, list(rows), start, days, list(cluster_rows)


def load_units(
    engine: Engine,
    settings: Settings,
    tree: RegionTree,
    rs: rules.RuleSet,
    unit: str,
    until: date,
    parent: str | None = None,
    date_field: str = "date",
    *,
    only: str | None = None,
    cache: PublicCache | None = None,
) -> UnitData:
    """Read the figures of every unit of level ``unit`` (below ``parent`` if given) up
    to ``until`` into a (units × days) matrix of new cases as the rule set counts them.

    With ``only``, the matrix has the one row of that unit (none if it has no reports),
    on the same day axis as for every unit: a region page's risk badge then reads one
    region's reports instead of all the level's (1 million rows for the counties of a
    national dataset). ``cache`` keeps the level's source choice per data version."""
    with engine.connect() as conn:
        names_query = select(R.region_code, R.name_zh, R.name_en).where(R.level == unit)
        if only is not None:
            names_query = names_query.where(R.region_code == only)
        regions = conn.execute(names_query).all()
    names = {r.region_code: (r.name_zh, r.name_en) for r in regions}
    if only is not None:
        codes, chosen, kept, start, days, cluster_rows = _one_unit(
            engine, settings, unit, until, only, date_field, cache
        )
    else:
        cols = [D.region_code, D.source, D.report_date, D.new_confirmed, D.new_confirmed_imported]
        cols.append(D.new_asymptomatic)
        query = (
            select(*cols)
            .join(R, R.region_code == D.region_code)
            .where(R.level == unit, D.report_date <= until)
        )
        with engine.connect() as conn:
            rows = conn.execute(query).all()
            cluster_rows = list(
                conn.execute(
                    select(
                        C.region_code,
                        func.coalesce(C.confirmation_date, C.report_date, C.onset_date),
                        C.cluster_id,
                    ).where(C.cluster_id.is_not(None))
                ).all()
            )
        series = one_source_per_region(
            rows, tree, settings.source_priority, until=until, parent=parent, date_field=date_field
        )
        codes, chosen, kept, start, days = (
            series.codes,
            series.chosen,
            series.rows,
            series.start,
            series.days,
        )
    index = {c: i for i, c in enumerate(codes)}
    new = np.zeros((len(codes), max(days, 1)), dtype=np.int64)
    last: dict[str, date] = {}
    use_asym = "new_asymptomatic" in rs.count_fields
    use_conf = "new_confirmed" in rs.count_fields
    for r in kept:
        value = 0
        if use_conf and r.new_confirmed is not None:
            value += r.new_confirmed
            if rs.exclude_imported and r.new_confirmed_imported is not None:
                value -= r.new_confirmed_imported
        if use_asym and r.new_asymptomatic is not None:
            value += r.new_asymptomatic
        new[index[r.region_code], (r.report_date - start).days] += value
        if r.report_date > last.get(r.region_code, date.min):
            last[r.region_code] = r.report_date
    clusters = np.zeros_like(new)
    seen: set[tuple[str, int, str]] = set()
    for code, day, cluster in cluster_rows:
        if day is None or day > until or day < start:
            continue
        target = next(
            (a for a in [code, *tree.ancestors(code)] if a in index),
            None,
        )
        if target is None:
            continue
        key = (target, (day - start).days, str(cluster))
        if key not in seen:
            seen.add(key)
            clusters[index[target], key[1]] += 1
    return UnitData(codes, names, chosen, last, start, new, clusters)


def classify_units(
    engine: Engine,
    settings: Settings,
    tree: RegionTree,
    *,
    ruleset: str | None,
    unit: str | None,
    until: date,
    parent: str | None = None,
    date_field: str = "date",
    only: str | None = None,
    cache: PublicCache | None = None,
) -> tuple[rules.Classification, UnitData]:
    rs = get_ruleset(engine, ruleset)
    level = unit or rs.unit
    if level not in rules.UNITS:
        raise Invalid(f"unit must be one of {list(rules.UNITS)}", field="unit")
    data = load_units(
        engine, settings, tree, rs, level, until, parent, date_field, only=only, cache=cache
    )
    return rules.classify(rs, data.codes, data.start, data.new, data.clusters), data


def _item(cls: rules.Classification, data: UnitData, u: int, t: int) -> dict[str, Any]:
    rs = cls.ruleset
    code = data.codes[u]
    level = cls.level_name(u, t)
    zh, en = cls.explain(u, t)
    strategy = rs.strategy.get(level, ("", ""))
    level_zh, level_en = rs.level_names.get(level, (level, level))
    name_zh, name_en = data.names.get(code, (code, code))
    return {
        "region_code": code,
        "name_zh": name_zh,
        "name_en": name_en,
        "level": level,
        "level_zh": level_zh,
        "level_en": level_en,
        "rank": rs.levels.index(level),
        "since": cls.since(u, t).isoformat(),
        "explanation_zh": zh,
        "explanation_en": en,
        "strategy_zh": strategy[0],
        "strategy_en": strategy[1],
        "source": data.sources[code],
        "last_report": data.last_report[code].isoformat() if code in data.last_report else None,
        "cumulative": int(cls.values["cumulative"][u, t]),
        "new_in_window": int(cls.values["new_in_window"][u, t]),
    }


def risk_table(
    engine: Engine,
    settings: Settings,
    tree: RegionTree,
    *,
    on: date,
    ruleset: str | None = None,
    unit: str | None = None,
    parent: str | None = None,
) -> dict[str, Any]:
    """Every unit's level on ``on`` with its explanation, strategy and rule-set version."""
    if parent is not None:
        with engine.connect() as conn:
            if conn.execute(select(R.region_code).where(R.region_code == parent)).first() is None:
                raise NotFound(f"no region with code {parent!r}", field="parent")
    cls, data = classify_units(
        engine, settings, tree, ruleset=ruleset, unit=unit, until=on, parent=parent
    )
    rs = cls.ruleset
    t = cls.day_index(on)
    items = [_item(cls, data, u, t) for u in range(len(data.codes))] if t >= 0 else []
    counts = {lv: sum(1 for i in items if i["level"] == lv) for lv in rs.levels}
    return {
        "date": on.isoformat(),
        "ruleset": _summary(rs, rs.key in shipped_rulesets()),
        "unit": unit or rs.unit,
        "counts": counts,
        "items": items,
        "total": len(items),
    }


def region_risk_history(
    engine: Engine,
    settings: Settings,
    tree: RegionTree,
    region_code: str,
    *,
    until: date,
    ruleset: str | None = None,
    cache: PublicCache | None = None,
) -> dict[str, Any]:
    """The transitions of one unit's level, each with the explanation on that day.

    Only the unit's own reports are read (see ``only`` in :func:`load_units`)."""
    with engine.connect() as conn:
        row = conn.execute(select(R).where(R.region_code == region_code)).first()
    if row is None:
        raise NotFound(f"no region with code {region_code!r}", field="region_code")
    cls, data = classify_units(
        engine,
        settings,
        tree,
        ruleset=ruleset,
        unit=row.level,
        until=until,
        date_field="until",
        only=region_code,
        cache=cache,
    )
    if region_code not in data.codes:
        raise NotFound(
            f"region {region_code} has no daily figures up to {until}", field="region_code"
        )
    u = data.codes.index(region_code)
    transitions = []
    for day, old, new in cls.transitions(u):
        t = cls.day_index(day)
        zh, en = cls.explain(u, t)
        transitions.append(
            {
                "date": day.isoformat(),
                "from": old,
                "to": new,
                "explanation_zh": zh,
                "explanation_en": en,
            }
        )
    current = _item(cls, data, u, cls.day_index(until))
    return {
        "region_code": region_code,
        "ruleset": cls.ruleset.key,
        "current": current,
        "transitions": transitions,
        "first_day": data.start.isoformat(),
        "last_day": (data.start + timedelta(days=cls.days - 1)).isoformat(),
    }
