"""Daily bulletins: draft from the stored daily reports, check, approve, publish, correct.

Workflow (issue 4, "Daily bulletin"):

1. **Draft** (:func:`draft_bulletin`, needs ``write_reports`` on the region): the
   figures of a region (the nation ``CN`` or a province) on a day are gathered from the
   stored daily reports (:func:`gather_figures`), the Chinese and English texts are
   composed from them (:mod:`fangkong.core.bulletins.compose`) and the consistency
   checks run (:mod:`fangkong.core.bulletins.checks`). The draft is stored with its
   check results.
2. **Publish** (:func:`publish_bulletin`, needs ``command`` — a commander's approval):
   refused (:class:`ChecksFailed`, HTTP 409) while a blocking check fails; otherwise
   the draft becomes the next numbered version (1, 2, …) of that region and day, frozen
   with its figures and both texts. A published row is never changed again.
3. **Correct**: a later draft of the same region and day, published with a reason,
   becomes version n+1; its ``changes`` list every figure that differs from version n
   (old, new). The public corrections log (:func:`corrections_log`) lists every such
   version, also as JSON and CSV.

Figures come from one source per bulletin (sources are never mixed, as in
:mod:`fangkong.services.regions`): the region's best-covering source in the
``source_priority`` order, cumulative figures by summation of the daily figures up to
the day (:mod:`fangkong.core.reports`). A national bulletin covers the 31 mainland
provinces (and the XPCC), as the NHC's do; Hong Kong, Macao and Taiwan are reported in
their own block. Some national series (canghailan's) include them in the national
totals: when the national cumulative confirmed is closer to the sum over all 34
province-level units than to the mainland sum, their figures are subtracted from the
national ones (and the draft says so in its ``notes``).
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine, and_, case, func, select
from sqlalchemy.exc import IntegrityError

from fangkong.core.access import WORLD, Actor, Permission
from fangkong.core.bulletins.checks import CUMULATIVE, run_checks
from fangkong.core.bulletins.compose import (
    HK_MO_TW,
    NATION,
    BulletinFigures,
    Place,
    compose,
)
from fangkong.core.bulletins.places import PROVINCES
from fangkong.core.bulletins.reader import FIGURES
from fangkong.core.privacy.csv_safety import SafeWriter
from fangkong.core.regions import RegionTree
from fangkong.services.auth import authorize
from fangkong.services.daily_reports import ENTITY, entity_key
from fangkong.services.errors import Conflict, Forbidden, Invalid, NotFound
from fangkong.services.import_runs import now
from fangkong.services.regions import pick_source, source_coverage
from fangkong.settings import Settings
from fangkong.store import models as m

B = m.BulletinRow
D = m.DailyReportRow
R = m.RegionRow

DRAFT = "draft"
PUBLISHED = "published"
#: Daily flow whose running sum is each cumulative figure.
FLOW_OF = {
    "cumulative_confirmed": "new_confirmed",
    "cumulative_recovered": "new_recovered",
    "cumulative_deaths": "new_deaths",
}
_SHORT_ZH = {code: short for short, (code, _en) in PROVINCES.items()}
#: Columns of the corrections log (JSON keys and CSV header).
CORRECTION_COLUMNS: tuple[str, ...] = (
    "region_code",
    "report_date",
    "version",
    "previous_version",
    "published_at",
    "approved_by",
    "reason",
    "field",
    "old_value",
    "new_value",
)


class ChecksFailed(Conflict):
    """Publishing refused: blocking checks failed (each says why)."""

    def __init__(self, message: str, failed: Sequence[dict[str, Any]]) -> None:
        super().__init__(message, field="checks")
        self.failed = list(failed)


# --- gathering the figures ----------------------------------------------------------------


@dataclass(slots=True)
class Gathered:
    """The figures of a draft with what the checks need about the day before."""

    bulletin: BulletinFigures
    previous: dict[str, dict[str, int]]
    current: dict[str, dict[str, int]]
    reasons: dict[tuple[str, str], str]
    notes: list[str] = field(default_factory=list)


def _int(v: Any) -> int | None:
    return None if v is None else int(v)


def _sum(col: Any, when: Any = None) -> Any:
    return func.sum(col if when is None else case((when, col), else_=None))


def _region(engine: Engine, code: str) -> tuple[str, str, str]:
    """(level, zh name, en name) of a bulletin region: CN or a province-level unit."""
    if code == NATION:
        return "country", "全国", "China"
    with engine.connect() as conn:
        row = conn.execute(
            select(R.level, R.name_zh, R.name_en).where(R.region_code == code)
        ).first()
    if row is None:
        raise NotFound(f"no region with code {code!r}", field="region_code")
    if row.level != "province":
        raise Invalid(
            f"bulletins are composed for the nation (CN) or a province-level region; "
            f"{code} is a {row.level}",
            field="region_code",
        )
    return row.level, row.name_zh, row.name_en


def _children(engine: Engine, code: str) -> dict[str, Place]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(R.region_code, R.name_zh, R.name_en).where(R.parent_code == code)
        ).all()
    return {
        r.region_code: Place(r.region_code, _SHORT_ZH.get(r.region_code, r.name_zh), r.name_en)
        for r in rows
    }


def _figures_by_region(
    engine: Engine, codes: Sequence[str], source: str, day: date
) -> dict[str, dict[str, int | None]]:
    """Per region: the day's flows and stocks, the day before's severe count, and the
    cumulative figures up to the day and up to the day before (``prev_`` keys)."""
    on, before = D.report_date == day, D.report_date == day - timedelta(days=1)
    upto_prev = D.report_date < day
    cols = [
        D.region_code,
        func.count(case((on, 1), else_=None)).label("rows_on_day"),
        _sum(D.new_confirmed, on).label("new_confirmed"),
        _sum(D.new_confirmed_imported, on).label("new_confirmed_imported"),
        _sum(D.new_deaths, on).label("new_deaths"),
        _sum(D.new_recovered, on).label("new_recovered"),
        _sum(D.new_suspected, on).label("new_suspected"),
        _sum(D.new_asymptomatic, on).label("new_asymptomatic"),
        _sum(D.current_severe, on).label("current_severe"),
        _sum(D.current_severe, before).label("prev_severe"),
        _sum(D.current_suspected, on).label("current_suspected"),
        _sum(D.close_contacts_under_observation, on).label("close_contacts_under_observation"),
        _sum(D.new_confirmed).label("cumulative_confirmed"),
        _sum(D.new_recovered).label("cumulative_recovered"),
        _sum(D.new_deaths).label("cumulative_deaths"),
        _sum(D.new_confirmed, upto_prev).label("prev_cumulative_confirmed"),
        _sum(D.new_recovered, upto_prev).label("prev_cumulative_recovered"),
        _sum(D.new_deaths, upto_prev).label("prev_cumulative_deaths"),
        # imported cumulative only when every day with a figure splits it
        _sum(D.new_confirmed_imported).label("cumulative_imported"),
        func.count(
            case((and_(D.new_confirmed.is_not(None), D.new_confirmed_imported.is_(None)), 1))
        ).label("unsplit_days"),
    ]
    query = (
        select(*cols)
        .where(D.region_code.in_(list(codes)), D.source == source, D.report_date <= day)
        .group_by(D.region_code)
    )
    out: dict[str, dict[str, int | None]] = {}
    with engine.connect() as conn:
        for row in conn.execute(query).all():
            data = {k: _int(v) for k, v in row._asdict().items() if k != "region_code"}
            out[row.region_code] = data
    return out


def _own(data: Mapping[str, int | None]) -> dict[str, int]:
    """A region's bulletin figures from its aggregated row (only those reported)."""
    f: dict[str, int | None] = {
        "new_confirmed": data["new_confirmed"],
        "new_confirmed_imported": data["new_confirmed_imported"],
        "new_deaths": data["new_deaths"],
        "new_recovered": data["new_recovered"],
        "new_suspected": data["new_suspected"],
        "new_asymptomatic": data["new_asymptomatic"],
        "current_severe": data["current_severe"],
        "current_suspected": data["current_suspected"],
        "close_contacts_under_observation": data["close_contacts_under_observation"],
        "cumulative_confirmed": data["cumulative_confirmed"],
        "cumulative_recovered": data["cumulative_recovered"],
        "cumulative_deaths": data["cumulative_deaths"],
    }
    nc, ni = f["new_confirmed"], f["new_confirmed_imported"]
    f["new_confirmed_local"] = None if nc is None or ni is None else nc - ni
    sev, prev = data["current_severe"], data["prev_severe"]
    f["new_severe"] = None if sev is None or prev is None else sev - prev
    if all(f[k] is not None for k in CUMULATIVE):
        f["current_confirmed"] = (
            (f["cumulative_confirmed"] or 0)
            - (f["cumulative_recovered"] or 0)
            - (f["cumulative_deaths"] or 0)
        )
    return {k: v for k, v in f.items() if v is not None}


