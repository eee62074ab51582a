"""Command-line interface (Typer + Rich): a thin layer over the services.

Errors are printed as one line on standard error; exit codes: 0 success, 1 the
operation failed or rejected rows, 2 bad usage.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from fangkong.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

app = typer.Typer(
    help="Fangkong (防控): epidemic prevention-and-control platform.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema and reference data.", no_args_is_help=True)
app.add_typer(db_app, name="db")
import_app = typer.Typer(help="Import files.", no_args_is_help=True)
app.add_typer(import_app, name="import")

console = Console()
err_console = Console(stderr=True)


def fail(message: str, code: int = 1) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def settings() -> Settings:
    return Settings.from_env()


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the schema to the latest revision and load reference data."""
    from fangkong.services.database import upgrade_database

    s = settings()
    result = upgrade_database(s)
    console.print(
        f"schema at revision [bold]{result['revision']}[/]; "
        f"{result['regions']:,} regions loaded ({s.database_url})"
    )


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="TCP port.")] = None,
) -> None:
    """Serve the platform (API, docs and pages)."""
    import uvicorn

    from fangkong.api.app import create_app

    s = settings()
    try:
        app_ = create_app(s)
    except RuntimeError as exc:
        raise fail(str(exc)) from exc
    uvicorn.run(app_, host=host or s.host, port=port or s.port, log_level="info")


@app.command()
def demo(
    serve_after: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Start the server afterwards.")
    ] = True,
) -> None:
    """Set up the embedded database with the bundled real 2020 data, then serve it."""
    from fangkong.services.database import upgrade_database
    from fangkong.services.demo import load_demo_data

    s = settings()
    upgrade_database(s)
    for line in load_demo_data(s, progress=console):
        console.print(line, highlight=False)
    if serve_after:
        console.print(f"serving on http://{s.host}:{s.port}/  (API docs: /docs)")
        serve(None, None)


user_app = typer.Typer(help="User accounts and API tokens.", no_args_is_help=True)
app.add_typer(user_app, name="user")


def _users_engine() -> Engine:
    from fangkong.store.db import make_engine

    return make_engine(settings().database_url)


@user_app.command("create")
def user_create(
    username: Annotated[str, typer.Argument(help="Login name (3-64: a-z 0-9 . _ -).")],
    role: Annotated[
        str, typer.Option(help="admin, commander, epidemiologist, reporter, logistics or viewer.")
    ],
    jurisdiction: Annotated[str, typer.Option(help="Region code, or '*' for every region.")],
    display_name: Annotated[str | None, typer.Option(help="Name shown in the UI.")] = None,
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin",
            help="Read the password from the first line of standard input instead of prompting.",
        ),
    ] = False,
) -> None:
    """Create a user (as the server operator, with full rights)."""
    from fangkong.core.access import CLI_ACTOR
    from fangkong.services.errors import ServiceError
    from fangkong.services.reference import region_tree
    from fangkong.services.users import create_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    engine = _users_engine()
    try:
        user = create_user(
            engine,
            CLI_ACTOR,
            username=username,
            password=password,
            role=role,
            jurisdiction=jurisdiction,
            tree=region_tree(engine),
            display_name=display_name,
        )
    except ServiceError as exc:
        raise fail(exc.message) from exc
    finally:
        engine.dispose()
    console.print(
        f"created {user.role.value} [bold]{user.username}[/] (jurisdiction {user.jurisdiction})",
        highlight=False,
    )


@user_app.command("token")
def user_token(
    username: str,
    name: Annotated[str, typer.Option(help="What the token is for.")] = "cli",
    expires_days: Annotated[
        int | None, typer.Option(help="Expire after this many days (default: never).")
    ] = None,
) -> None:
    """Issue an API bearer token and print it once on standard output."""
    from fangkong.core.access import CLI_ACTOR
    from fangkong.services.errors import ServiceError
    from fangkong.services.users import create_token

    engine = _users_engine()
    try:
        token, info = create_token(
            engine, CLI_ACTOR, username, name=name, expires_days=expires_days
        )
    except ServiceError as exc:
        raise fail(exc.message) from exc
    finally:
        engine.dispose()
    expiry = info.expires_at.isoformat() if info.expires_at else "never"
    err_console.print(
        f"token {info.id} ({info.name}) for {info.username}, expires {expiry}; "
        "it is shown only now:",
        highlight=False,
    )
    typer.echo(token)


