"""Tables. The schema is created only by the Alembic migrations in ``migrations/``;
``tests/store/test_migrations.py`` fails when these models and the migrations drift."""

from __future__ import annotations

from datetime import date, datetime
from typing import cast

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def table_of(model: type[Base]) -> Table:
    """The Core ``Table`` of a mapped class, typed as such (for bulk statements)."""
    return cast(Table, model.__table__)


class RegionRow(Base):
    __tablename__ = "regions"

    region_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    level: Mapped[str] = mapped_column(String(16))
    parent_code: Mapped[str | None] = mapped_column(
        String(16), ForeignKey("regions.region_code"), index=True
    )
    name_zh: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(128))
    population: Mapped[int | None] = mapped_column(BigInteger)


class RegionAliasRow(Base):
    """Other names and codes of a region (JHU country names, ISO codes of HK/MO/TW)."""

    __tablename__ = "region_aliases"

    scheme: Mapped[str] = mapped_column(String(32), primary_key=True)
    alias: Mapped[str] = mapped_column(String(128), primary_key=True)
    region_code: Mapped[str] = mapped_column(String(16), ForeignKey("regions.region_code"))


class ImportRow(Base):
    __tablename__ = "imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    format: Mapped[str] = mapped_column(String(32))
    filename: Mapped[str] = mapped_column(String(512))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    actor: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_inserted: Mapped[int] = mapped_column(Integer, default=0)
    rows_updated: Mapped[int] = mapped_column(Integer, default=0)
    rows_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rows_rejected: Mapped[int] = mapped_column(Integer, default=0)
    reject_file: Mapped[str | None] = mapped_column(String(512))
    summary: Mapped[str | None] = mapped_column(Text)


class ImportIssueRow(Base):
    """A rejected or repaired row of an import, with its reason (kept, never lost)."""

    __tablename__ = "import_issues"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("imports.id"), index=True)
    line: Mapped[int] = mapped_column(Integer)
    column: Mapped[str] = mapped_column(String(128))
    value: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(16))
    raw: Mapped[str | None] = mapped_column(Text)


