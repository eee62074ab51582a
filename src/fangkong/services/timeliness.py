"""Reporting accountability: submissions, deadlines, the scorecard, alerts and urgent
event reports (rules in core/rules/timeliness.py).

* Every stored daily report is a *submission* (``report_submissions``): the first time
  a region's report for a date is stored, and again, flagged ``correction``, whenever
  a stored figure changes. :func:`record_submissions` is called by the daily-report
  write path (services/daily_reports.py) inside its transaction, so the manual entry
  API, every file import and the demo loader are all recorded; re-importing an
  unchanged file records nothing.
* Deadlines (``reporting_deadlines``) are configured per region, per administrative
  level (``@county``) or for every region (``*``) by a commander; each change is a
  ``revisions`` row. A rule's ``version`` is its ETag: replacing a rule that exists
  needs ``If-Match`` with the version it was read at (services/versions.py), so two
  commanders cannot overwrite each other's rule unseen.
* Alerts for late and missing reports are *computed* from the submissions at the time
  of asking, not stored as ``warning_signals``: a missing report's alert must vanish
  the moment the report arrives, and the warning-signal vocabulary (aberration and
  data-quality methods over a daily series) does not describe a report that is absent.
* Urgent event reports (``event_reports``) are timed against the 1-hour/2-hour limits
  of the Regulation on Public Health Emergencies (art. 19/20).

Reads need sign-in and stay inside the caller's jurisdiction (``services.auth``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select, update

from fangkong.core.access import WORLD, Actor, Permission
from fangkong.core.regions import RegionLevel, RegionTree
from fangkong.core.reports import date_range
from fangkong.core.rules import timeliness as rules
from fangkong.core.rules.timeliness import DeadlineRule, Evaluation, Submission
from fangkong.services.auth import authorize
from fangkong.services.errors import Forbidden, Invalid, NotFound
from fangkong.services.versions import UNCHECKED, IfMatch, check_preconditions, etag, locked_write
from fangkong.store import models as m

S = m.ReportSubmissionRow
DL = m.ReportingDeadlineRow
E = m.EventReportRow
R = m.RegionRow
#: Longest scorecard period.
MAX_DAYS = 400
#: Alerts returned inline by the scorecard (all of them at ``alerts``).
INLINE_ALERTS = 100
_BELOW = {
    RegionLevel.COUNTRY: RegionLevel.PROVINCE,
    RegionLevel.PROVINCE: RegionLevel.PREFECTURE,
    RegionLevel.PREFECTURE: RegionLevel.COUNTY,
    RegionLevel.COUNTY: RegionLevel.COUNTY,
}
STATUS_NAMES = {
    "on_time": ("按时", "on time"),
    "late": ("迟报", "late"),
    "missing": ("缺报", "missing"),
    "pending": ("未到期", "pending"),
    "overdue": ("超时未报", "overdue"),
}


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    """In UTC (stored values without a zone are UTC: SQLite keeps no offset)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# --- submissions (called by the daily-report write path) ----------------------------------


def record_submissions(
    conn: Connection,
    submitted: Iterable[tuple[str, date, str, bool]],
    *,
    actor: str,
    at: datetime,
    import_id: int | None = None,
) -> int:
    """Record ``(region_code, report_date, source, correction)`` submissions made at
    ``at``, in the caller's transaction; returns how many."""
    rows = [
        {
            "region_code": code,
            "report_date": day,
            "source": source,
            "submitted_at": at,
            "correction": correction,
            "actor": actor,
            "import_id": import_id,
        }
        for code, day, source, correction in submitted
    ]
    if rows:
        conn.execute(insert(S), rows)
    return len(rows)


# --- deadlines -----------------------------------------------------------------------------


def _rule_of(row: Any) -> DeadlineRule:
    return DeadlineRule(row.due_time, row.day_offset, row.timezone, row.urgent_limit_minutes)


def _configured(conn: Connection) -> dict[str, DeadlineRule]:
    return {r.region_code: _rule_of(r) for r in conn.execute(select(DL))}


def _rule_dict(key: str, rule: DeadlineRule, **extra: Any) -> dict[str, Any]:
    return {
        "key": key,
        "due_time": rule.due_time,
        "day_offset": rule.day_offset,
        "timezone": rule.timezone,
        "urgent_limit_minutes": rule.urgent_limit_minutes,
        **extra,
    }


