"""The audit log in the database: append-only triggers, one entry per write in the
write's own transaction, tampering detected by ``verify``, no fork under concurrency."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, insert, select, text
from sqlalchemy.exc import DBAPIError

from fangkong.core.access import CLI_ACTOR
from fangkong.core.privacy.audit_log import GENESIS, ChainEntry, recomputed_hash
from fangkong.services import audit
from fangkong.services import users as user_svc
from fangkong.services.reference import region_tree
from fangkong.store import audit as hook
from fangkong.store import models as m

LOG = hook.LOG
HEAD = hook.HEAD


def entries(engine: Engine) -> list[dict[str, object]]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(LOG).order_by(LOG.c.id))]


IMPORT = {
    "kind": "t",
    "format": "t",
    "filename": "f",
    "sha256": "0",
    "actor": "a",
    "status": "x",
    "started_at": datetime.now(UTC),
}


def write_report(engine: Engine, region: str = "420000", count: int = 5) -> None:
    """One daily report, written in a transaction of its own."""
    with engine.begin() as conn:
        conn.execute(
            insert(m.DailyReportRow).values(
                region_code=region,
                report_date=date(2020, 2, 1),
                source="test",
                new_confirmed=count,
                updated_at=datetime.now(UTC),
            )
        )


def fill(engine: Engine, n: int = 6) -> None:
    for i in range(n):
        with engine.begin() as conn:
            hook.note(conn, "test.entry", "test", str(i), {"i": i})


def attacker(engine: Engine, *statements: str) -> None:
    """Run SQL as somebody with direct database access: the append-only triggers are
    dropped first (the fixture restores them for the next test)."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("DROP TRIGGER audit_log_append_only ON audit_log"))
            conn.execute(text("DROP TRIGGER audit_log_follows_head ON audit_log"))
            conn.execute(text("DROP TRIGGER audit_chain_head_guard ON audit_chain_head"))
        else:
            for name in ("no_update", "no_delete", "follows_head"):
                conn.execute(text(f"DROP TRIGGER audit_log_{name}"))
            conn.execute(text("DROP TRIGGER audit_chain_head_advance"))
        for statement in statements:
            conn.execute(text(statement))


# --- one entry per write, in its transaction ----------------------------------------------


def test_a_write_leaves_one_entry_with_its_counts(engine: Engine) -> None:
    write_report(engine)
    (entry,) = entries(engine)
    assert entry["id"] == 1 and entry["prev_hash"] == GENESIS
    assert entry["actor"].startswith("system:") and entry["action"] == "write"
    assert '"daily_reports":{"insert":1}' in str(entry["details"])
    assert audit.verify(engine).ok


def test_a_rolled_back_write_leaves_nothing(engine: Engine) -> None:
    with pytest.raises(RuntimeError), engine.begin() as conn:
        conn.execute(insert(m.ImportRow).values(**IMPORT))
        raise RuntimeError("abandon")
    assert entries(engine) == []


def test_reads_leave_nothing(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(select(m.RegionRow).limit(3)).all()
    assert entries(engine) == []


def test_an_entry_that_cannot_be_stored_undoes_the_write(engine: Engine) -> None:
    """Fail closed: the entry goes in the write's transaction, so a refused entry
    refuses the write."""
    write_report(engine, "420000")
    if engine.dialect.name == "postgresql":
        refuse = (
            "CREATE TRIGGER refuse_all BEFORE INSERT ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()"
        )
        drop = "DROP TRIGGER refuse_all ON audit_log"
    else:
        refuse = (
            "CREATE TRIGGER refuse_all BEFORE INSERT ON audit_log "
            "BEGIN SELECT RAISE(ABORT, 'the log refuses'); END"
        )
        drop = "DROP TRIGGER refuse_all"
    with engine.begin() as conn:
        conn.execute(text(refuse))
    try:
        with pytest.raises(DBAPIError):
            write_report(engine, "110000")
    finally:
        with engine.begin() as conn:
            conn.execute(text(drop))
    with engine.connect() as conn:
        stored = conn.execute(select(m.DailyReportRow.region_code)).scalars().all()
    assert stored == ["420000"]
    assert len(entries(engine)) == 1 and audit.verify(engine).ok


def test_service_writes_are_attributed_when_an_origin_is_set(engine: Engine) -> None:
    token = hook.set_origin(lambda: hook.Origin("alice", "users.create_user", "users", "bob"))
    try:
        user_svc.create_user(
            engine,
            CLI_ACTOR,
            username="bob",
            password="correct horse battery",
            role="viewer",
            jurisdiction="420000",
            tree=region_tree(engine),
        )
    finally:
        hook.reset_origin(token)
    (entry,) = entries(engine)
    assert (entry["actor"], entry["action"], entry["target_id"]) == (
        "alice",
        "users.create_user",
        "bob",
    )


def test_revisions_are_kept_as_before_and_after(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(m.RevisionRow),
            [
                {
                    "entity": "daily_report",
                    "entity_key": "420000|2020-02-01|test",
                    "field": "new_confirmed",
                    "old_value": "5",
                    "new_value": "7",
                    "reason": "corrected",
                    "actor": "a",
                    "created_at": datetime.now(UTC),
                }
            ],
        )
    (entry,) = entries(engine)
    assert '"changes":[{"entity":"daily_report"' in str(entry["details"])
    assert '"new":"7","old":"5"' in str(entry["details"])


# --- append-only ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET actor = 'x'",
        "DELETE FROM audit_log",
        "DELETE FROM audit_chain_head",
        "UPDATE audit_chain_head SET last_id = 0, last_hash = '{genesis}'",
        "INSERT INTO audit_log (id, occurred_at, actor, action, target_type, details, "
        "prev_hash, hash) VALUES (99, '2020-01-01 00:00:00', 'x', 'x', 'x', '{{}}', "
        "'{genesis}', 'abc')",
    ],
)
def test_the_database_refuses_changes(engine: Engine, statement: str) -> None:
    fill(engine, 3)
    with pytest.raises(DBAPIError), engine.begin() as conn:
        conn.execute(text(statement.format(genesis=GENESIS)))
    assert len(entries(engine)) == 3 and audit.verify(engine).ok


