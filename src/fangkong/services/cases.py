"""Case records: reading the line list and submitting cases through the API.

Every call is made on behalf of an :class:`~fangkong.core.access.Actor`: reads need
``READ_CASES`` and see only the actor's jurisdiction; writes need ``WRITE_CASES`` and
every case must lie in the jurisdiction (``core.access.may_act_on``). A region filter
covers the region's whole sub-tree (a province includes its prefectures and counties).

The personal fields of a case (``core.privacy.personal``) are returned only to actors
holding ``READ_PERSONAL`` (and only when asked: ``personal=False`` leaves them out), and
every read that returns them appends one ``case.read_personal`` entry to the audit log,
with the ids of the records, *before* the data is handed out; everybody else gets the
masked view (personal fields ``None``, age as its ten-year band).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Engine, Select, func, select

from fangkong.core.access import WORLD, Actor, Permission, has_permission, may_act_on
from fangkong.core.cases import CASE_FIELDS, Classification
from fangkong.core.importing.case_formats import CaseRowChecker, check_json_items
from fangkong.core.importing.case_values import OUTSIDE_JURISDICTION, field_rules
from fangkong.core.privacy.personal import masked_case, shown_case
from fangkong.core.regions import RegionTree
from fangkong.core.validation import RowIssue
from fangkong.services import audit
from fangkong.services.errors import Forbidden, Invalid, NotFound
from fangkong.services.import_runs import now
from fangkong.store import models as m
from fangkong.store.bulk import merge_case_rows

C = m.CaseRecordRow
#: Most cases one API request may submit (larger sets belong in a file import).
MAX_SUBMIT = 10_000


class CaseItemsInvalid(Invalid):
    """Submitted cases failed validation; ``issues`` name each item and field."""

    def __init__(self, issues: Sequence[RowIssue]) -> None:
        super().__init__(
            f"{len(issues)} invalid field(s) in the submitted cases; nothing was stored"
        )
        self.issues = list(issues)


@dataclass(slots=True)
class SubmitResult:
    received: int
    inserted: int
    updated: int
    unchanged: int
    revisions: int

    def as_dict(self) -> dict[str, int]:
        return {
            "received": self.received,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "revisions": self.revisions,
        }


def _require(actor: Actor, permission: Permission) -> None:
    if not has_permission(actor.role, permission):
        raise Forbidden(
            f"{actor.username} ({actor.role.value}) lacks the permission {permission.value}"
        )


def case_dict(row: Any) -> dict[str, Any]:
    """A stored case as JSON-ready values (ISO dates)."""
    data = {f: getattr(row, f) for f in CASE_FIELDS}
    for f in ("onset_date", "confirmation_date", "report_date", "outcome_date"):
        if isinstance(data[f], date):
            data[f] = data[f].isoformat()
    return data


def _children(engine: Engine) -> dict[str, list[str]]:
    with engine.connect() as conn:
        rows = conn.execute(select(m.RegionRow.region_code, m.RegionRow.parent_code)).all()
    children: dict[str, list[str]] = {}
    for code, parent in rows:
        if parent is not None:
            children.setdefault(parent, []).append(code)
    return children


def subtree_codes(engine: Engine, root: str) -> list[str]:
    """``root`` and every region below it."""
    children = _children(engine)
    codes, stack = [], [root]
    while stack:
        code = stack.pop()
        codes.append(code)
        stack.extend(children.get(code, ()))
    return codes


def _scope(actor: Actor, tree: RegionTree, region_code: str | None) -> str | None:
    """The region whose sub-tree the actor may list (``None`` = everything)."""
    if region_code is not None and region_code not in tree:
        raise NotFound(f"no region with code {region_code!r}", field="region_code")
    if actor.jurisdiction == WORLD:
        return region_code
    if region_code is None or tree.is_within(region_code, actor.jurisdiction):
        return region_code or actor.jurisdiction
    if tree.is_within(actor.jurisdiction, region_code):
        return actor.jurisdiction
    raise Forbidden(
        f"region {region_code} is outside the jurisdiction "
        f"{actor.jurisdiction} of {actor.username}",
        field="region_code",
    )


@dataclass(frozen=True, slots=True)
class CaseFilter:
    """Filters of a line-list read (``None`` = any)."""

    region_code: str | None = None
    classification: Classification | None = None
    onset_from: date | None = None
    onset_to: date | None = None
    source: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "region_code": self.region_code,
            "classification": self.classification.value if self.classification else None,
            "onset_from": self.onset_from.isoformat() if self.onset_from else None,
            "onset_to": self.onset_to.isoformat() if self.onset_to else None,
            "source": self.source,
        }
        return {k: v for k, v in out.items() if v is not None}


def case_query(
    engine: Engine, actor: Actor, tree: RegionTree, where: CaseFilter
) -> tuple[Select[Any], str | None]:
    """The query of the cases ``actor`` may read that match ``where`` (ordered by onset
    date then key), and the region whose sub-tree it covers (``None`` = all)."""
    _require(actor, Permission.READ_CASES)
    if where.onset_from and where.onset_to and where.onset_from > where.onset_to:
        raise Invalid("onset_from is after onset_to", field="onset_from")
    root = _scope(actor, tree, where.region_code)
    query = select(C.__table__)
    if root is not None:
        query = query.where(C.region_code.in_(subtree_codes(engine, root)))
    if where.classification is not None:
        query = query.where(C.classification == where.classification.value)
    if where.onset_from is not None:
        query = query.where(C.onset_date >= where.onset_from)
    if where.onset_to is not None:
        query = query.where(C.onset_date <= where.onset_to)
    if where.source is not None:
        query = query.where(C.source == where.source)
    return query.order_by(C.onset_date, C.source, C.case_id), root


def shows_personal(actor: Actor, personal: bool = True) -> bool:
    """Whether a read by ``actor`` returns personal fields."""
    return personal and has_permission(actor.role, Permission.READ_PERSONAL)


def present(rows: Sequence[Any], show: bool) -> list[dict[str, Any]]:
    """Stored rows as cases: whole when ``show``, else masked."""
    view = shown_case if show else masked_case
    return [view(case_dict(r)) for r in rows]


def list_cases(
    engine: Engine,
    actor: Actor,
    tree: RegionTree,
    *,
    region_code: str | None = None,
    classification: Classification | None = None,
    onset_from: date | None = None,
    onset_to: date | None = None,
    source: str | None = None,
    limit: int = 100,
    offset: int = 0,
    personal: bool = True,
) -> tuple[list[dict[str, Any]], int]:
    """Cases matching the filters, ordered by onset date then key, and their total.
    Personal fields: see the module docstring."""
    where = CaseFilter(region_code, classification, onset_from, onset_to, source)
    query, root = case_query(engine, actor, tree, where)
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        rows = conn.execute(query.limit(limit).offset(offset)).all()
    show = shows_personal(actor, personal)
    if show and rows:
        audit.record_personal_read(
            engine,
            actor,
            [r.id for r in rows],
            scope=root or WORLD,
            filters={**where.as_dict(), "limit": limit, "offset": offset},
        )
    return present(rows, show), int(total)


def get_case(
    engine: Engine,
    actor: Actor,
    tree: RegionTree,
    source: str,
    case_id: str,
    *,
    personal: bool = True,
) -> dict[str, Any]:
    _require(actor, Permission.READ_CASES)
    with engine.connect() as conn:
        row = conn.execute(
            select(C.__table__).where(C.source == source, C.case_id == case_id)
        ).first()
    if row is None or not may_act_on(
        actor.role, actor.jurisdiction, Permission.READ_CASES, row.region_code, tree
    ):
        # A case outside the jurisdiction is reported as absent: its existence is
        # itself confidential.
        raise NotFound(f"no case {case_id!r} from source {source!r}", field="case_id")
    show = shows_personal(actor, personal)
    if show:
        audit.record_personal_read(
            engine, actor, [row.id], scope=row.region_code, filters={"source": source}
        )
    return present([row], show)[0]


def submit_cases(
    engine: Engine, actor: Actor, tree: RegionTree, items: Sequence[object]
) -> SubmitResult:
    """Store submitted cases, all or nothing: any invalid field rejects the request
    with every problem named (:class:`CaseItemsInvalid`). Changed values of existing
    cases become revisions attributed to ``actor``."""
    _require(actor, Permission.WRITE_CASES)
    if len(items) > MAX_SUBMIT:
        raise Invalid(
            f"at most {MAX_SUBMIT:,} cases per request; import larger sets as a file", field="items"
        )
    with engine.connect() as conn:
        known = frozenset(conn.execute(select(m.RegionRow.region_code)).scalars())

    def allowed(code: str) -> bool:
        return may_act_on(actor.role, actor.jurisdiction, Permission.WRITE_CASES, code, tree)

    rules = field_rules(known, date.today(), allowed)
    checker = CaseRowChecker(rules, CASE_FIELDS, file="request", default_source=None)
    batch = check_json_items(items, checker)
    if batch.rejects:
        issues = [i for _, row_issues in batch.rejects for i in row_issues]
        outside = sorted({i.value for i in issues if i.reason == OUTSIDE_JURISDICTION})
        if outside:
            # A refusal, not a typing error: the caller may not write there at all.
            raise Forbidden(
                f"{actor.username} ({actor.role.value}, jurisdiction {actor.jurisdiction}) "
                f"may not write cases for {', '.join(outside[:5])}",
                field="region_code",
            )
        raise CaseItemsInvalid(issues)
    with engine.begin() as conn:
        counts = merge_case_rows(
            conn,
            batch.rows,
            import_id=None,
            actor=actor.username,
            reason=f"submitted through the API by {actor.username}",
            when=now(),
        )
    return SubmitResult(
        len(items), counts.inserted, counts.updated, counts.unchanged, counts.revisions
    )
