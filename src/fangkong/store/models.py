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
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


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
    import_id: Mapped[int | None] = mapped_column(ForeignKey("imports.id"))


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
