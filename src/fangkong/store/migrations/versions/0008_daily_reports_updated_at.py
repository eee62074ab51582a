"""An index on ``daily_reports.updated_at``: the data version of the public read models
(:func:`fangkong.services.public.data_version`) reads ``max(updated_at)`` about once a
second per server process; without the index that is a scan of every daily report
(about half a second on a national dataset of 1.2 million rows), with it one index
probe.

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_daily_reports_updated_at", "daily_reports", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_daily_reports_updated_at", table_name="daily_reports")
