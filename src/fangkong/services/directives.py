"""Directives (指令) and guidance teams (指导组): issue, acknowledge, report progress,
cancel, attach files; the issuer's escalation dashboard. States and escalation rules
in core/rules/directives.py.

Who may do what (core/access.py, checked by ``services.auth.authorize``):

* issue, cancel, attach, form a guidance team: the ``command`` permission over every
  recipient region (a team counts as its region);
* acknowledge and report progress: the ``respond`` permission over the recipient's
  region, or being the leader or a member (by user name) of the recipient team;
* read: the issuer, anyone whose jurisdiction covers the issuing command or a
  recipient region.

Every change is a ``directive_events`` row (issue, acknowledge, progress, complete,
escalate, cancel, attach) written in the same transaction: the directive's audit
trail. Attachments are stored under ``<var_dir>/attachments/<directive id>/`` with
their SHA-256 and size, under a sanitised name, and are served only as downloads.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, Engine, func, insert, select, update

from fangkong.core.access import WORLD, Actor, Permission, has_permission, may_act_on
from fangkong.core.regions import RegionTree
from fangkong.core.rules import directives as rules
from fangkong.core.rules.directives import (
    DirectiveStatus,
    EventKind,
    Priority,
    RecipientState,
    RecipientStatus,
)
from fangkong.services.auth import authorize
from fangkong.services.errors import Conflict, Forbidden, Invalid, NotFound
from fangkong.settings import Settings
from fangkong.store import models as m

D = m.DirectiveRow
RC = m.DirectiveRecipientRow
EV = m.DirectiveEventRow
AT = m.DirectiveAttachmentRow
T = m.GuidanceTeamRow
R = m.RegionRow

MAX_RECIPIENTS = 500
MAX_BODY = 20_000
#: Largest attachment (an official document scan or a spreadsheet).
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
MAX_ATTACHMENTS = 20
#: Attachment types accepted, by extension, with the media type they are served as.
ATTACHMENT_TYPES: dict[str, str] = {
    ".pdf": "application/pdf",
    ".ofd": "application/ofd",  # GB/T 33190-2016, China's fixed-layout document format
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".wps": "application/vnd.ms-works",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".et": "application/vnd.ms-excel",
    ".csv": "text/csv",
    ".txt": "text/plain",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".zip": "application/zip",
}
_UNSAFE = re.compile(r"[^\w.\-() ]+", re.UNICODE)


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    """In UTC (stored values without a zone are UTC: SQLite keeps no offset)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else _aware(moment).isoformat()


def _text(value: str | None, field: str, limit: int, required: bool) -> str | None:
    cleaned = (value or "").strip()
    if not cleaned:
        if required:
            raise Invalid(f"{field} is required", field=field)
        return None
    if len(cleaned) > limit:
        raise Invalid(f"{field} is longer than {limit} characters", field=field)
    return cleaned


def priority_of(text: str) -> Priority:
    try:
        return rules.parse_priority(text)
    except rules.InvalidTransition as exc:
        raise Invalid(str(exc), field="priority") from exc


# --- guidance teams ------------------------------------------------------------------------


def _members(text: str) -> list[str]:
    try:
        value = json.loads(text)
    except ValueError:
        return []
    return [str(x) for x in value] if isinstance(value, list) else []


def _team_dict(row: Any, names: dict[str, tuple[str, str]]) -> dict[str, Any]:
    zh, en = names.get(row.region_code, (row.region_code, row.region_code))
    return {
        "id": row.id,
        "name": row.name,
        "leader": row.leader,
        "members": _members(row.members),
        "region_code": row.region_code,
        "region_name_zh": zh,
        "region_name_en": en,
        "issuer_jurisdiction": row.issuer_jurisdiction,
        "created_by": row.created_by,
        "created_at": _iso(row.created_at),
        "active": bool(row.active),
    }


def _region_names(conn: Connection, codes: Sequence[str]) -> dict[str, tuple[str, str]]:
    if not codes:
        return {}
    rows = conn.execute(
        select(R.region_code, R.name_zh, R.name_en).where(R.region_code.in_(set(codes)))
    )
    return {r.region_code: (r.name_zh, r.name_en) for r in rows}