class DailyReportRow(Base):
    __tablename__ = "daily_reports"
    __table_args__ = (UniqueConstraint("region_code", "report_date", "source"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    region_code: Mapped[str] = mapped_column(
        String(16), ForeignKey("regions.region_code"), index=True
    )
    report_date: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(32))
    new_confirmed: Mapped[int | None] = mapped_column(Integer)
    new_confirmed_imported: Mapped[int | None] = mapped_column(Integer)
    new_suspected: Mapped[int | None] = mapped_column(Integer)
    new_deaths: Mapped[int | None] = mapped_column(Integer)
    new_recovered: Mapped[int | None] = mapped_column(Integer)
    new_asymptomatic: Mapped[int | None] = mapped_column(Integer)
    tests: Mapped[int | None] = mapped_column(Integer)
    current_severe: Mapped[int | None] = mapped_column(Integer)
    current_suspected: Mapped[int | None] = mapped_column(Integer)
    close_contacts_under_observation: Mapped[int | None] = mapped_column(Integer)
    flags: Mapped[str | None] = mapped_column(String(256))
    import_id: Mapped[int | None] = mapped_column(ForeignKey("imports.id"))
    #: Indexed: ``max(updated_at)`` is part of the public read models' data version.
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    #: Write counter: one more on every change; the record's ETag (optimistic concurrency).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class CaseRecordRow(Base):
    __tablename__ = "case_records"
    __table_args__ = (
        UniqueConstraint("source", "case_id"),
        Index("ix_case_records_region_code_onset_date", "region_code", "onset_date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(64))
    case_id: Mapped[str] = mapped_column(String(64))
    region_code: Mapped[str] = mapped_column(String(16), ForeignKey("regions.region_code"))
    classification: Mapped[str] = mapped_column(String(24))
    onset_date: Mapped[date | None] = mapped_column(Date)
    confirmation_date: Mapped[date | None] = mapped_column(Date)
    report_date: Mapped[date | None] = mapped_column(Date)
    imported: Mapped[bool | None] = mapped_column(Boolean)
    origin: Mapped[str | None] = mapped_column(String(128))
    severity: Mapped[str | None] = mapped_column(String(16))
    outcome: Mapped[str | None] = mapped_column(String(16))
    outcome_date: Mapped[date | None] = mapped_column(Date)
    age_years: Mapped[int | None] = mapped_column(Integer)
    age_band: Mapped[str | None] = mapped_column(String(16))
    sex: Mapped[str | None] = mapped_column(String(8))
    health_worker: Mapped[bool | None] = mapped_column(Boolean)
    cluster_id: Mapped[str | None] = mapped_column(String(64))
    #: The import that last wrote the row (provenance). Deliberately no foreign key: a
    #: per-row referential check costs PostgreSQL about a fifth of a bulk ``COPY`` of the
    #: line list, and import rows are never deleted.
    import_id: Mapped[int | None] = mapped_column(Integer)


class RevisionRow(Base):
    __tablename__ = "revisions"
    __table_args__ = (Index("ix_revisions_entity_entity_key", "entity", "entity_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entity: Mapped[str] = mapped_column(String(32))
    entity_key: Mapped[str] = mapped_column(String(160))
    field: Mapped[str] = mapped_column(String(64))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    import_id: Mapped[int | None] = mapped_column(ForeignKey("imports.id"))


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(24))
    #: A region code or "*" (every region), so deliberately no foreign key to regions;
    #: services/users.py checks the value.
    jurisdiction: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: Write counter of the account (enabled/disabled): its ETag (optimistic concurrency).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class ApiTokenRow(Base):
    """Bearer tokens; only a SHA-256 of the token is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


# --- Command (issue 5) ---


class ResponseLevelRow(Base):
    """One change of a region's public-health emergency response level (history row;
    the current level is the latest row in effect, see core/rules/response.py)."""

    __tablename__ = "response_levels"
    __table_args__ = (
        Index("ix_response_levels_region_code_effective_at", "region_code", "effective_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    region_code: Mapped[str] = mapped_column(String(16), ForeignKey("regions.region_code"))
    level: Mapped[str] = mapped_column(String(8))
    action: Mapped[str] = mapped_column(String(16))
    effective_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str] = mapped_column(Text)
    authority: Mapped[str] = mapped_column(String(128))
    actor: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ResponseMeasureRow(Base):
    """An entry of the editable measures catalogue of a response level (zh/en)."""

    __tablename__ = "response_measures"
    __table_args__ = (UniqueConstraint("level", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    level: Mapped[str] = mapped_column(String(8))
    position: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(32))
    text_zh: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RiskRuleSetRow(Base):
    """A user-defined risk-zoning rule set (JSON definition, versioned by name+version)."""

    __tablename__ = "risk_rulesets"
    __table_args__ = (UniqueConstraint("name", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(32))
    unit: Mapped[str] = mapped_column(String(16))
    definition: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class GuidanceTeamRow(Base):
    """A guidance team (指导组) sent by a command to a region."""

    __tablename__ = "guidance_teams"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128))
    leader: Mapped[str] = mapped_column(String(128))
    members: Mapped[str] = mapped_column(Text)
    region_code: Mapped[str] = mapped_column(String(16), ForeignKey("regions.region_code"))
    issuer_jurisdiction: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class DirectiveRow(Base):
    __tablename__ = "directives"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(256))
    body: Mapped[str] = mapped_column(Text)
    priority: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    issuer: Mapped[str] = mapped_column(String(64))
    #: The issuer's jurisdiction when issued ("*" or a region code), for the dashboard.
    issuer_jurisdiction: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class DirectiveRecipientRow(Base):
    """A region (or a guidance team sent to that region) that must act on a directive."""

    __tablename__ = "directive_recipients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    directive_id: Mapped[int] = mapped_column(ForeignKey("directives.id"), index=True)
    region_code: Mapped[str] = mapped_column(String(16), ForeignKey("regions.region_code"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("guidance_teams.id"))
    status: Mapped[str] = mapped_column(String(16))
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))
    progress_percent: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DirectiveEventRow(Base):
    """Issue, acknowledgement, progress, completion, escalation of a directive (audit)."""

    __tablename__ = "directive_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    directive_id: Mapped[int] = mapped_column(ForeignKey("directives.id"), index=True)
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("directive_recipients.id"))
    kind: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text)
    progress_percent: Mapped[int | None] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DirectiveAttachmentRow(Base):
    __tablename__ = "directive_attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    directive_id: Mapped[int] = mapped_column(ForeignKey("directives.id"), index=True)
    filename: Mapped[str] = mapped_column(String(256))
    content_type: Mapped[str] = mapped_column(String(128))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    stored_path: Mapped[str] = mapped_column(String(512))
    actor: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ReportingDeadlineRow(Base):
    """Daily-report deadline of a region ("*" = the default for every region)."""

    __tablename__ = "reporting_deadlines"

    #: A region code or "*", so deliberately no foreign key to regions.
    region_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    due_time: Mapped[str] = mapped_column(String(5))
    day_offset: Mapped[int] = mapped_column(Integer)
    timezone: Mapped[str] = mapped_column(String(64))
    urgent_limit_minutes: Mapped[int] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: Write counter: one more on every change; the rule's ETag (optimistic concurrency).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class ReportSubmissionRow(Base):
    """When a region's daily report for a date was submitted (first or correction)."""

    __tablename__ = "report_submissions"
    __table_args__ = (
        Index("ix_report_submissions_region_code_report_date", "region_code", "report_date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    region_code: Mapped[str] = mapped_column(String(16), ForeignKey("regions.region_code"))
    report_date: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(32))
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    correction: Mapped[bool] = mapped_column(Boolean)
    actor: Mapped[str] = mapped_column(String(64))
    import_id: Mapped[int | None] = mapped_column(ForeignKey("imports.id"))


class EventReportRow(Base):
    """An urgent public-health event report, timed against the 2-hour/1-hour limits."""

    __tablename__ = "event_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    region_code: Mapped[str] = mapped_column(
        String(16), ForeignKey("regions.region_code"), index=True
    )
    title: Mapped[str] = mapped_column(String(256))
    detected_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reported_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class WarningSignalRow(Base):
    """An early-warning signal found by a scan (aberration or data quality)."""

    __tablename__ = "warning_signals"
    __table_args__ = (UniqueConstraint("region_code", "signal_date", "method", "series", "source"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    region_code: Mapped[str] = mapped_column(String(16), ForeignKey("regions.region_code"))
    signal_date: Mapped[date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(24))
    series: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(32))
    observed: Mapped[float | None] = mapped_column(Float)
    threshold: Mapped[float | None] = mapped_column(Float)
    explanation_zh: Mapped[str] = mapped_column(Text)
    explanation_en: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# --- end Command (issue 5) ---


# --- Resources (issue 6) ---
#
# Actors are stored as usernames (text), never as foreign keys to ``users``: the record
# of who moved stock must outlive the account.


class SupplyItemRow(Base):
    """A catalogue item (reference data, ``fangkong/data/supplies_catalogue.csv``):
    quantities everywhere are base units (``unit``); ``pack_size`` units leave a depot
    together."""

    __tablename__ = "supply_items"

    item_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(128))
    category: Mapped[str] = mapped_column(String(32))
    unit: Mapped[str] = mapped_column(String(16))
    pack_size: Mapped[int] = mapped_column(Integer)


class HospitalRow(Base):
    """A designated hospital, temporary shelter hospital (方舱医院) or fever clinic,
    with its bed capacity by type."""

    __tablename__ = "hospitals"

    hospital_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(24))
    region_code: Mapped[str] = mapped_column(
        String(16), ForeignKey("regions.region_code"), index=True
    )
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    beds_general: Mapped[int] = mapped_column(Integer)
    beds_isolation: Mapped[int] = mapped_column(Integer)
    beds_icu: Mapped[int] = mapped_column(Integer)
    beds_ventilator: Mapped[int] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: Write counter: one more on every change of the capacity; the hospital's ETag.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class WarehouseRow(Base):
    """A place that holds stock: a depot (kind "depot") or a hospital's own store
    (kind "hospital", one per hospital, created with it)."""

    __tablename__ = "warehouses"

    warehouse_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    region_code: Mapped[str] = mapped_column(
        String(16), ForeignKey("regions.region_code"), index=True
    )
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    hospital_code: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("hospitals.hospital_code"), unique=True
    )
    actor: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SupplyLotRow(Base):
    """A batch of one item with one expiry date; damaged lots are unusable."""

    __tablename__ = "supply_lots"

    lot_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    item_code: Mapped[str] = mapped_column(
        String(32), ForeignKey("supply_items.item_code"), index=True
    )
    expiry_date: Mapped[date | None] = mapped_column(Date)
    damaged: Mapped[bool] = mapped_column(Boolean, default=False)
    manufacturer: Mapped[str | None] = mapped_column(String(128))
    actor: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class StockBalanceRow(Base):
    """Units of a lot in a warehouse: the running total of the movements, kept in the
    same transaction as each movement (and checked against them by the tests)."""

    __tablename__ = "stock_balances"

    warehouse_code: Mapped[str] = mapped_column(
        String(32), ForeignKey("warehouses.warehouse_code"), primary_key=True
    )
    lot_code: Mapped[str] = mapped_column(
        String(64), ForeignKey("supply_lots.lot_code"), primary_key=True
    )
    item_code: Mapped[str] = mapped_column(
        String(32), ForeignKey("supply_items.item_code"), index=True
    )
    quantity: Mapped[int] = mapped_column(Integer)


class DonationRow(Base):
    """A donation received into a warehouse, with donor and provenance (public)."""

    __tablename__ = "donations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    donor: Mapped[str] = mapped_column(String(256))
    donor_kind: Mapped[str] = mapped_column(String(24))
    provenance: Mapped[str] = mapped_column(Text)
    received_date: Mapped[date] = mapped_column(Date)
    item_code: Mapped[str] = mapped_column(String(32), ForeignKey("supply_items.item_code"))
    quantity: Mapped[int] = mapped_column(Integer)
    lot_code: Mapped[str] = mapped_column(String(64), ForeignKey("supply_lots.lot_code"))
    warehouse_code: Mapped[str] = mapped_column(String(32), ForeignKey("warehouses.warehouse_code"))
    note: Mapped[str] = mapped_column(Text)
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    actor: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SupplyRequestRow(Base):
    """A hospital's request for supplies. Its status is derived from the line
    quantities (core/supplies/requests.py) and deliberately not stored."""

    __tablename__ = "supply_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    hospital_code: Mapped[str] = mapped_column(
        String(32), ForeignKey("hospitals.hospital_code"), index=True
    )
    priority: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    submitted_by: Mapped[str | None] = mapped_column(String(64))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_note: Mapped[str | None] = mapped_column(Text)
    #: The day the supplies are needed by (None: as soon as possible); it puts the
    #: request's lines in a period of a multi-period allocation plan (migration 0005).
    needed_by: Mapped[date | None] = mapped_column(Date)


