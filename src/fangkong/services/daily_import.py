"""Importing a daily-report file: decode, detect, parse, validate, store, report.

Steps (each documented in ``docs/formats.md``):

1. The caller must hold the ``import`` permission, and may write reports only for the
   regions of its jurisdiction (checked for every region in the file before anything
   is stored).
2. The file is decoded (UTF-8, or GB18030/GBK as saved by Chinese Excel; a binary file
   is a clear error) and its format detected from the header unless one is named.
3. Every row is validated; rejected rows are kept in ``import_issues`` and in a reject
   file (their original fields plus line, column, value and reason).
4. Valid reports are upserted (see :mod:`fangkong.services.daily_reports`); a changed
   value becomes a revision with the reason ``re-import of <file>``. With ``strict``,
   nothing is stored when any row is rejected.

Re-importing the same file adds nothing: every report is found unchanged.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO

from sqlalchemy import Engine

from fangkong.core.access import Actor, Permission, has_permission
from fangkong.core.importing.daily_formats import (
    FORMATS,
    JHU_MEASURES,
    ParseContext,
    known_formats,
    parse_daily_text,
)
from fangkong.core.importing.daily_records import DailyParse
from fangkong.core.importing.reading import open_text
from fangkong.core.regions import RegionTree
from fangkong.core.validation import ImportFormatError
from fangkong.services.daily_reports import (
    check_jurisdiction,
    check_source,
    latest_report_date,
    region_lookup,
    store_reports,
)
from fangkong.services.errors import Forbidden, Invalid
from fangkong.services.import_runs import (
    ImportResult,
    RejectWriter,
    finish_import,
    sha256_of,
    start_import,
    store_issues,
)
from fangkong.services.reference import region_tree
from fangkong.settings import Settings

KIND = "daily"


def _check_request(
    actor: Actor, format_name: str | None, source: str | None, measure: str | None
) -> None:
    if not has_permission(actor.role, Permission.IMPORT):
        raise Forbidden(
            f"{actor.username} ({actor.role.value}) lacks the permission {Permission.IMPORT.value}"
        )
    if format_name is not None and format_name not in FORMATS:
        raise Invalid(
            f"unknown format {format_name!r}; known formats: {known_formats()}", field="format"
        )
    check_source(source)
    if measure is not None and measure not in JHU_MEASURES:
        raise Invalid(
            f"unknown measure {measure!r}; one of {', '.join(JHU_MEASURES)}", field="measure"
        )


def parse_daily_stream(
    engine: Engine,
    stream: IO[bytes],
    filename: str,
    *,
    format_name: str | None = None,
    source: str | None = None,
    measure: str | None = None,
) -> tuple[DailyParse, str]:
    """Decode and parse a file without storing it; returns the parse and the encoding.
    Raises :class:`Invalid` when the file as a whole cannot be read."""
    try:
        text, encoding = open_text(stream)
        ctx = ParseContext(
            filename, region_lookup(engine), latest_report_date(), source=source, measure=measure
        )
        return parse_daily_text(text, ctx, format_name=format_name), encoding
    except ImportFormatError as exc:
        message = str(exc)
        if not message.startswith(f"{filename}:"):
            message = f"{filename}: {message}"
        raise Invalid(message, field="file") from exc


def _keep_rejects(
    engine: Engine, settings: Settings, result: ImportResult, parse: DailyParse
) -> None:
    if not parse.rejected:
        return
    writer = RejectWriter(settings.var_dir, result, parse.header)
    try:
        for row in parse.rejected:
            writer.write(row.fields, row.issues)
    finally:
        writer.close()
    issues = [i for row in parse.rejected for i in row.issues]
    raws = [",".join(row.fields) for row in parse.rejected for _ in row.issues]
    with engine.begin() as conn:
        store_issues(conn, result, issues, raws)
    result.rows_rejected = len(parse.rejected)


def import_daily_stream(
    engine: Engine,
    settings: Settings,
    stream: IO[bytes],
    filename: str,
    *,
    actor: Actor,
    format_name: str | None = None,
    source: str | None = None,
    measure: str | None = None,
    strict: bool = False,
    tree: RegionTree | None = None,
) -> ImportResult:
    """Import one daily-report file from a seekable binary stream.

    Raises Invalid (unreadable file, unknown layout, bad option) or Forbidden before
    anything is recorded; otherwise returns the import report (``status`` ``completed``,
    or ``failed`` when ``strict`` refused a file with rejected rows)."""
    _check_request(actor, format_name, source, measure)
    name = Path(filename).name
    digest = sha256_of(stream)
    parse, encoding = parse_daily_stream(
        engine, stream, name, format_name=format_name, source=source, measure=measure
    )
    check_jurisdiction(
        actor,
        {i.report.region_code for i in parse.reports},
        tree if tree is not None else region_tree(engine),
    )
    result = start_import(
        engine,
        kind=KIND,
        format_name=parse.format_name,
        filename=name,
        sha256=digest,
        actor=actor.username,
    )
    result.encoding = encoding
    result.rows_read = parse.rows_read
    if encoding == "gb18030":
        result.notes.append("decoded as GB18030 (GBK), the encoding of Chinese Excel")
    result.notes.append(f"source: {parse.source}")
    result.notes.extend(parse.notes)
    try:
        _keep_rejects(engine, settings, result, parse)
        if strict and parse.rejected:
            result.notes.append(
                f"strict: nothing stored because {result.rows_rejected} row(s) were rejected"
            )
            return finish_import(engine, result, "failed")
        counts = store_reports(
            engine,
            parse.reports,
            corrections=parse.corrections,
            reason=f"re-import of {name}",
            actor=actor.username,
            import_id=result.import_id,
            batch_rows=settings.import_batch_rows,
            atomic=strict,
        )
    except Exception:
        result.notes.append(
            "the import failed while storing; committed batches are "
            "kept and a re-run completes it without duplicates"
        )
        finish_import(engine, result, "failed")
        raise
    result.rows_inserted = counts.inserted
    result.rows_updated = counts.updated
    result.rows_unchanged = counts.unchanged
    result.revisions = counts.revisions
    return finish_import(engine, result, "completed")


def import_daily_file(
    engine: Engine,
    settings: Settings,
    path: Path,
    *,
    actor: Actor,
    format_name: str | None = None,
    source: str | None = None,
    measure: str | None = None,
    strict: bool = False,
    filename: str | None = None,
    tree: RegionTree | None = None,
) -> ImportResult:
    """Import the daily-report file at ``path`` (``filename``: the name to record, e.g.
    the original name of an upload)."""
    try:
        stream = path.open("rb")
    except OSError as exc:
        raise Invalid(f"cannot read {path}: {exc.strerror}", field="file") from exc
    with stream:
        return import_daily_stream(
            engine,
            settings,
            stream,
            filename or path.name,
            actor=actor,
            format_name=format_name,
            source=source,
            measure=measure,
            strict=strict,
            tree=tree,
        )
