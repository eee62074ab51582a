"""Resources (issue 6), continued: patients' stays in hospital beds — admissions,
transfers and discharges linked to case records, with severity — and the day a
supply request is needed by (which period of a multi-period allocation plan its
lines fall in).

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "patient_stays",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_record_id", sa.Integer(), nullable=False),
        sa.Column("hospital_code", sa.String(length=32), nullable=False),
        sa.Column("bed_type", sa.String(length=16), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("admission_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("end_reason", sa.String(length=16), nullable=True),
        sa.Column("transferred_from_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_record_id"],
            ["case_records.id"],
            name=op.f("fk_patient_stays_case_record_id_case_records"),
        ),
        sa.ForeignKeyConstraint(
            ["hospital_code"],
            ["hospitals.hospital_code"],
            name=op.f("fk_patient_stays_hospital_code_hospitals"),
        ),
        sa.ForeignKeyConstraint(
            ["transferred_from_id"],
            ["patient_stays.id"],
            name=op.f("fk_patient_stays_transferred_from_id_patient_stays"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patient_stays")),
    )
    with op.batch_alter_table("patient_stays", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_patient_stays_case_record_id"), ["case_record_id"], unique=False
        )
        batch_op.create_index(
            "ix_patient_stays_hospital_code_admission_date",
            ["hospital_code", "admission_date"],
            unique=False,
        )
    with op.batch_alter_table("supply_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("needed_by", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("supply_requests", schema=None) as batch_op:
        batch_op.drop_column("needed_by")
    with op.batch_alter_table("patient_stays", schema=None) as batch_op:
        batch_op.drop_index("ix_patient_stays_hospital_code_admission_date")
        batch_op.drop_index(batch_op.f("ix_patient_stays_case_record_id"))
    op.drop_table("patient_stays")