def _check_key(conn: Connection, key: str) -> None:
    if key == rules.EVERY_REGION:
        return
    if key.startswith(rules.LEVEL_PREFIX):
        level = key[len(rules.LEVEL_PREFIX) :]
        if level not in {lv.value for lv in RegionLevel}:
            raise Invalid(
                f"unknown level {level!r} in {key!r}; use @"
                + ", @".join(lv.value for lv in RegionLevel),
                field="key",
            )
        return
    if conn.execute(select(R.region_code).where(R.region_code == key)).first() is None:
        raise NotFound(f"no region with code {key!r}", field="key")


def _stored_dict(row: Any) -> dict[str, Any]:
    """A configured rule as stored: the rule, who set it and when, its version and ETag."""
    return _rule_dict(
        row.region_code,
        _rule_of(row),
        actor=row.actor,
        updated_at=_aware(row.updated_at).isoformat(),
        version=row.version,
        etag=etag(row.version),
    )


def list_deadlines(engine: Engine, actor: Actor) -> dict[str, Any]:
    """The configured rules (each with its ETag) and the built-in defaults they
    override."""
    authorize(actor, Permission.READ_AGGREGATE)
    with engine.connect() as conn:
        rows = conn.execute(select(DL).order_by(DL.region_code)).all()
    return {
        "items": [_stored_dict(r) for r in rows],
        "defaults": [
            _rule_dict(rules.level_key(lv), rules.default_rule(lv), source="default")
            for lv in RegionLevel
        ],
        "order": "region code, then @level, then *, then the built-in default",
    }


def get_deadline(engine: Engine, actor: Actor, key: str) -> dict[str, Any]:
    """The rule configured for ``key``, with its version and ETag (NotFound when none
    is: the lookup order then applies a broader rule or the default)."""
    authorize(actor, Permission.READ_AGGREGATE)
    with engine.connect() as conn:
        row = conn.execute(select(DL).where(DL.region_code == key)).first()
    if row is None:
        raise NotFound(f"no deadline rule for {key!r}", field="key")
    return _stored_dict(row)


def _may_configure(actor: Actor, key: str, tree: RegionTree) -> None:
    if key == rules.EVERY_REGION or key.startswith(rules.LEVEL_PREFIX):
        authorize(actor, Permission.COMMAND)
        if actor.jurisdiction not in (WORLD, "CN"):
            raise Forbidden(
                f"the rule {key!r} applies nationwide: only the national command sets it",
                field="key",
            )
        return
    authorize(actor, Permission.COMMAND, key, tree)


def set_deadline(
    engine: Engine,
    actor: Actor,
    tree: RegionTree,
    key: str,
    *,
    due_time: str,
    day_offset: int,
    timezone: str = rules.DEFAULT_TIMEZONE,
    urgent_limit_minutes: int | None = None,
    reason: str = "",
    if_match: IfMatch = UNCHECKED,
    if_none_match: str | None = None,
) -> dict[str, Any]:
    """Create or replace the rule of ``key`` (a region code, ``@level`` or ``*``).

    Replacing a rule that exists needs ``if_match`` naming its current version
    (PreconditionRequired without, PreconditionFailed when someone changed it since);
    a new rule is created without one (``if_none_match="*"``: only if none exists).
    Checked after the caller's authority, in the transaction holding the rule's lock.
    The result has ``result``: ``created`` or ``updated``."""
    with locked_write(engine) as conn:
        _check_key(conn, key)
        _may_configure(actor, key, tree)
        level = None
        if not key.startswith(rules.LEVEL_PREFIX) and key != rules.EVERY_REGION:
            level = conn.execute(select(R.level).where(R.region_code == key)).scalar_one()
        elif key.startswith(rules.LEVEL_PREFIX):
            level = key[len(rules.LEVEL_PREFIX) :]
        limit = urgent_limit_minutes or rules.default_rule(level).urgent_limit_minutes
        try:
            rule = DeadlineRule(due_time, day_offset, timezone, limit).check()
        except rules.InvalidRule as exc:
            raise Invalid(str(exc), field="rule") from exc
        query = select(DL).where(DL.region_code == key)
        query = query.with_for_update()  # SQLite: no clause (one writer at a time)
        old = conn.execute(query).first()
        check_preconditions(
            None if old is None else old.version,
            if_match=if_match,
            if_none_match=if_none_match,
            what=f"the deadline rule {key}",
            last_change=(
                "" if old is None else f", last set by {old.actor} at {_aware(old.updated_at)}"
            ),
        )
        stamp = _now()
        version = 1 if old is None else old.version + 1
        values = {
            "due_time": rule.due_time,
            "day_offset": rule.day_offset,
            "timezone": rule.timezone,
            "urgent_limit_minutes": rule.urgent_limit_minutes,
            "actor": actor.username,
            "updated_at": stamp,
            "version": version,
        }
        if old is None:
            conn.execute(insert(DL).values(region_code=key, **values))
        else:
            conn.execute(update(DL).where(DL.region_code == key).values(**values))
        conn.execute(
            insert(m.RevisionRow).values(
                entity="reporting_deadline",
                entity_key=key,
                field="rule",
                old_value=None if old is None else _describe(_rule_of(old)),
                new_value=_describe(rule),
                reason=reason.strip() or "deadline set",
                actor=actor.username,
                created_at=stamp,
            )
        )
    return _rule_dict(
        key,
        rule,
        actor=actor.username,
        updated_at=stamp.isoformat(),
        version=version,
        etag=etag(version),
        result="created" if old is None else "updated",
    )


