"""The audit log: recording reads of personal data and exports, listing, verifying.

Writes are recorded without any call from here: the engine hook of
:mod:`fangkong.store.audit` appends an entry in the same transaction as every write
(route-level meaning comes from the origin the API sets per request; imports, personal
reads and exports add explicit entries). This module adds what a hook cannot see —
reads (:func:`record`) — and the administrator's views of the log: :func:`list_entries`
(filtered, paged, newest first) and :func:`verify` (recompute the hash chain,
``core.privacy.audit_log``).

Actions recorded explicitly: ``case.read_personal`` (a read that returned personal
fields of case records, with the record ids), ``line_list.export`` (who, the filter,
the row count and the SHA-256 of the file), ``import.run`` (an import finished, with
the file's SHA-256 and its counts), ``session.login_failed`` (a refused login: the
username attempted, the client address, the reason — never the password). Every other
entry is named after its origin: the
API route (``<resource>.<endpoint>``, e.g. ``users.create_user``,
``bulletins.publish_bulletin``), the CLI command (``cli.<group>.<command>``), or
``write`` for a service called directly (actor ``system:<os user>``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from fangkong.core.access import Actor, Permission, has_permission
from fangkong.core.privacy.audit_log import (
    ChainEntry,
    ChainProblem,
    ChainReport,
    utc_text,
    verify_chain,
)
from fangkong.services.errors import Forbidden, Invalid
from fangkong.store import audit as hook

LOG = hook.LOG
HEAD = hook.HEAD
#: Most entries one page lists.
MAX_PAGE = 500
#: Most record ids kept in one ``case.read_personal`` entry (the count is always kept).
MAX_RECORD_IDS = 5000


def _require(actor: Actor, permission: Permission) -> None:
    if not has_permission(actor.role, permission):
        raise Forbidden(
            f"{actor.username} ({actor.role.value}) lacks the permission {permission.value}"
        )


def record(
    engine: Engine,
    actor: Actor | None,
    action: str,
    target_type: str,
    target_id: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> None:
    """Append one entry now, in a transaction of its own (a read of personal data, an
    export). Call it before handing the data out: if the entry cannot be stored, the
    caller fails and nothing is disclosed unrecorded."""
    with engine.begin() as conn:
        hook.note(
            conn,
            action,
            target_type,
            target_id,
            details,
            actor=actor.username if actor is not None else None,
        )


def record_personal_read(
    engine: Engine,
    actor: Actor,
    record_ids: Sequence[int],
    *,
    scope: str,
    filters: Mapping[str, Any] | None = None,
) -> None:
    """One ``case.read_personal`` entry for a request that returned the personal fields
    of ``record_ids`` (``case_records.id``) within ``scope`` (a region code or ``*``)."""
    ids = sorted(record_ids)
    details: dict[str, Any] = {"count": len(ids), "record_ids": ids[:MAX_RECORD_IDS]}
    if filters:
        details["filters"] = {k: v for k, v in filters.items() if v is not None}
    record(engine, actor, "case.read_personal", "case_records", scope, details)


#: Why a login was refused, as recorded by :func:`record_failed_login`.
LOGIN_FAILURES = frozenset({"unknown_user", "wrong_password", "disabled", "throttled", "csrf"})
#: Longest username kept in a ``session.login_failed`` entry (an account name is at most
#: 64 characters; anything longer is not one).
MAX_ATTEMPTED_NAME = 64


def record_failed_login(
    engine: Engine,
    *,
    username: str,
    client: str,
    reason: str,
    via: str,
    retry_after: int | None = None,
) -> None:
    """One ``session.login_failed`` entry: the username attempted (normalised, cut to
    :data:`MAX_ATTEMPTED_NAME` characters), the client address, the ``reason`` (one of
    :data:`LOGIN_FAILURES`) and how the login came (``json`` or ``form``). The password
    is never passed here, so it cannot be stored. The actor is the request's origin
    (``anonymous`` for a login). Successful logins are recorded by the request's own
    write (``session.login``, actor the user: ``fangkong.api.audit``)."""
    if reason not in LOGIN_FAILURES:
        raise ValueError(f"unknown login failure {reason!r}")
    name = username[:MAX_ATTEMPTED_NAME]
    details: dict[str, Any] = {"username": name, "client": client, "reason": reason, "via": via}
    if retry_after is not None:
        details["retry_after"] = retry_after
    record(engine, None, "session.login_failed", "session", name or None, details)


def _item(row: Any) -> dict[str, Any]:
    try:
        details = json.loads(row.details)
    except ValueError:
        details = {"unreadable": row.details}
    return {
        "id": int(row.id),
        "occurred_at": utc_text(row.occurred_at),
        "actor": row.actor,
        "action": row.action,
        "target_type": row.target_type,
        "target_id": row.target_id,
        "details": details,
        "prev_hash": row.prev_hash,
        "hash": row.hash,
    }


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def list_entries(
    engine: Engine,
    actor: Actor,
    *,
    who: str | None = None,
    action: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    limit: int = 50,
    offset: int = 0,
) -> dict[str, Any]:
    """Entries newest first. ``who`` matches the actor exactly; ``action`` matches the
    action or, ending in ``.`` or ``*``, its prefix (``cases.``); dates are UTC days,
    both inclusive. Needs ``READ_AUDIT``."""
    _require(actor, Permission.READ_AUDIT)
    if not 1 <= limit <= MAX_PAGE:
        raise Invalid(f"limit must lie in [1, {MAX_PAGE}]", field="limit")
    if offset < 0:
        raise Invalid("offset cannot be negative", field="offset")
    if date_from and date_to and date_from > date_to:
        raise Invalid("date_from is after date_to", field="date_from")
    query = select(LOG)
    if who:
        query = query.where(LOG.c.actor == who)
    if action:
        if action.endswith(("*", ".")):
            prefix = action.rstrip("*")
            escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query = query.where(LOG.c.action.like(escaped + "%", escape="\\"))
        else:
            query = query.where(LOG.c.action == action)
    if date_from:
        query = query.where(LOG.c.occurred_at >= _day_start(date_from))
    if date_to:
        query = query.where(LOG.c.occurred_at < _day_start(date_to + timedelta(days=1)))
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        rows = conn.execute(query.order_by(LOG.c.id.desc()).limit(limit).offset(offset)).all()
    return {
        "items": [_item(r) for r in rows],
        "total": int(total),
        "limit": limit,
        "offset": offset,
    }


def _stream(conn: Connection) -> Iterator[ChainEntry]:
    result = conn.execution_options(yield_per=2000).execute(select(LOG).order_by(LOG.c.id))
    for row in result:
        yield ChainEntry(
            id=int(row.id),
            occurred_at=utc_text(row.occurred_at),
            actor=row.actor,
            action=row.action,
            target_type=row.target_type,
            target_id=row.target_id,
            details=row.details,
            prev_hash=row.prev_hash,
            hash=row.hash,
        )


def _head(conn: Connection) -> tuple[int, str] | None:
    row = conn.execute(select(HEAD.c.last_id, HEAD.c.last_hash).where(HEAD.c.id == 1)).first()
    return (int(row.last_id), str(row.last_hash)) if row is not None else None


def verify(engine: Engine, *, anchors: Mapping[int, str] | None = None) -> ChainReport:
    """Recompute the whole chain (streaming, in id order) against its head and
    ``anchors`` (entry id → hash recorded earlier); the first problem is reported.
    Writers may go on meanwhile: the head is read before and after the walk."""
    with engine.connect() as conn, engine.connect() as reader:
        before = _head(conn)
        if before is None:
            return ChainReport(0, 0, "", ChainProblem(0, "head", "the chain head row is missing"))

        def locate(digest: str) -> int | None:
            found = conn.execute(select(LOG.c.id).where(LOG.c.hash == digest)).scalar()
            return int(found) if found is not None else None

        def after() -> tuple[int, str] | None:
            conn.rollback()  # a fresh snapshot
            return _head(conn)

        return verify_chain(
            _stream(reader), head=before, head_after=after, anchors=anchors, locate=locate
        )


def verify_for(
    engine: Engine, actor: Actor, *, anchors: Mapping[int, str] | None = None
) -> ChainReport:
    """:func:`verify` for a user, who needs ``READ_AUDIT``."""
    _require(actor, Permission.READ_AUDIT)
    return verify(engine, anchors=anchors)


def parse_anchor(text: str) -> tuple[int, str]:
    """``ID:HASH`` (as printed by ``fangkong audit verify``) as a pair."""
    entry, _, digest = text.partition(":")
    digest = digest.strip().lower()
    if (
        not entry.strip().isdigit()
        or len(digest) != 64
        or any(c not in "0123456789abcdef" for c in digest)
    ):
        raise Invalid(f"an anchor is ID:SHA256 (64 hex digits), not {text!r}", field="anchor")
    return int(entry), digest
