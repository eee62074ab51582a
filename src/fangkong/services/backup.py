"""Backing up and restoring the database, verified.

``backup_database`` writes a consistent copy of the configured database while the
platform keeps serving, with a manifest beside it (``<file>.manifest.json``): the format,
the Alembic revision, the number of rows of every table, the SHA-256 of the backup file
and the tools used. ``restore_database`` checks the file against its manifest, refuses to
overwrite a database that holds tables unless forced, restores, and then verifies the
result (same revision, same row count in every table) before it reports success.

* **SQLite**: the online backup API of SQLite (``sqlite3.Connection.backup``, see
  https://www.sqlite.org/backup.html) copies the pages of one read transaction, so the
  copy is a consistent snapshot even while the server writes (in WAL mode readers do not
  block writers). The copy is switched to rollback-journal mode so that it is one
  self-contained file, checked with ``PRAGMA quick_check``, and renamed into place.
  Restoring copies the backup into the live file through the same API, under one write
  lock: connections of a running server see either the old or the restored database.
* **PostgreSQL**: ``pg_dump -Fc`` (custom format) and ``pg_restore --clean --if-exists
  --single-transaction`` — all or nothing. The row counts of the manifest are taken in
  a ``REPEATABLE READ`` transaction whose snapshot is exported
  (``pg_export_snapshot()``) and handed to ``pg_dump --snapshot``, so that the counts
  and the dump describe the same instant. ``pg_dump`` refuses servers of a later major
  version, and ``pg_restore`` archives of a later ``pg_dump``: the client tools must be
  at least the server's major version (checked before anything is written).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, inspect, text
from sqlalchemy.engine import make_url

from fangkong.services.errors import Conflict, Invalid, NotFound, ServiceError
from fangkong.settings import Settings
from fangkong.store.db import is_sqlite, make_engine, normalise_url
from fangkong.store.migrate import alembic_config

MANIFEST_SUFFIX = ".manifest.json"
SQLITE_FORMAT = "sqlite"
PG_FORMAT = "postgresql-custom"


class BackupError(ServiceError):
    """A backup or restore could not be done (a tool is missing or failed, or the
    restored database does not match its manifest)."""

    status = 500


@dataclass(slots=True)
class Manifest:
    """What a backup holds, written next to it and checked on restore."""

    format: str
    revision: str | None
    tables: dict[str, int]
    sha256: str
    created_at: str
    tools: dict[str, str] = field(default_factory=dict)

    def write(self, path: Path) -> None:
        manifest_path(path).write_text(
            json.dumps(asdict(self), indent=2, sort_keys=True) + "\n", "utf-8"
        )

    @classmethod
    def read(cls, path: Path) -> Manifest | None:
        found = manifest_path(path)
        if not found.is_file():
            return None
        try:
            data = json.loads(found.read_text("utf-8"))
            return cls(
                format=str(data["format"]),
                revision=data["revision"],
                tables={str(k): int(v) for k, v in data["tables"].items()},
                sha256=str(data["sha256"]),
                created_at=str(data["created_at"]),
                tools={str(k): str(v) for k, v in data.get("tools", {}).items()},
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise Invalid(f"{found}: not a backup manifest ({exc})", field="path") from exc


@dataclass(slots=True)
class RestoreResult:
    format: str
    revision: str | None
    tables: dict[str, int]
    notes: list[str] = field(default_factory=list)


def manifest_path(path: Path) -> Path:
    return path.with_name(path.name + MANIFEST_SUFFIX)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def table_counts(conn: Connection) -> dict[str, int]:
    """Rows of every table of the database (its current schema), by name."""
    names = sorted(inspect(conn).get_table_names())
    return {
        name: int(conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one())
        for name in names
    }


def _revision(conn: Connection) -> str | None:
    names = inspect(conn).get_table_names()
    if "alembic_version" not in names:
        return None
    found = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return None if found is None else str(found)


def _known_revision(engine: Engine, revision: str | None) -> None:
    """Refuse a backup whose schema revision this version of Fangkong does not know."""
    if revision is None:
        raise Invalid("the backup holds no Fangkong schema (no alembic_version)", field="path")
    scripts = ScriptDirectory.from_config(alembic_config(engine))
    try:
        scripts.get_revision(revision)
    except Exception as exc:  # alembic raises several kinds for an unknown id
        raise Invalid(
            f"the backup is at schema revision {revision}, unknown to this version of "
            "Fangkong (restore it with the version that made it)",
            field="path",
        ) from exc


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def backup_database(settings: Settings, path: Path, *, overwrite: bool = False) -> Manifest:
    """Write a consistent backup of the configured database to ``path`` (and its
    manifest); refuses to replace an existing file unless ``overwrite``."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise Conflict(f"{path} exists; choose another path or overwrite it", field="path")
    path.parent.mkdir(parents=True, exist_ok=True)
    url = normalise_url(settings.database_url)
    if is_sqlite(url):
        return _sqlite_backup(_sqlite_file(url), path)
    return _pg_backup(url, path)