def create_team(
    engine: Engine,
    actor: Actor,
    tree: RegionTree,
    *,
    name: str,
    leader: str,
    members: Sequence[str],
    region_code: str,
) -> dict[str, Any]:
    """Form a guidance team sent to ``region_code``. ``leader`` and ``members`` are
    names; a name equal to a user name lets that user act for the team."""
    team_name = _text(name, "name", 128, True)
    team_leader = _text(leader, "leader", 128, True)
    people = [p.strip() for p in members if p and p.strip()]
    if len(people) > 200 or any(len(p) > 128 for p in people):
        raise Invalid("at most 200 members of at most 128 characters each", field="members")
    with engine.begin() as conn:
        names = _region_names(conn, [region_code])
        if region_code not in names:
            raise NotFound(f"no region with code {region_code!r}", field="region_code")
        authorize(actor, Permission.COMMAND, region_code, tree)
        new_id = conn.execute(
            insert(T)
            .values(
                name=team_name,
                leader=team_leader,
                members=json.dumps(people, ensure_ascii=False),
                region_code=region_code,
                issuer_jurisdiction=actor.jurisdiction,
                created_by=actor.username,
                created_at=_now(),
                active=True,
            )
            .returning(T.id)
        ).scalar_one()
        row = conn.execute(select(T).where(T.id == new_id)).one()
    return _team_dict(row, names)


def list_teams(
    engine: Engine, actor: Actor, tree: RegionTree, *, active_only: bool = True
) -> list[dict[str, Any]]:
    """Teams sent to regions of the caller's jurisdiction or formed by its command."""
    authorize(actor, Permission.READ_AGGREGATE)
    query = select(T).order_by(T.id)
    if active_only:
        query = query.where(T.active.is_(True))
    with engine.connect() as conn:
        rows = [r for r in conn.execute(query).all() if _sees_team(actor, r, tree)]
        names = _region_names(conn, [r.region_code for r in rows])
    return [_team_dict(r, names) for r in rows]


def _sees_team(actor: Actor, row: Any, tree: RegionTree) -> bool:
    return _covers(actor, row.region_code, tree) or _covers(actor, row.issuer_jurisdiction, tree)


def _covers(actor: Actor, code: str, tree: RegionTree) -> bool:
    if actor.jurisdiction == WORLD:
        return True
    if code == WORLD:
        return False
    return tree.is_within(code, actor.jurisdiction)


def disband_team(engine: Engine, actor: Actor, tree: RegionTree, team_id: int) -> dict[str, Any]:
    """Mark a team inactive (it receives no new directives; its history stays)."""
    with engine.begin() as conn:
        row = conn.execute(select(T).where(T.id == team_id)).first()
        if row is None:
            raise NotFound(f"no guidance team {team_id}", field="id")
        authorize(actor, Permission.COMMAND, row.region_code, tree)
        conn.execute(update(T).where(T.id == team_id).values(active=False))
        conn.execute(
            insert(m.RevisionRow).values(
                entity="guidance_team",
                entity_key=str(team_id),
                field="active",
                old_value="true",
                new_value="false",
                reason="team disbanded",
                actor=actor.username,
                created_at=_now(),
            )
        )
        row = conn.execute(select(T).where(T.id == team_id)).one()
        names = _region_names(conn, [row.region_code])
    return _team_dict(row, names)


# --- issuing -------------------------------------------------------------------------------


def _event(
    conn: Connection,
    directive_id: int,
    kind: EventKind,
    note: str,
    actor: str,
    at: datetime,
    recipient_id: int | None = None,
    progress: int | None = None,
) -> None:
    conn.execute(
        insert(EV).values(
            directive_id=directive_id,
            recipient_id=recipient_id,
            kind=kind.value,
            note=note,
            progress_percent=progress,
            actor=actor,
            created_at=at,
        )
    )


