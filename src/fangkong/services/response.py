"""Emergency response levels: declare, raise, lower, lift; inheritance; history; the
measures catalogue. Rules in core/rules/response.py; every change is a
``response_levels`` row plus a ``revisions`` audit row, in one transaction."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, insert, select

from fangkong.core.access import WORLD, Actor, Permission
from fangkong.core.regions import RegionLevel, RegionTree
from fangkong.core.rules import response as rules
from fangkong.core.rules.response import LEVEL_NAMES, ResponseLevel
from fangkong.services.auth import authorize
from fangkong.services.errors import Conflict, Forbidden, Invalid, NotFound
from fangkong.services.versions import (
    UNCHECKED,
    IfMatch,
    check_preconditions,
    content_digest,
    etag,
    locked_write,
)
from fangkong.store import models as m

L = m.ResponseLevelRow
M = m.ResponseMeasureRow
R = m.RegionRow


@cache
def catalogue_defaults() -> dict[str, Any]:
    """The shipped authority rules and measures (``data/rulesets/response_levels.json``)."""
    text = (
        resources.files("fangkong.data")
        .joinpath("rulesets/response_levels.json")
        .read_text(encoding="utf-8")
    )
    data: dict[str, Any] = json.loads(text)
    return data


def authority_rules() -> rules.AuthorityRules:
    return rules.AuthorityRules.from_mapping(catalogue_defaults()["authority"])


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    """In UTC (stored values without a zone are UTC: SQLite keeps no offset)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def level_of(text: str) -> ResponseLevel:
    try:
        return rules.parse_level(text)
    except rules.InvalidTransition as exc:
        raise Invalid(str(exc), field="level") from exc


def _region(conn: Connection, code: str, field: str = "region_code") -> Any:
    row = conn.execute(select(R).where(R.region_code == code)).first()
    if row is None:
        raise NotFound(f"no region with code {code!r}", field=field)
    return row


def _change(row: Any) -> rules.LevelChange:
    return rules.LevelChange(
        row.region_code,
        ResponseLevel(row.level),
        rules.Action(row.action),
        _aware(row.effective_at),
        row.reason,
        row.authority,
        row.actor,
    )


def _change_dict(row: Any) -> dict[str, Any]:
    zh, en = LEVEL_NAMES[ResponseLevel(row.level)]
    return {
        "id": row.id,
        "region_code": row.region_code,
        "level": row.level,
        "level_zh": zh,
        "level_en": en,
        "action": row.action,
        "effective_at": _aware(row.effective_at).isoformat(),
        "reason": row.reason,
        "authority": row.authority,
        "actor": row.actor,
        "created_at": _aware(row.created_at).isoformat(),
    }


def declare(
    engine: Engine,
    actor: Actor,
    tree: RegionTree,
    *,
    region_code: str,
    level: str,
    reason: str,
    authority: str | None = None,
    effective_at: datetime | None = None,
) -> dict[str, Any]:
    """Set the region's own level (declare, raise, lower or lift as the change implies).

    Forbidden unless the actor has the ``command`` permission over the region and a
    jurisdiction of the administrative level the change needs; Conflict when the level
    is unchanged or a later change of the region is already recorded (history is
    append-only in time order)."""
    new = level_of(level)
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("a reason is required", field="reason")
    if len(reason) > 4000:
        raise Invalid("the reason is longer than 4000 characters", field="reason")
    now = _now()
    when = _aware(effective_at) if effective_at else now
    with engine.begin() as conn:
        region = _region(conn, region_code)
        authorize(actor, Permission.COMMAND, region_code, tree)
        later = conn.execute(
            select(func.count()).where(L.region_code == region_code, L.effective_at > when)
        ).scalar_one()
        if later:
            raise Conflict(
                f"region {region_code} already has a change effective after {when.isoformat()}",
                field="effective_at",
            )
        last = conn.execute(
            select(L)
            .where(L.region_code == region_code)
            .order_by(L.effective_at.desc(), L.id.desc())
            .limit(1)
        ).first()
        current = ResponseLevel(last.level) if last else ResponseLevel.NONE
        try:
            action = rules.transition(current, new)
        except rules.InvalidTransition as exc:
            raise Conflict(f"{exc} in {region_code}", field="level") from exc
        jur_level = None
        if actor.jurisdiction != WORLD:
            jur = conn.execute(select(R.level).where(R.region_code == actor.jurisdiction)).first()
            jur_level = RegionLevel(jur.level) if jur else None
        problem = rules.authority_problem(
            jurisdiction=actor.jurisdiction,
            jurisdiction_level=jur_level,
            region_code=region_code,
            current=current,
            new=new,
            tree=tree,
            rules=authority_rules(),
        )
        if problem:
            raise Forbidden(problem, field="level")
        if not authority or not authority.strip():
            if actor.jurisdiction == WORLD:
                authority = "国务院联防联控机制 / national command"
            else:
                names = _region(conn, actor.jurisdiction, "jurisdiction")
                authority = f"{names.name_zh}指挥部 / {names.name_en} command"
        authority = authority.strip()[:128]
        new_id = conn.execute(
            insert(L)
            .values(
                region_code=region_code,
                level=new.value,
                action=action.value,
                effective_at=when,
                reason=reason,
                authority=authority,
                actor=actor.username,
                created_at=now,
            )
            .returning(L.id)
        ).scalar_one()
        conn.execute(
            insert(m.RevisionRow).values(
                entity="response_level",
                entity_key=f"{region_code}|{new_id}",
                field="level",
                old_value=current.value,
                new_value=new.value,
                reason=f"{action.value} ({authority}): {reason}",
                actor=actor.username,
                created_at=now,
            )
        )
        row = conn.execute(select(L).where(L.id == new_id)).one()
    out = _change_dict(row)
    out["previous_level"] = current.value
    out["region_name_zh"], out["region_name_en"] = region.name_zh, region.name_en
    return out