def _cumulative(data: Mapping[str, int | None], prefix: str = "") -> dict[str, int]:
    return {k: int(v) for k in CUMULATIVE if (v := data.get(prefix + k)) is not None}


def _subtract(a: dict[str, int], parts: Sequence[Mapping[str, int | None]]) -> dict[str, int]:
    """``a`` minus the same figures of ``parts`` (figures every part reports)."""
    out = dict(a)
    for k in list(out):
        values = [p.get(k) for p in parts]
        if all(v is not None for v in values):
            out[k] -= sum(int(v or 0) for v in values)
    return out


def _revision_reasons(
    engine: Engine, codes: Sequence[str], day: date, source: str
) -> dict[tuple[str, str], str]:
    """Stored revision reasons of the day's reports, keyed (region_code, cumulative figure)."""
    keys = {entity_key(c, day, source): c for c in codes}
    flow_to_cum = {v: k for k, v in FLOW_OF.items()}
    with engine.connect() as conn:
        rows = conn.execute(
            select(m.RevisionRow.entity_key, m.RevisionRow.field, m.RevisionRow.reason)
            .where(m.RevisionRow.entity == ENTITY, m.RevisionRow.entity_key.in_(list(keys)))
            .order_by(m.RevisionRow.id)
        ).all()
    out: dict[tuple[str, str], str] = {}
    for key, name, reason in rows:
        if name in flow_to_cum and reason:
            out[(keys[key], flow_to_cum[name])] = reason
    return out