def restore_database(settings: Settings, path: Path, *, force: bool = False) -> RestoreResult:
    """Restore the backup at ``path`` into the configured database and verify it.

    Refuses (Conflict) when the database already holds tables, unless ``force``."""
    path = Path(path)
    if not path.is_file():
        raise NotFound(f"{path}: no such backup file", field="path")
    manifest = Manifest.read(path)
    if manifest is not None and sha256_file(path) != manifest.sha256:
        raise Invalid(
            f"{path} does not match its manifest (SHA-256 differs): damaged or replaced",
            field="path",
        )
    url = normalise_url(settings.database_url)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            existing = inspect(conn).get_table_names()
        if existing and not force:
            raise Conflict(
                f"the database holds {len(existing)} tables; restoring replaces them "
                "(use --force to overwrite)",
                field="force",
            )
        if is_sqlite(url):
            expected, notes = _sqlite_expected(path, manifest)
            _known_revision(engine, expected.revision)
            engine.dispose()
            _sqlite_restore(path, _sqlite_file(url))
        else:
            if manifest is None:
                raise Invalid(
                    f"{manifest_path(path)} is missing: a PostgreSQL archive is restored "
                    "only with its manifest (to verify the result)",
                    field="path",
                )
            if manifest.format != PG_FORMAT:
                raise Invalid(
                    f"{path} is a {manifest.format} backup, not a PostgreSQL one", field="path"
                )
            expected, notes = manifest, []
            _known_revision(engine, expected.revision)
            engine.dispose()
            _pg_restore(url, path)
        return _verify(engine, expected, notes)
    finally:
        engine.dispose()


def _verify(engine: Engine, expected: Manifest, notes: list[str]) -> RestoreResult:
    with engine.connect() as conn:
        revision = _revision(conn)
        counts = table_counts(conn)
    problems = []
    if revision != expected.revision:
        problems.append(f"schema revision {revision}, expected {expected.revision}")
    for name, rows in expected.tables.items():
        if counts.get(name) != rows:
            problems.append(f"{name}: {counts.get(name)} rows, expected {rows}")
    if problems:
        raise BackupError("the restored database does not match the backup: " + "; ".join(problems))
    extra = sorted(set(counts) - set(expected.tables))
    if extra:
        notes.append("tables not in the backup were left as they were: " + ", ".join(extra))
    return RestoreResult(expected.format, revision, counts, notes)


# --- SQLite ------------------------------------------------------------------------------


def _sqlite_file(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise Invalid("an in-memory SQLite database cannot be backed up", field="database_url")
    return Path(database)


def _sqlite_backup(source: Path, path: Path) -> Manifest:
    if not source.is_file():
        raise NotFound(f"{source}: no such database file", field="database_url")
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(source, timeout=30)
    try:
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst)  # one step: every page from one read transaction
            dst.execute("PRAGMA journal_mode=DELETE")
            check = dst.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise BackupError(f"the backup copy fails SQLite's quick_check: {check}")
        finally:
            dst.close()
    finally:
        src.close()
    revision, counts = _sqlite_contents(partial)
    os.replace(partial, path)
    manifest = Manifest(
        SQLITE_FORMAT,
        revision,
        counts,
        sha256_file(path),
        _now(),
        {"sqlite": sqlite3.sqlite_version},
    )
    manifest.write(path)
    return manifest


def _sqlite_contents(path: Path) -> tuple[str | None, dict[str, int]]:
    """Revision and row counts of an SQLite file, opened read-only (no WAL switch)."""
    engine = create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    try:
        with engine.connect() as conn:
            return _revision(conn), table_counts(conn)
    finally:
        engine.dispose()