class SupplyRequestLineRow(Base):
    """One item of a request: quantities in base units at each step."""

    __tablename__ = "supply_request_lines"
    __table_args__ = (UniqueConstraint("request_id", "item_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("supply_requests.id"), index=True)
    item_code: Mapped[str] = mapped_column(String(32), ForeignKey("supply_items.item_code"))
    requested: Mapped[int] = mapped_column(Integer)
    submitted: Mapped[int | None] = mapped_column(Integer)
    approved: Mapped[int | None] = mapped_column(Integer)
    committed: Mapped[int] = mapped_column(Integer, default=0)
    shipped: Mapped[int] = mapped_column(Integer, default=0)
    received: Mapped[int] = mapped_column(Integer, default=0)


class AllocationPlanRow(Base):
    """An optimal allocation computed from usable depot stock and approved needs."""

    __tablename__ = "allocation_plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    plan_date: Mapped[date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(32))
    min_fill: Mapped[float] = mapped_column(Float)
    greedy_min_fill: Mapped[float] = mapped_column(Float)
    unmet_units: Mapped[int] = mapped_column(Integer)
    greedy_unmet_units: Mapped[int] = mapped_column(Integer)
    cost_km: Mapped[float] = mapped_column(Float)
    solve_seconds: Mapped[float] = mapped_column(Float)
    summary: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AllocationExplanationRow(Base):
    """Why a hospital got what it got in a plan, in plain words (zh/en)."""

    __tablename__ = "allocation_explanations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("allocation_plans.id"), index=True)
    hospital_code: Mapped[str] = mapped_column(String(32), ForeignKey("hospitals.hospital_code"))
    text_zh: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)


class ShipmentRow(Base):
    """Supplies moving from a depot to a hospital's store: draft (from a plan) →
    confirmed (logistics officer) → dispatched (issued) → received (with proof), or
    cancelled before dispatch."""

    __tablename__ = "shipments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("allocation_plans.id"), index=True)
    from_warehouse: Mapped[str] = mapped_column(String(32), ForeignKey("warehouses.warehouse_code"))
    to_warehouse: Mapped[str] = mapped_column(String(32), ForeignKey("warehouses.warehouse_code"))
    hospital_code: Mapped[str] = mapped_column(
        String(32), ForeignKey("hospitals.hospital_code"), index=True
    )
    distance_km: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16))
    carrier: Mapped[str | None] = mapped_column(String(128))
    tracking_number: Mapped[str | None] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    confirmed_by: Mapped[str | None] = mapped_column(String(64))
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    dispatched_by: Mapped[str | None] = mapped_column(String(64))
    dispatched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    received_by: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    proof_signed_by: Mapped[str | None] = mapped_column(String(128))
    proof_reference: Mapped[str | None] = mapped_column(String(128))
    proof_note: Mapped[str | None] = mapped_column(Text)