def _describe(rule: DeadlineRule) -> str:
    return (
        f"D+{rule.day_offset} {rule.due_time} {rule.timezone}; "
        f"urgent {rule.urgent_limit_minutes} min"
    )


def delete_deadline(
    engine: Engine, actor: Actor, tree: RegionTree, key: str, reason: str = ""
) -> None:
    """Remove a configured rule (the next rule in the lookup order applies again)."""
    with engine.begin() as conn:
        _check_key(conn, key)
        _may_configure(actor, key, tree)
        old = conn.execute(select(DL).where(DL.region_code == key)).first()
        if old is None:
            raise NotFound(f"no deadline rule for {key!r}", field="key")
        conn.execute(delete(DL).where(DL.region_code == key))
        conn.execute(
            insert(m.RevisionRow).values(
                entity="reporting_deadline",
                entity_key=key,
                field="rule",
                old_value=_describe(_rule_of(old)),
                new_value=None,
                reason=reason.strip() or "deadline removed",
                actor=actor.username,
                created_at=_now(),
            )
        )


# --- scorecard and alerts -------------------------------------------------------------------


def _scope(
    conn: Connection,
    actor: Actor,
    tree: RegionTree,
    region: str | None,
    level: str | None,
) -> tuple[str, RegionLevel, list[Any]]:
    """The scope region, the level of the scored units, and the unit rows."""
    root = region or (actor.jurisdiction if actor.jurisdiction != WORLD else "CN")
    row = conn.execute(select(R).where(R.region_code == root)).first()
    if row is None:
        raise NotFound(f"no region with code {root!r}", field="region")
    authorize(actor, Permission.READ_AGGREGATE, root, tree)
    if level is None:
        unit_level = _BELOW[RegionLevel(row.level)]
    else:
        try:
            unit_level = RegionLevel(level)
        except ValueError as exc:
            raise Invalid(
                f"level must be one of {[lv.value for lv in RegionLevel]}", field="level"
            ) from exc
    candidates = conn.execute(
        select(R.region_code, R.level, R.name_zh, R.name_en)
        .where(R.level == unit_level.value)
        .order_by(R.region_code)
    ).all()
    units = [u for u in candidates if tree.is_within(u.region_code, root)]
    return root, unit_level, units


def _period(date_from: date, date_to: date) -> list[date]:
    if date_from > date_to:
        raise Invalid("'from' is after 'to'", field="from")
    days = (date_to - date_from).days + 1
    if days > MAX_DAYS:
        raise Invalid(f"the period is {days} days; at most {MAX_DAYS}", field="to")
    return date_range(date_from, date_to)


def _submissions(
    conn: Connection, codes: Sequence[str], first: date, last: date, source: str | None
) -> dict[tuple[str, date], list[Submission]]:
    out: dict[tuple[str, date], list[Submission]] = defaultdict(list)
    query = select(S.region_code, S.report_date, S.submitted_at, S.correction).where(
        S.report_date >= first, S.report_date <= last
    )
    if source:
        query = query.where(S.source == source)
    wanted = set(codes)
    for r in conn.execute(query):
        if r.region_code in wanted:
            out[(r.region_code, r.report_date)].append(
                Submission(_aware(r.submitted_at), bool(r.correction))
            )
    return out


