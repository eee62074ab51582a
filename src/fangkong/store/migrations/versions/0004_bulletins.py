"""Bulletins (issue 4): daily bulletins (zh/en) for a region and date — drafts with
their consistency-check results, and published, numbered, frozen versions whose
corrections (version 2, 3, …) carry the difference from the previous version and the
reason; the public corrections log is read from the corrected versions.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bulletins",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("region_code", sa.String(length=16), nullable=False),
        sa.Column("report_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("figures", sa.Text(), nullable=False),
        sa.Column("text_zh", sa.Text(), nullable=False),
        sa.Column("text_en", sa.Text(), nullable=False),
        sa.Column("checks", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("changes", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_by", sa.String(length=64), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["region_code"],
            ["regions.region_code"],
            name=op.f("fk_bulletins_region_code_regions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulletins")),
        sa.UniqueConstraint(
            "region_code",
            "report_date",
            "version",
            name=op.f("uq_bulletins_region_code_report_date_version"),
        ),
    )
    with op.batch_alter_table("bulletins", schema=None) as batch_op:
        batch_op.create_index(
            "ix_bulletins_status_published_at", ["status", "published_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("bulletins", schema=None) as batch_op:
        batch_op.drop_index("ix_bulletins_status_published_at")

    op.drop_table("bulletins")
