"""Backup and restore round trips on both databases (services/backup.py, cli/ops.py).

Real data is loaded (the province daily file, the Tianjin line list, a user), backed
up, changed and partly deleted, then restored: every table has its row count back and
the key tables their content (a SHA-256 over every row in primary-key order). A backup
taken while another connection keeps writing restores to exactly its manifest, and
restore refuses to overwrite without ``force`` and refuses a damaged file."""

from __future__ import annotations

import hashlib
import importlib.util
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, func, inspect, select, text, update
from typer.testing import CliRunner

from conftest import PG_ADMIN_URL
from fangkong.cli import app
from fangkong.core.access import CLI_ACTOR
from fangkong.services.backup import (
    Manifest,
    backup_database,
    manifest_path,
    restore_database,
)
from fangkong.services.case_import import import_case_file
from fangkong.services.daily_import import import_daily_file
from fangkong.services.errors import Conflict, Invalid
from fangkong.settings import Settings
from fangkong.store import models as m
from fangkong.store.db import make_engine
from support import DEMO_DATA, bearer

PROVINCE = DEMO_DATA / "canghailan_china_province_daily_2020-01-10_2020-06-30.csv"
BENCH = Path(__file__).resolve().parents[2] / "bench" / "ingest.py"
CASES = 3_000
KEY_TABLES = ("daily_reports", "case_records", "revisions", "imports", "users", "regions")


def checksum(engine: Engine, table: str) -> str:
    """SHA-256 of every row of ``table`` in primary-key order, values as text."""
    with engine.connect() as conn:
        columns = inspect(conn).get_columns(table)
        keys = inspect(conn).get_pk_constraint(table)["constrained_columns"]
        names = ", ".join(c["name"] for c in columns)
        order = ", ".join(keys)
        digest = hashlib.sha256()
        for row in conn.execute(text(f"SELECT {names} FROM {table} ORDER BY {order}")):
            digest.update(repr(tuple("" if v is None else str(v) for v in row)).encode())
    return digest.hexdigest()


def snapshot(engine: Engine) -> dict[str, tuple[int, str]]:
    out = {}
    with engine.connect() as conn:
        for table in KEY_TABLES:
            out[table] = (int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()), "")
    return {t: (n, checksum(engine, t)) for t, (n, _) in out.items()}


def line_list(folder: Path) -> Path:
    """A realistic line list of CASES rows from the ingest benchmark's generator."""
    spec = importlib.util.spec_from_file_location("fangkong_bench_ingest", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    path: Path = module.generate(folder / "cases.csv", CASES)
    return path


def load(engine: Engine, settings: Settings) -> None:
    result = import_daily_file(engine, settings, PROVINCE, actor=CLI_ACTOR)
    assert result.rows_inserted > 1000
    cases = import_case_file(engine, settings, line_list(Path(settings.var_dir)))
    assert cases.rows_inserted == CASES
    bearer(engine, "backup-admin", "admin", "*")


def damage(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(update(m.DailyReportRow).values(new_confirmed=-1))
        conn.execute(text("DELETE FROM revisions"))
        conn.execute(text("DELETE FROM case_records WHERE age_years > 40"))
        conn.execute(text("UPDATE case_records SET sex = 'female' WHERE sex = 'male'"))
        conn.execute(text("DELETE FROM api_tokens"))
        conn.execute(text("DELETE FROM users"))


def test_round_trip_restores_every_row(engine: Engine, settings: Settings, tmp_path: Path) -> None:
    load(engine, settings)
    before = snapshot(engine)
    path = tmp_path / "fangkong.backup"
    manifest = backup_database(settings, path)
    assert manifest.revision is not None
    assert manifest.tables["daily_reports"] == before["daily_reports"][0]
    assert manifest_path(path).is_file() and Manifest.read(path) == manifest

    damage(engine)
    assert snapshot(engine) != before
    with pytest.raises(Conflict, match="--force"):
        restore_database(settings, path)
    result = restore_database(settings, path, force=True)
    assert result.revision == manifest.revision
    assert result.tables == manifest.tables
    assert snapshot(engine) == before


def test_backup_refuses_to_replace_a_file_unless_told(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "b.dump"
    path.write_text("keep me")
    with pytest.raises(Conflict):
        backup_database(settings, path)
    assert path.read_text() == "keep me"
    backup_database(settings, path, overwrite=True)
    assert Manifest.read(path) is not None


def test_restore_refuses_a_damaged_file(engine: Engine, settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "b.dump"
    backup_database(settings, path)
    with path.open("r+b") as fh:
        fh.seek(200)
        fh.write(b"\x00garbage\x00")
    with pytest.raises(Invalid, match="SHA-256"):
        restore_database(settings, path, force=True)


def test_backup_while_writing_is_consistent(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    """Another connection inserts revisions throughout the backup; the backup is one
    instant (the manifest's counts), and the restore reproduces exactly that instant."""
    load(engine, settings)
    with engine.connect() as conn:
        loaded = conn.execute(select(func.count()).select_from(m.RevisionRow)).scalar_one()
    stop = threading.Event()
    written = [0]

    def writer() -> None:
        while not stop.is_set():
            with engine.begin() as conn:
                conn.execute(
                    m.RevisionRow.__table__.insert(),
                    [
                        {
                            "entity": "test",
                            "entity_key": f"k{written[0]}-{i}",
                            "field": "f",
                            "old_value": None,
                            "new_value": "1",
                            "reason": "concurrent writer",
                            "actor": "test",
                            "created_at": datetime.now(UTC),
                        }
                        for i in range(50)
                    ],
                )
            written[0] += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while written[0] < 3:
            stop.wait(0.01)
        path = tmp_path / "live.backup"
        manifest = backup_database(settings, path)
    finally:
        stop.set()
        thread.join()
    taken = manifest.tables["revisions"] - loaded
    assert taken > 0 and taken % 50 == 0  # whole transactions only
    with engine.connect() as conn:
        now_rows = conn.execute(select(func.count()).select_from(m.RevisionRow)).scalar_one()
    assert now_rows >= manifest.tables["revisions"]
    result = restore_database(settings, path, force=True)
    assert result.tables == manifest.tables


def test_restore_into_an_empty_database_needs_no_force(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    load(engine, settings)
    before = snapshot(engine)
    path = tmp_path / "b.dump"
    backup_database(settings, path)
    if engine.dialect.name == "sqlite":
        url = f"sqlite:///{tmp_path / 'fresh.db'}"
        admin = None
    else:
        name = f"fangkong_restore_{uuid.uuid4().hex[:8]}"
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    fresh = make_engine(url)
    try:
        restore_database(Settings(database_url=url, var_dir=tmp_path), path)
        assert snapshot(fresh) == before
    finally:
        fresh.dispose()
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def test_cli_backup_and_restore(engine: Engine, settings: Settings, tmp_path: Path) -> None:
    load(engine, settings)
    before = snapshot(engine)
    env = {"FANGKONG_DATABASE_URL": settings.database_url, "FANGKONG_VAR_DIR": str(tmp_path)}
    runner = CliRunner()
    path = tmp_path / "cli.backup"
    done = runner.invoke(app, ["backup", str(path)], env=env)
    assert done.exit_code == 0, done.output
    assert "backed up" in done.output
    damage(engine)
    refused = runner.invoke(app, ["restore", str(path)], env=env)
    assert refused.exit_code == 1 and "--force" in refused.output
    done = runner.invoke(app, ["restore", str(path), "--force"], env=env)
    assert done.exit_code == 0, done.output
    assert "restored and verified" in done.output
    assert snapshot(engine) == before