@pytest.mark.postgres
def test_postgres_refuses_truncate(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("TRUNCATE is PostgreSQL's")
    fill(engine, 2)
    with pytest.raises(DBAPIError), engine.begin() as conn:
        conn.execute(text("TRUNCATE audit_log"))
    assert len(entries(engine)) == 2


# --- tampering, as an attacker with database access, is detected --------------------------


def broken(engine: Engine) -> tuple[int, str]:
    report = audit.verify(engine)
    assert report.problem is not None, "tampering went unnoticed"
    return report.problem.entry_id, report.problem.kind


def test_an_edited_field_is_detected(engine: Engine) -> None:
    fill(engine)
    attacker(engine, "UPDATE audit_log SET actor = 'innocent' WHERE id = 3")
    assert broken(engine) == (3, "edited")


def test_edited_details_are_detected(engine: Engine) -> None:
    fill(engine)
    attacker(engine, """UPDATE audit_log SET details = '{"i": 99}' WHERE id = 4""")
    assert broken(engine) == (4, "edited")


def test_a_deleted_row_is_detected(engine: Engine) -> None:
    fill(engine)
    attacker(engine, "DELETE FROM audit_log WHERE id = 2")
    assert broken(engine) == (3, "gap")


def test_a_deleted_tail_is_detected(engine: Engine) -> None:
    fill(engine)
    attacker(engine, "DELETE FROM audit_log WHERE id >= 5")
    assert broken(engine) == (5, "head")


def test_an_inserted_row_is_detected(engine: Engine) -> None:
    fill(engine)
    attacker(
        engine,
        "INSERT INTO audit_log (id, occurred_at, actor, action, target_type, details, "
        f"prev_hash, hash) VALUES (7, '2020-01-01 00:00:00', 'forger', 'x', 'x', '{{}}', "
        f"'{GENESIS}', '{'e' * 64}')",
    )
    assert broken(engine) == (7, "link")


def test_a_well_forged_appended_row_is_detected_by_the_head(engine: Engine) -> None:
    fill(engine)
    last = entries(engine)[-1]
    forged = ChainEntry(
        id=7,
        occurred_at="2020-01-01T00:00:00.000000Z",
        actor="forger",
        action="x",
        target_type="x",
        target_id=None,
        details="{}",
        prev_hash=str(last["hash"]),
        hash="",
    )
    digest = recomputed_hash(forged)
    attacker(
        engine,
        "INSERT INTO audit_log (id, occurred_at, actor, action, target_type, details, "
        f"prev_hash, hash) VALUES (7, '2020-01-01 00:00:00', 'forger', 'x', 'x', '{{}}', "
        f"'{last['hash']}', '{digest}')",
    )
    assert broken(engine) == (7, "head")


def test_reordered_rows_are_detected(engine: Engine) -> None:
    fill(engine)
    attacker(
        engine,
        "UPDATE audit_log SET id = 100 WHERE id = 3",
        "UPDATE audit_log SET id = 3 WHERE id = 4",
        "UPDATE audit_log SET id = 4 WHERE id = 100",
    )
    assert broken(engine) == (3, "reordered")


def test_a_rewritten_log_is_detected_against_an_anchor(engine: Engine) -> None:
    fill(engine, 3)
    anchor = audit.verify(engine)
    assert anchor.ok
    attacker(
        engine,
        "DELETE FROM audit_log",
        f"UPDATE audit_chain_head SET last_id = 0, last_hash = '{GENESIS}'",
    )
    fill(engine, 3)  # a new history, consistent on its own…
    report = audit.verify(engine)  # …but not with the checkpoint of the last verification
    assert report.problem is not None and (report.problem.entry_id, report.problem.kind) == (
        3,
        "checkpoint",
    )
    with engine.begin() as conn:  # the attacker rewinds the checkpoint too: only an anchor
        conn.execute(text(f"UPDATE audit_checkpoint SET entry_id = 0, entry_hash = '{GENESIS}'"))
    assert audit.verify(engine).ok
    report = audit.verify(engine, anchors={anchor.last_id: anchor.last_hash})
    assert report.problem is not None and report.problem.kind == "anchor"  # …but not anchored


# --- concurrency ------------------------------------------------------------------------------


def run_threads(n: int, work: Callable[[int], None]) -> None:
    errors: list[BaseException] = []

    def guarded(i: int) -> None:
        try:
            work(i)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


@pytest.mark.postgres
def test_concurrent_writers_do_not_fork_the_chain(engine: Engine) -> None:
    """Eight threads, each with its own connection, commit 25 writes (and 25 explicit
    entries) at once; the chain stays one line: ids 1…400, each following the last."""
    per_thread = 25

    def work(i: int) -> None:
        for k in range(per_thread):
            with engine.begin() as conn:
                conn.execute(insert(m.ImportRow).values({**IMPORT, "filename": f"{i}-{k}"}))
            with engine.begin() as conn:
                hook.note(conn, "test.read", "test", f"{i}-{k}", {"thread": i})

    run_threads(8, work)
    rows = entries(engine)
    assert [r["id"] for r in rows] == list(range(1, 8 * per_thread * 2 + 1))
    report = audit.verify(engine)
    assert report.ok and report.entries == 400
    with engine.connect() as conn:
        assert conn.execute(select(HEAD.c.last_id)).scalar_one() == 400