def _own_levels(conn: Connection, at: datetime) -> dict[str, ResponseLevel]:
    rows = conn.execute(select(L).where(L.effective_at <= at)).all()
    return {code: c.level for code, c in rules.own_level_at(map(_change, rows), at).items()}


def levels(
    engine: Engine,
    tree: RegionTree,
    *,
    at: datetime | None = None,
    parent_code: str | None = None,
    region_level: str | None = None,
    only_active: bool = False,
) -> list[dict[str, Any]]:
    """The level in effect at ``at`` (default now) for every region of a listing
    (children of ``parent_code`` and/or of ``region_level``); public, aggregate."""
    when = _aware(at) if at else _now()
    query = select(R.region_code, R.name_zh, R.name_en, R.level)
    if parent_code:
        query = query.where(R.parent_code == parent_code)
    if region_level:
        query = query.where(R.level == region_level)
    if not parent_code and not region_level:
        query = query.where(R.parent_code == "CN")
    with engine.connect() as conn:
        if parent_code:
            _region(conn, parent_code, "parent")
        own = _own_levels(conn, when)
        regions = conn.execute(query.order_by(R.region_code)).all()
    out = []
    for reg in regions:
        eff = rules.effective_level(reg.region_code, own, tree)
        if only_active and eff.level == ResponseLevel.NONE:
            continue
        out.append(_effective_dict(eff, reg))
    return out


def _effective_dict(eff: rules.EffectiveLevel, reg: Any) -> dict[str, Any]:
    zh, en = LEVEL_NAMES[eff.level]
    return {
        "region_code": eff.region_code,
        "name_zh": reg.name_zh,
        "name_en": reg.name_en,
        "level": eff.level.value,
        "level_zh": zh,
        "level_en": en,
        "rank": eff.level.rank,
        "own_level": eff.own_level.value,
        "inherited": eff.inherited,
        "source_region": eff.source_region,
    }


def region_response(
    engine: Engine, tree: RegionTree, region_code: str, at: datetime | None = None
) -> dict[str, Any]:
    """One region: the level in effect, its source, the measures that go with it, and
    the latest changes of the region and its ancestors."""
    when = _aware(at) if at else _now()
    with engine.connect() as conn:
        reg = _region(conn, region_code)
        own = _own_levels(conn, when)
        chain = [region_code, *tree.ancestors(region_code)]
        rows = conn.execute(
            select(L)
            .where(L.region_code.in_(chain))
            .order_by(L.effective_at.desc(), L.id.desc())
            .limit(50)
        ).all()
    eff = rules.effective_level(region_code, own, tree)
    out = _effective_dict(eff, reg)
    out["at"] = when.isoformat()
    out["measures"] = list_measures(engine, eff.level.value) if eff.level.rank else []
    out["changes"] = [_change_dict(r) for r in rows]
    return out


