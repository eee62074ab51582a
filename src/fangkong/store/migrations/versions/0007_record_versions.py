"""Record versions for optimistic concurrency (issue 7): a ``version`` counter on the
records that are edited in place — daily reports, hospitals (bed capacity) and hospital
occupancy reports. Every write adds one; the API sends it as the record's ETag and
accepts an edit only with a matching ``If-Match`` (RFC 9110 §13.1.1), so that two people
editing the same record cannot silently overwrite each other.

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("daily_reports", "hospitals", "hospital_occupancy")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("version", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("version")
