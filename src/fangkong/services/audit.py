"""The audit log: recording reads of personal data and exports, listing, verifying.

Writes are recorded without any call from here: the engine hook of
:mod:`fangkong.store.audit` appends an entry in the same transaction as every write
(route-level meaning comes from the origin the API sets per request; imports, personal
reads and exports add explicit entries). This module adds what a hook cannot see —
reads (:func:`record`) — and the administrator's views of the log: :func:`list_entries`
(filtered, paged, newest first) and :func:`verify` (recompute the hash chain,
``core.privacy.audit_log``).

**Checkpoint.** Every verification that passes moves the checkpoint
(``audit_checkpoint``) to the last entry it checked, with its hash and time (and, for a
full one, the time of the last full verification). :func:`verify_incremental` — the
console's check on every load — then re-hashes the checkpoint entry and checks only
the entries appended since: its cost grows with the new entries, not with the log.
:func:`verify` (``fangkong audit verify``, ``GET /api/v1/audit/verify``, the console's
"verify the whole chain") walks every entry, which is what finds an old entry edited
(see ``core.privacy.audit_log``, "Incremental verification"). A verification that finds
a problem leaves the checkpoint where it was.

Actions recorded explicitly: ``case.read_personal`` (a read that returned personal
fields of case records, with the record ids), ``line_list.export`` (who, the filter,
the row count and the SHA-256 of the file), ``import.run`` (an import finished, with
the file's SHA-256 and its counts), ``import.read_personal`` (an import report that
showed rejected values which may be personal: the import, lines and columns),
``session.login_failed`` (a refused login: the
username attempted, the client address, the reason — never the password). Every other
entry is named after its origin: the
API route (``<resource>.<endpoint>``, e.g. ``users.create_user``,
``bulletins.publish_bulletin``), the CLI command (``cli.<group>.<command>``), or
``write`` for a service called directly (actor ``system:<os user>``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Engine, func, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from fangkong.core.access import Actor, Permission, has_permission
from fangkong.core.privacy.audit_log import (
    GENESIS,
    ChainEntry,
    ChainProblem,
    ChainReport,
    check_checkpoint,
    utc_text,
    verify_chain,
)
from fangkong.services.errors import Forbidden, Invalid
from fangkong.store import audit as hook

LOG = hook.LOG
HEAD = hook.HEAD
CHECKPOINT = hook.CHECKPOINT
_LOG = logging.getLogger(__name__)
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


class LoginFailure(StrEnum):
    """Why a login was refused, as recorded by :func:`record_failed_login` (never shown
    to the caller, who gets the same answer whatever the reason)."""

    UNKNOWN_USER = "unknown_user"
    WRONG_PASSWORD = "wrong_password"
    DISABLED = "disabled"
    THROTTLED = "throttled"
    CSRF = "csrf"


#: Longest username kept in a ``session.login_failed`` entry (an account name is at most
#: 64 characters; anything longer is not one).
MAX_ATTEMPTED_NAME = 64


def record_failed_login(
    engine: Engine,
    *,
    username: str,
    client: str,
    reason: LoginFailure,
    via: str,
    retry_after: int | None = None,
) -> None:
    """One ``session.login_failed`` entry: the username attempted (normalised, cut to
    :data:`MAX_ATTEMPTED_NAME` characters), the client address, the ``reason`` (one of
    :class:`LoginFailure`) and how the login came (``json`` or ``form``). The password
    is never passed here, so it cannot be stored. The actor is the request's origin
    (``anonymous`` for a login). Successful logins are recorded by the request's own
    write (``session.login``, actor the user: ``fangkong.api.audit``)."""
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


def _entry(row: Any) -> ChainEntry:
    return ChainEntry(
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


def _stream(conn: Connection, after: int = 0) -> Iterator[ChainEntry]:
    query = select(LOG).where(LOG.c.id > after).order_by(LOG.c.id)
    for row in conn.execution_options(yield_per=2000).execute(query):
        yield _entry(row)


def _head(conn: Connection) -> tuple[int, str] | None:
    row = conn.execute(select(HEAD.c.last_id, HEAD.c.last_hash).where(HEAD.c.id == 1)).first()
    return (int(row.last_id), str(row.last_hash)) if row is not None else None


def _walk(
    engine: Engine,
    *,
    start: tuple[int, str] = (0, GENESIS),
    anchors: Mapping[int, str] | None = None,
    checkpoint: tuple[int, str] | None = None,
) -> ChainReport:
    """Recompute the chain after ``start`` (streaming, in id order; for a checkpoint,
    its entry is re-hashed first) against its head, ``anchors`` and (a full walk) the
    ``checkpoint``; the first problem is reported. Writers may go on meanwhile: the
    head is read before and after."""
    with engine.connect() as conn, engine.connect() as reader:
        before = _head(conn)
        if before is None:
            return ChainReport(0, 0, "", ChainProblem(0, "head", "the chain head row is missing"))
        if start[0] > 0:
            row = conn.execute(select(LOG).where(LOG.c.id == start[0])).first()
            problem = check_checkpoint(_entry(row) if row is not None else None, start)
            if problem is not None:
                return ChainReport(0, 0, "", problem, first_id=start[0])

        def locate(digest: str) -> int | None:
            found = conn.execute(select(LOG.c.id).where(LOG.c.hash == digest)).scalar()
            return int(found) if found is not None else None

        def after() -> tuple[int, str] | None:
            conn.rollback()  # a fresh snapshot
            return _head(conn)

        return verify_chain(
            _stream(reader, start[0]),
            head=before,
            head_after=after,
            anchors=anchors,
            locate=locate,
            start=start,
            checkpoint=checkpoint,
        )


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """How far the chain was verified: the last entry checked (0 before any
    verification passed), its hash and when; the last full verification."""

    entry_id: int
    entry_hash: str
    verified_at: datetime | None
    full_entry_id: int | None
    full_verified_at: datetime | None


@dataclass(frozen=True, slots=True)
class Verification:
    """A verification: its report, whether it walked the whole chain, when it ran,
    and the checkpoint as it stands after it."""

    report: ChainReport
    full: bool
    checked_at: datetime
    checkpoint: Checkpoint | None


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def read_checkpoint(engine: Engine) -> Checkpoint | None:
    """The checkpoint row; None when it is missing (then everything is verified)."""
    with engine.connect() as conn:
        row = conn.execute(select(CHECKPOINT).where(CHECKPOINT.c.id == 1)).first()
    if row is None:
        return None
    return Checkpoint(
        int(row.entry_id),
        str(row.entry_hash),
        _aware(row.verified_at),
        int(row.full_entry_id) if row.full_entry_id is not None else None,
        _aware(row.full_verified_at),
    )


def _save_checkpoint(engine: Engine, report: ChainReport, *, full: bool, at: datetime) -> None:
    """Move the checkpoint to the last entry of a verification that passed — never
    back (a slower verification that ended earlier does not undo a later one). A
    database that refuses the write (read-only, not migrated yet) keeps its checkpoint:
    the verification's answer stands without it."""
    c = CHECKPOINT.c
    try:
        with engine.begin() as conn:
            conn.execute(
                update(CHECKPOINT)
                .where(c.id == 1, c.entry_id <= report.last_id)
                .values(entry_id=report.last_id, entry_hash=report.last_hash, verified_at=at)
            )
            if full:
                conn.execute(
                    update(CHECKPOINT)
                    .where(
                        c.id == 1,
                        or_(c.full_entry_id.is_(None), c.full_entry_id <= report.last_id),
                    )
                    .values(full_entry_id=report.last_id, full_verified_at=at)
                )
    except SQLAlchemyError as exc:
        _LOG.warning("the audit checkpoint was not moved on: %s", exc)


