"""Importing an official daily bulletin: read it, show it for review, store it on request.

Reading (:func:`read_bulletin_bytes`) decodes the text (UTF-8 or GB18030, as
:mod:`fangkong.core.importing.reading`) and runs the pure reader
(:func:`fangkong.core.bulletins.read_bulletin`); nothing is written — this is the
``--dry-run`` and the console's review step.

Storing (:func:`import_bulletin` with ``dry_run=False``) needs the ``write_reports``
permission for every region concerned. The bulletin becomes daily reports through the
daily-report service (:func:`fangkong.services.daily_reports.store_reports`): one for
the bulletin's region and one per region of its breakdowns, under the source ``nhc`` for
the national bulletin (or the one given). Only the daily figures of
:data:`STORED_FIELDS` are stored; a changed figure becomes a revision. Cumulative figures
are never stored (they are derived by summation): each is compared with the sum of the
stored daily figures and a disagreement is reported as a note. Unread sentences are kept
as issues of the import (kind ``bulletin``) so that nothing read is lost.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from sqlalchemy import Engine, func, select

from fangkong.core.access import Actor, Permission, has_permission
from fangkong.core.bulletins import BulletinReading, read_bulletin
from fangkong.core.importing.daily_records import ParsedDaily
from fangkong.core.importing.reading import detect_encoding
from fangkong.core.regions import RegionTree
from fangkong.core.reports import DailyReport
from fangkong.core.validation import ImportFormatError, RowIssue
from fangkong.services.daily_reports import check_jurisdiction, check_source, store_reports
from fangkong.services.errors import Forbidden, Invalid
from fangkong.services.import_runs import finish_import, start_import, store_issues
from fangkong.services.reference import region_tree
from fangkong.settings import Settings
from fangkong.store import models as m

KIND = "bulletin"
FORMAT = "bulletin-text"
#: Largest bulletin text accepted (the longest real bulletin is about 6 KB).
MAX_BYTES = 1 << 20
#: Figures stored as daily-report fields (flows, and the stocks a daily report carries).
STORED_FIELDS: tuple[str, ...] = (
    "new_confirmed",
    "new_confirmed_imported",
    "new_suspected",
    "new_deaths",
    "new_recovered",
    "new_asymptomatic",
    "current_severe",
    "current_suspected",
    "close_contacts_under_observation",
)
#: Cumulative figure → the daily flow whose running total it is.
CUMULATIVE_OF: dict[str, str] = {
    "cumulative_confirmed": "new_confirmed",
    "cumulative_deaths": "new_deaths",
    "cumulative_recovered": "new_recovered",
}


def decode(data: bytes) -> str:
    """The text of an upload: UTF-8 (with or without BOM) or GB18030; Invalid otherwise."""
    if len(data) > MAX_BYTES:
        raise Invalid(f"a bulletin is at most {MAX_BYTES // 1024} KB of text", field="file")
    try:
        encoding = detect_encoding(data, complete=True)
    except ImportFormatError as exc:
        raise Invalid(str(exc), field="file") from exc
    # a character cut at the very end (a truncated copy) becomes U+FFFD
    return data.decode(encoding, errors="replace")


def read_bulletin_text(
    text: str,
    *,
    filename: str | None = None,
    as_of: date | None = None,
    region_code: str | None = None,
) -> BulletinReading:
    """Read a bulletin without storing anything (the dry run)."""
    if not text.strip():
        raise Invalid("the bulletin text is empty", field="text")
    if len(text) > MAX_BYTES:
        raise Invalid(f"a bulletin is at most {MAX_BYTES // 1024} KB of text", field="text")
    return read_bulletin(text, filename=filename, as_of=as_of, region_code=region_code)


def read_bulletin_bytes(
    data: bytes,
    *,
    filename: str | None = None,
    as_of: date | None = None,
    region_code: str | None = None,
) -> BulletinReading:
    return read_bulletin_text(decode(data), filename=filename, as_of=as_of, region_code=region_code)


def default_source(reading: BulletinReading) -> str:
    """``nhc`` for the national bulletin, ``bulletin`` for a provincial or city one."""
    return "nhc" if reading.region_code == "CN" else "bulletin"


def reports_of(reading: BulletinReading, source: str, known: set[str]) -> list[ParsedDaily]:
    """Daily reports for the bulletin's region and each breakdown region with figures to
    store (regions missing from the region table are skipped)."""
    if reading.date is None or reading.region_code is None:
        return []
    out: list[ParsedDaily] = []
    blocks = [(reading.region_code, reading.figures), *sorted(reading.breakdowns.items())]
    for line, (code, figures) in enumerate(blocks, start=1):
        provided = tuple(f for f in STORED_FIELDS if f in figures)
        if not provided or code not in known:
            continue
        report = DailyReport(code, reading.date, source)
        for name in provided:
            setattr(report, name, figures[name])
        out.append(ParsedDaily(line, report, provided))
    return out


def check_cumulatives(engine: Engine, reading: BulletinReading, source: str) -> list[str]:
    """Compare every cumulative figure of the bulletin with the stored daily figures."""
    if reading.date is None or reading.region_code is None:
        return []
    notes: list[str] = []
    D = m.DailyReportRow
    blocks = [(reading.region_code, reading.figures), *sorted(reading.breakdowns.items())]
    with engine.connect() as conn:
        for code, figures in blocks:
            for cumulative, flow in CUMULATIVE_OF.items():
                if cumulative not in figures:
                    continue
                column = getattr(D, flow)
                days, total, earlier = conn.execute(
                    select(
                        func.count(column),
                        func.coalesce(func.sum(column), 0),
                        func.count(column).filter(D.report_date < reading.date),
                    ).where(
                        D.region_code == code, D.source == source, D.report_date <= reading.date
                    )
                ).one()
                bulletin = figures[cumulative]
                if not earlier:
                    notes.append(
                        f"{code} {cumulative} {bulletin}: not checked (no stored {flow} of "
                        f"source {source} before {reading.date.isoformat()})"
                    )
                elif int(total) != bulletin:
                    notes.append(
                        f"{code} {cumulative}: the bulletin says {bulletin}, the {days} stored "
                        f"daily {flow} figures of source {source} sum to {int(total)} "
                        f"(difference {bulletin - int(total):+d}); cumulative figures are "
                        "derived, not stored"
                    )
    return notes


def preview(
    text: str,
    *,
    filename: str | None = None,
    as_of: date | None = None,
    region_code: str | None = None,
    source: str | None = None,
) -> tuple[BulletinReading, dict[str, Any]]:
    """What was read, as the dry run shows it (no database needed)."""
    check_source(source)
    reading = read_bulletin_text(text, filename=filename, as_of=as_of, region_code=region_code)
    out = reading.as_dict()
    out.update(dry_run=True, source=source or default_source(reading), stored=None, notes=[])
    out["damaged"] = damaged_lines(text)
    if out["damaged"]:
        out["flags"].append(DAMAGED)
    return reading, out


#: The flag of a text with undecodable bytes.
DAMAGED = (
    "the text has undecodable bytes (U+FFFD): a truncated or damaged copy; only what was "
    "read is shown — compare the figures with the original"
)


def damaged_lines(text: str) -> list[str]:
    """The lines holding undecodable bytes (U+FFFD, as :func:`decode` marks them): the
    cut end of a truncated download, or a damaged copy."""
    return [line.strip()[:500] for line in text.splitlines() if "\ufffd" in line]


def import_bulletin(
    engine: Engine,
    settings: Settings,
    text: str,
    *,
    actor: Actor | None,
    filename: str | None = None,
    as_of: date | None = None,
    region_code: str | None = None,
    source: str | None = None,
    dry_run: bool = True,
    tree: RegionTree | None = None,
) -> dict[str, Any]:
    """Read a bulletin and, unless ``dry_run``, store it. Returns what was read (the
    dry-run keys) plus ``dry_run``, ``source``, ``stored`` (counts and import id, or
    ``None``) and ``notes``. Raises Invalid (no date or region, bad source) or Forbidden."""
    reading, out = preview(
        text, filename=filename, as_of=as_of, region_code=region_code, source=source
    )
    the_source = out["source"]
    out["dry_run"] = dry_run
    if dry_run:
        return out
    if actor is None or not has_permission(actor.role, Permission.WRITE_REPORTS):
        who = "anonymous" if actor is None else f"{actor.username} ({actor.role.value})"
        raise Forbidden(f"{who} lacks the permission {Permission.WRITE_REPORTS.value}")
    if reading.date is None:
        raise Invalid(
            "the bulletin's as-of date could not be determined; give it (--date / date)",
            field="date",
        )
    if reading.region_code is None:
        raise Invalid(
            "the bulletin's region could not be determined; give it (--region / region_code)",
            field="region_code",
        )
    the_tree = tree if tree is not None else region_tree(engine)
    with engine.connect() as conn:
        known = set(conn.execute(select(m.RegionRow.region_code)).scalars())
    if reading.region_code not in known:
        raise Invalid(f"unknown region {reading.region_code!r}", field="region_code")
    items = reports_of(reading, the_source, known)
    check_jurisdiction(actor, {i.report.region_code for i in items}, the_tree)
    name = filename or "bulletin.txt"
    result = start_import(
        engine,
        kind=KIND,
        format_name=FORMAT,
        filename=name,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        actor=actor.username,
    )
    result.rows_read = len(items)
    issues = [
        RowIssue(name, n, "sentence", s[:500], "sentence not read: its figures are not stored")
        for n, s in enumerate(reading.unread, start=1)
    ]
    issues += [
        RowIssue(name, n, "text", line, "undecodable bytes (truncated or damaged copy): not read")
        for n, line in enumerate(out["damaged"], start=len(issues) + 1)
    ]
    if issues:
        with engine.begin() as conn:
            store_issues(conn, result, issues, [i.value for i in issues])
        result.rows_rejected = len(issues)
    try:
        counts = store_reports(
            engine,
            items,
            reason=f"bulletin {name}",
            actor=actor.username,
            import_id=result.import_id,
            batch_rows=settings.import_batch_rows,
            atomic=True,
        )
    except Exception:
        finish_import(engine, result, "failed")
        raise
    notes = check_cumulatives(engine, reading, the_source)
    if reading.unread:
        notes.append(f"{len(reading.unread)} sentence(s) not read; kept as issues of the import")
    if out["damaged"]:
        notes.append(DAMAGED)
    result.notes.extend(notes)
    result.rows_inserted = counts.inserted
    result.rows_updated = counts.updated
    result.rows_unchanged = counts.unchanged
    result.revisions = counts.revisions
    finish_import(engine, result, "completed")
    out["stored"] = {
        "import_id": result.import_id,
        "reports": len(items),
        "inserted": counts.inserted,
        "updated": counts.updated,
        "unchanged": counts.unchanged,
        "revisions": counts.revisions,
    }
    out["notes"] = notes
    return out