def issue(
    engine: Engine,
    actor: Actor,
    tree: RegionTree,
    *,
    title: str,
    body: str,
    due_at: datetime,
    priority: str = "normal",
    regions: Sequence[str] = (),
    team_ids: Sequence[int] = (),
    now: datetime | None = None,
) -> dict[str, Any]:
    """Issue a directive to regions and/or guidance teams (one recipient each).

    ``title``/``body`` carry the text in the issuer's language. Forbidden unless the
    actor commands every recipient's region; Invalid for a due time not in the future
    or no recipient."""
    authorize(actor, Permission.COMMAND)
    clean_title = _text(title, "title", 256, True)
    clean_body = _text(body, "body", MAX_BODY, True)
    level = priority_of(priority)
    when = _aware(now) if now else _now()
    due = _aware(due_at)
    if due <= when:
        raise Invalid("due_at must be in the future", field="due_at")
    region_list = list(dict.fromkeys(c.strip() for c in regions if c.strip()))
    team_list = list(dict.fromkeys(team_ids))
    if not region_list and not team_list:
        raise Invalid("a directive needs at least one region or guidance team", field="regions")
    if len(region_list) + len(team_list) > MAX_RECIPIENTS:
        raise Invalid(f"at most {MAX_RECIPIENTS} recipients", field="regions")
    with engine.begin() as conn:
        names = _region_names(conn, region_list)
        unknown = [c for c in region_list if c not in names]
        if unknown:
            raise NotFound(f"no region with code {unknown[0]!r}", field="regions")
        for code in region_list:
            authorize(actor, Permission.COMMAND, code, tree)
        teams = (
            {t.id: t for t in conn.execute(select(T).where(T.id.in_(team_list)))}
            if team_list
            else {}
        )
        for tid in team_list:
            team = teams.get(tid)
            if team is None:
                raise NotFound(f"no guidance team {tid}", field="team_ids")
            if not team.active:
                raise Conflict(f"guidance team {tid} ({team.name}) is disbanded", "team_ids")
            authorize(actor, Permission.COMMAND, team.region_code, tree)
        directive_id = conn.execute(
            insert(D)
            .values(
                title=clean_title,
                body=clean_body,
                priority=level.value,
                due_at=due,
                issuer=actor.username,
                issuer_jurisdiction=actor.jurisdiction,
                status=DirectiveStatus.OPEN.value,
                created_at=when,
                updated_at=when,
            )
            .returning(D.id)
        ).scalar_one()
        base = {
            "directive_id": directive_id,
            "status": RecipientStatus.PENDING.value,
            "progress_percent": 0,
            "updated_at": when,
        }
        recipients = [{**base, "region_code": c, "team_id": None} for c in region_list]
        recipients += [
            {**base, "region_code": teams[t].region_code, "team_id": t} for t in team_list
        ]
        conn.execute(insert(RC), recipients)
        who = ", ".join(region_list + [f"team {t}" for t in team_list])
        _event(
            conn,
            directive_id,
            EventKind.ISSUE,
            f"issued ({level.value}, due {due.isoformat()}) to {who}",
            actor.username,
            when,
        )
    return get(engine, actor, tree, directive_id, now=when)


# --- reading -------------------------------------------------------------------------------


def _recipient_name(row: Any, teams: dict[int, Any], names: dict[str, tuple[str, str]]) -> str:
    zh = names.get(row.region_code, (row.region_code, row.region_code))[0]
    if row.team_id is not None and row.team_id in teams:
        return f"{teams[row.team_id].name}（{zh}）"
    return str(zh)


def _state(row: Any) -> RecipientState:
    return RecipientState(
        RecipientStatus(row.status),
        int(row.progress_percent),
        _aware(row.acknowledged_at) if row.acknowledged_at else None,
    )


def _may_read(
    actor: Actor,
    directive: Any,
    recipients: Sequence[Any],
    teams: dict[int, Any],
    tree: RegionTree,
) -> bool:
    """The issuer, a jurisdiction covering the issuing command or a recipient region,
    or a member of a recipient team."""
    if actor.username == directive.issuer or actor.jurisdiction == WORLD:
        return True
    if _covers(actor, directive.issuer_jurisdiction, tree):
        return True
    return any(
        _covers(actor, r.region_code, tree) or _may_respond(actor, r, teams, tree)
        for r in recipients
    )