class ShipmentLineRow(Base):
    """An item of a shipment, serving one request line (base units)."""

    __tablename__ = "shipment_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id"), index=True)
    request_line_id: Mapped[int] = mapped_column(ForeignKey("supply_request_lines.id"))
    item_code: Mapped[str] = mapped_column(String(32), ForeignKey("supply_items.item_code"))
    packs: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)
    received_quantity: Mapped[int | None] = mapped_column(Integer)


class StockMovementRow(Base):
    """One line of the stock card (append-only; never updated or deleted)."""

    __tablename__ = "stock_movements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    item_code: Mapped[str] = mapped_column(
        String(32), ForeignKey("supply_items.item_code"), index=True
    )
    lot_code: Mapped[str] = mapped_column(
        String(64), ForeignKey("supply_lots.lot_code"), index=True
    )
    quantity: Mapped[int] = mapped_column(Integer)
    movement_date: Mapped[date] = mapped_column(Date)
    from_warehouse: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("warehouses.warehouse_code")
    )
    to_warehouse: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("warehouses.warehouse_code")
    )
    reason: Mapped[str] = mapped_column(Text)
    #: What caused the movement, e.g. "shipment:12" or "donation:3".
    reference: Mapped[str | None] = mapped_column(String(64))
    shipment_line_id: Mapped[int | None] = mapped_column(ForeignKey("shipment_lines.id"))
    actor: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class HospitalOccupancyRow(Base):
    """A hospital's daily bed occupancy report, by bed type."""

    __tablename__ = "hospital_occupancy"
    __table_args__ = (UniqueConstraint("hospital_code", "report_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    hospital_code: Mapped[str] = mapped_column(String(32), ForeignKey("hospitals.hospital_code"))
    report_date: Mapped[date] = mapped_column(Date)
    occupied_general: Mapped[int] = mapped_column(Integer)
    occupied_isolation: Mapped[int] = mapped_column(Integer)
    occupied_icu: Mapped[int] = mapped_column(Integer)
    occupied_ventilator: Mapped[int] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: Write counter: one more on every correction; the report's ETag.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class MedicalTeamRow(Base):
    """A medical team (医疗队) sent from a province to a hospital or region: dispatched,
    arrived, due for rotation, returned. ``members`` is a JSON list of
    ``{"name", "specialty"}``."""

    __tablename__ = "medical_teams"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128))
    origin_code: Mapped[str] = mapped_column(String(16), ForeignKey("regions.region_code"))
    leader: Mapped[str] = mapped_column(String(128))
    members: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(Integer)
    region_code: Mapped[str] = mapped_column(
        String(16), ForeignKey("regions.region_code"), index=True
    )
    hospital_code: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("hospitals.hospital_code")
    )
    departure_date: Mapped[date] = mapped_column(Date)
    arrival_date: Mapped[date | None] = mapped_column(Date)
    rotation_due_date: Mapped[date | None] = mapped_column(Date)
    return_date: Mapped[date | None] = mapped_column(Date)
    actor: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PairingRow(Base):
    """A province-to-city pairing assignment (对口支援): one province supports one city."""

    __tablename__ = "pairing_assignments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    province_code: Mapped[str] = mapped_column(String(16), ForeignKey("regions.region_code"))
    city_code: Mapped[str] = mapped_column(String(16), ForeignKey("regions.region_code"))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    actor: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PatientStayRow(Base):
    """A patient's stay in one bed type of one hospital (migration 0005): admitted
    with a severity (clinical type of the NHC protocol), ended by discharge, death or
    transfer. A transfer (to another hospital, or to another bed type of the same one,
    e.g. into intensive care) ends the stay and opens the next one, which points back
    to it (``transferred_from_id``). Each stay names its case record; a case has at
    most one open stay. Bed occupancy on a day is the count of stays open that day."""

    __tablename__ = "patient_stays"
    __table_args__ = (
        Index("ix_patient_stays_hospital_code_admission_date", "hospital_code", "admission_date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_record_id: Mapped[int] = mapped_column(ForeignKey("case_records.id"), index=True)
    hospital_code: Mapped[str] = mapped_column(String(32), ForeignKey("hospitals.hospital_code"))
    bed_type: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str] = mapped_column(String(16))
    admission_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    #: discharged, died or transferred (None while the stay is open).
    end_reason: Mapped[str | None] = mapped_column(String(16))
    transferred_from_id: Mapped[int | None] = mapped_column(ForeignKey("patient_stays.id"))
    note: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_by: Mapped[str | None] = mapped_column(String(64))


# --- end Resources (issue 6) ---


# --- Bulletins (issue 4) ---


class BulletinRow(Base):
    """A daily bulletin of a region and date: a draft (``version`` NULL) or a published,
    frozen, numbered version (1, 2, …) with its figures (JSON), both texts, the check
    results (JSON) and, for a correction, the reason and the changes from the previous
    version (JSON). Published rows are never updated: a correction is a new row."""

    __tablename__ = "bulletins"
    __table_args__ = (
        UniqueConstraint("region_code", "report_date", "version"),
        Index("ix_bulletins_status_published_at", "status", "published_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    region_code: Mapped[str] = mapped_column(String(16), ForeignKey("regions.region_code"))
    report_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    version: Mapped[int | None] = mapped_column(Integer)
    figures: Mapped[str] = mapped_column(Text)
    text_zh: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    checks: Mapped[str] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    changes: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    approved_by: Mapped[str | None] = mapped_column(String(64))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


# --- end Bulletins (issue 4) ---


# --- Audit ---


class AuditLogRow(Base):
    """One entry of the append-only, hash-chained audit log (core/privacy/audit_log.py
    defines the hash; store/audit.py appends). ``id`` is the entry's gapless position in
    the chain, assigned under the chain head's lock; database triggers (migration 0006)
    refuse UPDATE and DELETE, and an INSERT that does not follow the head."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    #: User name, ``cli:<os user>``, or ``system:<os user>`` for unattributed writes.
    actor: Mapped[str] = mapped_column(String(128), index=True)
    #: What was done, e.g. ``users.create_user``, ``case.read_personal``, ``import.run``.
    action: Mapped[str] = mapped_column(String(96), index=True)
    target_type: Mapped[str] = mapped_column(String(64))
    target_id: Mapped[str | None] = mapped_column(String(256))
    #: Canonical JSON text (sorted keys): counts, changes, file hashes, request context.
    details: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditChainHeadRow(Base):
    """The chain's head: the last entry's id and hash (one row, ``id`` 1). Appending
    locks this row, which serialises writers so the chain cannot fork; verification
    compares it with the log's last entry (a cut-off tail shows)."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_id: Mapped[int] = mapped_column(BigInteger)
    last_hash: Mapped[str] = mapped_column(String(64))


class AuditCheckpointRow(Base):
    """How far the chain was verified (one row, ``id`` 1): the last entry verified and
    its hash, when, and the last *full* verification. The console checks only the
    entries after the checkpoint (re-hashing the checkpoint entry itself:
    ``core.privacy.audit_log.check_checkpoint``); ``fangkong audit verify`` walks all.
    Not an audited table: a verification writes nothing of the product's."""

    __tablename__ = "audit_checkpoint"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    #: 0 and 64 zeros until a verification passes.
    entry_id: Mapped[int] = mapped_column(BigInteger)
    entry_hash: Mapped[str] = mapped_column(String(64))
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    full_entry_id: Mapped[int | None] = mapped_column(BigInteger)
    full_verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


# --- end Audit ---


class DataChangesRow(Base):
    """Committed changes of the published figures (one row, ``id`` 1): see
    :mod:`fangkong.store.changes` and migration 0010."""

    __tablename__ = "data_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    figures: Mapped[int] = mapped_column(BigInteger)