@user_app.command("list")
def user_list() -> None:
    """List every user."""
    from rich.table import Table

    from fangkong.core.access import CLI_ACTOR
    from fangkong.services.reference import region_tree
    from fangkong.services.users import list_users

    engine = _users_engine()
    try:
        users = list_users(engine, CLI_ACTOR, region_tree(engine))
    finally:
        engine.dispose()
    table = Table("username", "display name", "role", "jurisdiction", "active", "created")
    for u in users:
        table.add_row(
            u.username,
            u.display_name,
            u.role.value,
            u.jurisdiction,
            "yes" if u.active else "no",
            u.created_at.strftime("%Y-%m-%d %H:%M"),
        )
    console.print(table)


def _set_active(username: str, active: bool) -> None:
    from fangkong.core.access import CLI_ACTOR
    from fangkong.services.errors import ServiceError
    from fangkong.services.users import set_active

    engine = _users_engine()
    try:
        user = set_active(engine, CLI_ACTOR, username, active)
    except ServiceError as exc:
        raise fail(exc.message) from exc
    finally:
        engine.dispose()
    console.print(f"{user.username} is {'enabled' if user.active else 'disabled'}")


@user_app.command("disable")
def user_disable(username: str) -> None:
    """Disable a user: no more logins; their tokens and sessions stop working."""
    _set_active(username, False)


@user_app.command("enable")
def user_enable(username: str) -> None:
    """Enable a disabled user again."""
    _set_active(username, True)


@user_app.command("revoke")
def user_revoke(username: str, token_id: int) -> None:
    """Revoke one API token of a user (ids in ``GET /api/v1/users/{username}/tokens``)."""
    from fangkong.core.access import CLI_ACTOR
    from fangkong.services.errors import ServiceError
    from fangkong.services.users import revoke_token

    engine = _users_engine()
    try:
        info = revoke_token(engine, CLI_ACTOR, username, token_id)
    except ServiceError as exc:
        raise fail(exc.message) from exc
    finally:
        engine.dispose()
    console.print(f"token {info.id} ({info.name}) of {info.username} revoked")