def _load(conn: Connection, directive_id: int) -> tuple[Any, list[Any], dict[int, Any]]:
    row = conn.execute(select(D).where(D.id == directive_id)).first()
    if row is None:
        raise NotFound(f"no directive {directive_id}", field="id")
    recips = conn.execute(select(RC).where(RC.directive_id == directive_id).order_by(RC.id)).all()
    team_ids = [r.team_id for r in recips if r.team_id is not None]
    teams = {t.id: t for t in conn.execute(select(T).where(T.id.in_(team_ids)))} if team_ids else {}
    return row, list(recips), teams


def _escalations(
    row: Any, recips: Sequence[Any], teams: dict[int, Any], names: Any, now: datetime
) -> list[tuple[Any, rules.Escalation]]:
    pairs = [(r, _recipient_name(r, teams, names)) for r in recips]
    found = rules.escalations(
        issued_at=_aware(row.created_at),
        due_at=_aware(row.due_at),
        priority=Priority(row.priority),
        status=DirectiveStatus(row.status),
        recipients=[(name, _state(r)) for r, name in pairs],
        now=now,
    )
    by_name = {name: r for r, name in pairs}
    return [(by_name[e.recipient], e) for e in found]


def _summary(
    row: Any, recips: Sequence[Any], teams: dict[int, Any], names: Any, now: datetime
) -> dict[str, Any]:
    zh_p, en_p = rules.PRIORITY_NAMES[Priority(row.priority)]
    esc = _escalations(row, recips, teams, names, now)
    counts = {s.value: 0 for s in RecipientStatus}
    for r in recips:
        counts[r.status] += 1
    return {
        "id": row.id,
        "title": row.title,
        "priority": row.priority,
        "priority_zh": zh_p,
        "priority_en": en_p,
        "due_at": _iso(row.due_at),
        "issuer": row.issuer,
        "issuer_jurisdiction": row.issuer_jurisdiction,
        "status": row.status,
        "created_at": _iso(row.created_at),
        "updated_at": _iso(row.updated_at),
        "escalated_at": _iso(row.escalated_at),
        "recipients_total": len(recips),
        "recipients_by_status": counts,
        "overdue": now > _aware(row.due_at) and row.status == DirectiveStatus.OPEN.value,
        "escalations": [
            {
                "recipient_id": r.id,
                "recipient": e.recipient,
                "reason": e.reason.value,
                "since": e.since.isoformat(),
                "explanation_zh": e.explanation_zh,
                "explanation_en": e.explanation_en,
            }
            for r, e in esc
        ],
    }


def get(
    engine: Engine,
    actor: Actor,
    tree: RegionTree,
    directive_id: int,
    *,
    now: datetime | None = None,
) -> dict[str, Any]:
    """A directive with its text, recipients, attachments, escalations and audit trail."""
    authorize(actor, Permission.READ_AGGREGATE)
    when = _aware(now) if now else _now()
    with engine.connect() as conn:
        row, recips, teams = _load(conn, directive_id)
        if not _may_read(actor, row, recips, teams, tree):
            raise Forbidden(
                f"directive {directive_id} is outside the jurisdiction of {actor.username}"
            )
        names = _region_names(conn, [r.region_code for r in recips])
        events = conn.execute(
            select(EV).where(EV.directive_id == directive_id).order_by(EV.created_at, EV.id)
        ).all()
        files = conn.execute(
            select(AT).where(AT.directive_id == directive_id).order_by(AT.id)
        ).all()
    out = _summary(row, recips, teams, names, when)
    out["body"] = row.body
    out["recipients"] = [
        {
            "id": r.id,
            "region_code": r.region_code,
            "region_name_zh": names.get(r.region_code, (r.region_code, ""))[0],
            "region_name_en": names.get(r.region_code, ("", r.region_code))[1],
            "team_id": r.team_id,
            "team_name": teams[r.team_id].name if r.team_id in teams else None,
            "name": _recipient_name(r, teams, names),
            "status": r.status,
            "progress_percent": r.progress_percent,
            "acknowledged_at": _iso(r.acknowledged_at),
            "acknowledged_by": r.acknowledged_by,
            "updated_at": _iso(r.updated_at),
            "may_respond": _may_respond(actor, r, teams, tree),
        }
        for r in recips
    ]
    out["attachments"] = [_attachment_dict(a) for a in files]
    out["events"] = [
        {
            "id": e.id,
            "kind": e.kind,
            "recipient_id": e.recipient_id,
            "note": e.note,
            "progress_percent": e.progress_percent,
            "actor": e.actor,
            "created_at": _iso(e.created_at),
        }
        for e in events
    ]
    return out


