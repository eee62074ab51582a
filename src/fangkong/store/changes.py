"""A commit-ordered counter of changes of the published figures (``data_changes``).

Why: the public read models are cached per data version
(:func:`fangkong.services.public.data_version`), which must change whenever a
transaction that changed figures commits. On PostgreSQL, row ids and update times are
taken when a row is written, not when it commits: a transaction that wrote earlier but
commits after a later one adds no larger id or time, and its figures would stay hidden
behind an unchanged version. This counter does not have that gap.

How: the audit hook's commit step (:mod:`fangkong.store.audit`) calls :func:`bump` with
the tables the transaction wrote, after it has locked the audit chain's head. If any is
a figure table (:data:`FIGURE_TABLES`) the counter is incremented. Every writing
transaction takes that lock last and holds it until its commit, so increments are made
one transaction at a time in commit order, and each commit that changed figures makes
a new, larger value visible. Writes that bypass the engine's events report themselves
to the audit hook (:func:`fangkong.store.audit.note_write`), so they count too.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import Connection, select, update

from fangkong.store import models as m

CHANGES = m.table_of(m.DataChangesRow)
#: Tables whose rows the public pages and open data show or derive from.
FIGURE_TABLES: frozenset[str] = frozenset(
    {
        m.DailyReportRow.__tablename__,
        m.CaseRecordRow.__tablename__,
        m.RevisionRow.__tablename__,
        m.ImportRow.__tablename__,
        m.ResponseLevelRow.__tablename__,
        m.ResponseMeasureRow.__tablename__,
        m.RiskRuleSetRow.__tablename__,
    }
)
_BUMP = update(CHANGES).where(CHANGES.c.id == 1).values(figures=CHANGES.c.figures + 1)
#: The counter, for :func:`fangkong.services.public.data_version`.
COUNTER = select(CHANGES.c.figures).where(CHANGES.c.id == 1).scalar_subquery()


def bump(conn: Connection, tables: Collection[str]) -> None:
    """Increment the counter if ``tables`` (written by the committing transaction of
    ``conn``) include a figure table. Called with the audit chain's head locked."""
    if not FIGURE_TABLES.isdisjoint(tables):
        conn.execute(_BUMP)
