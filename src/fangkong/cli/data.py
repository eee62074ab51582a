"""``fangkong import …`` and ``fangkong export …``: files in and out."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from fangkong.cli import app, console, err_console, fail, iso_date, settings

if TYPE_CHECKING:
    from fangkong.services.import_runs import ImportResult


import_app = typer.Typer(help="Import files.", no_args_is_help=True)
app.add_typer(import_app, name="import")


def _report_and_exit(result: ImportResult) -> None:
    """Print an import's notes and rejected rows; exit 1 unless every row was stored."""
    for note in result.notes:
        console.print(f"note: {note}", highlight=False, markup=False, soft_wrap=True)
    if not result.rows_rejected and result.status == "completed":
        return
    for issue in result.issues:
        if issue["severity"] == "error":
            err_console.print(
                f"{issue['file']}:{issue['line']}: column {issue['column']!r} value "
                f"{issue['value']!r}: {issue['reason']}",
                highlight=False,
                markup=False,
                soft_wrap=True,
            )
    err_console.print(
        f"{result.rows_rejected:,} row(s) rejected; all kept in {result.reject_file}",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )
    raise typer.Exit(1)


@import_app.command("cases")
def import_cases(
    file: Annotated[str, typer.Argument(help="Case line list (CSV or JSON).")],
    format_name: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="fangkong-cases or beoutbreakprepared; detected from the header when omitted.",
        ),
    ] = None,
    source: Annotated[
        str | None, typer.Option(help="Reporter of the cases, for files without a source column.")
    ] = None,
    strict: Annotated[
        bool, typer.Option(help="All or nothing: write no row when any row is rejected.")
    ] = False,
    actor: Annotated[
        str | None,
        typer.Option(
            help="Import as this user (role and jurisdiction apply); default: the operator."
        ),
    ] = None,
) -> None:
    """Import a case line list. Exit status: 0 all rows stored, 1 rows rejected (see
    the reject file), 2 the file could not be read (unknown format, encoding)."""
    from pathlib import Path

    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    from fangkong.core.access import CLI_ACTOR
    from fangkong.core.validation import ImportFormatError
    from fangkong.services.case_import import import_case_file, result_summary
    from fangkong.services.errors import ServiceError
    from fangkong.services.users import get_user
    from fangkong.store.db import make_engine

    s = settings()
    engine = make_engine(s.database_url)
    try:
        who = CLI_ACTOR
        if actor:
            try:
                who = get_user(engine, actor).actor
            except ServiceError as exc:
                raise fail(exc.message, 2) from exc
        bar = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
            console=err_console,
            transient=True,
            disable=not err_console.is_terminal,
            auto_refresh=False,
        )  # no refresh thread: the import may fork
        with bar:
            task = bar.add_task(f"importing {Path(file).name}", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total, refresh=True)

            try:
                result = import_case_file(
                    engine,
                    s,
                    Path(file),
                    format_name=format_name,
                    source=source,
                    strict=strict,
                    actor=who,
                    progress=progress,
                )
            except ImportFormatError as exc:
                raise fail(f"{file}: {exc}", 2) from exc
            except ServiceError as exc:
                raise fail(exc.message, 2) from exc
    finally:
        engine.dispose()
    console.print(result_summary(result), highlight=False, soft_wrap=True)
    _report_and_exit(result)


@import_app.command("daily")
def import_daily(
    file: Annotated[str, typer.Argument(help="Daily-report file (CSV or JSON).")],
    format_name: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="Format name (see docs/formats.md); detected from the header when omitted.",
        ),
    ] = None,
    source: Annotated[
        str | None,
        typer.Option(
            help="Source to store the figures under; default: the format's (jhu, canghailan, "
            "ccdc, who, fangkong)."
        ),
    ] = None,
    measure: Annotated[
        str | None,
        typer.Option(
            help="jhu-wide only: confirmed, deaths or recovered (default: from the file name)."
        ),
    ] = None,
    strict: Annotated[
        bool, typer.Option(help="All or nothing: store no row when any row is rejected.")
    ] = False,
    actor: Annotated[
        str | None,
        typer.Option(
            help="Import as this user (role and jurisdiction apply); default: the operator."
        ),
    ] = None,
) -> None:
    """Import daily reports. Exit status: 0 all rows stored, 1 rows rejected (see the
    reject file), 2 the file could not be read (unknown format, encoding) or bad usage."""
    from pathlib import Path

    from fangkong.core.access import CLI_ACTOR
    from fangkong.services.daily_import import import_daily_file
    from fangkong.services.demo import describe
    from fangkong.services.errors import Forbidden, ServiceError
    from fangkong.services.users import get_user
    from fangkong.store.db import make_engine

    s = settings()
    engine = make_engine(s.database_url)
    try:
        who = CLI_ACTOR
        if actor:
            try:
                who = get_user(engine, actor).actor
            except ServiceError as exc:
                raise fail(exc.message, 2) from exc
        try:
            with err_console.status(f"importing {Path(file).name}…"):
                result = import_daily_file(
                    engine,
                    s,
                    Path(file),
                    actor=who,
                    format_name=format_name,
                    source=source,
                    measure=measure,
                    strict=strict,
                )
        except Forbidden as exc:
            raise fail(exc.message, 1) from exc
        except ServiceError as exc:
            raise fail(exc.message, 2) from exc
    finally:
        engine.dispose()
    console.print(
        f"import {result.import_id} ({result.format}, {result.status}): "
        + describe(Path(file).name, result),
        highlight=False,
        soft_wrap=True,
    )
    _report_and_exit(result)


