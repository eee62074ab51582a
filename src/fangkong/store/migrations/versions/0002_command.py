"""Command (issue 5): response levels and measures, risk rule sets, guidance teams,
directives with recipients, events and attachments, reporting deadlines and report
submissions, urgent event reports, early-warning signals.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "response_levels",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("region_code", sa.String(length=16), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("effective_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("authority", sa.String(length=128), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_code"],
            ["regions.region_code"],
            name=op.f("fk_response_levels_region_code_regions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_response_levels")),
    )
    with op.batch_alter_table("response_levels", schema=None) as batch_op:
        batch_op.create_index(
            "ix_response_levels_region_code_effective_at",
            ["region_code", "effective_at"],
            unique=False,
        )

    op.create_table(
        "response_measures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("text_zh", sa.Text(), nullable=False),
        sa.Column("text_en", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_response_measures")),
        sa.UniqueConstraint("level", "position", name=op.f("uq_response_measures_level_position")),
    )

    op.create_table(
        "risk_rulesets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_rulesets")),
        sa.UniqueConstraint("name", "version", name=op.f("uq_risk_rulesets_name_version")),
    )

    op.create_table(
        "guidance_teams",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("leader", sa.String(length=128), nullable=False),
        sa.Column("members", sa.Text(), nullable=False),
        sa.Column("region_code", sa.String(length=16), nullable=False),
        sa.Column("issuer_jurisdiction", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_code"],
            ["regions.region_code"],
            name=op.f("fk_guidance_teams_region_code_regions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guidance_teams")),
    )

    op.create_table(
        "directives",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("title", sa.String(length=256), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("priority", sa.String(length=16), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issuer", sa.String(length=64), nullable=False),
        sa.Column("issuer_jurisdiction", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directives")),
    )

    op.create_table(
        "directive_recipients",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("directive_id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=16), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=64), nullable=True),
        sa.Column("progress_percent", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["directive_id"],
            ["directives.id"],
            name=op.f("fk_directive_recipients_directive_id_directives"),
        ),
        sa.ForeignKeyConstraint(
            ["region_code"],
            ["regions.region_code"],
            name=op.f("fk_directive_recipients_region_code_regions"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["guidance_teams.id"],
            name=op.f("fk_directive_recipients_team_id_guidance_teams"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directive_recipients")),
    )
    with op.batch_alter_table("directive_recipients", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_directive_recipients_directive_id"), ["directive_id"], unique=False
        )

    op.create_table(
        "directive_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("directive_id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("progress_percent", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["directive_id"],
            ["directives.id"],
            name=op.f("fk_directive_events_directive_id_directives"),
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["directive_recipients.id"],
            name=op.f("fk_directive_events_recipient_id_directive_recipients"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directive_events")),
    )
    with op.batch_alter_table("directive_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_directive_events_directive_id"), ["directive_id"], unique=False
        )

    op.create_table(
        "directive_attachments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("directive_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=256), nullable=False),
        sa.Column("content_type", sa.String(length=128), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("stored_path", sa.String(length=512), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["directive_id"],
            ["directives.id"],
            name=op.f("fk_directive_attachments_directive_id_directives"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directive_attachments")),
    )
    with op.batch_alter_table("directive_attachments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_directive_attachments_directive_id"), ["directive_id"], unique=False
        )

    op.create_table(
        "reporting_deadlines",
        sa.Column("region_code", sa.String(length=16), nullable=False),
        sa.Column("due_time", sa.String(length=5), nullable=False),
        sa.Column("day_offset", sa.Integer(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("urgent_limit_minutes", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("region_code", name=op.f("pk_reporting_deadlines")),
    )

    op.create_table(
        "report_submissions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("region_code", sa.String(length=16), nullable=False),
        sa.Column("report_date", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("correction", sa.Boolean(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["region_code"],
            ["regions.region_code"],
            name=op.f("fk_report_submissions_region_code_regions"),
        ),
        sa.ForeignKeyConstraint(
            ["import_id"], ["imports.id"], name=op.f("fk_report_submissions_import_id_imports")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_submissions")),
    )
    with op.batch_alter_table("report_submissions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_report_submissions_region_code_report_date",
            ["region_code", "report_date"],
            unique=False,
        )

    op.create_table(
        "event_reports",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("region_code", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=256), nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_code"],
            ["regions.region_code"],
            name=op.f("fk_event_reports_region_code_regions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_reports")),
    )
    with op.batch_alter_table("event_reports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_event_reports_region_code"), ["region_code"], unique=False
        )

    op.create_table(
        "warning_signals",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("region_code", sa.String(length=16), nullable=False),
        sa.Column("signal_date", sa.Date(), nullable=False),
        sa.Column("method", sa.String(length=24), nullable=False),
        sa.Column("series", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("observed", sa.Float(), nullable=True),
        sa.Column("threshold", sa.Float(), nullable=True),
        sa.Column("explanation_zh", sa.Text(), nullable=False),
        sa.Column("explanation_en", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_code"],
            ["regions.region_code"],
            name=op.f("fk_warning_signals_region_code_regions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warning_signals")),
        sa.UniqueConstraint(
            "region_code",
            "signal_date",
            "method",
            "series",
            "source",
            name=op.f("uq_warning_signals_region_code_signal_date_method_series_source"),
        ),
    )


def downgrade() -> None:
    op.drop_table("warning_signals")
    with op.batch_alter_table("event_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_reports_region_code"))
    op.drop_table("event_reports")
    with op.batch_alter_table("report_submissions", schema=None) as batch_op:
        batch_op.drop_index("ix_report_submissions_region_code_report_date")
    op.drop_table("report_submissions")
    op.drop_table("reporting_deadlines")
    with op.batch_alter_table("directive_attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_directive_attachments_directive_id"))
    op.drop_table("directive_attachments")
    with op.batch_alter_table("directive_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_directive_events_directive_id"))
    op.drop_table("directive_events")
    with op.batch_alter_table("directive_recipients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_directive_recipients_directive_id"))
    op.drop_table("directive_recipients")
    op.drop_table("directives")
    op.drop_table("guidance_teams")
    op.drop_table("risk_rulesets")
    op.drop_table("response_measures")
    with op.batch_alter_table("response_levels", schema=None) as batch_op:
        batch_op.drop_index("ix_response_levels_region_code_effective_at")
    op.drop_table("response_levels")