def list_directives(
    engine: Engine,
    actor: Actor,
    tree: RegionTree,
    *,
    box: str = "all",
    status: str | None = None,
    region: str | None = None,
    now: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> dict[str, Any]:
    """Directives the caller may read, newest first. ``box``: ``issued`` (by the
    caller's command), ``received`` (addressed to regions of its jurisdiction or to
    teams it belongs to) or ``all``."""
    authorize(actor, Permission.READ_AGGREGATE)
    if box not in ("all", "issued", "received"):
        raise Invalid("box must be all, issued or received", field="box")
    if status and status not in {s.value for s in DirectiveStatus}:
        raise Invalid(f"status must be one of {[s.value for s in DirectiveStatus]}", field="status")
    when = _aware(now) if now else _now()
    query = select(D).order_by(D.created_at.desc(), D.id.desc())
    if status:
        query = query.where(D.status == status)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
        ids = [r.id for r in rows]
        recips: dict[int, list[Any]] = {i: [] for i in ids}
        team_ids: set[int] = set()
        for r in conn.execute(select(RC).order_by(RC.id)):
            if r.directive_id in recips:
                recips[r.directive_id].append(r)
                if r.team_id is not None:
                    team_ids.add(r.team_id)
        teams = (
            {t.id: t for t in conn.execute(select(T).where(T.id.in_(team_ids)))} if team_ids else {}
        )
        names = _region_names(conn, [r.region_code for rs in recips.values() for r in rs])
    out = []
    for row in rows:
        rs = recips[row.id]
        if not _may_read(actor, row, rs, teams, tree):
            continue
        issued = row.issuer == actor.username or (
            actor.jurisdiction != WORLD and row.issuer_jurisdiction == actor.jurisdiction
        )
        if box == "issued" and not issued:
            continue
        if box == "received" and not any(_may_respond(actor, r, teams, tree) for r in rs):
            continue
        if region and not any(tree.is_within(r.region_code, region) for r in rs):
            continue
        out.append(_summary(row, rs, teams, names, when))
    return {
        "items": out[offset : offset + limit],
        "total": len(out),
        "limit": limit,
        "offset": offset,
    }


def dashboard(
    engine: Engine, actor: Actor, tree: RegionTree, *, now: datetime | None = None
) -> dict[str, Any]:
    """The issuer's dashboard: open directives issued by the caller's command (or by
    commands inside its jurisdiction) that are overdue or unacknowledged past the
    priority's limit. The first time an escalation is seen it is recorded (an
    ``escalate`` event, and ``escalated_at`` on the directive)."""
    authorize(actor, Permission.COMMAND)
    when = _aware(now) if now else _now()
    escalated: list[dict[str, Any]] = []
    with engine.begin() as conn:
        rows = conn.execute(
            select(D).where(D.status == DirectiveStatus.OPEN.value).order_by(D.due_at, D.id)
        ).all()
        mine = [
            r
            for r in rows
            if r.issuer == actor.username or _covers(actor, r.issuer_jurisdiction, tree)
        ]
        seen = {
            (e.directive_id, e.recipient_id, e.note.split(":", 1)[0])
            for e in conn.execute(
                select(EV.directive_id, EV.recipient_id, EV.note).where(
                    EV.kind == EventKind.ESCALATE.value
                )
            )
        }
        for row in mine:
            _row, recips, teams = _load(conn, row.id)
            names = _region_names(conn, [r.region_code for r in recips])
            found = _escalations(row, recips, teams, names, when)
            if not found:
                continue
            for rec, esc in found:
                if (row.id, rec.id, esc.reason.value) not in seen:
                    _event(
                        conn,
                        row.id,
                        EventKind.ESCALATE,
                        f"{esc.reason.value}: {esc.explanation_en}",
                        "system",
                        when,
                        rec.id,
                    )
            if row.escalated_at is None:
                conn.execute(update(D).where(D.id == row.id).values(escalated_at=when))
            fresh = conn.execute(select(D).where(D.id == row.id)).one()
            escalated.append(_summary(fresh, recips, teams, names, when))
    escalated.sort(key=lambda d: (-rules.parse_priority(d["priority"]).rank, d["due_at"], d["id"]))
    return {
        "as_of": when.isoformat(),
        "items": escalated,
        "total": len(escalated),
        "open_total": len(mine),
    }


# --- acting on a directive -----------------------------------------------------------------


def _may_respond(actor: Actor, recipient: Any, teams: dict[int, Any], tree: RegionTree) -> bool:
    if may_act_on(actor.role, actor.jurisdiction, Permission.RESPOND, recipient.region_code, tree):
        return True
    team = teams.get(recipient.team_id) if recipient.team_id is not None else None
    if team is None:
        return False
    people = {team.leader, *_members(team.members)}
    return actor.username in people and has_permission(actor.role, Permission.RESPOND)


def _pick(
    actor: Actor,
    tree: RegionTree,
    recips: Sequence[Any],
    teams: dict[int, Any],
    recipient_id: int | None,
    region_code: str | None,
) -> Any:
    if recipient_id is not None:
        chosen = [r for r in recips if r.id == recipient_id]
        if not chosen:
            raise NotFound(f"no recipient {recipient_id} of this directive", "recipient_id")
    elif region_code is not None:
        chosen = [r for r in recips if r.region_code == region_code and r.team_id is None]
        chosen = chosen or [r for r in recips if r.region_code == region_code]
        if not chosen:
            raise NotFound(f"{region_code} is not a recipient of this directive", "region_code")
    else:
        chosen = [r for r in recips if _may_respond(actor, r, teams, tree)]
        if not chosen:
            raise Forbidden(f"{actor.username} may respond for no recipient of this directive")
        if len(chosen) > 1:
            raise Invalid(
                f"{actor.username} may respond for {len(chosen)} recipients: "
                "name one by recipient_id or region_code",
                field="recipient_id",
            )
    rec = chosen[0]
    if not _may_respond(actor, rec, teams, tree):
        authorize(actor, Permission.RESPOND, rec.region_code, tree)
        raise Forbidden(f"{actor.username} may not respond for recipient {rec.id}")
    return rec


def _refresh_status(conn: Connection, directive_id: int, when: datetime) -> None:
    statuses = [
        RecipientStatus(s)
        for s in conn.execute(select(RC.status).where(RC.directive_id == directive_id)).scalars()
    ]
    status = rules.directive_status(statuses)
    conn.execute(update(D).where(D.id == directive_id).values(status=status.value, updated_at=when))


def acknowledge(
    engine: Engine,
    actor: Actor,
    tree: RegionTree,
    directive_id: int,
    *,
    recipient_id: int | None = None,
    region_code: str | None = None,
    note: str = "",
    now: datetime | None = None,
) -> dict[str, Any]:
    """Acknowledge receipt for one recipient (Conflict when already acknowledged)."""
    when = _aware(now) if now else _now()
    clean = _text(note, "note", 4000, False) or ""
    with engine.begin() as conn:
        row, recips, teams = _load(conn, directive_id)
        rec = _pick(actor, tree, recips, teams, recipient_id, region_code)
        try:
            state = rules.acknowledge(_state(rec), DirectiveStatus(row.status), when)
        except rules.InvalidTransition as exc:
            raise Conflict(f"cannot acknowledge: {exc}", field="status") from exc
        conn.execute(
            update(RC)
            .where(RC.id == rec.id)
            .values(
                status=state.status.value,
                acknowledged_at=when,
                acknowledged_by=actor.username,
                updated_at=when,
            )
        )
        _event(conn, directive_id, EventKind.ACKNOWLEDGE, clean, actor.username, when, rec.id)
        conn.execute(update(D).where(D.id == directive_id).values(updated_at=when))
    return get(engine, actor, tree, directive_id, now=when)


def report_progress(
    engine: Engine,
    actor: Actor,
    tree: RegionTree,
    directive_id: int,
    *,
    percent: int,
    note: str = "",
    recipient_id: int | None = None,
    region_code: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Report progress (0-100 %) with a note; 100 % completes the recipient, and the
    directive when every recipient has completed."""
    when = _aware(now) if now else _now()
    clean = _text(note, "note", 4000, False) or ""
    with engine.begin() as conn:
        row, recips, teams = _load(conn, directive_id)
        rec = _pick(actor, tree, recips, teams, recipient_id, region_code)
        try:
            steps = rules.report_progress(
                _state(rec), DirectiveStatus(row.status), percent, clean, when
            )
        except rules.InvalidTransition as exc:
            raise (Invalid if "%" in str(exc) else Conflict)(
                f"cannot report progress: {exc}", field="percent"
            ) from exc
        final = steps[-1].state
        values: dict[str, Any] = {
            "status": final.status.value,
            "progress_percent": final.progress_percent,
            "updated_at": when,
        }
        if rec.acknowledged_at is None:
            values.update(acknowledged_at=when, acknowledged_by=actor.username)
        conn.execute(update(RC).where(RC.id == rec.id).values(**values))
        for step in steps:
            text = clean if step.kind == EventKind.PROGRESS else ""
            if step.kind == EventKind.ACKNOWLEDGE:
                text = "acknowledged with the first progress report"
            _event(
                conn,
                directive_id,
                step.kind,
                text,
                actor.username,
                when,
                rec.id,
                step.progress_percent,
            )
        _refresh_status(conn, directive_id, when)
    return get(engine, actor, tree, directive_id, now=when)


def cancel(
    engine: Engine,
    actor: Actor,
    tree: RegionTree,
    directive_id: int,
    *,
    note: str,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Withdraw an open directive (by its issuing command; a reason is required)."""
    when = _aware(now) if now else _now()
    reason = _text(note, "note", 4000, True) or ""
    with engine.begin() as conn:
        row, _recips, _teams = _load(conn, directive_id)
        _may_manage(actor, row, tree)
        if row.status != DirectiveStatus.OPEN.value:
            raise Conflict(f"directive {directive_id} is {row.status}", field="status")
        conn.execute(
            update(D)
            .where(D.id == directive_id)
            .values(status=DirectiveStatus.CANCELLED.value, updated_at=when)
        )
        _event(conn, directive_id, EventKind.CANCEL, reason, actor.username, when)
    return get(engine, actor, tree, directive_id, now=when)


def _may_manage(actor: Actor, row: Any, tree: RegionTree) -> None:
    authorize(actor, Permission.COMMAND)
    if row.issuer == actor.username or _covers(actor, row.issuer_jurisdiction, tree):
        return
    raise Forbidden(
        f"directive {row.id} was issued by {row.issuer} ({row.issuer_jurisdiction}), "
        f"outside the jurisdiction of {actor.username}"
    )


# --- attachments -----------------------------------------------------------------------------


def safe_filename(name: str) -> str:
    """A display and storage name without directories, control characters or shell
    metacharacters (Chinese characters are kept); Invalid when nothing is left or the
    type is not accepted."""
    base = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")
    base = _UNSAFE.sub("_", base).strip(" ._")
    stem, dot, ext = base.rpartition(".")
    if not dot or not stem:
        raise Invalid(f"the file name {name!r} has no name or extension", field="file")
    ext = "." + ext.lower()
    if ext not in ATTACHMENT_TYPES:
        raise Invalid(
            f"files of type {ext} are not accepted; accepted: "
            + ", ".join(sorted(ATTACHMENT_TYPES)),
            field="file",
        )
    return f"{stem[:120]}{ext}"


def _attachment_dict(a: Any) -> dict[str, Any]:
    return {
        "id": a.id,
        "filename": a.filename,
        "content_type": a.content_type,
        "size_bytes": a.size_bytes,
        "sha256": a.sha256,
        "actor": a.actor,
        "created_at": _iso(a.created_at),
        "url": f"/api/v1/directives/{a.directive_id}/attachments/{a.id}",
    }


def add_attachment(
    engine: Engine,
    settings: Settings,
    actor: Actor,
    tree: RegionTree,
    directive_id: int,
    *,
    filename: str,
    stream: IO[bytes],
    max_bytes: int = MAX_ATTACHMENT_BYTES,
) -> dict[str, Any]:
    """Store a file for a directive (its issuing command only): copied in blocks to
    ``<var_dir>/attachments/<id>/``, hashed with SHA-256; Invalid when empty, too large
    or of a type not accepted. The media type comes from the extension, not the
    client."""
    name = safe_filename(filename)
    with engine.connect() as conn:
        row, _r, _t = _load(conn, directive_id)
        count = conn.execute(
            select(func.count()).select_from(AT).where(AT.directive_id == directive_id)
        ).scalar_one()
    _may_manage(actor, row, tree)
    if count >= MAX_ATTACHMENTS:
        raise Conflict(f"a directive has at most {MAX_ATTACHMENTS} attachments", field="file")
    folder = settings.var_dir / "attachments" / str(directive_id)
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    with tempfile.NamedTemporaryFile(dir=folder, prefix=".upload-", delete=False) as tmp:
        tmp_path = Path(tmp.name)
        try:
            while block := stream.read(1 << 20):
                size += len(block)
                if size > max_bytes:
                    raise Invalid(
                        f"attachments are limited to {max_bytes / 2**20:g} MB", field="file"
                    )
                digest.update(block)
                tmp.write(block)
        except BaseException:
            tmp.close()
            tmp_path.unlink(missing_ok=True)
            raise
    if size == 0:
        tmp_path.unlink(missing_ok=True)
        raise Invalid("the file is empty", field="file")
    sha = digest.hexdigest()
    target = folder / f"{sha[:16]}-{name}"
    shutil.move(str(tmp_path), target)
    when = _now()
    media = ATTACHMENT_TYPES[Path(name).suffix.lower()]
    try:
        with engine.begin() as conn:
            new_id = conn.execute(
                insert(AT)
                .values(
                    directive_id=directive_id,
                    filename=name,
                    content_type=media,
                    size_bytes=size,
                    sha256=sha,
                    stored_path=str(target.relative_to(settings.var_dir)),
                    actor=actor.username,
                    created_at=when,
                )
                .returning(AT.id)
            ).scalar_one()
            _event(
                conn,
                directive_id,
                EventKind.ATTACH,
                f"{name} ({size} bytes, sha256 {sha})",
                actor.username,
                when,
            )
            stored = conn.execute(select(AT).where(AT.id == new_id)).one()
    except Exception:
        target.unlink(missing_ok=True)
        raise
    return _attachment_dict(stored)


def attachment_file(
    engine: Engine,
    settings: Settings,
    actor: Actor,
    tree: RegionTree,
    directive_id: int,
    attachment_id: int,
) -> tuple[Path, str, str]:
    """The stored file of an attachment the caller may read: (path, name, media type)."""
    authorize(actor, Permission.READ_AGGREGATE)
    with engine.connect() as conn:
        row, recips, teams = _load(conn, directive_id)
        if not _may_read(actor, row, recips, teams, tree):
            raise Forbidden(
                f"directive {directive_id} is outside the jurisdiction of {actor.username}"
            )
        att = conn.execute(
            select(AT).where(AT.id == attachment_id, AT.directive_id == directive_id)
        ).first()
    if att is None:
        raise NotFound(f"no attachment {attachment_id} of directive {directive_id}", "id")
    root = settings.var_dir.resolve()
    path = (settings.var_dir / att.stored_path).resolve()
    if root not in path.parents or not path.is_file():
        raise NotFound(f"the file of attachment {attachment_id} is missing", field="id")
    return path, att.filename, att.content_type