def history(
    engine: Engine,
    *,
    region_code: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> dict[str, Any]:
    """Every recorded change, newest first (of one region when given)."""
    query = select(L)
    count = select(func.count()).select_from(L)
    with engine.connect() as conn:
        if region_code:
            _region(conn, region_code)
            query = query.where(L.region_code == region_code)
            count = count.where(L.region_code == region_code)
        total = conn.execute(count).scalar_one()
        rows = conn.execute(
            query.order_by(L.effective_at.desc(), L.id.desc()).limit(limit).offset(offset)
        ).all()
    return {
        "items": [_change_dict(r) for r in rows],
        "total": int(total),
        "limit": limit,
        "offset": offset,
    }


def _default_measures(level: str) -> list[dict[str, Any]]:
    items = catalogue_defaults()["measures"].get(level, [])
    return [
        {"position": i + 1, "category": x["category"], "text_zh": x["zh"], "text_en": x["en"]}
        for i, x in enumerate(items)
    ]


def list_measures(engine: Engine, level: str) -> list[dict[str, Any]]:
    """The measures of a level: the edited catalogue when one is stored, else the
    shipped defaults."""
    lv = level_of(level)
    if lv == ResponseLevel.NONE:
        return []
    with engine.connect() as conn:
        return _measures(conn, lv.value)


def _measures(conn: Connection, level: str) -> list[dict[str, Any]]:
    stored = conn.execute(select(func.count()).select_from(M)).scalar_one()
    if not stored:
        return _default_measures(level)
    rows = conn.execute(select(M).where(M.level == level).order_by(M.position)).all()
    return [
        {"position": r.position, "category": r.category, "text_zh": r.text_zh, "text_en": r.text_en}
        for r in rows
    ]


def measures_etag(items: list[dict[str, Any]]) -> str:
    """The ETag of a level's measures: a digest of their content (services/versions.py)."""
    return etag(content_digest(items))


def replace_measures(
    engine: Engine,
    actor: Actor,
    level: str,
    items: list[dict[str, Any]],
    reason: str,
    *,
    if_match: IfMatch = UNCHECKED,
) -> list[dict[str, Any]]:
    """Replace the measures of one level (national command only); the first edit stores
    the shipped catalogue of every level, so no level loses its measures. Audited.

    Only if the level's measures are still those ``if_match`` names (their ETag, see
    :func:`measures_etag`): two commanders editing the list cannot overwrite each other."""
    lv = level_of(level)
    if lv == ResponseLevel.NONE:
        raise Invalid("the level 'none' has no measures", field="level")
    authorize(actor, Permission.COMMAND)
    if actor.jurisdiction not in (WORLD, "CN"):
        raise Forbidden("the measures catalogue is edited by the national command only")
    if not reason.strip():
        raise Invalid("a reason is required", field="reason")
    clean: list[dict[str, Any]] = []
    for i, item in enumerate(items):
        zh, en = str(item.get("text_zh", "")).strip(), str(item.get("text_en", "")).strip()
        category = str(item.get("category", "general")).strip() or "general"
        if not zh or not en:
            raise Invalid(f"measure {i + 1} needs text_zh and text_en", field=f"items/{i}")
        clean.append({"position": i + 1, "category": category[:32], "text_zh": zh, "text_en": en})
    now = _now()
    with locked_write(engine) as conn:
        if conn.dialect.name == "postgresql":  # one editor of the catalogue at a time
            conn.exec_driver_sql("LOCK TABLE response_measures IN EXCLUSIVE MODE")
        before = _measures(conn, lv.value)
        check_preconditions(
            content_digest(before),
            if_match=if_match,
            what=f"the measures of level {lv.value}",
        )
        if not conn.execute(select(func.count()).select_from(M)).scalar_one():
            for other in ("I", "II", "III", "IV"):
                for x in _default_measures(other):
                    conn.execute(
                        insert(M).values(level=other, actor="catalogue", updated_at=now, **x)
                    )
        conn.execute(delete(M).where(M.level == lv.value))
        for x in clean:
            conn.execute(
                insert(M).values(level=lv.value, actor=actor.username, updated_at=now, **x)
            )
        conn.execute(
            insert(m.RevisionRow).values(
                entity="response_measures",
                entity_key=lv.value,
                field="measures",
                old_value=json.dumps(before, ensure_ascii=False),
                new_value=json.dumps(clean, ensure_ascii=False),
                reason=reason.strip(),
                actor=actor.username,
                created_at=now,
            )
        )
    return clean
