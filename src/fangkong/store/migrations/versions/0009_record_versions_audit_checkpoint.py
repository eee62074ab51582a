"""Record versions for the last edits made in place (hardening issue): a ``version``
counter on reporting-deadline rules and on user accounts, like migration 0007 for daily
reports and hospitals. Every write adds one; the API sends it as the record's ETag and
accepts ``PUT /api/v1/timeliness/deadlines/{key}`` of an existing rule and
``PATCH /api/v1/users/{username}`` only with a matching ``If-Match`` (RFC 9110
§13.1.1), so that two commanders setting the same deadline, or two administrators
enabling and disabling the same account, cannot silently overwrite each other.

And the audit chain's verification checkpoint (``audit_checkpoint``, one row): the last
entry verified with its hash and time, and the last full verification, so that the
console verifies only the entries appended since (services/audit.py).

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("reporting_deadlines", "users")
GENESIS = "0" * 64


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    checkpoint = op.create_table(
        "audit_checkpoint",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("entry_id", sa.BigInteger(), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("full_entry_id", sa.BigInteger(), nullable=True),
        sa.Column("full_verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoint")),
    )
    op.bulk_insert(checkpoint, [{"id": 1, "entry_id": 0, "entry_hash": GENESIS}])


def downgrade() -> None:
    op.drop_table("audit_checkpoint")
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("version")
