"""Every write is recorded in the audit log, in the same transaction as the write.

**The central hook.** :func:`install` (called by ``store.db.make_engine``, so every
engine of the product has it) listens to three engine events:

* ``after_cursor_execute`` — an ``INSERT``, ``UPDATE`` or ``DELETE`` on a table of the
  schema is counted per table and operation (and the columns an ``UPDATE`` sets);
* ``after_execute`` — rows inserted into ``revisions`` (the product's before/after
  record of corrected values) are kept, up to :data:`MAX_CHANGES`, as the entry's
  ``changes``;
* ``commit`` — *before* the database commits, the transaction's entries are appended
  to the chain: the explicit ones queued by :func:`note`, or, when rows were written
  and nothing was noted, one entry describing the transaction. The entry and the write
  commit together or not at all; if the entry cannot be stored the commit fails (fail
  closed: no unaudited write).

This catches every write whatever its path — API route, console form (the console
writes through the API), CLI command, import worker thread, or a service called
directly — without each of the ~50 write use cases having to remember a call, which is
why it was chosen over per-service calls. Services add meaning where the generic entry
lacks it with :func:`note` (imports with the file hash, reads of personal fields,
line-list exports). Writes made on the raw driver connection (the ``COPY`` of
``store.bulk``) bypass engine events and are reported with :func:`note_write`.
Transactions that write ``alembic_version`` are schema migrations and are not audited.

**Who and what.** The entry's actor, action and target come from the *origin* of the
work: an origin set for the current context with :func:`set_origin` (the API sets one
per request: the signed-in user, the route), else the first registered provider that
knows one (:func:`register_origin_provider`; the CLI registers ``cli:<os user>`` and the
command), else ``system:<os user>``.

**Appending** (:func:`append`) locks the one-row chain head (PostgreSQL ``SELECT … FOR
UPDATE``; SQLite takes its database write lock with a no-op ``UPDATE`` of the head), so
concurrent writers queue and the chain cannot fork; the lock is taken last in each
transaction and held only until its commit, which rules out deadlocks with the row
locks of the writes themselves. Each entry gets ``id = last_id + 1`` and the hash of
``core.privacy.audit_log``; the head is advanced to it. The database refuses anything
else (triggers of migration 0006).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, event, insert, select, update
from sqlalchemy.sql.dml import Delete, Insert, Update, UpdateBase

from fangkong.core.privacy.audit_log import ChainEntry, canonical_json, recomputed_hash, utc_text
from fangkong.store import changes
from fangkong.store import models as m
from fangkong.store.origin import (
    Origin,
    current_origin,
    os_user,
    register_origin_provider,
    reset_origin,
    set_origin,
)

__all__ = [
    "Origin",
    "append",
    "current_origin",
    "install",
    "note",
    "note_write",
    "os_user",
    "register_origin_provider",
    "reset_origin",
    "set_origin",
]

LOG = m.table_of(m.AuditLogRow)
HEAD = m.table_of(m.AuditChainHeadRow)
CHECKPOINT = m.table_of(m.AuditCheckpointRow)
#: The log's own tables and the change counter (never counted as audited writes; a
#: verification that moves the checkpoint on is not itself an entry, or every look at
#: the log would lengthen it).
AUDIT_TABLES = frozenset({LOG.name, HEAD.name, CHECKPOINT.name, changes.CHANGES.name})
#: A transaction writing this table is a schema migration.
MIGRATION_TABLE = "alembic_version"
#: Most before/after values kept in one entry (the rest are counted).
MAX_CHANGES = 20
#: Longest text of one kept value.
MAX_VALUE = 200
_STATE = "fangkong_audit"
_FLUSHING = "fangkong_audit_flushing"
_DML = re.compile(
    r"^\s*(INSERT|UPDATE|DELETE|REPLACE)\s+(?:OR\s+\w+\s+)?(?:INTO\s+|FROM\s+)?(?:ONLY\s+)?"
    r'"?([A-Za-z_][A-Za-z0-9_]*)"?',
    re.IGNORECASE,
)
_RETURNING = re.compile(r"\bRETURNING\b", re.IGNORECASE)
_OPS: dict[type[UpdateBase], str] = {Insert: "insert", Update: "update", Delete: "delete"}


@dataclass(slots=True)
class Note:
    """An explicit entry queued in a transaction (see :func:`note`)."""

    action: str
    target_type: str
    target_id: str | None
    details: dict[str, Any]
    actor: str | None = None


@dataclass(slots=True)
class _Pending:
    writes: dict[str, dict[str, int]] = field(default_factory=dict)
    columns: dict[str, set[str]] = field(default_factory=dict)
    changes: list[dict[str, Any]] = field(default_factory=list)
    changes_total: int = 0
    notes: list[Note] = field(default_factory=list)
    migration: bool = False

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.writes:
            writes: dict[str, Any] = {}
            for table in sorted(self.writes):
                counts: dict[str, Any] = dict(sorted(self.writes[table].items()))
                if table in self.columns:
                    counts["columns"] = sorted(self.columns[table])
                writes[table] = counts
            out["writes"] = writes
        if self.changes:
            out["changes"] = self.changes
            if self.changes_total > len(self.changes):
                out["changes_total"] = self.changes_total
        return out


_TRACKED: frozenset[str] = frozenset(m.Base.metadata.tables) - AUDIT_TABLES


def _pending(conn: Connection) -> _Pending:
    state: _Pending | None = conn.info.get(_STATE)
    if state is None:
        state = conn.info[_STATE] = _Pending()
    return state


def note(
    conn: Connection,
    action: str,
    target_type: str,
    target_id: str | None = None,
    details: Mapping[str, Any] | None = None,
    *,
    actor: str | None = None,
) -> None:
    """Queue an entry for the transaction of ``conn``; appended at its commit (and
    forgotten if it rolls back). The first entry noted also carries the counts of the
    rows the transaction wrote. ``actor`` is used when the origin is not authoritative
    (a service called directly); run it in ``engine.begin()``."""
    _pending(conn).notes.append(Note(action, target_type, target_id, dict(details or {}), actor))


def note_write(conn: Connection, table: str, operation: str, rows: int) -> None:
    """Count ``rows`` written to ``table`` by ``operation`` outside the engine's events
    (raw driver calls such as ``COPY``)."""
    if rows > 0 and table in _TRACKED:
        counts = _pending(conn).writes.setdefault(table, {})
        counts[operation] = counts.get(operation, 0) + rows


def _classify(statement: str, context: Any) -> tuple[str, str] | None:
    compiled = getattr(context, "compiled", None)
    element = getattr(compiled, "statement", None)
    if isinstance(element, UpdateBase):
        table = getattr(getattr(element, "table", None), "name", None)
        for kind, operation in _OPS.items():
            if isinstance(element, kind) and table:
                return operation, str(table)
    match = _DML.match(statement)
    if match is None:
        return None
    operation = match.group(1).lower()
    return ("insert" if operation == "replace" else operation), match.group(2).lower()


def _after_cursor_execute(
    conn: Connection,
    cursor: Any,
    statement: str,
    parameters: Any,
    context: Any,
    executemany: bool,
) -> None:
    if conn.info.get(_FLUSHING):
        return
    found = _classify(statement, context)
    if found is None:
        return
    operation, table = found
    if table == MIGRATION_TABLE:
        _pending(conn).migration = True
        return
    if table not in _TRACKED:
        return
    rows = cursor.rowcount
    if rows is None or rows < 0 or (rows == 0 and _RETURNING.search(statement)):
        # Unknown: sqlite3 counts the rows of "… RETURNING" only once they are fetched.
        rows = len(parameters) if executemany and parameters is not None else 1
    if rows == 0:
        return
    state = _pending(conn)
    counts = state.writes.setdefault(table, {})
    counts[operation] = counts.get(operation, 0) + rows
    if operation == "update":
        element = getattr(getattr(context, "compiled", None), "statement", None)
        values = getattr(element, "_values", None) or {}
        names = {str(getattr(k, "key", k)) for k in values}
        if names:
            state.columns.setdefault(table, set()).update(names)


def _plain(value: Any) -> Any:
    value = getattr(value, "value", value)  # a bound parameter of .values(...)
    if value is None or isinstance(value, int | float | bool):
        return value
    return str(value)[:MAX_VALUE]


def _revision_rows(element: Insert, multiparams: Any, params: Any) -> list[dict[str, Any]]:
    rows: list[Mapping[str, Any]] = []
    if multiparams:
        rows = [p for p in multiparams if isinstance(p, Mapping)]
    elif isinstance(params, Mapping) and params:
        rows = [params]
    else:
        values = getattr(element, "_values", None)
        if values:
            rows = [{str(getattr(k, "key", k)): v for k, v in values.items()}]
    return [
        {
            "entity": _plain(r.get("entity")),
            "key": _plain(r.get("entity_key")),
            "field": _plain(r.get("field")),
            "old": _plain(r.get("old_value")),
            "new": _plain(r.get("new_value")),
        }
        for r in rows
    ]


def _after_execute(
    conn: Connection,
    element: Any,
    multiparams: Any,
    params: Any,
    execution_options: Any,
    result: Any,
) -> None:
    if conn.info.get(_FLUSHING) or not isinstance(element, Insert):
        return
    if getattr(element.table, "name", None) != m.table_of(m.RevisionRow).name:
        return
    state = _pending(conn)
    rows = _revision_rows(element, multiparams, params)
    state.changes_total += len(rows)
    room = MAX_CHANGES - len(state.changes)
    if room > 0:
        state.changes.extend(rows[:room])


def _on_begin(conn: Connection) -> None:
    conn.info.pop(_STATE, None)


def _on_rollback(conn: Connection) -> None:
    conn.info.pop(_STATE, None)


@dataclass(frozen=True, slots=True)
class Entry:
    """An entry to append: everything but its position and hash."""

    actor: str
    action: str
    target_type: str
    target_id: str | None
    details: Mapping[str, Any]


def _entries(state: _Pending, origin: Origin) -> list[Entry]:
    summary = state.summary()
    context = dict(origin.context)
    entries: list[Entry] = []
    if state.notes:
        for n, queued in enumerate(state.notes):
            details = dict(queued.details)
            if n == 0:
                details.update(summary)
            if context:
                details["context"] = context
            actor = origin.actor
            if not origin.authoritative and queued.actor:
                actor = queued.actor
            entries.append(
                Entry(actor, queued.action, queued.target_type, queued.target_id, details)
            )
    elif state.writes:
        details = dict(summary)
        if context:
            details["context"] = context
        entries.append(
            Entry(origin.actor, origin.action, origin.target_type, origin.target_id, details)
        )
    return entries


def _on_commit(conn: Connection) -> None:
    state: _Pending | None = conn.info.pop(_STATE, None)
    if state is None or state.migration or (not state.notes and not state.writes):
        return
    origin = current_origin()
    entries = _entries(state, origin)
    conn.info[_FLUSHING] = True
    try:
        append(conn, entries)
        # Under the head's lock, so in commit order (see fangkong.store.changes).
        changes.bump(conn, state.writes.keys())
    finally:
        conn.info.pop(_FLUSHING, None)
    if origin.on_append is not None:
        origin.on_append(len(entries))


#: The statements of an append, built once (compiled once, then cached).
_HEAD = select(HEAD.c.last_id, HEAD.c.last_hash).where(HEAD.c.id == 1)
_HEAD_FOR_UPDATE = _HEAD.with_for_update()
_TAKE_WRITE_LOCK = update(HEAD).where(HEAD.c.id == 1).values(last_id=HEAD.c.last_id)
_INSERT = insert(LOG)
_ADVANCE = (
    update(HEAD)
    .where(HEAD.c.id == 1)
    .values(last_id=bindparam("new_id"), last_hash=bindparam("new_hash"))
)


def _lock_head(conn: Connection) -> tuple[int, str]:
    if conn.dialect.name == "postgresql":
        query = _HEAD_FOR_UPDATE
    else:
        # SQLite: a write takes the database's write lock before the head is read.
        conn.execute(_TAKE_WRITE_LOCK)
        query = _HEAD
    row = conn.execute(query).first()
    if row is None:
        raise RuntimeError("the audit chain head is missing: run `fangkong db upgrade`")
    return int(row.last_id), str(row.last_hash)


def _cut(text: str | None, length: int) -> str | None:
    return None if text is None else text[:length]


def append(conn: Connection, entries: Iterable[Entry]) -> list[tuple[int, str]]:
    """Append ``entries`` to the chain in the transaction of ``conn`` (locking the
    head until it commits); returns their ids and hashes."""
    items = list(entries)
    if not items:
        return []
    flushing = conn.info.get(_FLUSHING)
    conn.info[_FLUSHING] = True
    try:
        last_id, last_hash = _lock_head(conn)
        appended: list[tuple[int, str]] = []
        for item in items:
            occurred = datetime.now(UTC)
            entry = ChainEntry(
                id=last_id + 1,
                occurred_at=utc_text(occurred),
                actor=_cut(item.actor, 128) or "?",
                action=_cut(item.action, 96) or "?",
                target_type=_cut(item.target_type, 64) or "-",
                target_id=_cut(item.target_id, 256),
                details=canonical_json(dict(item.details)),
                prev_hash=last_hash,
                hash="",
            )
            digest = recomputed_hash(entry)
            conn.execute(_INSERT, {**entry.fields(), "occurred_at": occurred, "hash": digest})
            conn.execute(_ADVANCE, {"new_id": entry.id, "new_hash": digest})
            last_id, last_hash = entry.id, digest
            appended.append((last_id, digest))
        return appended
    finally:
        if not flushing:
            conn.info.pop(_FLUSHING, None)


def install(engine: Engine) -> None:
    """Attach the audit hook to ``engine`` (idempotent)."""
    hooks: tuple[tuple[str, Callable[..., Any]], ...] = (
        ("begin", _on_begin),
        ("after_cursor_execute", _after_cursor_execute),
        ("after_execute", _after_execute),
        ("commit", _on_commit),
        ("rollback", _on_rollback),
    )
    for name, hook in hooks:
        if not event.contains(engine, name, hook):
            event.listen(engine, name, hook)
