"""Reading import reports: the ``imports`` row with its counts and its issues (paged).

Shared by every kind of import (daily reports, case line lists). The issues of a
line-list import carry the rejected cells, which may be personal fields of the cases
(``core.privacy.personal``): like the line list itself, they are shown only to readers
holding ``READ_PERSONAL`` — and each page that shows one is recorded in the audit log
as ``import.read_personal`` (the import, the lines and columns shown) before it is
handed out — and masked for everyone else (``value`` null, ``masked`` true)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from fangkong.core.access import WORLD, Actor, Permission, has_permission
from fangkong.core.privacy.personal import masked_issue, personal_issue, shown_issue
from fangkong.core.regions import RegionTree
from fangkong.services import audit
from fangkong.services.errors import Forbidden, NotFound
from fangkong.store import models as m

I = m.ImportRow  # noqa: E741 - the table alias used throughout
Issue = m.ImportIssueRow
U = m.UserRow
#: The ``imports.kind`` of line-list imports (services/case_import.py), whose issues may
#: hold personal fields.
CASE_KIND = "cases"


def _may_read(conn: Connection, actor: Actor, importer: str, tree: RegionTree | None) -> bool:
    """The importer, national users, and users whose jurisdiction contains the
    importer's (an import has no region of its own: a file may span many)."""
    if actor.jurisdiction == WORLD or actor.username == importer:
        return True
    if tree is None:
        raise ValueError("reading another user's import report needs the region tree")
    owner = conn.execute(select(U.jurisdiction).where(U.username == importer)).first()
    if owner is None or owner.jurisdiction == WORLD:
        return False
    return tree.is_within(owner.jurisdiction, actor.jurisdiction)


def import_report(
    engine: Engine,
    import_id: int,
    *,
    actor: Actor,
    limit: int = 100,
    offset: int = 0,
    tree: RegionTree | None = None,
    personal: bool = True,
) -> dict[str, Any]:
    """One import with ``limit`` of its issues from ``offset`` (in line order).

    Users with the ``import`` permission may read the reports of imports made inside
    their jurisdiction (see :func:`_may_read`; Forbidden otherwise); rejected rows may
    hold personal data, so viewers may not. Issue values of a line-list import that may
    be personal are shown only to ``READ_PERSONAL`` (and only when ``personal``),
    audited; masked otherwise (module docstring)."""
    if not has_permission(actor.role, Permission.IMPORT):
        raise Forbidden(
            f"{actor.username} ({actor.role.value}) lacks the permission {Permission.IMPORT.value}"
        )
    with engine.connect() as conn:
        row = conn.execute(select(I).where(I.id == import_id)).first()
        if row is None:
            raise NotFound(f"no import with id {import_id}", field="import_id")
        if not _may_read(conn, actor, row.actor, tree):
            raise Forbidden(
                f"import {import_id} was made by {row.actor}, outside the jurisdiction "
                f"{actor.jurisdiction} of {actor.username}",
                field="import_id",
            )
        total = conn.execute(
            select(func.count()).select_from(Issue).where(Issue.import_id == import_id)
        ).scalar_one()
        issues = conn.execute(
            select(Issue.line, Issue.column, Issue.value, Issue.reason, Issue.severity)
            .where(Issue.import_id == import_id)
            .order_by(Issue.line, Issue.id)
            .limit(limit)
            .offset(offset)
        ).all()
    items = [i._asdict() for i in issues]
    if row.kind == CASE_KIND:
        show = personal and has_permission(actor.role, Permission.READ_PERSONAL)
        shown = [i for i in items if personal_issue(i)]
        if show and shown:
            audit.record(
                engine,
                actor,
                "import.read_personal",
                "import",
                str(import_id),
                {
                    "count": len(shown),
                    "lines": sorted({int(i["line"]) for i in shown}),
                    "columns": sorted({str(i["column"]) for i in shown}),
                    "limit": limit,
                    "offset": offset,
                },
            )
        items = [(shown_issue if show else masked_issue)(i) for i in items]
    else:
        items = [shown_issue(i) for i in items]
    summary: dict[str, Any] = json.loads(row.summary) if row.summary else {}
    return {
        "import_id": row.id,
        "kind": row.kind,
        "format": row.format,
        "filename": row.filename,
        "sha256": row.sha256,
        "actor": row.actor,
        "status": row.status,
        "started_at": row.started_at.isoformat(),
        "finished_at": row.finished_at.isoformat() if row.finished_at else None,
        "rows_read": row.rows_read,
        "rows_inserted": row.rows_inserted,
        "rows_updated": row.rows_updated,
        "rows_unchanged": row.rows_unchanged,
        "rows_rejected": row.rows_rejected,
        "reject_file": row.reject_file,
        "encoding": summary.get("encoding"),
        "notes": summary.get("notes", []),
        "rows_repaired": summary.get("rows_repaired", 0),
        "revisions": summary.get("revisions", 0),
        "issues": {
            "items": items,
            "total": int(total),
            "limit": limit,
            "offset": offset,
        },
    }


def completed_import_exists(engine: Engine, sha256: str, kind: str) -> bool:
    """True when a file with this SHA-256 was already imported to completion."""
    with engine.connect() as conn:
        found = conn.execute(
            select(I.id).where(I.sha256 == sha256, I.kind == kind, I.status == "completed").limit(1)
        ).first()
    return found is not None
