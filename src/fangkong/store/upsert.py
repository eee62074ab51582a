"""Dialect-aware ``INSERT … ON CONFLICT DO UPDATE`` for SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite


def _insert(conn: Connection, table: Table) -> Any:
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def upsert_rows(
    conn: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    key: Sequence[str],
    chunk: int = 5000,
) -> None:
    """Insert ``rows``; where ``key`` already exists, overwrite the other columns."""
    if not rows:
        return
    for start in range(0, len(rows), chunk):
        part = rows[start : start + chunk]
        stmt = _insert(conn, table)
        updates = {c: stmt.excluded[c] for c in part[0] if c not in key}
        stmt = stmt.on_conflict_do_update(index_elements=list(key), set_=updates)
        conn.execute(stmt, list(part))


def insert_ignore(
    conn: Connection, table: Table, rows: Sequence[dict[str, Any]], key: Sequence[str]
) -> None:
    """Insert ``rows``, skipping those whose ``key`` exists already."""
    if rows:
        stmt = _insert(conn, table).on_conflict_do_nothing(index_elements=list(key))
        conn.execute(stmt, list(rows))