def gather_figures(
    engine: Engine,
    settings: Settings,
    region_code: str,
    day: date,
    *,
    source: str | None = None,
    reasons: Mapping[tuple[str, str], str] | None = None,
) -> Gathered:
    """The bulletin figures of ``region_code`` on ``day`` from the stored daily reports."""
    _level, name_zh, name_en = _region(engine, region_code)
    coverage = source_coverage(engine, region_code, None, day)
    if source is not None and source not in coverage:
        raise NotFound(
            f"region {region_code} has no figures from source {source!r}; available: "
            f"{', '.join(sorted(coverage)) or 'none'}",
            field="source",
        )
    chosen = source or pick_source(coverage, settings.source_priority)
    if chosen is None:
        raise NotFound(f"no daily reports are stored for region {region_code}", field="region_code")
    children = _children(engine, region_code)
    rows = _figures_by_region(engine, [region_code, *children], chosen, day)
    own_row = rows.get(region_code)
    if own_row is None or not own_row["rows_on_day"]:
        raise NotFound(
            f"no daily report of region {region_code} from source {chosen!r} for {day.isoformat()}",
            field="date",
        )
    notes: list[str] = [f"figures from source {chosen!r}"]
    figures = _own(own_row)
    hk_mo_tw: dict[str, dict[str, int]] = {}
    breakdowns: dict[str, dict[str, int]] = {}
    current: dict[str, dict[str, int]] = {region_code: _cumulative(own_row)}
    previous: dict[str, dict[str, int]] = {region_code: _cumulative(own_row, "prev_")}
    places = dict(children)
    if region_code == NATION:
        sar = [c for c in HK_MO_TW if c in rows]
        hk_mo_tw = {c: _cumulative(rows[c]) for c in sar}
        mainland = [c for c in rows if c not in HK_MO_TW and c != NATION]
        total = figures.get("cumulative_confirmed")
        if total is not None and sar and mainland:
            main_sum = sum(rows[c]["cumulative_confirmed"] or 0 for c in mainland)
            sar_sum = sum(rows[c]["cumulative_confirmed"] or 0 for c in sar)
            if abs(total - (main_sum + sar_sum)) < abs(total - main_sum):
                flows = ("new_confirmed", "new_deaths", "new_recovered", *CUMULATIVE)
                parts = [{k: rows[c][k] for k in flows} for c in sar]
                figures = _subtract(figures, parts)
                if all(k in figures for k in CUMULATIVE):
                    figures["current_confirmed"] = (
                        figures["cumulative_confirmed"]
                        - figures["cumulative_recovered"]
                        - figures["cumulative_deaths"]
                    )
                if "new_confirmed_imported" in figures and "new_confirmed" in figures:
                    figures["new_confirmed_local"] = (
                        figures["new_confirmed"] - figures["new_confirmed_imported"]
                    )
                prev_parts = [{k: rows[c]["prev_" + k] for k in CUMULATIVE} for c in sar]
                current[region_code] = _subtract(current[region_code], parts)
                previous[region_code] = _subtract(previous[region_code], prev_parts)
                notes.append(
                    f"the {chosen} national totals include Hong Kong, Macao and Taiwan; their "
                    "figures were subtracted and are reported in their own block"
                )
        elif total is not None and not mainland:
            notes.append(
                f"no province figures from {chosen!r} on this day: whether its national totals "
                "include Hong Kong, Macao and Taiwan cannot be checked"
            )
        for c in sar:
            places.pop(c, None)
        rows = {c: v for c, v in rows.items() if c not in HK_MO_TW}
    for code, data in rows.items():
        if code == region_code or not data["rows_on_day"]:
            continue
        own = _own(data)
        keep = {k: v for k, v in own.items() if k != "new_severe"}
        if keep:
            breakdowns[code] = keep
        current[code] = _cumulative(data)
        previous[code] = _cumulative(data, "prev_")
    if own_row["cumulative_imported"] is not None and not own_row["unsplit_days"]:
        imported = {"cumulative_confirmed": int(own_row["cumulative_imported"])}
    else:
        imported = {}
    found = _revision_reasons(engine, list(current), day, chosen)
    found.update(reasons or {})
    corrections = [
        {
            "region_code": code,
            "field": name,
            "change": current[code][name] - previous[code][name],
            "reason": found[(code, name)],
        }
        for code in sorted(current)
        for name in CUMULATIVE
        if name in current[code]
        and name in previous.get(code, {})
        and current[code][name] < previous[code][name]
        and (code, name) in found
    ]
    bulletin = BulletinFigures(
        region_code=region_code,
        report_date=day,
        place=Place(region_code, name_zh, name_en),
        figures={k: figures[k] for k in FIGURES if k in figures},
        breakdowns=breakdowns,
        places={c: p for c, p in places.items() if c in breakdowns or c in hk_mo_tw},
        imported=imported,
        hk_mo_tw=hk_mo_tw,
        corrections=corrections,
        source=chosen,
    )
    return Gathered(bulletin, previous, current, found, notes)


