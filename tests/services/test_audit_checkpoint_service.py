"""Incremental verification of the audit chain from its checkpoint, on both databases:
the checkpoint moves on with every verification that passes (and only then); the
incremental check re-hashes the checkpoint entry and reads only the entries after it,
so it finds a new entry or the checkpoint entry changed, or the tail cut below the
checkpoint; an old entry edited is found by the full verification (``fangkong audit
verify``), which the incremental one does not replace; moving the checkpoint is not
itself an audit entry."""

from __future__ import annotations

import dataclasses

from sqlalchemy import Engine, select, text
from typer.testing import CliRunner

from fangkong.cli import app
from fangkong.core.privacy.audit_log import GENESIS, recomputed_hash
from fangkong.services import audit
from fangkong.settings import Settings
from fangkong.store import audit as hook


def fill(engine: Engine, n: int) -> None:
    for i in range(n):
        with engine.begin() as conn:
            hook.note(conn, "test.entry", "test", str(i), {"i": i}, actor="someone")


def count(engine: Engine) -> int:
    with engine.connect() as conn:
        return len(conn.execute(select(hook.LOG.c.id)).all())


def attacker(engine: Engine, *statements: str) -> None:
    """Run SQL as somebody with direct database access: the append-only triggers are
    dropped first (the fixture restores them for the next test)."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log"))
            conn.execute(text("DROP TRIGGER IF EXISTS audit_log_follows_head ON audit_log"))
            conn.execute(text("DROP TRIGGER IF EXISTS audit_chain_head_guard ON audit_chain_head"))
        else:
            for name in ("no_update", "no_delete", "follows_head"):
                conn.execute(text(f"DROP TRIGGER IF EXISTS audit_log_{name}"))
            conn.execute(text("DROP TRIGGER IF EXISTS audit_chain_head_advance"))
        for statement in statements:
            conn.execute(text(statement))


def rehash(engine: Engine, entry_id: int, actor: str) -> str:
    """Rewrite entry ``entry_id`` with another actor and a hash that matches it (and the
    head, if it is the last entry), as a careful attacker would; the new hash."""
    with engine.connect() as conn:
        row = conn.execute(select(hook.LOG).where(hook.LOG.c.id == entry_id)).one()
    entry = dataclasses.replace(audit._entry(row), actor=actor)
    digest = recomputed_hash(entry)
    attacker(
        engine,
        f"UPDATE audit_log SET actor = '{actor}', hash = '{digest}' WHERE id = {entry_id}",
        f"UPDATE audit_chain_head SET last_hash = '{digest}' WHERE last_id = {entry_id}",
    )
    return digest


def test_the_checkpoint_moves_on_and_only_new_entries_are_read(engine: Engine) -> None:
    first = audit.read_checkpoint(engine)
    assert first is not None and (first.entry_id, first.entry_hash) == (0, GENESIS)
    assert first.verified_at is None and first.full_verified_at is None
    fill(engine, 6)
    # no checkpoint yet: the incremental check walks everything, i.e. a full one
    done = audit.verify_incremental(engine)
    assert done.report.ok and done.full and done.report.entries == 6
    cp = done.checkpoint
    assert cp is not None and cp.entry_id == 6 and cp.full_entry_id == 6
    assert cp.verified_at == done.checked_at == cp.full_verified_at
    assert count(engine) == 6  # a verification is not an entry

    fill(engine, 4)
    again = audit.verify_incremental(engine)
    assert again.report.ok and not again.full
    assert (again.report.first_id, again.report.last_id, again.report.entries) == (6, 10, 5)
    assert again.checkpoint is not None and again.checkpoint.entry_id == 10
    assert again.checkpoint.full_entry_id == 6  # the last full one is still the first
    assert again.checkpoint.full_verified_at == cp.full_verified_at
    quiet = audit.verify_incremental(engine)  # nothing new: the checkpoint re-hashed only
    assert quiet.report.ok and quiet.report.entries == 1 and quiet.report.first_id == 10

    full = audit.verify_full(engine)
    assert full.report.ok and full.report.entries == 10 and full.full
    assert full.checkpoint is not None and full.checkpoint.full_entry_id == 10
    assert count(engine) == 10


def test_an_old_entry_edited_is_found_by_the_full_verification(
    engine: Engine, settings: Settings
) -> None:
    fill(engine, 10)
    assert audit.verify_incremental(engine).report.ok  # checkpoint: entry 10
    attacker(engine, "UPDATE audit_log SET actor = 'nobody' WHERE id = 3")
    # below the checkpoint: not re-read by the incremental check (that is its price)
    assert audit.verify_incremental(engine).report.ok
    full = audit.verify_full(engine)
    assert full.report.problem is not None
    assert (full.report.problem.entry_id, full.report.problem.kind) == (3, "edited")
    assert full.checkpoint is not None and full.checkpoint.full_entry_id == 10  # unchanged
    cli = CliRunner().invoke(
        app, ["audit", "verify"], env={"FANGKONG_DATABASE_URL": settings.database_url}
    )
    assert cli.exit_code == 1 and "BROKEN at entry 3 (edited)" in cli.output


def test_the_checkpoint_entry_is_re_hashed(engine: Engine) -> None:
    fill(engine, 8)
    assert audit.verify_incremental(engine).report.ok  # checkpoint: entry 8
    attacker(engine, "UPDATE audit_log SET details = '{}' WHERE id = 8")
    edited = audit.verify_incremental(engine)
    assert edited.report.problem is not None and not edited.full
    assert (edited.report.problem.entry_id, edited.report.problem.kind) == (8, "edited")
    assert edited.checkpoint is not None and edited.checkpoint.entry_id == 8  # not moved


def test_a_consistent_rewrite_up_to_the_checkpoint_is_found(engine: Engine) -> None:
    """Entries rewritten with matching hashes, head included, fool a walk without
    anchors; the checkpoint kept by the database catches it, in both checks."""
    fill(engine, 8)
    assert audit.verify_incremental(engine).report.ok  # checkpoint: entry 8
    for entry_id in range(6, 9):  # entries 6-8 rewritten, each linked to the new one
        digest = rehash(engine, entry_id, "nobody")
        if entry_id < 8:
            attacker(
                engine, f"UPDATE audit_log SET prev_hash = '{digest}' WHERE id = {entry_id + 1}"
            )
    assert audit._walk(engine).ok  # without the checkpoint: a consistent chain
    for check in (audit.verify_incremental, audit.verify_full):
        caught = check(engine)
        assert caught.report.problem is not None, check
        assert (caught.report.problem.entry_id, caught.report.problem.kind) == (8, "checkpoint")
        assert caught.checkpoint is not None and caught.checkpoint.entry_id == 8


def test_new_entries_edited_or_removed_are_found(engine: Engine) -> None:
    fill(engine, 5)
    assert audit.verify_incremental(engine).report.ok  # checkpoint: entry 5
    fill(engine, 4)
    attacker(engine, "UPDATE audit_log SET actor = 'nobody' WHERE id = 7")
    found = audit.verify_incremental(engine)
    assert found.report.problem is not None
    assert (found.report.problem.entry_id, found.report.problem.kind) == (7, "edited")
    assert found.checkpoint is not None and found.checkpoint.entry_id == 5


def test_a_tail_cut_below_the_checkpoint_is_found(engine: Engine) -> None:
    fill(engine, 6)
    assert audit.verify_incremental(engine).report.ok  # checkpoint: entry 6
    with engine.connect() as conn:
        fourth = conn.execute(select(hook.LOG.c.hash).where(hook.LOG.c.id == 4)).scalar_one()
    attacker(
        engine,
        "DELETE FROM audit_log WHERE id > 4",
        f"UPDATE audit_chain_head SET last_id = 4, last_hash = '{fourth}'",
    )
    # log and head agree: only the checkpoint shows entries 5 and 6 are gone
    for check in (audit.verify_incremental, audit.verify_full):
        cut = check(engine)
        assert cut.report.problem is not None, check
        assert (cut.report.problem.entry_id, cut.report.problem.kind) == (6, "checkpoint")
