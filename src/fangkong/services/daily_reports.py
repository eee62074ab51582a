"""Storing daily reports: set-based upserts with revisions, and the manual-entry batch.

Daily reports are unique on ``(region_code, report_date, source)``. Storing a batch:

* a report not stored yet is inserted;
* a stored report whose provided fields are all equal is *unchanged* (nothing written,
  so importing a file twice adds nothing);
* a stored report with a different value is updated, and each changed figure becomes a
  revision (old value, new value, reason, actor, time) — nothing is overwritten
  silently (a field first reported, stored until then as *not reported*, is filled in
  without a revision). Fields a file does not provide are left as they are (a JHU deaths file does
  not erase the confirmed counts of the confirmed file).

A fall of a cumulative total (a publisher's correction) is stored as the negative daily
figure it is, flagged ``negative:<field>``, and recorded as a revision whose reason says
so. Work is done in batches of ``settings.import_batch_rows`` rows, each its own
transaction, with one ``SELECT`` and ``executemany`` writes per batch (no per-row round
trips); a crashed import re-run completes without duplicates because the batches
already committed are found unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from fangkong.core.access import Actor, Permission, may_act_on
from fangkong.core.importing.daily_formats import ParseContext, parse_daily_items
from fangkong.core.importing.daily_records import (
    SOURCE_PATTERN,
    Correction,
    DailyParse,
    ParsedDaily,
    RegionLookup,
)
from fangkong.core.regions import RegionTree
from fangkong.core.reports import COUNT_FIELDS
from fangkong.core.validation import RowIssue
from fangkong.services.errors import Forbidden, Invalid, NotFound, PreconditionFailed
from fangkong.services.import_runs import now
from fangkong.services.reference import region_tree
from fangkong.services.timeliness import record_submissions
from fangkong.services.versions import check_preconditions, etag, locked_write
from fangkong.settings import Settings
from fangkong.store import models as m

D = m.DailyReportRow
ENTITY = "daily_report"
#: Most reports one manual-entry request may carry.
MAX_BATCH_ITEMS = 10_000


@dataclass(slots=True)
class StoreCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    revisions: int = 0


def latest_report_date() -> date:
    """Today somewhere on Earth (UTC+14): a report dated later is from the future."""
    return (datetime.now(UTC) + timedelta(hours=14)).date()


def entity_key(region_code: str, report_date: date, source: str) -> str:
    return f"{region_code}|{report_date.isoformat()}|{source}"


def region_lookup(engine: Engine) -> RegionLookup:
    """Every region code and alias, for the parsers."""
    with engine.connect() as conn:
        codes = frozenset(conn.execute(select(m.RegionRow.region_code)).scalars())
        aliases: dict[str, dict[str, str]] = {}
        for scheme, alias, code in conn.execute(
            select(m.RegionAliasRow.scheme, m.RegionAliasRow.alias, m.RegionAliasRow.region_code)
        ):
            aliases.setdefault(scheme, {})[alias] = code
    return RegionLookup(codes, aliases)


def check_source(source: str | None) -> None:
    if source is not None and not SOURCE_PATTERN.match(source):
        raise Invalid(
            f"source {source!r} must be 1-32 characters of a-z, 0-9, '_' or '-'", field="source"
        )


def check_jurisdiction(actor: Actor, region_codes: Iterable[str], tree: RegionTree) -> None:
    """Forbidden unless ``actor`` may write reports for every one of ``region_codes``."""
    denied = sorted(
        {
            c
            for c in region_codes
            if not may_act_on(actor.role, actor.jurisdiction, Permission.WRITE_REPORTS, c, tree)
        }
    )
    if denied:
        shown = ", ".join(denied[:5]) + (f" and {len(denied) - 5} more" if len(denied) > 5 else "")
        raise Forbidden(
            f"{actor.username} ({actor.role.value}, jurisdiction "
            f"{actor.jurisdiction}) may not write reports for {shown}"
        )


def _merge_flags(stored: str | None, new: Sequence[str], provided: Sequence[str]) -> str | None:
    """Flags about fields this batch provides are replaced; others are kept."""
    kept = [f for f in (stored.split(",") if stored else []) if f.partition(":")[2] not in provided]
    merged = kept + [f for f in new if f not in kept]
    return ",".join(merged) if merged else None


def _existing(conn: Connection, batch: Sequence[ParsedDaily]) -> dict[tuple[str, date, str], Any]:
    regions = sorted({i.report.region_code for i in batch})
    sources = sorted({i.report.source for i in batch})
    first = min(i.report.report_date for i in batch)
    last = max(i.report.report_date for i in batch)
    rows = conn.execute(
        select(D).where(
            D.region_code.in_(regions),
            D.source.in_(sources),
            D.report_date >= first,
            D.report_date <= last,
        )
    ).all()
    return {(r.region_code, r.report_date, r.source): r for r in rows}


def _text(value: int | None) -> str | None:
    return None if value is None else str(value)


def _store_batch(
    conn: Connection,
    batch: Sequence[ParsedDaily],
    corrections: dict[tuple[str, date, str], Correction],
    *,
    reason: str,
    actor: str,
    import_id: int | None,
    counts: StoreCounts,
) -> None:
    stamp = now()
    existing = _existing(conn, batch)
    inserts: list[dict[str, Any]] = []
    updates: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    revisions: list[dict[str, Any]] = []
    #: (region_code, report_date, source, correction) of every report stored or changed;
    #: a correction changes a stored figure (filling in a field first reported does not).
    submitted: list[tuple[str, date, str, bool]] = []

    def revise(item: ParsedDaily, name: str, old: int | None, why: str) -> None:
        report = item.report
        revisions.append(
            {
                "entity": ENTITY,
                "field": name,
                "old_value": _text(old),
                "entity_key": entity_key(report.region_code, report.report_date, report.source),
                "new_value": _text(getattr(report, name)),
                "reason": why,
                "actor": actor,
                "created_at": stamp,
                "import_id": import_id,
            }
        )

    for item in batch:
        report = item.report
        stored = existing.get(item.key)
        found = [
            corrections.get((report.region_code, report.report_date, f)) for f in item.provided
        ]
        fixes = {c.field: c for c in found if c is not None}
        if stored is None:
            row = {f: getattr(report, f) for f in COUNT_FIELDS}
            row.update(
                region_code=report.region_code,
                report_date=report.report_date,
                source=report.source,
                flags=",".join(report.flags) or None,
                import_id=import_id,
                updated_at=stamp,
            )
            inserts.append(row)
            submitted.append((report.region_code, report.report_date, report.source, False))
            for name, fix in fixes.items():
                revise(item, name, None, fix.reason)
            counts.inserted += 1
            continue
        changed = [f for f in item.provided if getattr(stored, f) != getattr(report, f)]
        if not changed:
            counts.unchanged += 1
            continue
        for name in changed:
            old = getattr(stored, name)
            if name in fixes:
                revise(
                    item,
                    name,
                    old,
                    f"{reason}; {fixes[name].reason}" if old is not None else fixes[name].reason,
                )
            elif old is not None:  # a figure first reported is not a revision of one
                revise(item, name, old, reason)
        values = {f"v_{f}": getattr(report, f) for f in item.provided}
        values.update(
            b_id=stored.id,
            v_import_id=import_id,
            v_updated_at=stamp,
            v_flags=_merge_flags(stored.flags, report.flags, item.provided),
        )
        updates.setdefault(item.provided, []).append(values)
        corrected = any(getattr(stored, f) is not None for f in changed)
        submitted.append((report.region_code, report.report_date, report.source, corrected))
        counts.updated += 1
    if inserts:
        conn.execute(insert(D), inserts)
    for provided, rows in updates.items():
        columns = (*provided, "import_id", "updated_at", "flags")
        assignments: dict[str, Any] = {c: bindparam(f"v_{c}") for c in columns}
        assignments["version"] = D.version + 1  # every change is a new version (its ETag)
        stmt = update(D).where(D.id == bindparam("b_id")).values(assignments)
        conn.execute(stmt.execution_options(synchronize_session=False), rows)
    if revisions:
        conn.execute(insert(m.RevisionRow), revisions)
        counts.revisions += len(revisions)
    record_submissions(conn, submitted, actor=actor, at=stamp, import_id=import_id)


def store_reports(
    engine: Engine,
    items: Sequence[ParsedDaily],
    *,
    corrections: Sequence[Correction] = (),
    reason: str,
    actor: str,
    import_id: int | None = None,
    batch_rows: int = 50_000,
    atomic: bool = False,
) -> StoreCounts:
    """Upsert ``items`` in committed batches (one transaction when ``atomic``)."""
    counts = StoreCounts()
    if not items:
        return counts
    ordered = sorted(items, key=lambda i: i.key)
    by_key = {(c.region_code, c.report_date, c.field): c for c in corrections}
    batches = [ordered[i : i + batch_rows] for i in range(0, len(ordered), max(batch_rows, 1))]
    if atomic:
        with engine.begin() as conn:
            for batch in batches:
                _store_batch(
                    conn,
                    batch,
                    by_key,
                    reason=reason,
                    actor=actor,
                    import_id=import_id,
                    counts=counts,
                )
        return counts
    for batch in batches:
        with engine.begin() as conn:
            _store_batch(
                conn, batch, by_key, reason=reason, actor=actor, import_id=import_id, counts=counts
            )
    return counts


class InvalidReports(Invalid):
    """Some reports of a manual batch are invalid; ``issues`` name each bad field
    (``line`` is the 1-based position of the item, ``column`` the member name)."""

    def __init__(self, issues: Sequence[RowIssue]) -> None:
        rows = len({i.line for i in issues})
        super().__init__(f"{rows} report(s) invalid, {len(issues)} problem(s); nothing was stored")
        self.issues = list(issues)


def submit_daily_reports(
    engine: Engine,
    settings: Settings,
    items: Sequence[Any],
    *,
    actor: Actor,
    source: str = "fangkong",
    tree: RegionTree | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """Validate and store a batch of reports entered by hand (all or nothing).

    Members absent from an item are left as stored; ``null`` means *not reported*.
    Raises :class:`InvalidReports` naming every bad field, or Forbidden."""
    check_source(source)
    if not items:
        raise Invalid("the batch has no reports", field="items")
    if len(items) > MAX_BATCH_ITEMS:
        raise Invalid(f"at most {MAX_BATCH_ITEMS:,} reports per request", field="items")
    the_tree = tree if tree is not None else region_tree(engine)
    ctx = ParseContext(
        "request", region_lookup(engine), today or latest_report_date(), source=source
    )
    parse = DailyParse("fangkong-daily", source, ["json"])
    parse_daily_items(items, ctx, parse)
    if parse.rejected:
        raise InvalidReports([i for r in parse.rejected for i in r.issues])
    check_jurisdiction(actor, {i.report.region_code for i in parse.reports}, the_tree)
    counts = store_reports(
        engine,
        parse.reports,
        reason=f"entered by {actor.username}",
        actor=actor.username,
        batch_rows=settings.import_batch_rows,
        atomic=True,
    )
    return {
        "source": source,
        "received": len(items),
        "inserted": counts.inserted,
        "updated": counts.updated,
        "unchanged": counts.unchanged,
        "revisions": counts.revisions,
        "notes": parse.notes,
    }


# --- one report, edited in place with optimistic concurrency (services/versions.py) -------


def report_dict(row: Any) -> dict[str, Any]:
    """A stored report as the API shows it, with its version and ETag."""
    out: dict[str, Any] = {
        "region_code": row.region_code,
        "report_date": row.report_date.isoformat(),
        "source": row.source,
    }
    out.update({f: getattr(row, f) for f in COUNT_FIELDS})
    out.update(
        flags=row.flags.split(",") if row.flags else [],
        version=row.version,
        etag=etag(row.version),
        updated_at=row.updated_at.isoformat() if row.updated_at else None,
    )
    return out


def _key_query(region_code: str, report_date: date, source: str) -> Any:
    return select(D).where(
        D.region_code == region_code, D.report_date == report_date, D.source == source
    )


def _what(region_code: str, report_date: date, source: str) -> str:
    return f"the {source} report of {region_code} for {report_date.isoformat()}"


def get_daily_report(
    engine: Engine, region_code: str, report_date: date, source: str = "fangkong"
) -> dict[str, Any]:
    """One stored report with its ETag; NotFound when there is none."""
    check_source(source)
    with engine.connect() as conn:
        row = conn.execute(_key_query(region_code, report_date, source)).first()
    if row is None:
        raise NotFound(f"no {_what(region_code, report_date, source)}", field="report_date")
    return report_dict(row)


def edit_daily_report(
    engine: Engine,
    figures: dict[str, Any],
    *,
    region_code: str,
    report_date: date,
    source: str = "fangkong",
    actor: Actor,
    if_match: str | None,
    if_none_match: str | None = None,
    tree: RegionTree | None = None,
    today: date | None = None,
) -> tuple[dict[str, Any], str]:
    """Set figures of one report, only if it is still the version the editor saw.

    ``figures`` holds count fields (absent: left as stored; ``None``: not reported),
    checked as a manual entry is (:class:`InvalidReports` names each bad member).
    Returns the stored report and what happened (``created``, ``updated`` or
    ``unchanged``); raises PreconditionRequired/PreconditionFailed (see versions.py),
    Forbidden or Invalid. Changed figures are kept as revisions, as for every write."""
    check_source(source)
    the_tree = tree if tree is not None else region_tree(engine)
    # One region is named, by its code: the (cached) tree knows whether it exists, so
    # the full lookup of codes and aliases is not read on every edit.
    known = frozenset({region_code}) if region_code in the_tree else frozenset()
    ctx = ParseContext(
        "request", RegionLookup(known, {}), today or latest_report_date(), source=source
    )
    parse = DailyParse("fangkong-daily", source, ["json"])
    item = {**figures, "region_code": region_code, "report_date": report_date.isoformat()}
    parse_daily_items([item], ctx, parse)
    if parse.rejected:
        raise InvalidReports([i for r in parse.rejected for i in r.issues])
    check_jurisdiction(actor, {region_code}, the_tree)
    what = _what(region_code, report_date, source)
    counts = StoreCounts()
    try:
        with locked_write(engine) as conn:
            query = _key_query(region_code, report_date, source)
            query = query.with_for_update()  # SQLite: no clause (one writer at a time)
            stored = conn.execute(query).first()
            check_preconditions(
                None if stored is None else stored.version,
                if_match=if_match,
                if_none_match=if_none_match,
                what=what,
                last_change=(
                    f", last changed {stored.updated_at.isoformat(timespec='seconds')}"
                    if stored is not None and stored.updated_at
                    else ""
                ),
            )
            _store_batch(
                conn,
                parse.reports,
                {},
                reason=f"edited by {actor.username}",
                actor=actor.username,
                import_id=None,
                counts=counts,
            )
            row = conn.execute(_key_query(region_code, report_date, source)).one()
    except IntegrityError as exc:  # PostgreSQL: created by another request meanwhile
        raise PreconditionFailed(
            f"{what} was created meanwhile; reload it", "If-None-Match"
        ) from exc
    outcome = "created" if counts.inserted else "updated" if counts.updated else "unchanged"
    return report_dict(row), outcome