# --- drafts and versions ------------------------------------------------------------------


def _row_dict(row: Any) -> dict[str, Any]:
    checks = json.loads(row.checks)
    return {
        "id": row.id,
        "region_code": row.region_code,
        "report_date": row.report_date.isoformat()
        if isinstance(row.report_date, date)
        else str(row.report_date),
        "status": row.status,
        "version": row.version,
        "figures": json.loads(row.figures),
        "text_zh": row.text_zh,
        "text_en": row.text_en,
        "checks": checks,
        "publishable": not any(c.get("blocking") for c in checks),
        "reason": row.reason,
        "changes": json.loads(row.changes) if row.changes else None,
        "created_by": row.created_by,
        "created_at": row.created_at.isoformat(),
        "approved_by": row.approved_by,
        "published_at": row.published_at.isoformat() if row.published_at else None,
    }


def parse_reasons(items: Sequence[Mapping[str, Any]] | None) -> dict[tuple[str, str], str]:
    """Revision reasons given with a draft: ``[{"region_code", "field", "reason"}]``,
    ``field`` a cumulative figure."""
    out: dict[tuple[str, str], str] = {}
    for i, item in enumerate(items or []):
        code, name, reason = item.get("region_code"), item.get("field"), item.get("reason")
        if name not in CUMULATIVE:
            raise Invalid(
                f"reasons[{i}].field must be one of {', '.join(CUMULATIVE)}",
                field=f"reasons/{i}/field",
            )
        if not isinstance(code, str) or not code:
            raise Invalid(f"reasons[{i}].region_code is required", field=f"reasons/{i}/region_code")
        if not isinstance(reason, str) or not reason.strip():
            raise Invalid(f"reasons[{i}].reason must not be empty", field=f"reasons/{i}/reason")
        out[(code, name)] = reason.strip()
    return out


