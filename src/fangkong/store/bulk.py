"""Set-based upsert of case records with revisions, for SQLite and PostgreSQL.

A batch of case rows (values in :data:`fangkong.core.cases.CASE_FIELDS` order, dates as
ISO text) is loaded into a session-private TEMP staging table — PostgreSQL by
``COPY … FROM STDIN`` (psycopg 3 ``cursor.copy``), SQLite by ``executemany`` on the
driver connection — and merged with a handful of statements:

1. one ``INSERT … SELECT … ON CONFLICT (source, case_id) DO NOTHING`` adds new rows;
2. when some keys existed already, rows whose values differ are collected (NULL-safe
   comparison: ``IS DISTINCT FROM`` on PostgreSQL, ``IS NOT`` on SQLite);
3. for each field, one ``INSERT … SELECT`` writes a revision per changed value
   (entity ``case_record``, key ``source|case_id``, old and new text);
4. one ``UPDATE … FROM`` applies the changes.

Steps 2-4 are skipped when every staged key was new (a first import). The caller owns
the transaction, so one batch commits or vanishes as a whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from fangkong.core.cases import CASE_FIELDS
from fangkong.store import audit

STAGE = "case_stage"
CHANGED = "case_changed"
KEY = ("source", "case_id")
_TYPES = {
    "source": "VARCHAR(64)",
    "case_id": "VARCHAR(64)",
    "region_code": "VARCHAR(16)",
    "classification": "VARCHAR(24)",
    "onset_date": "DATE",
    "confirmation_date": "DATE",
    "report_date": "DATE",
    "imported": "BOOLEAN",
    "origin": "VARCHAR(128)",
    "severity": "VARCHAR(16)",
    "outcome": "VARCHAR(16)",
    "outcome_date": "DATE",
    "age_years": "INTEGER",
    "age_band": "VARCHAR(16)",
    "sex": "VARCHAR(8)",
    "health_worker": "BOOLEAN",
    "cluster_id": "VARCHAR(64)",
}
BOOLEAN_FIELDS = frozenset(f for f, t in _TYPES.items() if t == "BOOLEAN")
VALUE_FIELDS = tuple(f for f in CASE_FIELDS if f not in KEY)
_COLS = ", ".join(CASE_FIELDS)


@dataclass(slots=True)
class MergeCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    revisions: int = 0


def _is_pg(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


def _prepare_stage(conn: Connection) -> None:
    """Create (once per session) and empty the staging tables."""
    raw: Any = conn.connection.driver_connection
    if not _is_pg(conn) and not raw.in_transaction and not conn.info.get("case_stage_pragmas"):
        conn.exec_driver_sql("PRAGMA temp_store=MEMORY")  # only allowed between transactions
        conn.info["case_stage_pragmas"] = True
    columns = ", ".join(f"{f} {_TYPES[f]}" for f in CASE_FIELDS)
    conn.exec_driver_sql(f"CREATE TEMP TABLE IF NOT EXISTS {STAGE} ({columns})")
    conn.exec_driver_sql(
        f"CREATE TEMP TABLE IF NOT EXISTS {CHANGED} (source VARCHAR(64), case_id VARCHAR(64))"
    )
    conn.exec_driver_sql(f"DELETE FROM {STAGE}")
    conn.exec_driver_sql(f"DELETE FROM {CHANGED}")


def _stage_expression(field: str) -> str:
    """SQLite: the text of a canonical cell as the staged value."""
    kind = _TYPES[field]
    if kind == "BOOLEAN":
        return "CASE ? WHEN 'true' THEN 1 WHEN 'false' THEN 0 END"
    if kind == "INTEGER":
        return "CAST(NULLIF(?, '') AS INTEGER)"
    return "NULLIF(?, '')"


_SQLITE_STAGE = (
    f"INSERT INTO {STAGE} ({_COLS}) VALUES ({', '.join(_stage_expression(f) for f in CASE_FIELDS)})"
)
_COPY_ESCAPE = str.maketrans({"\\": "\\\\"})


def copy_buffer(rows: Sequence[Sequence[str]], extra: str | None = None) -> str:
    """Rows of canonical text in PostgreSQL ``COPY`` text format with ``NULL ''``: cells
    are tab-separated; tabs, newlines and other control characters never occur in
    checked cells, and a backslash is doubled. ``extra`` is appended as a last cell."""
    end = "\n" if extra is None else f"\t{extra}\n"
    text = end.join(["\t".join(row) for row in rows]) + end
    return text.translate(_COPY_ESCAPE) if "\\" in text else text


def stage_rows(conn: Connection, rows: Sequence[Sequence[str]]) -> None:
    """Load ``rows`` (canonical text in :data:`CASE_FIELDS` order, ``""`` for unknown)
    into the empty staging table, converting to the column types on the way."""
    _prepare_stage(conn)
    if not rows:
        return
    raw: Any = conn.connection.driver_connection
    if _is_pg(conn):
        sql = f"COPY {STAGE} ({_COLS}) FROM STDIN WITH (FORMAT text, NULL '')"
        with raw.cursor() as cur, cur.copy(sql) as copy:
            copy.write(copy_buffer(rows))
    else:
        raw.executemany(_SQLITE_STAGE, rows)


def _distinct(conn: Connection, left: str, right: str) -> str:
    op = "IS DISTINCT FROM" if _is_pg(conn) else "IS NOT"
    return f"{left} {op} {right}"


def _as_text(column: str, field: str) -> str:
    """Revision text of a value: ``true``/``false`` for booleans on both databases."""
    if field in BOOLEAN_FIELDS:
        return f"CASE WHEN {column} THEN 'true' WHEN NOT {column} THEN 'false' END"
    return f"CAST({column} AS TEXT)"


def merge_staged(
    conn: Connection,
    *,
    staged: int,
    import_id: int | None,
    actor: str,
    reason: str,
    when: datetime,
) -> MergeCounts:
    """Merge the ``staged`` rows of the staging table into ``case_records``.

    New keys are inserted first; only when some keys already existed (fewer rows
    inserted than staged) are changed rows looked for — the rows just inserted equal
    their staged values, so they never count as changed. A first import thus costs one
    ``INSERT … SELECT`` per batch."""
    counts = MergeCounts()
    if not staged:
        return counts
    inserted = conn.exec_driver_sql(
        f"INSERT INTO case_records ({_COLS}, import_id) SELECT {_COLS}, "
        f"{_param(conn, 'import_id')} "
        f"FROM {STAGE} WHERE true ON CONFLICT (source, case_id) DO NOTHING",
        {"import_id": import_id},
    ).rowcount
    counts.inserted = int(inserted)
    if counts.inserted < staged:
        conn.exec_driver_sql(f"ANALYZE {STAGE}")  # a plan by index, not a full scan
        counts.updated, counts.revisions = _apply_changes(
            conn, import_id=import_id, actor=actor, reason=reason, when=when
        )
    counts.unchanged = staged - counts.inserted - counts.updated
    return counts


def _apply_changes(
    conn: Connection, *, import_id: int | None, actor: str, reason: str, when: datetime
) -> tuple[int, int]:
    """Write revisions for, and update, stored rows whose staged values differ."""
    join = "c.source = s.source AND c.case_id = s.case_id"
    differs = " OR ".join(_distinct(conn, f"c.{f}", f"s.{f}") for f in VALUE_FIELDS)
    conn.exec_driver_sql(
        f"INSERT INTO {CHANGED} (source, case_id) SELECT s.source, s.case_id "
        f"FROM {STAGE} s JOIN case_records c ON {join} WHERE {differs}"
    )
    changed = int(conn.exec_driver_sql(f"SELECT count(*) FROM {CHANGED}").scalar_one())
    if not changed:
        return 0, 0
    revisions = 0
    params = {"reason": reason, "actor": actor, "when": when, "import_id": import_id}
    key = "s.source || '|' || s.case_id"
    p = {name: _param(conn, name) for name in params}
    for field in VALUE_FIELDS:
        result = conn.exec_driver_sql(
            "INSERT INTO revisions (entity, entity_key, field, old_value, new_value, "
            "reason, actor, created_at, import_id) "
            f"SELECT 'case_record', {key}, '{field}', "
            f"{_as_text('c.' + field, field)}, {_as_text('s.' + field, field)}, "
            f"{p['reason']}, {p['actor']}, {p['when']}, {p['import_id']} "
            f"FROM {CHANGED} k JOIN {STAGE} s ON s.source = k.source "
            f"AND s.case_id = k.case_id JOIN case_records c ON {join} "
            f"WHERE {_distinct(conn, 'c.' + field, 's.' + field)}",
            _driver_params(conn, params),
        )
        revisions += max(result.rowcount, 0)
    sets = ", ".join(f"{f} = s.{f}" for f in VALUE_FIELDS)
    conn.exec_driver_sql(
        f"UPDATE case_records SET {sets}, import_id = {_param(conn, 'import_id')} "
        f"FROM {STAGE} s, {CHANGED} k WHERE case_records.source = s.source AND "
        "case_records.case_id = s.case_id AND k.source = s.source AND "
        "k.case_id = s.case_id",
        {"import_id": import_id},
    )
    return changed, revisions


def _param(conn: Connection, name: str) -> str:
    """A named placeholder in the driver's own style (psycopg pyformat, sqlite3 named)."""
    return f"%({name})s" if _is_pg(conn) else f":{name}"