def _alert_dict(ev: Evaluation, names: dict[str, tuple[str, str]]) -> dict[str, Any]:
    zh_name, en_name = names.get(ev.region_code, (ev.region_code, ev.region_code))
    d = ev.report_date.isoformat()
    due = ev.deadline.isoformat()
    if ev.status == rules.Status.LATE:
        mins = ev.minutes_late or 0
        zh = f"{zh_name} {d} 日报迟报：截止 {due}，迟 {_duration_zh(mins)}"
        en = f"{en_name}: daily report of {d} late, due {due}, {_duration_en(mins)} late"
    else:
        zh = f"{zh_name} {d} 日报缺报：截止 {due}，至今未报"
        en = f"{en_name}: daily report of {d} missing, due {due}, not submitted"
    return {
        "kind": "daily_report",
        "region_code": ev.region_code,
        "name_zh": zh_name,
        "name_en": en_name,
        "report_date": d,
        "status": ev.status.value,
        "deadline": due,
        "submitted_at": ev.first_submitted_at.isoformat() if ev.first_submitted_at else None,
        "minutes_late": ev.minutes_late,
        "corrected": ev.corrected,
        "explanation_zh": zh,
        "explanation_en": en,
        "link": f"/api/v1/regions/{ev.region_code}/daily?from={d}&to={d}",
    }


def _duration_zh(minutes: int) -> str:
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    return (f"{days}天" if days else "") + (f"{hours}小时" if hours else "") + f"{mins}分钟"


def _duration_en(minutes: int) -> str:
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    return (f"{days} d " if days else "") + (f"{hours} h " if hours else "") + f"{mins} min"


def _evaluate(
    engine: Engine,
    actor: Actor,
    tree: RegionTree,
    date_from: date,
    date_to: date,
    region: str | None,
    level: str | None,
    source: str | None,
    now: datetime | None,
) -> dict[str, Any]:
    dates = _period(date_from, date_to)
    when = _aware(now) if now else _now()
    with engine.connect() as conn:
        root, unit_level, units = _scope(conn, actor, tree, region, level)
        configured = _configured(conn)
        codes = [u.region_code for u in units]
        subs = _submissions(conn, codes, date_from, date_to, source)
        events = _events_in(conn, tree, codes, configured)
    rows, alerts = rules.scorecard(
        [(u.region_code, u.level) for u in units], dates, configured, subs, when
    )
    names = {u.region_code: (u.name_zh, u.name_en) for u in units}
    return {
        "root": root,
        "level": unit_level.value,
        "dates": dates,
        "now": when,
        "units": units,
        "rows": rows,
        "alerts": alerts,
        "names": names,
        "configured": configured,
        "events": events,
    }


def _events_in(
    conn: Connection,
    tree: RegionTree,
    codes: Sequence[str],
    configured: dict[str, DeadlineRule],
) -> dict[str, list[tuple[Any, DeadlineRule]]]:
    """Event reports grouped by the scored unit they lie in, each with the rule of its
    own region (the limit depends on who reports: art. 19 or art. 20)."""
    wanted = set(codes)
    rows = conn.execute(select(E).order_by(E.detected_at.desc(), E.id.desc())).all()
    own = {r.region_code for r in rows}
    levels = {
        r.region_code: r.level
        for r in conn.execute(select(R.region_code, R.level).where(R.region_code.in_(own)))
    }
    out: dict[str, list[tuple[Any, DeadlineRule]]] = defaultdict(list)
    for e in rows:
        for code in (e.region_code, *tree.ancestors(e.region_code)):
            if code in wanted:
                rule = rules.resolve_rule(e.region_code, levels.get(e.region_code), configured)[0]
                out[code].append((e, rule))
                break
    return out