def draft_bulletin(
    engine: Engine,
    settings: Settings,
    actor: Actor,
    tree: RegionTree,
    region_code: str,
    day: date,
    *,
    source: str | None = None,
    reasons: Mapping[tuple[str, str], str] | None = None,
) -> dict[str, Any]:
    """Compose and check a bulletin of ``region_code`` on ``day`` and store it as a draft."""
    authorize(actor, Permission.WRITE_REPORTS, region_code, tree)
    g = gather_figures(engine, settings, region_code, day, source=source, reasons=reasons)
    texts = compose(g.bulletin)
    results = run_checks(g.bulletin, previous=g.previous, current=g.current, reasons=g.reasons)
    figures = g.bulletin.as_dict()
    figures["notes"] = g.notes
    with engine.begin() as conn:
        new_id = conn.execute(
            m.table_of(B)
            .insert()
            .values(
                region_code=region_code,
                report_date=day,
                status=DRAFT,
                version=None,
                figures=json.dumps(figures, ensure_ascii=False, sort_keys=True),
                text_zh=texts.text_zh,
                text_en=texts.text_en,
                checks=json.dumps([r.as_dict() for r in results], ensure_ascii=False),
                created_by=actor.username,
                created_at=now(),
            )
            .returning(B.id)
        ).scalar_one()
    return get_bulletin(engine, int(new_id))


def get_bulletin(engine: Engine, bulletin_id: int) -> dict[str, Any]:
    """A draft or a published version by its id."""
    with engine.connect() as conn:
        row = conn.execute(select(B).where(B.id == bulletin_id)).first()
    if row is None:
        raise NotFound(f"no bulletin with id {bulletin_id}", field="id")
    return _row_dict(row)


def _flat(figures: Mapping[str, Any]) -> dict[str, Any]:
    """Figures as ``path → value`` (``figures.new_confirmed``, ``breakdowns.420000.…``)."""
    out: dict[str, Any] = {}
    for part in ("figures", "imported", "asymptomatic"):
        for k, v in figures.get(part, {}).items():
            out[f"{part}.{k}"] = v
    for part in ("breakdowns", "hk_mo_tw"):
        for code, fs in figures.get(part, {}).items():
            for k, v in fs.items():
                out[f"{part}.{code}.{k}"] = v
    return out


