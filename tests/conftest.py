"""Shared fixtures: a real database per backend (SQLite file, PostgreSQL server).

Every storage, service and API test that asks for ``engine`` runs twice: on an SQLite
file and on a PostgreSQL database of its own (created for the run, dropped afterwards).
The schema is built by the Alembic migrations; reference data is loaded once per run
and the tables the tests write are emptied before each test.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from fangkong.services.reference import load_reference_data
from fangkong.settings import Settings
from fangkong.store.db import make_engine
from fangkong.store.migrate import upgrade

PG_ADMIN_URL = os.environ.get(
    "FANGKONG_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
#: Tables that tests write; emptied (children first) before every test. The audit log
#: (append-only) is emptied apart, by :func:`reset_audit_log`.
MUTABLE_TABLES = (
    # Bulletins (issue 4)
    "bulletins",
    # Resources (issue 6), children first; supply_items is reference data (kept)
    "patient_stays",
    "pairing_assignments",
    "medical_teams",
    "allocation_explanations",
    "stock_movements",
    "shipment_lines",
    "shipments",
    "allocation_plans",
    "supply_request_lines",
    "supply_requests",
    "donations",
    "stock_balances",
    "supply_lots",
    "hospital_occupancy",
    "warehouses",
    "hospitals",
    # Command (issue 5), children first
    "warning_signals",
    "event_reports",
    "report_submissions",
    "reporting_deadlines",
    "directive_attachments",
    "directive_events",
    "directive_recipients",
    "directives",
    "guidance_teams",
    "risk_rulesets",
    "response_measures",
    "response_levels",
    # foundation
    "revisions",
    "import_issues",
    "daily_reports",
    "case_records",
    "imports",
    "api_tokens",
    "users",
)


def _pg_database(worker: str) -> tuple[str, str]:
    name = f"fangkong_test_{worker}_{uuid.uuid4().hex[:8]}"
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return name, f"{base}/{name}"


@pytest.fixture(scope="session")
def _backend_urls(
    tmp_path_factory: pytest.TempPathFactory, worker_id: str
) -> Iterator[dict[str, str]]:
    urls: dict[str, str] = {}
    sqlite_path = tmp_path_factory.mktemp("sqlite") / "fangkong.db"
    urls["sqlite"] = f"sqlite:///{sqlite_path}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name, url = _pg_database(worker_id)
    urls["postgres"] = url
    yield urls
    for eng in _prepared.values():
        eng.dispose()
    _prepared.clear()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


_prepared: dict[str, Engine] = {}
#: The append-only audit log's triggers per backend: (name, table, definition), read
#: once after the migrations so that :func:`reset_audit_log` can restore them.
_audit_triggers: dict[str, list[tuple[str, str, str]]] = {}
AUDIT_TABLES = ("audit_log", "audit_chain_head")


def audit_triggers(engine: Engine) -> list[tuple[str, str, str]]:
    """The triggers on the audit tables, as they are now."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            rows = conn.execute(
                text(
                    "SELECT t.tgname, c.relname, pg_get_triggerdef(t.oid) FROM pg_trigger t "
                    "JOIN pg_class c ON c.oid = t.tgrelid "
                    "WHERE c.relname IN ('audit_log', 'audit_chain_head') AND NOT t.tgisinternal"
                )
            ).all()
        else:
            rows = conn.execute(
                text(
                    "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger' "
                    "AND tbl_name IN ('audit_log', 'audit_chain_head')"
                )
            ).all()
    return sorted((str(a), str(b), str(c)) for a, b, c in rows)


def reset_audit_log(engine: Engine) -> None:
    """Empty the append-only audit log, rewind its head to the genesis hash and its
    verification checkpoint to nothing verified: on the
    driver connection (no audit hook), with the triggers dropped and re-created from
    their migrated definitions (which also restores any a test dropped)."""
    triggers = _audit_triggers[engine.dialect.name]
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for name, table, _ in triggers:
            on = f" ON {table}" if engine.dialect.name == "postgresql" else ""
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}{on}")
        cursor.execute("DELETE FROM audit_log")
        cursor.execute(f"UPDATE audit_chain_head SET last_id = 0, last_hash = '{'0' * 64}'")
        cursor.execute(
            f"UPDATE audit_checkpoint SET entry_id = 0, entry_hash = '{'0' * 64}', "
            "verified_at = NULL, full_entry_id = NULL, full_verified_at = NULL"
        )
        for _, _, definition in triggers:
            cursor.execute(definition)
        cursor.close()
        raw.commit()
    finally:
        raw.close()


def _prepare(backend: str, url: str) -> Engine:
    if backend in _prepared:
        return _prepared[backend]
    if backend == "postgres":
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        name = url.rsplit("/", 1)[1]
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    engine = make_engine(url)
    upgrade(engine)
    load_reference_data(engine)
    _audit_triggers[engine.dialect.name] = audit_triggers(engine)
    _prepared[backend] = engine
    return engine


def _empty(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in MUTABLE_TABLES:
            conn.execute(text(f"DELETE FROM {table}"))


@pytest.fixture(
    params=[pytest.param("sqlite"), pytest.param("postgres", marks=pytest.mark.postgres)]
)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def engine(backend: str, _backend_urls: dict[str, str]) -> Iterator[Engine]:
    """A migrated database with reference data and empty working tables."""
    eng = _prepare(backend, _backend_urls[backend])
    _empty(eng)
    reset_audit_log(eng)
    yield eng


@pytest.fixture
def settings(engine: Engine, tmp_path: Path) -> Settings:
    return Settings(
        database_url=engine.url.render_as_string(hide_password=False),
        var_dir=tmp_path / "var",
        publish_interval=0,  # answers of the latest version (tests of the publisher set it)
    )