def _sqlite_expected(path: Path, manifest: Manifest | None) -> tuple[Manifest, list[str]]:
    """The backup's revision and counts, read from the file itself (and checked against
    the manifest when there is one)."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            check = conn.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise Invalid(f"{path} is not an SQLite database: {exc}", field="path") from exc
    if check != "ok":
        raise Invalid(f"{path} fails SQLite's quick_check: {check}", field="path")
    revision, counts = _sqlite_contents(path)
    notes: list[str] = []
    if manifest is None:
        notes.append("no manifest: verified against the counts read from the backup file")
    elif manifest.format != SQLITE_FORMAT:
        raise Invalid(f"{path} is a {manifest.format} backup, not an SQLite one", field="path")
    elif manifest.revision != revision or manifest.tables != counts:
        raise Invalid(f"{path} does not hold what its manifest lists", field="path")
    found = Manifest(SQLITE_FORMAT, revision, counts, sha256_file(path), _now())
    return found, notes


def _sqlite_restore(path: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target, timeout=30)
        try:
            dst.execute("PRAGMA busy_timeout=30000")
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


# --- PostgreSQL --------------------------------------------------------------------------


def _libpq_env(url: str) -> dict[str, str]:
    """The connection of ``url`` as libpq environment variables (no password on the
    command line, where other users could read it)."""
    parsed = make_url(url)
    env = dict(os.environ)
    for name, value in (
        ("PGHOST", parsed.host),
        ("PGPORT", parsed.port),
        ("PGUSER", parsed.username),
        ("PGPASSWORD", parsed.password),
        ("PGDATABASE", parsed.database),
        ("PGSSLMODE", parsed.query.get("sslmode")),
    ):
        if value is not None:
            env[name] = str(value)
    return env


def tool_major(tool: str) -> tuple[str, int]:
    """Path and major version of a PostgreSQL client tool; BackupError if missing."""
    found = shutil.which(tool)
    if found is None:
        raise BackupError(f"{tool} is not installed (Debian: apt-get install postgresql-client)")
    out = subprocess.run([found, "--version"], capture_output=True, text=True, check=True).stdout
    match = re.search(r"(\d+)(?:\.\d+)?", out)
    if match is None:
        raise BackupError(f"cannot read the version of {tool}: {out.strip()!r}")
    return found, int(match.group(1))


def server_major(conn: Connection) -> int:
    return int(conn.execute(text("SHOW server_version_num")).scalar_one()) // 10_000


def check_tool(tool: str, server: int) -> str:
    """The tool's path, if its major version can handle a server of major ``server``."""
    found, major = tool_major(tool)
    if major < server:
        raise BackupError(
            f"{tool} {major} is older than the PostgreSQL {server} server; install the "
            f"postgresql-client of version {server} or later"
        )
    return found


def _pg_backup(url: str, path: Path) -> Manifest:
    engine = make_engine(url)
    partial = path.with_name(path.name + ".partial")
    try:
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                snapshot = str(conn.execute(text("SELECT pg_export_snapshot()")).scalar_one())
                server = server_major(conn)
                pg_dump = check_tool("pg_dump", server)
                revision, counts = _revision(conn), table_counts(conn)
                done = subprocess.run(
                    [pg_dump, "-Fc", f"--snapshot={snapshot}", "-f", str(partial)],
                    env=_libpq_env(url),
                    capture_output=True,
                    text=True,
                )
                if done.returncode != 0:
                    partial.unlink(missing_ok=True)
                    raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
                version = conn.execute(text("SHOW server_version")).scalar_one()
    finally:
        engine.dispose()
    os.replace(partial, path)
    _, dump_major = tool_major("pg_dump")
    manifest = Manifest(
        PG_FORMAT,
        revision,
        counts,
        sha256_file(path),
        _now(),
        {"pg_dump": str(dump_major), "server": str(version)},
    )
    manifest.write(path)
    return manifest


def _pg_restore(url: str, path: Path) -> None:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            server = server_major(conn)
    finally:
        engine.dispose()
    pg_restore = check_tool("pg_restore", server)
    done = subprocess.run(
        [
            pg_restore,
            "--clean",
            "--if-exists",
            "--single-transaction",
            "--exit-on-error",
            "--no-owner",
            "--no-privileges",
            "-d",
            str(make_url(url).database),
            str(path),
        ],
        env=_libpq_env(url),
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise BackupError(f"pg_restore failed (nothing was changed): {done.stderr.strip()}")


def describe(manifest: Manifest | RestoreResult) -> dict[str, Any]:
    """A summary for people: format, revision, tables and total rows."""
    return {
        "format": manifest.format,
        "revision": manifest.revision,
        "tables": len(manifest.tables),
        "rows": sum(manifest.tables.values()),
    }