def figure_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every figure that differs between two versions (``None``: not reported)."""
    a, b = _flat(old), _flat(new)
    return [
        {"field": k, "old_value": a.get(k), "new_value": b.get(k)}
        for k in sorted(set(a) | set(b))
        if a.get(k) != b.get(k)
    ]


def publish_bulletin(
    engine: Engine,
    actor: Actor,
    tree: RegionTree,
    bulletin_id: int,
    *,
    reason: str | None = None,
) -> dict[str, Any]:
    """Approve a draft and publish it as the next numbered version (commander only).

    Refused with :class:`ChecksFailed` while a blocking check fails; a correction
    (version 2 or later) needs a ``reason`` and must change at least one figure or text."""
    draft = get_bulletin(engine, bulletin_id)
    code = draft["region_code"]
    authorize(actor, Permission.COMMAND, code, tree)
    if draft["status"] != DRAFT:
        raise Conflict(
            f"bulletin {bulletin_id} is already published as version {draft['version']}; "
            "draft a new one to correct it",
            field="id",
        )
    failed = [c for c in draft["checks"] if c.get("blocking")]
    if failed:
        raise ChecksFailed(
            f"{len(failed)} consistency check(s) failed; publishing is blocked: "
            + "; ".join(c["message"] for c in failed),
            failed,
        )
    day = date.fromisoformat(draft["report_date"])
    previous = latest_version(engine, code, day)
    changes: list[dict[str, Any]] | None = None
    clean_reason = (reason or "").strip() or None
    if previous is not None:
        if clean_reason is None:
            raise Invalid(
                f"version {previous['version']} of this bulletin is already published: a "
                "correction needs a reason",
                field="reason",
            )
        changes = figure_changes(previous["figures"], draft["figures"])
        if not changes and previous["text_zh"] == draft["text_zh"]:
            raise Conflict(
                f"nothing differs from the published version {previous['version']}",
                field="id",
            )
    version = 1 if previous is None else int(previous["version"]) + 1
    try:
        with engine.begin() as conn:
            done = conn.execute(
                m.table_of(B)
                .update()
                .where(B.id == bulletin_id, B.status == DRAFT)
                .values(
                    status=PUBLISHED,
                    version=version,
                    approved_by=actor.username,
                    published_at=now(),
                    reason=clean_reason,
                    changes=None if changes is None else json.dumps(changes, ensure_ascii=False),
                )
            ).rowcount
    except IntegrityError as exc:
        raise Conflict(
            f"version {version} of {code} {day.isoformat()} was published meanwhile; retry",
            field="id",
        ) from exc
    if done != 1:
        raise Conflict(f"bulletin {bulletin_id} was published meanwhile", field="id")
    return get_bulletin(engine, bulletin_id)


def latest_version(engine: Engine, region_code: str, day: date) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = conn.execute(
            select(B)
            .where(B.region_code == region_code, B.report_date == day, B.status == PUBLISHED)
            .order_by(B.version.desc())
            .limit(1)
        ).first()
    return None if row is None else _row_dict(row)


def published_bulletin(
    engine: Engine, region_code: str, day: date, version: int | None = None
) -> dict[str, Any]:
    """The latest published version of a region's bulletin for a day, or ``version``;
    with the list of every version (number, time, reason)."""
    query = select(B).where(
        B.region_code == region_code, B.report_date == day, B.status == PUBLISHED
    )
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(B.version)).all()
    if not rows:
        raise NotFound(
            f"no published bulletin for {region_code} on {day.isoformat()}", field="date"
        )
    chosen = rows[-1] if version is None else next((r for r in rows if r.version == version), None)
    if chosen is None:
        raise NotFound(
            f"the bulletin for {region_code} on {day.isoformat()} has versions "
            f"1–{rows[-1].version}, not {version}",
            field="version",
        )
    out = _row_dict(chosen)
    out["versions"] = [
        {
            "version": r.version,
            "published_at": r.published_at.isoformat() if r.published_at else None,
            "approved_by": r.approved_by,
            "reason": r.reason,
        }
        for r in rows
    ]
    out["latest_version"] = rows[-1].version
    return out


def list_published(
    engine: Engine,
    *,
    region_code: str | None = None,
    day: date | None = None,
    limit: int = 100,
    offset: int = 0,
) -> dict[str, Any]:
    """The latest published version of every (region, day), newest day first."""
    latest = (
        select(B.region_code, B.report_date, func.max(B.version).label("version"))
        .where(B.status == PUBLISHED)
        .group_by(B.region_code, B.report_date)
    )
    if region_code:
        latest = latest.where(B.region_code == region_code)
    if day:
        latest = latest.where(B.report_date == day)
    sub = latest.subquery()
    query = select(B).join(
        sub,
        and_(
            B.region_code == sub.c.region_code,
            B.report_date == sub.c.report_date,
            B.version == sub.c.version,
        ),
    )
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(sub)).scalar_one()
        rows = conn.execute(
            query.order_by(B.report_date.desc(), B.region_code).limit(limit).offset(offset)
        ).all()
    items = []
    for r in rows:
        d = _row_dict(r)
        items.append(
            {
                k: d[k]
                for k in (
                    "id",
                    "region_code",
                    "report_date",
                    "version",
                    "published_at",
                    "approved_by",
                    "text_zh",
                    "text_en",
                )
            }
        )
        place = d["figures"].get("place", {})
        items[-1]["name_zh"] = place.get("name_zh")
        items[-1]["name_en"] = place.get("name_en")
    return {"items": items, "total": int(total), "limit": limit, "offset": offset}


def _reads_region(actor: Actor, region_code: str, tree: RegionTree) -> bool:
    return actor.jurisdiction == WORLD or tree.is_within(region_code, actor.jurisdiction)


def list_drafts(
    engine: Engine,
    *,
    limit: int = 50,
    actor: Actor | None = None,
    tree: RegionTree | None = None,
) -> list[dict[str, Any]]:
    """The latest drafts (for the console): with ``actor``, only drafts of regions in
    the actor's jurisdiction (unpublished figures are not public)."""
    query = select(B).where(B.status == DRAFT).order_by(B.id.desc())
    with engine.connect() as conn:
        if actor is None:
            rows = conn.execute(query.limit(limit)).all()
        else:
            if tree is None:
                raise ValueError("a jurisdiction filter needs the region tree")
            rows = [r for r in conn.execute(query) if _reads_region(actor, r.region_code, tree)]
    return [_row_dict(r) for r in rows[:limit]]


