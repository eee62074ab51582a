"""``data_changes``: a counter of committed changes of the published figures.

The data version of the public read models (:func:`fangkong.services.public.
data_version`) must change whenever a transaction that changed figures commits. The
largest ids and update time of the figure tables do not always show it on
PostgreSQL: ids and times are taken when a row is written, so a transaction that wrote
earlier but commits later adds nothing larger. This one-row counter is incremented at
the commit of every transaction that wrote figures, while the audit chain's head is
locked (:mod:`fangkong.store.changes`), so its committed values follow commit order.

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "data_changes",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("figures", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_changes")),
    )
    op.bulk_insert(table, [{"id": 1, "figures": 0}])


def downgrade() -> None:
    op.drop_table("data_changes")
