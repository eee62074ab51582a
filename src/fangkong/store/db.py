"""Engine creation for SQLite (embedded, WAL) and PostgreSQL (psycopg 3)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from fangkong.store import audit


def normalise_url(url: str) -> str:
    """Use the psycopg 3 driver for ``postgresql://`` URLs."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def is_sqlite(engine_or_url: Engine | str) -> bool:
    url = engine_or_url if isinstance(engine_or_url, str) else str(engine_or_url.url)
    return url.startswith("sqlite")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine. SQLite files get WAL journaling, foreign keys and a busy timeout
    so that the web server and an import can work on the same file at once. Every
    engine records its writes in the audit log (:func:`fangkong.store.audit.install`)."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        # One pooled connection per thread that may query at once (the server's thread
        # pool), so that connections are reused rather than opened per request.
        kwargs.setdefault("pool_size", 20)
        kwargs.setdefault("max_overflow", 30)
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            # Read through a memory map (the OS page cache, shared by all connections and
            # processes) instead of read() calls into each connection's own page cache.
            cursor.execute("PRAGMA mmap_size=1073741824")
            cursor.close()

        audit.install(engine)
        return engine
    engine = create_engine(url, pool_pre_ping=True, **kwargs)
    audit.install(engine)
    return engine