@import_app.command("cases")
def import_cases(
    file: Annotated[str, typer.Argument(help="Case line list (CSV or JSON).")],
    format_name: Annotated[str | None, typer.Option(
        "--format", help="fangkong-cases or beoutbreakprepared; detected from the header "
        "when omitted.")] = None,
    source: Annotated[str | None, typer.Option(
        help="Reporter of the cases, for files without a source column.")] = None,
    strict: Annotated[bool, typer.Option(
        help="All or nothing: write no row when any row is rejected.")] = False,
    actor: Annotated[str | None, typer.Option(
        help="Import as this user (role and jurisdiction apply); default: the operator.")
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
        bar = Progress("[progress.description]{task.description}", BarColumn(),
                       DownloadColumn(), TimeRemainingColumn(), console=err_console,
                       transient=True, disable=not err_console.is_terminal)
        with bar:
            task = bar.add_task(f"importing {Path(file).name}", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            try:
                result = import_case_file(engine, s, Path(file), format_name=format_name,
                                          source=source, strict=strict, actor=who,
                                          progress=progress)
            except ImportFormatError as exc:
                raise fail(f"{file}: {exc}", 2) from exc
            except ServiceError as exc:
                raise fail(exc.message, 2) from exc
    finally:
        engine.dispose()
    console.print(result_summary(result), highlight=False, soft_wrap=True)
    for note in result.notes:
        console.print(f"note: {note}", highlight=False, soft_wrap=True)
    if result.rows_rejected:
        for issue in result.issues:
            if issue["severity"] == "error":
                err_console.print(
                    f"{issue['file']}:{issue['line']}: column {issue['column']!r} value "
                    f"{issue['value']!r}: {issue['reason']}", highlight=False, markup=False,
                    soft_wrap=True)
        err_console.print(f"{result.rows_rejected:,} row(s) rejected; all kept in "
                          f"{result.reject_file}", highlight=False, markup=False,
                          soft_wrap=True)
        raise typer.Exit(1)



@import_app.command("daily")
def import_daily(
    file: Annotated[str, typer.Argument(help="Daily-report file (CSV or JSON).")],
    format_name: Annotated[str | None, typer.Option(
        "--format", help="Format name (see docs/formats.md); detected from the header "
        "when omitted.")] = None,
    source: Annotated[str | None, typer.Option(
        help="Source to store the figures under; default: the format's (jhu, canghailan, "
        "ccdc, who, fangkong).")] = None,
    measure: Annotated[str | None, typer.Option(
        help="jhu-wide only: confirmed, deaths or recovered (default: from the file "
        "name).")] = None,
    strict: Annotated[bool, typer.Option(
        help="All or nothing: store no row when any row is rejected.")] = False,
    actor: Annotated[str | None, typer.Option(
        help="Import as this user (role and jurisdiction apply); default: the operator.")
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
                result = import_daily_file(engine, s, Path(file), actor=who,
                                           format_name=format_name, source=source,
                                           measure=measure, strict=strict)
        except Forbidden as exc:
            raise fail(exc.message, 1) from exc
        except ServiceError as exc:
            raise fail(exc.message, 2) from exc
    finally:
        engine.dispose()
    console.print(f"import {result.import_id} ({result.format}, {result.status}): "
                  + describe(Path(file).name, result), highlight=False, soft_wrap=True)
    for note in result.notes:
        console.print(f"note: {note}", highlight=False, markup=False, soft_wrap=True)
    if result.rows_rejected or result.status != "completed":
        for issue in result.issues:
            if issue["severity"] == "error":
                err_console.print(
                    f"{issue['file']}:{issue['line']}: column {issue['column']!r} value "
                    f"{issue['value']!r}: {issue['reason']}", highlight=False, markup=False,
                    soft_wrap=True)
        err_console.print(f"{result.rows_rejected:,} row(s) rejected; all kept in "
                          f"{result.reject_file}", highlight=False, markup=False,
                          soft_wrap=True)
        raise typer.Exit(1)


export_app = typer.Typer(help="Export data.", no_args_is_help=True)
app.add_typer(export_app, name="export")


@export_app.command("daily")
def export_daily(
    region: Annotated[str, typer.Option(help="Region code (420000, CN, US …).")],
    output_format: Annotated[str, typer.Option(
        "--format", help="csv, json or parquet.")] = "csv",
    source: Annotated[str | None, typer.Option(
        help="Source; default: the preferred one the region has.")] = None,
    date_from: Annotated[str | None, typer.Option("--from", help="First date (ISO).")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last date (ISO).")] = None,
    output: Annotated[str | None, typer.Option(
        help="Output file; default: standard output (not for parquet).")] = None,
) -> None:
    """Export a region's daily series with derived cumulative columns."""
    from datetime import date
    from pathlib import Path

    from fangkong.services.errors import ServiceError
    from fangkong.services.export import export_daily as run_export
    from fangkong.store.db import make_engine

    try:
        first = date.fromisoformat(date_from) if date_from else None
        last = date.fromisoformat(date_to) if date_to else None
    except ValueError as exc:
        raise fail(f"--from/--to: {exc}", 2) from exc
    if output_format == "parquet" and output is None:
        raise fail("parquet is binary: give --output FILE", 2)
    s = settings()
    engine = make_engine(s.database_url)
    try:
        data = run_export(engine, s, region, fmt=output_format, source=source,
                          date_from=first, date_to=last)
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

def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