def _driver_params(conn: Connection, params: dict[str, Any]) -> dict[str, Any]:
    """SQLite keeps timestamps as naive ISO text in UTC, as SQLAlchemy's ``DateTime``
    does; the driver-level statements must store them the same way."""
    when = params["when"]
    if _is_pg(conn) or not isinstance(when, datetime):
        return params
    if when.tzinfo is not None:
        when = when.astimezone(UTC).replace(tzinfo=None)
    return {**params, "when": when.strftime("%Y-%m-%d %H:%M:%S.%f")}


def insert_new(conn: Connection, rows: Sequence[Sequence[str]], import_id: int | None) -> int:
    """Bulk-insert ``rows`` straight into ``case_records`` when their keys are new,
    without staging: PostgreSQL ``COPY`` inside a savepoint (rolled back, returning 0,
    at the first key that exists), SQLite ``executemany`` of ``INSERT … ON CONFLICT DO
    NOTHING``. Returns how many rows were inserted; fewer than ``len(rows)`` means some
    keys existed, and those rows must go through the staging merge."""
    if not rows:
        return 0
    raw: Any = conn.connection.driver_connection
    marker = str(int(import_id)) if import_id is not None else "NULL"
    if _is_pg(conn):
        from psycopg import errors as pg_errors

        raw.execute("SAVEPOINT case_bulk_insert")
        sql = f"COPY case_records ({_COLS}, import_id) FROM STDIN WITH (FORMAT text, NULL '')"
        try:
            with raw.cursor() as cur, cur.copy(sql) as copy:
                copy.write(copy_buffer(rows, "" if import_id is None else str(int(import_id))))
        except pg_errors.UniqueViolation:
            raw.execute("ROLLBACK TO SAVEPOINT case_bulk_insert")
            return 0
        raw.execute("RELEASE SAVEPOINT case_bulk_insert")
        audit.note_write(conn, "case_records", "insert", len(rows))
        return len(rows)
    before = raw.total_changes
    values = ", ".join(_stage_expression(f) for f in CASE_FIELDS)
    raw.executemany(
        f"INSERT INTO case_records ({_COLS}, import_id) VALUES ({values}, {marker}) "
        "ON CONFLICT (source, case_id) DO NOTHING",
        rows,
    )
    inserted = int(raw.total_changes - before)
    audit.note_write(conn, "case_records", "insert", inserted)
    return inserted