def scorecard(
    engine: Engine,
    actor: Actor,
    tree: RegionTree,
    *,
    date_from: date,
    date_to: date,
    region: str | None = None,
    level: str | None = None,
    source: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Per unit of ``level`` inside ``region`` (default: the caller's jurisdiction, or
    China; units one level below it) over ``date_from`` … ``date_to``: expected, on
    time, late, missing, pending and later-corrected daily reports, the on-time rate,
    the median lateness, and the urgent event reports timed against their limits."""
    ev = _evaluate(engine, actor, tree, date_from, date_to, region, level, source, now)
    items = []
    totals = dict.fromkeys(("expected", "on_time", "late", "missing", "pending", "corrected"), 0)
    for unit, row in zip(ev["units"], ev["rows"], strict=True):
        rule, _key = rules.resolve_rule(unit.region_code, unit.level, ev["configured"])
        ev_counts = _event_counts(ev["events"].get(unit.region_code, []), ev["now"])
        item = {
            "region_code": unit.region_code,
            "name_zh": unit.name_zh,
            "name_en": unit.name_en,
            "expected": row.expected,
            "on_time": row.on_time,
            "late": row.late,
            "missing": row.missing,
            "pending": row.pending,
            "corrected": row.corrected,
            "on_time_rate": None if row.on_time_rate is None else round(row.on_time_rate, 4),
            "median_minutes_late": row.median_minutes_late,
            "rule": _rule_dict(row.rule_key, rule),
            "events": ev_counts,
        }
        for k in totals:
            totals[k] += item[k]
        items.append(item)
    scored = totals["on_time"] + totals["late"] + totals["missing"]
    return {
        "region": ev["root"],
        "level": ev["level"],
        "from": date_from.isoformat(),
        "to": date_to.isoformat(),
        "source": source,
        "as_of": ev["now"].isoformat(),
        "items": items,
        "totals": {
            **totals,
            "on_time_rate": round(totals["on_time"] / scored, 4) if scored else None,
        },
        "alerts": [_alert_dict(a, ev["names"]) for a in ev["alerts"][:INLINE_ALERTS]],
        "alerts_total": len(ev["alerts"]),
    }


def _event_counts(events: Sequence[tuple[Any, DeadlineRule]], now: datetime) -> dict[str, int]:
    counts = dict.fromkeys(("on_time", "late", "overdue", "pending"), 0)
    for e, rule in events:
        out = rules.evaluate_event(
            _aware(e.detected_at),
            _aware(e.reported_at) if e.reported_at else None,
            rule.urgent_limit_minutes,
            now,
        )
        counts[out.status.value] += 1
    return counts


def alerts(
    engine: Engine,
    actor: Actor,
    tree: RegionTree,
    *,
    date_from: date,
    date_to: date,
    region: str | None = None,
    level: str | None = None,
    source: str | None = None,
    now: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> dict[str, Any]:
    """Late and missing daily reports (newest first), and urgent event reports that
    were late or are overdue, with zh/en explanations."""
    ev = _evaluate(engine, actor, tree, date_from, date_to, region, level, source, now)
    daily = [_alert_dict(a, ev["names"]) for a in ev["alerts"]]
    event_alerts = []
    for unit in ev["units"]:
        for e, rule in ev["events"].get(unit.region_code, []):
            out = _event_dict(e, rule, ev["now"])
            if out["status"] in ("late", "overdue"):
                event_alerts.append(out)
    event_alerts.sort(key=lambda x: str(x["detected_at"]), reverse=True)
    return {
        "items": daily[offset : offset + limit],
        "total": len(daily),
        "events": event_alerts,
        "limit": limit,
        "offset": offset,
    }


# --- urgent event reports --------------------------------------------------------------------


def _event_dict(row: Any, rule: DeadlineRule, now: datetime) -> dict[str, Any]:
    detected = _aware(row.detected_at)
    reported = _aware(row.reported_at) if row.reported_at else None
    out = rules.evaluate_event(detected, reported, rule.urgent_limit_minutes, now)
    zh_s, en_s = STATUS_NAMES[out.status.value]
    limit = out.limit_minutes
    if out.minutes_taken is not None:
        zh = (
            f"{row.title}：发现后 {_duration_zh(out.minutes_taken)} 报告，时限 {limit} 分钟，{zh_s}"
        )
        en = (
            f"{row.title}: reported {_duration_en(out.minutes_taken)} after detection, "
            f"limit {limit} min, {en_s}"
        )
    else:
        zh = f"{row.title}：尚未报告，应于 {out.due_at.isoformat()} 前报告（{zh_s}）"
        en = f"{row.title}: not reported yet, due by {out.due_at.isoformat()} ({en_s})"
    return {
        "id": row.id,
        "kind": "event_report",
        "region_code": row.region_code,
        "title": row.title,
        "detected_at": detected.isoformat(),
        "reported_at": reported.isoformat() if reported else None,
        "due_at": out.due_at.isoformat(),
        "limit_minutes": limit,
        "minutes_taken": out.minutes_taken,
        "status": out.status.value,
        "actor": row.actor,
        "explanation_zh": zh,
        "explanation_en": en,
    }


def _rule_for(conn: Connection, region_code: str) -> DeadlineRule:
    level = conn.execute(select(R.level).where(R.region_code == region_code)).scalar_one()
    return rules.resolve_rule(region_code, level, _configured(conn))[0]


def record_event(
    engine: Engine,
    actor: Actor,
    tree: RegionTree,
    *,
    region_code: str,
    title: str,
    detected_at: datetime,
    reported_at: datetime | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Record an urgent public-health event (detected at ``detected_at``), reported
    now or at ``reported_at``, or left unreported to be reported later."""
    title = (title or "").strip()
    if not title or len(title) > 256:
        raise Invalid("a title of 1-256 characters is required", field="title")
    when = _aware(now) if now else _now()
    detected = _aware(detected_at)
    reported = _aware(reported_at) if reported_at else None
    if detected > when:
        raise Invalid("detected_at is in the future", field="detected_at")
    if reported is not None and (reported < detected or reported > when):
        raise Invalid("reported_at must lie between detected_at and now", field="reported_at")
    with engine.begin() as conn:
        if conn.execute(select(R.region_code).where(R.region_code == region_code)).first() is None:
            raise NotFound(f"no region with code {region_code!r}", field="region_code")
        authorize(actor, Permission.WRITE_REPORTS, region_code, tree)
        new_id = conn.execute(
            insert(E)
            .values(
                region_code=region_code,
                title=title,
                detected_at=detected,
                reported_at=reported,
                actor=actor.username,
                created_at=when,
            )
            .returning(E.id)
        ).scalar_one()
        row = conn.execute(select(E).where(E.id == new_id)).one()
        rule = _rule_for(conn, region_code)
    return _event_dict(row, rule, when)


def mark_event_reported(
    engine: Engine,
    actor: Actor,
    tree: RegionTree,
    event_id: int,
    reported_at: datetime | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Record the report of an event recorded earlier (once; audited)."""
    when = _aware(now) if now else _now()
    reported = _aware(reported_at) if reported_at else when
    with engine.begin() as conn:
        row = conn.execute(select(E).where(E.id == event_id)).first()
        if row is None:
            raise NotFound(f"no event report {event_id}", field="id")
        authorize(actor, Permission.WRITE_REPORTS, row.region_code, tree)
        if row.reported_at is not None:
            raise Invalid(f"event {event_id} was already reported", field="id")
        if reported < _aware(row.detected_at) or reported > when:
            raise Invalid("reported_at must lie between detected_at and now", "reported_at")
        conn.execute(update(E).where(E.id == event_id).values(reported_at=reported))
        conn.execute(
            insert(m.RevisionRow).values(
                entity="event_report",
                entity_key=str(event_id),
                field="reported_at",
                old_value=None,
                new_value=reported.isoformat(),
                reason="event reported",
                actor=actor.username,
                created_at=when,
            )
        )
        row = conn.execute(select(E).where(E.id == event_id)).one()
        rule = _rule_for(conn, row.region_code)
    return _event_dict(row, rule, when)


def list_events(
    engine: Engine,
    actor: Actor,
    tree: RegionTree,
    *,
    region: str | None = None,
    status: str | None = None,
    now: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> dict[str, Any]:
    """Event reports inside the caller's jurisdiction (and ``region``), newest first."""
    authorize(actor, Permission.READ_AGGREGATE)
    if status and status not in {s.value for s in rules.EventStatus}:
        raise Invalid(
            f"status must be one of {[s.value for s in rules.EventStatus]}", field="status"
        )
    when = _aware(now) if now else _now()
    with engine.connect() as conn:
        if region:
            if conn.execute(select(R.region_code).where(R.region_code == region)).first() is None:
                raise NotFound(f"no region with code {region!r}", field="region")
            authorize(actor, Permission.READ_AGGREGATE, region, tree)
        rows = conn.execute(select(E).order_by(E.detected_at.desc(), E.id.desc())).all()
        configured = _configured(conn)
        codes = {r.region_code for r in rows}
        levels: dict[str, str] = {
            r.region_code: r.level
            for r in conn.execute(select(R.region_code, R.level).where(R.region_code.in_(codes)))
        }
    out = []
    for r in rows:
        if actor.jurisdiction != WORLD and not tree.is_within(r.region_code, actor.jurisdiction):
            continue
        if region and not tree.is_within(r.region_code, region):
            continue
        rule, _ = rules.resolve_rule(r.region_code, levels.get(r.region_code), configured)
        item = _event_dict(r, rule, when)
        if status and item["status"] != status:
            continue
        out.append(item)
    return {
        "items": out[offset : offset + limit],
        "total": len(out),
        "limit": limit,
        "offset": offset,
    }