def _verified(
    engine: Engine,
    checkpoint: Checkpoint | None,
    *,
    full: bool,
    anchors: Mapping[int, str] | None = None,
) -> Verification:
    at = datetime.now(UTC)
    mark = None
    if checkpoint is not None and checkpoint.entry_id > 0:
        mark = (checkpoint.entry_id, checkpoint.entry_hash)
    if full or mark is None:
        full = True
        report = _walk(engine, anchors=anchors, checkpoint=mark)
    else:
        report = _walk(engine, start=mark)
    if report.ok:
        _save_checkpoint(engine, report, full=full, at=at)
    return Verification(report, full, at, read_checkpoint(engine))


def verify_full(engine: Engine, *, anchors: Mapping[int, str] | None = None) -> Verification:
    """Recompute the whole chain against its head, ``anchors`` (entry id → hash
    recorded earlier) and the checkpoint (the entry verified last must still be there
    with its hash then); when it is intact the checkpoint moves to its last entry."""
    return _verified(engine, read_checkpoint(engine), full=True, anchors=anchors)


def verify_incremental(engine: Engine) -> Verification:
    """Re-hash the checkpoint entry and check only the entries after it (the whole
    chain when no verification passed yet). Cheap enough for every look at the log; it
    does not re-read the entries before the checkpoint, so run :func:`verify_full` too
    (module docstring)."""
    return _verified(engine, read_checkpoint(engine), full=False)


def verify(engine: Engine, *, anchors: Mapping[int, str] | None = None) -> ChainReport:
    """The report of :func:`verify_full`: every entry, in id order, against the head
    and ``anchors``; the first problem is reported."""
    return verify_full(engine, anchors=anchors).report


def verify_for(
    engine: Engine, actor: Actor, *, anchors: Mapping[int, str] | None = None
) -> ChainReport:
    """:func:`verify` for a user, who needs ``READ_AUDIT``."""
    _require(actor, Permission.READ_AUDIT)
    return verify(engine, anchors=anchors)


def check_for(engine: Engine, actor: Actor, *, full: bool = False) -> Verification:
    """The console's verification for a user with ``READ_AUDIT``: incremental unless
    ``full``."""
    _require(actor, Permission.READ_AUDIT)
    return verify_full(engine) if full else verify_incremental(engine)


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