def merge_case_rows(
    conn: Connection,
    rows: Sequence[Sequence[Any]],
    *,
    import_id: int | None,
    actor: str,
    reason: str,
    when: datetime,
    assume_new: bool = False,
) -> MergeCounts:
    """Merge ``rows`` into ``case_records`` in the caller's transaction.

    With ``assume_new`` (the previous batch of the same import held only new keys) the
    rows are first bulk-inserted directly (:func:`insert_new`); only when some key
    existed is the batch staged and merged, so that changed values become revisions."""
    if not _is_pg(conn) and not conn.info.get("case_cache_size"):
        # Keep the case table's indexes in memory while a large batch goes in (256 MiB,
        # for this connection only; SQLite's default is 2 MiB).
        conn.exec_driver_sql("PRAGMA cache_size=-262144")
        conn.info["case_cache_size"] = True
    direct = insert_new(conn, rows, import_id) if assume_new else 0
    if rows and direct == len(rows):
        return MergeCounts(inserted=direct)
    stage_rows(conn, rows)
    counts = merge_staged(
        conn, staged=len(rows), import_id=import_id, actor=actor, reason=reason, when=when
    )
    counts.inserted += direct
    counts.unchanged -= direct
    return counts


def copy_rows(
    conn: Connection, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Append ``rows`` (Python values in ``columns`` order) to the mapped ``table`` as
    fast as the database takes them: ``COPY … FROM STDIN`` (psycopg 3 ``write_row``) on
    PostgreSQL, one ``executemany`` on SQLite with dates and timestamps stored exactly
    as SQLAlchemy stores them (the column types' bind processors). For loading
    generated or already validated data in the caller's transaction: no upsert, no
    revisions."""
    if not rows:
        return
    raw: Any = conn.connection.driver_connection
    names = ", ".join(columns)
    if _is_pg(conn):
        with raw.cursor() as cur, cur.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    from fangkong.store.models import Base

    mapped = Base.metadata.tables[table]
    dialect = conn.dialect
    processors = [mapped.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in columns]
    if any(processors):
        # Column-wise, each distinct value converted once (dates repeat a lot).
        cells = [list(col) for col in zip(*rows, strict=True)]
        for i, process in enumerate(processors):
            if process is not None:
                done: dict[Any, Any] = {None: None}
                cells[i] = [
                    done[v] if v in done else done.setdefault(v, process(v)) for v in cells[i]
                ]
        rows = list(zip(*cells, strict=True))
    marks = ", ".join("?" for _ in columns)
    raw.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
