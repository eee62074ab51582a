"""Audit log (issue 7): an append-only, hash-chained log of every write and of every
read of personal fields, and its one-row chain head.

Database triggers make the log append-only on SQLite and PostgreSQL alike: UPDATE and
DELETE of ``audit_log`` are refused (and TRUNCATE on PostgreSQL); an INSERT whose ``id``
is not the head's ``last_id + 1`` or whose ``prev_hash`` is not the head's hash is
refused, so even a faulty writer cannot fork the chain; the head row cannot be deleted
or added to, and may only advance by one entry, to an entry that exists with that hash.
An attacker with full access to the database can drop the triggers; ``fangkong audit
verify`` then still shows what was changed (core/privacy/audit_log.py).

Note for later migrations: SQLite "batch" table rebuilds drop a table's triggers;
re-create them after rebuilding ``audit_log`` or ``audit_chain_head``.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS = "0" * 64

SQLITE_TRIGGERS = (
    """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE is not allowed'); END""",
    """CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: DELETE is not allowed'); END""",
    """CREATE TRIGGER audit_log_follows_head BEFORE INSERT ON audit_log
WHEN NEW.id IS NOT (SELECT last_id + 1 FROM audit_chain_head WHERE id = 1)
  OR NEW.prev_hash IS NOT (SELECT last_hash FROM audit_chain_head WHERE id = 1)
BEGIN SELECT RAISE(ABORT, 'audit_log entry does not follow the chain head'); END""",
    """CREATE TRIGGER audit_chain_head_no_insert BEFORE INSERT ON audit_chain_head
BEGIN SELECT RAISE(ABORT, 'audit_chain_head has one row: INSERT is not allowed'); END""",
    """CREATE TRIGGER audit_chain_head_no_delete BEFORE DELETE ON audit_chain_head
BEGIN SELECT RAISE(ABORT, 'audit_chain_head has one row: DELETE is not allowed'); END""",
    """CREATE TRIGGER audit_chain_head_advance BEFORE UPDATE ON audit_chain_head
WHEN NEW.id IS NOT OLD.id
  OR ((NEW.last_id IS NOT OLD.last_id OR NEW.last_hash IS NOT OLD.last_hash)
      AND (NEW.last_id IS NOT OLD.last_id + 1
           OR NOT EXISTS (SELECT 1 FROM audit_log
                          WHERE id = NEW.last_id AND hash = NEW.last_hash)))
BEGIN SELECT RAISE(ABORT, 'audit_chain_head may only advance to the next entry'); END""",
)
SQLITE_TRIGGER_NAMES = (
    "audit_log_no_update",
    "audit_log_no_delete",
    "audit_log_follows_head",
    "audit_chain_head_no_insert",
    "audit_chain_head_no_delete",
    "audit_chain_head_advance",
)

POSTGRES_UP = (
    """CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$""",
    """CREATE FUNCTION audit_log_check_link() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  head_id bigint;
  head_hash varchar(64);
BEGIN
  SELECT last_id, last_hash INTO head_id, head_hash FROM audit_chain_head WHERE id = 1;
  IF head_id IS NULL OR NEW.id <> head_id + 1 OR NEW.prev_hash <> head_hash THEN
    RAISE EXCEPTION 'audit_log entry % does not follow the chain head (entry %)',
      NEW.id, head_id USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$""",
    """CREATE FUNCTION audit_chain_head_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'UPDATE' THEN
    RAISE EXCEPTION 'audit_chain_head has one row: % is not allowed', TG_OP
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NEW.id <> OLD.id
     OR ((NEW.last_id, NEW.last_hash) IS DISTINCT FROM (OLD.last_id, OLD.last_hash)
         AND (NEW.last_id <> OLD.last_id + 1
              OR NOT EXISTS (SELECT 1 FROM audit_log
                             WHERE id = NEW.last_id AND hash = NEW.last_hash))) THEN
    RAISE EXCEPTION 'audit_chain_head may only advance to the next entry'
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$""",
    """CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()""",
    """CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()""",
    """CREATE TRIGGER audit_log_follows_head BEFORE INSERT ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_check_link()""",
    """CREATE TRIGGER audit_chain_head_guard BEFORE INSERT OR UPDATE OR DELETE
ON audit_chain_head FOR EACH ROW EXECUTE FUNCTION audit_chain_head_check()""",
    """CREATE TRIGGER audit_chain_head_no_truncate BEFORE TRUNCATE ON audit_chain_head
FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()""",
)
POSTGRES_DOWN = (
    "DROP TRIGGER IF EXISTS audit_chain_head_no_truncate ON audit_chain_head",
    "DROP TRIGGER IF EXISTS audit_chain_head_guard ON audit_chain_head",
    "DROP TRIGGER IF EXISTS audit_log_follows_head ON audit_log",
    "DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log",
    "DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log",
    "DROP FUNCTION IF EXISTS audit_chain_head_check()",
    "DROP FUNCTION IF EXISTS audit_log_check_link()",
    "DROP FUNCTION IF EXISTS audit_refuse_change()",
)


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=96), nullable=False),
        sa.Column("target_type", sa.String(length=64), nullable=False),
        sa.Column("target_id", sa.String(length=256), nullable=True),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_log_hash")),
    )
    op.create_index(op.f("ix_audit_log_occurred_at"), "audit_log", ["occurred_at"], unique=False)
    op.create_index(op.f("ix_audit_log_actor"), "audit_log", ["actor"], unique=False)
    op.create_index(op.f("ix_audit_log_action"), "audit_log", ["action"], unique=False)
    head = op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_id", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain_head")),
    )
    op.bulk_insert(head, [{"id": 1, "last_id": 0, "last_hash": GENESIS}])
    statements = POSTGRES_UP if op.get_bind().dialect.name == "postgresql" else SQLITE_TRIGGERS
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES_DOWN:
            op.execute(statement)
    else:
        for name in SQLITE_TRIGGER_NAMES:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("audit_chain_head")
    op.drop_index(op.f("ix_audit_log_action"), table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_actor"), table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_occurred_at"), table_name="audit_log")
    op.drop_table("audit_log")