def readable_bulletin(
    engine: Engine, actor: Actor, tree: RegionTree, bulletin_id: int
) -> dict[str, Any]:
    """A draft or version by id for ``actor``: published versions are public; drafts
    only inside the actor's jurisdiction (Forbidden otherwise)."""
    authorize(actor, Permission.READ_AGGREGATE)
    found = get_bulletin(engine, bulletin_id)
    if found["status"] == DRAFT and not _reads_region(actor, found["region_code"], tree):
        raise Forbidden(
            f"draft {bulletin_id} of {found['region_code']} is outside the jurisdiction "
            f"{actor.jurisdiction} of {actor.username}",
            field="id",
        )
    return found


# --- corrections log ---------------------------------------------------------------------


def corrections_log(engine: Engine) -> list[dict[str, Any]]:
    """Every correction ever published, newest first: one entry per corrected version,
    with its reason and the figures changed (old → new)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(B)
            .where(B.status == PUBLISHED, B.version > 1)
            .order_by(B.published_at.desc(), B.id.desc())
        ).all()
    out = []
    for r in rows:
        d = _row_dict(r)
        out.append(
            {
                "region_code": d["region_code"],
                "report_date": d["report_date"],
                "version": d["version"],
                "previous_version": d["version"] - 1,
                "published_at": d["published_at"],
                "approved_by": d["approved_by"],
                "reason": d["reason"],
                "changes": d["changes"] or [],
            }
        )
    return out


def corrections_etag(engine: Engine) -> str:
    """A strong validator of the corrections log: it changes with every publication."""
    with engine.connect() as conn:
        n, last = conn.execute(
            select(func.count(), func.max(B.id)).where(B.status == PUBLISHED, B.version > 1)
        ).one()
    return '"' + hashlib.sha256(f"{n}-{last}".encode()).hexdigest()[:32] + '"'


def corrections_csv(entries: Sequence[Mapping[str, Any]]) -> str:
    """The log as CSV (RFC 4180), one row per changed figure (a version with no figure
    changed — a text-only correction — still gets one row)."""
    buf = io.StringIO()
    writer = SafeWriter(buf, lineterminator="\r\n")
    writer.writerow(CORRECTION_COLUMNS)
    for e in entries:
        changes = e["changes"] or [{"field": "", "old_value": None, "new_value": None}]
        for c in changes:
            writer.writerow(
                [
                    e["region_code"],
                    e["report_date"],
                    e["version"],
                    e["previous_version"],
                    e["published_at"],
                    e["approved_by"],
                    e["reason"],
                    c["field"],
                    "" if c["old_value"] is None else c["old_value"],
                    "" if c["new_value"] is None else c["new_value"],
                ]
            )
    return buf.getvalue()