@import_app.command("bulletin")
def import_bulletin_cmd(
    file: Annotated[str, typer.Argument(help="Text of an official daily bulletin (Chinese).")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what was read as JSON and store nothing.")
    ] = False,
    region: Annotated[
        str | None,
        typer.Option(
            help="Region code of the bulletin (CN, a province's code, 420100); default: "
            "from the text or the file name."
        ),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--date", help="As-of date (YYYY-MM-DD) when the text or file name lacks the year."
        ),
    ] = None,
    source: Annotated[
        str | None,
        typer.Option(help="Source to store under; default nhc for the national bulletin."),
    ] = None,
    actor: Annotated[
        str | None,
        typer.Option(
            help="Store as this user (role and jurisdiction apply); default: the operator."
        ),
    ] = None,
) -> None:
    """Read an official daily bulletin; with --dry-run print the JSON read, otherwise
    store it as daily reports. Exit status: 0 stored (or read), 1 refused or stored from a
    damaged text (undecodable bytes: only what was read is stored), 2 bad usage."""
    import json
    from pathlib import Path

    from fangkong.core.access import CLI_ACTOR
    from fangkong.services.bulletin_import import decode, import_bulletin, preview
    from fangkong.services.errors import Forbidden, ServiceError
    from fangkong.services.users import get_user
    from fangkong.store.db import make_engine

    day = iso_date(as_of, "--date")
    path = Path(file)
    try:
        text = decode(path.read_bytes())
    except OSError as exc:
        raise fail(f"cannot read {file}: {exc.strerror}", 2) from exc
    except ServiceError as exc:
        raise fail(f"{file}: {exc.message}", 2) from exc
    if dry_run:
        try:
            _, shown = preview(
                text, filename=path.name, as_of=day, region_code=region, source=source
            )
        except ServiceError as exc:
            raise fail(f"{file}: {exc.message}", 2) from exc
        typer.echo(json.dumps(shown, ensure_ascii=False, indent=2))
        return
    s = settings()
    engine = make_engine(s.database_url)
    try:
        who = CLI_ACTOR
        if actor:
            try:
                who = get_user(engine, actor).actor
            except ServiceError as exc:
                raise fail(exc.message, 2) from exc
        try:
            out = import_bulletin(
                engine,
                s,
                text,
                actor=who,
                filename=path.name,
                as_of=day,
                region_code=region,
                source=source,
                dry_run=False,
            )
        except Forbidden as exc:
            raise fail(exc.message, 1) from exc
        except ServiceError as exc:
            raise fail(f"{file}: {exc.message}", 2) from exc
    finally:
        engine.dispose()
    stored = out["stored"]
    console.print(
        f"import {stored['import_id']} (bulletin {out['date']} {out['region_code']}, source "
        f"{out['source']}): {stored['reports']} report(s), {stored['inserted']} inserted, "
        f"{stored['updated']} updated, {stored['unchanged']} unchanged, "
        f"{stored['revisions']} revision(s)",
        highlight=False,
        soft_wrap=True,
    )
    for flag in out["flags"]:
        console.print(f"flag: {flag}", highlight=False, markup=False, soft_wrap=True)
    for note in out["notes"]:
        console.print(f"note: {note}", highlight=False, markup=False, soft_wrap=True)
    for sentence in out["unread"]:
        err_console.print(f"unread: {sentence}", highlight=False, markup=False, soft_wrap=True)
    for line in out["damaged"]:
        err_console.print(f"damaged: {line}", highlight=False, markup=False, soft_wrap=True)
    if out["damaged"]:
        raise typer.Exit(1)


export_app = typer.Typer(help="Export data.", no_args_is_help=True)
app.add_typer(export_app, name="export")


@export_app.command("daily")
def export_daily(
    region: Annotated[str, typer.Option(help="Region code (420000, CN, US …).")],
    output_format: Annotated[str, typer.Option("--format", help="csv, json or parquet.")] = "csv",
    source: Annotated[
        str | None, typer.Option(help="Source; default: the preferred one the region has.")
    ] = None,
    date_from: Annotated[str | None, typer.Option("--from", help="First date (ISO).")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last date (ISO).")] = None,
    output: Annotated[
        str | None, typer.Option(help="Output file; default: standard output (not for parquet).")
    ] = None,
) -> None:
    """Export a region's daily series with derived cumulative columns."""
    from pathlib import Path

    from fangkong.services.errors import ServiceError
    from fangkong.services.export import export_daily as run_export
    from fangkong.store.db import make_engine

    first, last = iso_date(date_from, "--from"), iso_date(date_to, "--to")
    if output_format == "parquet" and output is None:
        raise fail("parquet is binary: give --output FILE", 2)
    s = settings()
    engine = make_engine(s.database_url)
    try:
        data = run_export(
            engine, s, region, fmt=output_format, source=source, date_from=first, date_to=last
        )
    except ServiceError as exc:
        raise fail(exc.message, 2) from exc
    finally:
        engine.dispose()
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    Path(output).write_bytes(data)
    err_console.print(f"wrote {len(data):,} bytes to {output}", highlight=False)
