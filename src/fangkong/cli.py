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
    from datetime import date

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
epi_app = typer.Typer(
    help="Epidemiological analytics on files (no database needed).", no_args_is_help=True
)
app.add_typer(epi_app, name="epi")

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
    workers: Annotated[
        int | None,
        typer.Option(min=1, max=64, help="Server processes (default FANGKONG_WORKERS or 1)."),
    ] = None,
) -> None:
    """Serve the platform (API, docs and pages)."""
    import uvicorn

    from fangkong.api.app import create_app

    s = settings()
    try:
        app_ = create_app(s)  # also refuses production settings with default secrets
    except RuntimeError as exc:
        raise fail(str(exc)) from exc
    processes = workers or s.workers
    bind_host, bind_port = host or s.host, port or s.port
    if processes == 1:
        uvicorn.run(app_, host=bind_host, port=bind_port, log_level="info")
    else:
        uvicorn.run(
            "fangkong.api.app:app_from_env",
            factory=True,
            workers=processes,
            host=bind_host,
            port=bind_port,
            log_level="info",
        )


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
        serve(None, None, None)


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
    for note in result.notes:
        console.print(f"note: {note}", highlight=False, soft_wrap=True)
    if result.rows_rejected:
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
    for note in result.notes:
        console.print(f"note: {note}", highlight=False, markup=False, soft_wrap=True)
    if result.rows_rejected or result.status != "completed":
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
    store it as daily reports. Exit status: 0 stored (or read), 1 refused, 2 bad usage."""
    import json
    from datetime import date
    from pathlib import Path

    from fangkong.core.access import CLI_ACTOR
    from fangkong.services.bulletin_import import decode, import_bulletin, preview
    from fangkong.services.errors import Forbidden, ServiceError
    from fangkong.services.users import get_user
    from fangkong.store.db import make_engine

    try:
        day = date.fromisoformat(as_of) if as_of else None
    except ValueError as exc:
        raise fail(f"--date {as_of!r} is not an ISO date (YYYY-MM-DD)", 2) from exc
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
            raise fail(exc.message, 2) from exc
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
            raise fail(exc.message, 2) from exc
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


@epi_app.command("rt")
def epi_rt(
    incidence: Annotated[
        str,
        typer.Option(
            help="CSV: local (or I / incidence), optional "
            "imported and dates columns, one row a day."
        ),
    ],
    si_distr: Annotated[
        str | None,
        typer.Option(
            help="CSV of the discrete serial interval w_0=0, w_1, … (method non_parametric_si)."
        ),
    ] = None,
    si_mean: Annotated[float | None, typer.Option(help="Mean serial interval (days).")] = None,
    si_sd: Annotated[float | None, typer.Option(help="SD of the serial interval (days).")] = None,
    window: Annotated[int, typer.Option(help="Sliding window length (days).")] = 7,
    t_start: Annotated[
        list[int] | None,
        typer.Option(help="Window starts, 1-based (repeat the option); with --t-end."),
    ] = None,
    t_end: Annotated[list[int] | None, typer.Option(help="Window ends, 1-based.")] = None,
    mean_prior: Annotated[float, typer.Option(help="Prior mean of R.")] = 5.0,
    std_prior: Annotated[float, typer.Option(help="Prior SD of R.")] = 5.0,
    method: Annotated[
        str | None,
        typer.Option(
            help="non_parametric_si, parametric_si or uncertain_si (default: from the SI given)."
        ),
    ] = None,
    std_mean_si: Annotated[
        float | None, typer.Option(help="uncertain_si: SD of the SI mean.")
    ] = None,
    min_mean_si: Annotated[float | None, typer.Option(help="uncertain_si: lowest SI mean.")] = None,
    max_mean_si: Annotated[
        float | None, typer.Option(help="uncertain_si: highest SI mean.")
    ] = None,
    std_std_si: Annotated[float | None, typer.Option(help="uncertain_si: SD of the SI SD.")] = None,
    min_std_si: Annotated[float | None, typer.Option(help="uncertain_si: lowest SI SD.")] = None,
    max_std_si: Annotated[float | None, typer.Option(help="uncertain_si: highest SI SD.")] = None,
    n1: Annotated[int, typer.Option(help="uncertain_si: SI distributions drawn.")] = 100,
    n2: Annotated[int, typer.Option(help="uncertain_si: R draws per SI distribution.")] = 100,
    seed: Annotated[int, typer.Option(help="uncertain_si: random seed.")] = 1,
    output_format: Annotated[str, typer.Option("--format", help="csv or json.")] = "csv",
) -> None:
    """R_t by the method of Cori et al. (2013), exactly as R's EpiEstim estimate_R, for an
    incidence file. Exit status 2 on bad input (one line naming file, line, column)."""
    import json
    from pathlib import Path

    from fangkong.core.epi.rt import UncertainSI
    from fangkong.services import rt as rt_svc
    from fangkong.services.errors import ServiceError

    if output_format not in ("csv", "json"):
        raise fail("--format must be csv or json", 2)
    if (si_distr is None) == (si_mean is None and si_sd is None):
        raise fail("give either --si-distr FILE or --si-mean M --si-sd S", 2)
    try:
        data = rt_svc.read_incidence_csv(Path(incidence))
        distr = rt_svc.read_si_distr_csv(Path(si_distr)) if si_distr else None
        uncertain = None
        if method == "uncertain_si":
            spread = (std_mean_si, min_mean_si, max_mean_si, std_std_si, min_std_si, max_std_si)
            if si_mean is None or si_sd is None or any(v is None for v in spread):
                raise fail(
                    "uncertain_si needs --si-mean --si-sd --std-mean-si --min-mean-si "
                    "--max-mean-si --std-std-si --min-std-si --max-std-si",
                    2,
                )
            sm, mn, mx, ss, smin, smax = (float(v or 0) for v in spread)
            uncertain = UncertainSI(
                mean_si=si_mean,
                std_mean_si=sm,
                min_mean_si=mn,
                max_mean_si=mx,
                std_si=si_sd,
                std_std_si=ss,
                min_std_si=smin,
                max_std_si=smax,
                n1=n1,
                n2=n2,
            )
        est = rt_svc.estimate(
            data.local,
            data.imported,
            method=method,
            si_distr=distr,
            si_mean=si_mean,
            si_sd=si_sd,
            uncertain=uncertain,
            t_start=t_start or None,
            t_end=t_end or None,
            window=window,
            mean_prior=mean_prior,
            std_prior=std_prior,
            seed=seed,
        )
    except ServiceError as exc:
        raise fail(exc.message, 2) from exc
    for note in est.warnings:
        err_console.print(f"warning: {note}", highlight=False, markup=False, soft_wrap=True)
    rows = rt_svc.estimate_rows(est, data.dates)
    if output_format == "json":
        typer.echo(
            json.dumps(
                {
                    "method": est.method,
                    "si_mean": float(est.si_mean.mean()),
                    "si_std": float(est.si_std.mean()),
                    "items": rows,
                    "warnings": list(est.warnings),
                },
                indent=1,
            )
        )
    else:
        typer.echo(rt_svc.rows_to_csv(rows, data.dates is not None), nl=False)


@app.command("rt")
def region_rt(
    region: Annotated[str, typer.Option(help="Region code (420000, CN, US …).")],
    si_mean: Annotated[float, typer.Option(help="Mean serial interval (days), e.g. 7.5.")],
    si_sd: Annotated[float, typer.Option(help="SD of the serial interval (days), e.g. 3.4.")],
    source: Annotated[
        str | None, typer.Option(help="Source; default: the preferred one the region has.")
    ] = None,
    date_from: Annotated[str | None, typer.Option("--from", help="First window end (ISO).")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last window end (ISO).")] = None,
    window: Annotated[int, typer.Option(help="Sliding window length (days).")] = 7,
    basis: Annotated[
        str,
        typer.Option(
            help="report (new confirmed by report date) or onset (line list by onset date)."
        ),
    ] = "report",
    output_format: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
) -> None:
    """R_t of a stored region (Cori et al. 2013, as EpiEstim) over sliding windows."""
    import json
    from datetime import date

    from rich.table import Table

    from fangkong.services import rt as rt_svc
    from fangkong.services.errors import ServiceError
    from fangkong.store.db import make_engine

    if output_format not in ("table", "csv", "json"):
        raise fail("--format must be table, csv or json", 2)
    try:
        first = date.fromisoformat(date_from) if date_from else None
        last = date.fromisoformat(date_to) if date_to else None
    except ValueError as exc:
        raise fail(f"--from/--to: {exc}", 2) from exc
    s = settings()
    engine = make_engine(s.database_url)
    try:
        out = rt_svc.region_rt(
            engine,
            region,
            si_mean=si_mean,
            si_sd=si_sd,
            window=window,
            date_from=first,
            date_to=last,
            source=source,
            basis=basis,
            priority=s.source_priority,
        )
    except ServiceError as exc:
        raise fail(exc.message, 2) from exc
    finally:
        engine.dispose()
    for note in out["notes"]:
        err_console.print(f"note: {note}", highlight=False, markup=False, soft_wrap=True)
    for note in out["warnings"]:
        err_console.print(f"warning: {note}", highlight=False, markup=False, soft_wrap=True)
    if output_format == "json":
        typer.echo(json.dumps(out, indent=1))
    elif output_format == "csv":
        typer.echo(rt_svc.rows_to_csv(out["items"], True), nl=False)
    else:
        table = Table(
            "window",
            "mean R",
            "95% CrI",
            "50% CrI",
            title=f"R_t {out['region_code']} ({out['source']}, {out['basis']} date; "
            f"SI {si_mean}/{si_sd} d)",
        )
        for r in out["items"]:
            table.add_row(
                f"{r['date_start']}..{r['date_end']}",
                f"{r['mean']:.2f}",
                f"{r['q0.025']:.2f}-{r['q0.975']:.2f}",
                f"{r['q0.25']:.2f}-{r['q0.75']:.2f}",
            )
        console.print(table)


@epi_app.command("forecast")
def epi_forecast(
    incidence: Annotated[
        str,
        typer.Option(
            help="Daily incidence CSV (column local, I or incidence; optional imported, date)."
        ),
    ],
    horizon: Annotated[int, typer.Option(help="Days ahead (1-28).")] = 14,
    si_mean: Annotated[float, typer.Option(help="Mean serial interval (days).")] = 4.7,
    si_sd: Annotated[float, typer.Option(help="SD of the serial interval (days).")] = 2.9,
    window: Annotated[int, typer.Option(help="Days of the last R window.")] = 7,
    seed: Annotated[int, typer.Option(help="Random seed (numpy Generator).")] = 1,
    output_format: Annotated[str, typer.Option("--format", help="csv or json.")] = "csv",
) -> None:
    """Forecast daily cases by the renewal equation (prediction quantiles 0.025-0.975)."""
    from pathlib import Path

    from fangkong.services import forecast as fc_svc
    from fangkong.services.errors import ServiceError
    from fangkong.services.rt import read_incidence_csv

    if output_format not in ("csv", "json"):
        raise fail("--format must be csv or json", 2)
    try:
        data = read_incidence_csv(Path(incidence))
        counts = list(data.local)
        if data.imported is not None:
            counts = [a + b for a, b in zip(counts, data.imported, strict=True)]
        out = fc_svc.forecast_counts(
            counts,
            horizon=horizon,
            si_mean=si_mean,
            si_sd=si_sd,
            window=window,
            seed=seed,
            dates=data.dates,
        )
    except ServiceError as exc:
        raise fail(exc.message, 2) from exc
    if output_format == "json":
        typer.echo(fc_svc.to_json(out))
    else:
        typer.echo(fc_svc.items_to_csv(out["items"]), nl=False)


@app.command("forecast")
def forecast_region(
    region: Annotated[str, typer.Option(help="Region code (420000, IT, US …).")],
    horizon: Annotated[int, typer.Option(help="Days ahead (1-28).")] = 14,
    si_mean: Annotated[float, typer.Option(help="Mean serial interval (days).")] = 4.7,
    si_sd: Annotated[float, typer.Option(help="SD of the serial interval (days).")] = 2.9,
    window: Annotated[int, typer.Option(help="Days of the last R window.")] = 7,
    date_from: Annotated[
        str | None,
        typer.Option(
            "--from", help="First forecast day (ISO); default: after the last stored day."
        ),
    ] = None,
    source: Annotated[str | None, typer.Option(help="Source of the daily figures.")] = None,
    seed: Annotated[int, typer.Option(help="Random seed (numpy Generator).")] = 1,
    output_format: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
) -> None:
    """Forecast a stored region's daily new confirmed cases (renewal equation)."""
    from datetime import date

    from rich.table import Table

    from fangkong.services import forecast as fc_svc
    from fangkong.services.errors import ServiceError
    from fangkong.store.db import make_engine

    if output_format not in ("table", "csv", "json"):
        raise fail("--format must be table, csv or json", 2)
    try:
        first = date.fromisoformat(date_from) if date_from else None
    except ValueError as exc:
        raise fail(f"--from: {exc}", 2) from exc
    s = settings()
    engine = make_engine(s.database_url)
    try:
        out = fc_svc.region_forecast(
            engine,
            region,
            horizon=horizon,
            si_mean=si_mean,
            si_sd=si_sd,
            window=window,
            forecast_from=first,
            source=source,
            priority=s.source_priority,
            seed=seed,
        )
    except ServiceError as exc:
        raise fail(exc.message, 2) from exc
    finally:
        engine.dispose()
    for note in out["notes"]:
        err_console.print(f"note: {note}", highlight=False, markup=False, soft_wrap=True)
    if output_format == "json":
        typer.echo(fc_svc.to_json(out))
        return
    if output_format == "csv":
        typer.echo(fc_svc.items_to_csv(out["items"]), nl=False)
        return
    table = Table(
        "date",
        "median",
        "50% PI",
        "90% PI",
        "observed",
        title=f"forecast {out['region_code']} ({out['source']}, data to "
        f"{out['data_to']}; SI {si_mean}/{si_sd} d)",
    )
    for it in out["items"]:
        obs = it.get("observed")
        table.add_row(
            it["date"],
            f"{it['q0.5']:,.0f}",
            f"{it['q0.25']:,.0f}-{it['q0.75']:,.0f}",
            f"{it['q0.05']:,.0f}-{it['q0.95']:,.0f}",
            "" if obs is None else f"{obs:,}",
        )
    console.print(table)


@epi_app.command("nowcast")
def epi_nowcast(
    file: Annotated[
        str,
        typer.Option(
            help="Line-list CSV with onset_date and report_date "
            "or confirmation_date (or beoutbreakprepared)."
        ),
    ],
    cutoff: Annotated[
        str | None,
        typer.Option(help="Nowcast as known on this day (ISO); default: the last report date."),
    ] = None,
    days: Annotated[int, typer.Option(help="Onset days to show (up to the cut-off).")] = 28,
    seed: Annotated[int, typer.Option(help="Random seed (numpy Generator).")] = 1,
    output_format: Annotated[str, typer.Option("--format", help="csv or json.")] = "csv",
) -> None:
    """Nowcast cases by onset date, correcting for cases not yet reported."""
    import json
    from datetime import date
    from pathlib import Path

    from fangkong.services import nowcast as nc_svc
    from fangkong.services.errors import ServiceError

    if output_format not in ("csv", "json"):
        raise fail("--format must be csv or json", 2)
    try:
        cut = date.fromisoformat(cutoff) if cutoff else None
    except ValueError as exc:
        raise fail(f"--cutoff: {exc}", 2) from exc
    try:
        out = nc_svc.file_nowcast(Path(file), cutoff=cut, seed=seed, days=days)
    except ServiceError as exc:
        raise fail(exc.message, 2) from exc
    if output_format == "json":
        typer.echo(json.dumps(out, indent=1))
        return
    for note in out["notes"]:
        err_console.print(f"note: {note}", highlight=False, markup=False, soft_wrap=True)
    typer.echo(nc_svc.items_to_csv(out["items"]), nl=False)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


@epi_app.command("delays")
def epi_delays(
    file: Annotated[
        str,
        typer.Option(
            help="Line-list CSV (Tindale et al. cluster list for "
            "serial/incubation; any list with onset and "
            "confirmation dates for onset-to-confirmation)."
        ),
    ],
    kind: Annotated[str, typer.Option(help="serial, incubation or onset-to-confirmation.")],
    dist: Annotated[
        str,
        typer.Option(
            help="gamma, lognormal, weibull, normal, shifted_gamma … or best (all, by AIC)."
        ),
    ] = "best",
    bootstrap: Annotated[int, typer.Option(help="Bootstrap replicates for the 95% CIs.")] = 0,
    seed: Annotated[int, typer.Option(help="Bootstrap seed (numpy Generator).")] = 1,
    censoring: Annotated[
        str, typer.Option(help="double (both dates to the day), single ([d, d+1)) or interval.")
    ] = "double",
    output_format: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """Fit delay distributions by maximum likelihood with day interval-censoring."""
    import json
    from pathlib import Path

    from rich.table import Table

    from fangkong.services import delays as delay_svc
    from fangkong.services.errors import ServiceError

    if output_format not in ("table", "json"):
        raise fail("--format must be table or json", 2)
    try:
        report = delay_svc.file_delays(
            Path(file), kind, dist=dist, bootstrap=bootstrap, seed=seed, censoring=censoring
        )
    except ServiceError as exc:
        raise fail(exc.message, 2) from exc
    if output_format == "json":
        typer.echo(json.dumps(report, indent=1))
        return
    table = Table(title=f"{kind}: n = {report['n']}, censoring {report['censoring']}")
    for col in ("family", "parameters", "mean (95% CI)", "sd (95% CI)", "AIC", "ΔAIC"):
        table.add_column(col)

    def with_ci(fit: dict[str, object], name: str) -> str:
        ci = fit["ci95"].get(name) if isinstance(fit["ci95"], dict) else None
        value = f"{fit[name]:.2f}"
        return f"{value} ({ci[0]:.2f}–{ci[1]:.2f})" if ci else value

    for fit in report["fits"]:
        params = ", ".join(f"{k}={v:.3g}" for k, v in fit["parameters"].items())
        table.add_row(
            fit["family"],
            params,
            with_ci(fit, "mean"),
            with_ci(fit, "sd"),
            f"{fit['aic']:.2f}",
            f"{fit['delta_aic']:.2f}",
        )
    console.print(table)
    icc = report.get("icc")
    if icc and "mean" in icc:
        ci = icc.get("mean_ci95")
        tail = f" (95% CI {ci[0]:.2f}–{ci[1]:.2f})" if ci else ""
        console.print(
            f"interval case-to-case (Vink et al. 2014, K={icc['k']}, "
            f"{icc['n_intervals']} intervals): mean {icc['mean']:.2f}{tail}, "
            f"sd {icc['sd']:.2f}",
            highlight=False,
        )
    for note in report["skipped"]:
        err_console.print(f"skipped {note}", highlight=False, markup=False)


@epi_app.command("growth")
def epi_growth(
    incidence: Annotated[
        str,
        typer.Option(
            help="CSV with a date column and a daily count "
            "column (count, new_confirmed, cases, I …)."
        ),
    ],
    date_from: Annotated[str | None, typer.Option("--from", help="First day (ISO).")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last day (ISO).")] = None,
    model: Annotated[str, typer.Option(help="poisson or negbin.")] = "poisson",
    output_format: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
) -> None:
    """Exponential growth rate and doubling time by log-linear regression of daily counts."""
    import json
    from datetime import date as date_
    from pathlib import Path

    from fangkong.services import delays as delay_svc
    from fangkong.services.errors import ServiceError

    try:
        first = date_.fromisoformat(date_from) if date_from else None
        last = date_.fromisoformat(date_to) if date_to else None
    except ValueError as exc:
        raise fail(f"--from/--to: {exc}", 2) from exc
    try:
        fit = delay_svc.file_growth(Path(incidence), date_from=first, date_to=last, model=model)
    except ServiceError as exc:
        raise fail(exc.message, 2) from exc
    if output_format == "json":
        typer.echo(json.dumps(fit, indent=1))
        return
    lo, hi = fit["growth_rate_ci95"]
    console.print(
        f"{fit['from']}..{fit['to']} ({fit['n_days']} days, {fit['total']:,} cases, "
        f"{model}): r = {fit['growth_rate']:.4f}/day (95% CI {lo:.4f} to {hi:.4f})",
        highlight=False,
    )
    for name in ("doubling_time", "halving_time"):
        if fit[name] is not None:
            a, b = fit[f"{name}_ci95"]
            upper = "∞" if b is None else f"{b:.2f}"
            console.print(
                f"{name.replace('_', ' ')}: {fit[name]:.2f} days (95% CI {a:.2f} to {upper})",
                highlight=False,
            )


def _parse_intervention(text: str) -> object:
    """``START:REDUCTION[:end=DATE][:ramp=DAYS][:label=TEXT]`` for ``fangkong scenario``."""
    from datetime import date

    from fangkong.services.scenarios import InterventionSpec

    parts = text.split(":")
    if len(parts) < 2:
        raise ValueError(f"{text!r}: expected START:REDUCTION, e.g. 2020-01-23:0.7")
    extra = {}
    for item in parts[2:]:
        key, sep, value = item.partition("=")
        if not sep or key not in ("end", "ramp", "label"):
            raise ValueError(f"{text!r}: unknown part {item!r} (end=DATE, ramp=DAYS, label=TEXT)")
        extra[key] = value
    return InterventionSpec(
        start=date.fromisoformat(parts[0]),
        reduction=float(parts[1]),
        end=date.fromisoformat(extra["end"]) if "end" in extra else None,
        ramp_days=float(extra.get("ramp", 0)),
        label=extra.get("label", ""),
    )


@app.command("scenario")
def scenario(
    start: Annotated[str, typer.Option(help="First day of the run (ISO).")],
    region: Annotated[
        str | None,
        typer.Option(help="Region code: its census population is used (needs the database)."),
    ] = None,
    population: Annotated[
        float | None, typer.Option(help="Population (instead of, or overriding, the region's).")
    ] = None,
    r0: Annotated[
        float,
        typer.Option("--r0", help="Basic reproduction number (default 2.2, Li et al. NEJM 2020)."),
    ] = 2.2,
    days: Annotated[int, typer.Option(help="Days to simulate (1-1000).")] = 180,
    intervention: Annotated[
        list[str] | None,
        typer.Option(
            help="START:REDUCTION[:end=DATE][:ramp=DAYS][:label=TEXT], e.g. 2020-01-23:0.7 "
            "(repeat the option for several)."
        ),
    ] = None,
    compare_delay: Annotated[
        list[int] | None,
        typer.Option(help="Also run the same interventions this many days later (repeatable)."),
    ] = None,
    no_intervention: Annotated[
        bool,
        typer.Option("--no-intervention", help="Also run a scenario without any intervention."),
    ] = False,
    latent_period: Annotated[float, typer.Option(help="Mean latent period, days.")] = 5.2,
    infectious_period: Annotated[float, typer.Option(help="Mean infectious period, days.")] = 2.3,
    initial_infections: Annotated[float, typer.Option(help="Infected on the start day.")] = 1.0,
    calibrate: Annotated[
        str | None,
        typer.Option(
            help="DATE:COUNT: choose the initial infections so that COUNT people have been "
            "infected by DATE (e.g. 2020-01-25:75815, Wu et al. Lancet 2020)."
        ),
    ] = None,
    hospitalised_fraction: Annotated[
        float, typer.Option(help="Fraction of infections hospitalised.")
    ] = 0.044,
    icu_fraction: Annotated[float, typer.Option(help="Fraction of admissions to ICU.")] = 0.30,
    stochastic: Annotated[bool, typer.Option(help="Binomial-chain stochastic runs.")] = False,
    seed: Annotated[int | None, typer.Option(help="Seed of the stochastic runs.")] = None,
    replicates: Annotated[int, typer.Option(help="Stochastic runs per scenario.")] = 20,
    output_format: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """SEIR scenarios with interventions, compared side by side (peak, infections, beds)."""
    import json
    from datetime import date
    from typing import Any

    from rich.table import Table

    from fangkong.services import scenarios as scen
    from fangkong.services.errors import ServiceError

    if output_format not in ("table", "json"):
        raise fail("--format must be table or json", 2)
    try:
        first = date.fromisoformat(start)
        ivs = tuple(_parse_intervention(t) for t in intervention or [])
        cal = None
        if calibrate:
            when, _, count = calibrate.partition(":")
            cal = scen.Calibration(date.fromisoformat(when), float(count))
    except ValueError as exc:
        raise fail(f"bad option value: {exc}", 2) from exc
    specs = [scen.ScenarioSpec("as given")]
    specs += [scen.ScenarioSpec(f"{d:+d} days", delay_days=d) for d in compare_delay or []]
    if no_intervention:
        specs.append(scen.ScenarioSpec("no intervention", interventions=()))
    engine = None
    try:
        hospital = scen.hospital_parameters(hospitalised_fraction, icu_fraction)
        req = scen.ScenarioRequest(
            start=first,
            days=days,
            region_code=region,
            population=population,
            r0=r0,
            latent_period=latent_period,
            infectious_period=infectious_period,
            initial_infections=initial_infections,
            calibrate=cal,
            interventions=ivs,  # type: ignore[arg-type]
            scenarios=tuple(specs),
            hospital=hospital,
            stochastic=stochastic,
            seed=seed,
            replicates=replicates,
            include_series=output_format == "json",
        )
        if region is not None:
            from fangkong.store.db import make_engine

            engine = make_engine(settings().database_url)
        out = scen.run(engine, req)
    except ServiceError as exc:
        raise fail(exc.message, 2) from exc
    finally:
        if engine is not None:
            engine.dispose()
    if output_format == "json":
        typer.echo(json.dumps(out, indent=1))
        return
    m = out["model"]
    where = out["region"]["name_en"] if out["region"] else "population"
    console.print(
        f"SEIR, {where} {out['population']:,.0f}: R0 {m['r0']}, latent "
        f"{m['latent_period']} d, infectious {m['infectious_period']} d, "
        f"r = {m['growth_rate']:.3f}/d, initial infections "
        f"{m['initial_infections']:,.1f}; {m['method']}",
        highlight=False,
    )
    scen_out = out["scenarios"]
    table = Table(
        "", *(s["name"] for s in scen_out), *(f"Δ {c['scenario']}" for c in out["comparison"])
    )

    def at(p: dict[str, Any]) -> str:
        return f"{p['value']:,.0f} on {p['date']}"

    diffs = [c["differences"] for c in out["comparison"]]
    sums = [s["summary"] for s in scen_out]
    table.add_row(
        "interventions",
        *(
            ", ".join(f"{i['start']} −{i['reduction']:.0%}" for i in s["interventions"]) or "none"
            for s in scen_out
        ),
        *("" for _ in diffs),
    )
    for key, label in (
        ("peak_infections", "peak new infections/day"),
        ("peak_prevalence", "peak prevalence (E+I)"),
    ):
        table.add_row(
            label,
            *(at(sm[key]) for sm in sums),
            *(f"{d[key]:+,.0f} ({d[key + '_day']:+d} d)" for d in diffs),
        )
    table.add_row(
        "total infected",
        *(f"{sm['total_infections']:,.0f} ({sm['attack_rate']:.2%})" for sm in sums),
        *(f"{d['total_infections']:+,.0f}" for d in diffs),
    )
    for key, label in (
        ("peak_hospital_beds", "peak hospital beds"),
        ("peak_icu_beds", "peak ICU beds"),
    ):
        table.add_row(label, *(at(sm[key]) for sm in sums), *(f"{d[key]:+,.0f}" for d in diffs))
    console.print(table)
    if stochastic:
        for s in out["scenarios"]:
            q = s["stochastic"]["total_infections"]
            console.print(
                f"{s['name']}: total infected 95% range {q['q0.025']:,.0f}–"
                f"{q['q0.975']:,.0f} over {s['stochastic']['replicates']} runs "
                f"({s['stochastic']['extinct']} died out)",
                highlight=False,
            )


# --- Command (issue 5): response levels, risk zoning, early warning ---

response_app = typer.Typer(help="Emergency response levels (I–IV).", no_args_is_help=True)
app.add_typer(response_app, name="response")
risk_app = typer.Typer(help="Risk zoning (分区分级).", no_args_is_help=True)
app.add_typer(risk_app, name="risk")
warnings_app = typer.Typer(help="Early warning signals.", no_args_is_help=True)
app.add_typer(warnings_app, name="warnings")


@response_app.command("declare")
def response_declare(
    region_code: Annotated[str, typer.Argument(help="Region code, e.g. 420000.")],
    level: Annotated[str, typer.Argument(help="none, IV, III, II or I.")],
    reason: Annotated[str, typer.Option(help="Why (required).")],
    authority: Annotated[str | None, typer.Option(help="Declaring authority.")] = None,
    effective_at: Annotated[
        str | None, typer.Option(help="ISO 8601 date-time; default now.")
    ] = None,
) -> None:
    """Declare, raise, lower or lift a region's response level (as the CLI operator)."""
    from datetime import datetime

    from fangkong.core.access import CLI_ACTOR
    from fangkong.services import response as svc
    from fangkong.services.errors import ServiceError
    from fangkong.services.reference import region_tree

    try:
        when = datetime.fromisoformat(effective_at) if effective_at else None
    except ValueError as exc:
        raise fail(f"--effective-at: not an ISO 8601 date-time: {effective_at!r}", 2) from exc
    engine = _users_engine()
    try:
        out = svc.declare(
            engine,
            CLI_ACTOR,
            region_tree(engine),
            region_code=region_code,
            level=level,
            reason=reason,
            authority=authority,
            effective_at=when,
        )
    except ServiceError as exc:
        raise fail(exc.message) from exc
    finally:
        engine.dispose()
    console.print(
        f"{out['region_code']} {out['region_name_zh']}: {out['action']} "
        f"{out['previous_level']} → {out['level']} ({out['level_en']}) "
        f"effective {out['effective_at']} by {out['authority']}",
        highlight=False,
    )


@response_app.command("history")
def response_history(
    region_code: Annotated[str | None, typer.Argument(help="Region code (all if omitted).")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10000)] = 100,
) -> None:
    """Every recorded change of response levels, newest first."""
    from rich.table import Table

    from fangkong.services import response as svc
    from fangkong.services.errors import ServiceError

    engine = _users_engine()
    try:
        out = svc.history(engine, region_code=region_code, limit=limit)
    except ServiceError as exc:
        raise fail(exc.message) from exc
    finally:
        engine.dispose()
    table = Table("effective", "region", "action", "level", "authority", "reason", "by")
    for i in out["items"]:
        table.add_row(
            i["effective_at"][:16],
            i["region_code"],
            i["action"],
            i["level"],
            i["authority"],
            i["reason"],
            i["actor"],
        )
    console.print(table)
    console.print(f"{out['total']} change(s)")


@risk_app.command("classify")
def risk_classify(
    on: Annotated[str, typer.Option("--date", help="The day to classify (YYYY-MM-DD).")],
    ruleset: Annotated[str | None, typer.Option(help="name or name@version.")] = None,
    unit: Annotated[
        str | None, typer.Option(help="country, province, prefecture or county.")
    ] = None,
    parent: Annotated[str | None, typer.Option(help="Only units below this region.")] = None,
    lang: Annotated[str, typer.Option(help="zh or en explanations.")] = "en",
) -> None:
    """Classify every unit on a day, with the rule set's explanation and strategy."""
    from datetime import date

    from rich.table import Table

    from fangkong.services import risk as svc
    from fangkong.services.errors import ServiceError
    from fangkong.services.reference import region_tree

    try:
        day = date.fromisoformat(on)
    except ValueError as exc:
        raise fail(f"--date: not a date (YYYY-MM-DD): {on!r}", 2) from exc
    if lang not in ("zh", "en"):
        raise fail("--lang must be zh or en", 2)
    engine = _users_engine()
    try:
        out = svc.risk_table(
            engine,
            settings(),
            region_tree(engine),
            on=day,
            ruleset=ruleset,
            unit=unit,
            parent=parent,
        )
    except ServiceError as exc:
        raise fail(exc.message) from exc
    finally:
        engine.dispose()
    rs = out["ruleset"]
    table = Table("region", "name", "level", "since", "explanation", "source")
    for i in out["items"]:
        table.add_row(
            i["region_code"],
            i[f"name_{lang}"],
            i[f"level_{lang}"],
            i["since"],
            i[f"explanation_{lang}"],
            i["source"],
        )
    console.print(table)
    counts = ", ".join(f"{k} {v}" for k, v in out["counts"].items())
    console.print(
        f"{out['date']}: {out['total']} {out['unit']} units by {rs['key']} ({counts})",
        highlight=False,
    )


@warnings_app.command("scan")
def warnings_scan(
    date_from: Annotated[str, typer.Option("--from", help="First day (YYYY-MM-DD).")],
    date_to: Annotated[str, typer.Option("--to", help="Last day (YYYY-MM-DD).")],
    level: Annotated[str, typer.Option(help="Administrative level of the series.")] = "province",
    region: Annotated[list[str] | None, typer.Option(help="Only these regions.")] = None,
    method: Annotated[list[str] | None, typer.Option(help="Only these methods.")] = None,
    series: Annotated[str, typer.Option(help="Daily field to scan.")] = "new_confirmed",
    store: Annotated[bool, typer.Option(help="Store the signals.")] = False,
    lang: Annotated[str, typer.Option(help="zh or en explanations.")] = "en",
) -> None:
    """Scan daily series for aberrations and data-quality problems."""
    from datetime import date

    from rich.table import Table

    from fangkong.core.access import CLI_ACTOR
    from fangkong.services import warnings as svc
    from fangkong.services.errors import ServiceError
    from fangkong.services.reference import region_tree

    try:
        first, last = date.fromisoformat(date_from), date.fromisoformat(date_to)
    except ValueError as exc:
        raise fail("--from/--to: dates as YYYY-MM-DD", 2) from exc
    engine = _users_engine()
    try:
        signals = svc.scan(
            engine,
            settings(),
            region_tree(engine),
            date_from=first,
            date_to=last,
            level=None if region else level,
            region_codes=region or None,
            methods=method or None,
            field=series,
        )
        stored = svc.store_signals(engine, CLI_ACTOR, signals) if store else None
    except ServiceError as exc:
        raise fail(exc.message) from exc
    finally:
        engine.dispose()
    table = Table("date", "region", "method", "observed", "explanation")
    for s in signals:
        table.add_row(
            s["signal_date"],
            f"{s['region_code']} {s[f'name_{lang}']}",
            s["method"],
            "" if s["observed"] is None else f"{s['observed']:g}",
            s[f"explanation_{lang}"],
        )
    console.print(table)
    note = f"; stored {stored['inserted']} new" if stored else ""
    console.print(f"{len(signals)} signal(s){note}", highlight=False)


# --- Command (issue 5): directives and reporting accountability ---

directive_app = typer.Typer(help="Directives of the command (指令).", no_args_is_help=True)
app.add_typer(directive_app, name="directive")
timeliness_app = typer.Typer(help="Reporting accountability (报告时效).", no_args_is_help=True)
app.add_typer(timeliness_app, name="timeliness")


def _directive_line(d: dict[str, object]) -> str:
    return (
        f"#{d['id']} [{d['priority']}] {d['title']} — {d['status']}, due {d['due_at']}, "
        f"{d['recipients_total']} recipient(s)"
    )


@directive_app.command("issue")
def directive_issue(
    title: Annotated[str, typer.Option(help="Title.")],
    body: Annotated[str, typer.Option(help="Text of the directive.")],
    due: Annotated[str, typer.Option(help="Due date-time, ISO 8601 (2020-02-01T18:00+08:00).")],
    region: Annotated[list[str] | None, typer.Option(help="Recipient region (repeatable).")] = None,
    team: Annotated[list[int] | None, typer.Option(help="Recipient guidance team id.")] = None,
    priority: Annotated[str, typer.Option(help="extra_urgent (特急), urgent (加急), normal.")] = (
        "normal"
    ),
    attach: Annotated[list[str] | None, typer.Option(help="File to attach (repeatable).")] = None,
) -> None:
    """Issue a directive to regions and/or guidance teams (as the CLI operator)."""
    from datetime import datetime
    from pathlib import Path

    from fangkong.core.access import CLI_ACTOR
    from fangkong.services import directives as svc
    from fangkong.services.errors import ServiceError
    from fangkong.services.reference import region_tree

    try:
        due_at = datetime.fromisoformat(due)
    except ValueError as exc:
        raise fail(f"--due: not an ISO 8601 date-time: {due!r}", 2) from exc
    files = [Path(p) for p in attach or []]
    for f in files:
        if not f.is_file():
            raise fail(f"--attach: no such file {f}", 2)
    engine = _users_engine()
    s = settings()
    try:
        tree = region_tree(engine)
        out = svc.issue(
            engine,
            CLI_ACTOR,
            tree,
            title=title,
            body=body,
            priority=priority,
            due_at=due_at,
            regions=region or [],
            team_ids=team or [],
        )
        for f in files:
            with f.open("rb") as fh:
                att = svc.add_attachment(
                    engine, s, CLI_ACTOR, tree, out["id"], filename=f.name, stream=fh
                )
            console.print(
                f"attached {att['filename']} ({att['size_bytes']:,} bytes, sha256 {att['sha256']})",
                highlight=False,
            )
    except ServiceError as exc:
        raise fail(exc.message) from exc
    finally:
        engine.dispose()
    console.print(f"issued {_directive_line(out)}", highlight=False)


def _respond(directive_id: int, region: str | None, note: str, percent: int | None = None) -> None:
    from fangkong.core.access import CLI_ACTOR
    from fangkong.services import directives as svc
    from fangkong.services.errors import ServiceError
    from fangkong.services.reference import region_tree

    engine = _users_engine()
    try:
        tree = region_tree(engine)
        if percent is None:
            out = svc.acknowledge(
                engine, CLI_ACTOR, tree, directive_id, region_code=region, note=note
            )
        else:
            out = svc.report_progress(
                engine,
                CLI_ACTOR,
                tree,
                directive_id,
                region_code=region,
                percent=percent,
                note=note,
            )
    except ServiceError as exc:
        raise fail(exc.message) from exc
    finally:
        engine.dispose()
    for r in out["recipients"]:
        console.print(
            f"  {r['name']} ({r['region_code']}): {r['status']} {r['progress_percent']} %",
            highlight=False,
        )
    console.print(_directive_line(out), highlight=False)


@directive_app.command("ack")
def directive_ack(
    directive_id: int,
    region: Annotated[str | None, typer.Option(help="Recipient region (if several).")] = None,
    note: Annotated[str, typer.Option(help="Note.")] = "",
) -> None:
    """Acknowledge receipt of a directive for a recipient region."""
    _respond(directive_id, region, note)


@directive_app.command("progress")
def directive_progress(
    directive_id: int,
    percent: Annotated[int, typer.Argument(min=0, max=100, help="Percent done (100 completes).")],
    region: Annotated[str | None, typer.Option(help="Recipient region (if several).")] = None,
    note: Annotated[str, typer.Option(help="What was done.")] = "",
) -> None:
    """Report progress on a directive for a recipient region."""
    _respond(directive_id, region, note, percent)


@directive_app.command("list")
def directive_list(
    status: Annotated[str | None, typer.Option(help="open, completed or cancelled.")] = None,
    region: Annotated[str | None, typer.Option(help="Only directives to this region.")] = None,
    escalated: Annotated[
        bool, typer.Option(help="Only the dashboard: overdue or unacknowledged.")
    ] = False,
    lang: Annotated[str, typer.Option(help="zh or en explanations.")] = "en",
) -> None:
    """List directives (or the escalation dashboard) with their recipients' progress."""
    from fangkong.core.access import CLI_ACTOR
    from fangkong.services import directives as svc
    from fangkong.services.errors import ServiceError
    from fangkong.services.reference import region_tree

    if lang not in ("zh", "en"):
        raise fail("--lang must be zh or en", 2)
    engine = _users_engine()
    try:
        tree = region_tree(engine)
        if escalated:
            out = svc.dashboard(engine, CLI_ACTOR, tree)
        else:
            out = svc.list_directives(
                engine, CLI_ACTOR, tree, status=status, region=region, limit=10_000
            )
    except ServiceError as exc:
        raise fail(exc.message) from exc
    finally:
        engine.dispose()
    for d in out["items"]:
        counts = ", ".join(f"{k} {v}" for k, v in d["recipients_by_status"].items() if v)
        console.print(f"{_directive_line(d)} ({counts})", highlight=False)
        for e in d["escalations"]:
            console.print(f"  ! {e[f'explanation_{lang}']}", highlight=False)
    console.print(f"{out['total']} directive(s)", highlight=False)


@timeliness_app.command("scorecard")
def timeliness_scorecard(
    date_from: Annotated[str, typer.Option("--from", help="First report date (YYYY-MM-DD).")],
    date_to: Annotated[str, typer.Option("--to", help="Last report date (YYYY-MM-DD).")],
    region: Annotated[
        str | None, typer.Option(help="Scope region (default China); units one level below.")
    ] = None,
    level: Annotated[str | None, typer.Option(help="Level of the scored units.")] = None,
    source: Annotated[str | None, typer.Option(help="Only submissions of this source.")] = None,
    lang: Annotated[str, typer.Option(help="zh or en names.")] = "en",
) -> None:
    """On-time, late, missing and later-corrected daily reports per region."""
    from datetime import date

    from rich.table import Table

    from fangkong.core.access import CLI_ACTOR
    from fangkong.services import timeliness as svc
    from fangkong.services.errors import ServiceError
    from fangkong.services.reference import region_tree

    try:
        first, last = date.fromisoformat(date_from), date.fromisoformat(date_to)
    except ValueError as exc:
        raise fail("--from/--to: dates as YYYY-MM-DD", 2) from exc
    if lang not in ("zh", "en"):
        raise fail("--lang must be zh or en", 2)
    engine = _users_engine()
    try:
        out = svc.scorecard(
            engine,
            CLI_ACTOR,
            region_tree(engine),
            date_from=first,
            date_to=last,
            region=region,
            level=level,
            source=source,
        )
    except ServiceError as exc:
        raise fail(exc.message) from exc
    finally:
        engine.dispose()
    table = Table(
        "region",
        "name",
        "expected",
        "on time",
        "late",
        "missing",
        "pending",
        "corrected",
        "on-time %",
        "deadline",
    )
    for i in out["items"]:
        rate = "" if i["on_time_rate"] is None else f"{100 * i['on_time_rate']:.1f}"
        rule = i["rule"]
        table.add_row(
            i["region_code"],
            i[f"name_{lang}"],
            str(i["expected"]),
            str(i["on_time"]),
            str(i["late"]),
            str(i["missing"]),
            str(i["pending"]),
            str(i["corrected"]),
            rate,
            f"D+{rule['day_offset']} {rule['due_time']} ({rule['key']})",
        )
    console.print(table)
    t = out["totals"]
    console.print(
        f"{out['from']}…{out['to']}, {len(out['items'])} {out['level']} unit(s) in "
        f"{out['region']}: {t['on_time']} on time, {t['late']} late, {t['missing']} missing, "
        f"{t['pending']} pending, {t['corrected']} later corrected; "
        f"{out['alerts_total']} alert(s)",
        highlight=False,
    )


# --- Resources (issue 6): fangkong supplies …, fangkong allocate … ---

supplies_app = typer.Typer(
    help="Medical supplies: catalogue, depots, stock ledger, hospitals, requests.",
    no_args_is_help=True,
)
app.add_typer(supplies_app, name="supplies")
allocate_app = typer.Typer(
    help="Optimal allocation of supplies and the shipments that carry it out.",
    no_args_is_help=True,
)
app.add_typer(allocate_app, name="allocate")

if TYPE_CHECKING:
    import typing
    from collections.abc import Callable
    from datetime import date

    from fangkong.core.regions import RegionTree

    T = typing.TypeVar("T")


def _day(text: str | None, option: str) -> date:
    from datetime import date as date_cls

    if not text:
        return date_cls.today()
    try:
        return date_cls.fromisoformat(text)
    except ValueError as exc:
        raise fail(f"{option}: not an ISO 8601 date: {text!r}", 2) from exc


def _run(call: Callable[[Engine, RegionTree], T]) -> T:
    """Run a service call as the CLI operator; service errors become one line."""
    from fangkong.services.errors import ServiceError
    from fangkong.services.reference import region_tree

    engine = _users_engine()
    try:
        return call(engine, region_tree(engine))
    except ServiceError as exc:
        raise fail(exc.message) from exc
    finally:
        engine.dispose()


@supplies_app.command("catalogue")
def supplies_catalogue() -> None:
    """Load (or refresh) the shipped catalogue and list it."""
    from rich.table import Table

    from fangkong.services import supplies as svc

    def call(engine: Engine, _tree: RegionTree) -> list[dict[str, typing.Any]]:
        svc.load_catalogue(engine)
        return svc.list_items(engine)

    table = Table("item", "名称", "name", "category", "unit", "pack")
    for i in _run(call):
        table.add_row(
            i["item_code"],
            i["name_zh"],
            i["name_en"],
            i["category"],
            i["unit"],
            str(i["pack_size"]),
        )
    console.print(table)


@supplies_app.command("depot")
def supplies_depot(
    warehouse_code: Annotated[str, typer.Argument(help="Depot code, e.g. D-WH.")],
    name: Annotated[str, typer.Argument(help="Display name.")],
    region: Annotated[str, typer.Option(help="Region code.")],
    lat: Annotated[float, typer.Option(help="Latitude (WGS 84).")],
    lon: Annotated[float, typer.Option(help="Longitude (WGS 84).")],
) -> None:
    """Register a depot."""
    from fangkong.core.access import CLI_ACTOR
    from fangkong.services import supplies as svc

    out = _run(
        lambda e, t: svc.create_depot(
            e, CLI_ACTOR, t, warehouse_code=warehouse_code, name=name, region_code=region,
            lat=lat, lon=lon,
        )
    )  # fmt: skip
    console.print(f"depot {out['warehouse_code']} {out['name']} in {out['region_code']}")


@supplies_app.command("hospital")
def supplies_hospital(
    hospital_code: Annotated[str, typer.Argument(help="Hospital code.")],
    name: Annotated[str, typer.Argument(help="Display name.")],
    kind: Annotated[str, typer.Option(help="designated, shelter or fever_clinic.")],
    region: Annotated[str, typer.Option(help="Region code.")],
    lat: Annotated[float, typer.Option(help="Latitude (WGS 84).")],
    lon: Annotated[float, typer.Option(help="Longitude (WGS 84).")],
    general: Annotated[int, typer.Option(min=0, help="General beds.")] = 0,
    isolation: Annotated[int, typer.Option(min=0, help="Isolation beds.")] = 0,
    icu: Annotated[int, typer.Option(min=0, help="ICU beds.")] = 0,
    ventilator: Annotated[int, typer.Option(min=0, help="Beds with a ventilator.")] = 0,
) -> None:
    """Register a hospital (and its store)."""
    from fangkong.core.access import CLI_ACTOR
    from fangkong.services import hospitals as svc

    beds = {"general": general, "isolation": isolation, "icu": icu, "ventilator": ventilator}
    out = _run(
        lambda e, t: svc.create_hospital(
            e, CLI_ACTOR, t, hospital_code=hospital_code, name=name, kind=kind,
            region_code=region, lat=lat, lon=lon, beds=beds,
        )
    )  # fmt: skip
    console.print(
        f"hospital {out['hospital_code']} {out['name']} ({out['kind_zh']}) in "
        f"{out['region_code']}, store {out['warehouse_code']}",
        highlight=False,
    )


@supplies_app.command("receive")
def supplies_receive(
    warehouse_code: Annotated[str, typer.Argument(help="Warehouse code.")],
    item_code: Annotated[str, typer.Argument(help="Catalogue item code.")],
    lot_code: Annotated[str, typer.Argument(help="Lot (batch) code.")],
    quantity: Annotated[int, typer.Argument(help="Base units.")],
    expiry: Annotated[str | None, typer.Option(help="Expiry date (ISO).")] = None,
    on: Annotated[str | None, typer.Option("--date", help="Movement date; default today.")] = None,
    reason: Annotated[str, typer.Option(help="Note.")] = "",
) -> None:
    """Receive units of a lot into a warehouse."""
    from fangkong.core.access import CLI_ACTOR
    from fangkong.services import supplies as svc

    expiry_date = _day(expiry, "--expiry") if expiry else None
    day = _day(on, "--date")
    out = _run(
        lambda e, t: svc.receive_stock(
            e, CLI_ACTOR, t, warehouse_code=warehouse_code, item_code=item_code,
            lot_code=lot_code, quantity=quantity, movement_date=day,
            expiry_date=expiry_date, reason=reason,
        )
    )  # fmt: skip
    console.print(f"movement {out['id']}: receipt {out['quantity']} of {out['lot_code']}")


@supplies_app.command("move")
def supplies_move(
    kind: Annotated[str, typer.Argument(help="issue, transfer, adjustment or expiry.")],
    lot_code: Annotated[str, typer.Argument(help="Lot code.")],
    quantity: Annotated[int, typer.Argument(help="Base units (signed for an adjustment).")],
    source: Annotated[str | None, typer.Option("--from", help="From warehouse.")] = None,
    target: Annotated[str | None, typer.Option("--to", help="To warehouse.")] = None,
    on: Annotated[str | None, typer.Option("--date", help="Movement date; default today.")] = None,
    reason: Annotated[str, typer.Option(help="Reason (required for adjustments).")] = "",
) -> None:
    """Issue, transfer, adjust or write off units of a lot."""
    from fangkong.core.access import CLI_ACTOR
    from fangkong.services import supplies as svc

    day = _day(on, "--date")
    out = _run(
        lambda e, t: svc.record_movement(
            e, CLI_ACTOR, t, kind=kind, lot_code=lot_code, quantity=quantity,
            movement_date=day, from_warehouse=source, to_warehouse=target, reason=reason,
        )
    )  # fmt: skip
    console.print(f"movement {out['id']}: {out['kind']} {out['quantity']} of {out['lot_code']}")


@supplies_app.command("stock")
def supplies_stock(
    warehouse: Annotated[str | None, typer.Option(help="Only this warehouse.")] = None,
    item: Annotated[str | None, typer.Option(help="Only this item.")] = None,
    on: Annotated[str | None, typer.Option("--date", help="Usable on; default today.")] = None,
) -> None:
    """Stock on hand and usable per warehouse and item."""
    from rich.table import Table

    from fangkong.core.access import CLI_ACTOR
    from fangkong.services import supplies as svc

    day = _day(on, "--date")
    rows = _run(
        lambda e, t: svc.stock(e, CLI_ACTOR, t, day=day, warehouse_code=warehouse, item_code=item)
    )
    table = Table("warehouse", "item", "on hand", "usable", "unusable", "packs", "state")
    for r in rows:
        table.add_row(
            r["warehouse_code"], r["item_code"], f"{r['on_hand']:,}", f"{r['usable']:,}",
            f"{r['unusable']:,}", f"{r['usable_packs']:,}", r["state"],
        )  # fmt: skip
    console.print(table)


@supplies_app.command("check")
def supplies_check() -> None:
    """Check that the ledger balances; exit code 1 when it does not."""
    from fangkong.services import supplies as svc

    out = _run(lambda e, _t: svc.ledger_check(e))
    for i in out["items"]:
        console.print(
            f"{i['item_code']}: receipts {i['receipts']:,} - issues {i['issues']:,} - "
            f"expiries {i['expiries']:,} + adjustments {i['adjustments']:,} → on hand "
            f"{i['on_hand']:,} (gap {i['gap']})",
            highlight=False,
        )
    if not out["balanced"]:
        raise fail(f"ledger does not balance: {out['mismatched_balances']}")
    console.print("ledger balances")


@supplies_app.command("request")
def supplies_request(
    hospital_code: Annotated[str, typer.Argument(help="Hospital code.")],
    lines: Annotated[list[str], typer.Argument(help="ITEM=UNITS, e.g. n95_respirator=2000.")],
    priority: Annotated[str, typer.Option(help="routine, urgent or critical.")] = "routine",
    submit: Annotated[bool, typer.Option(help="Submit at once.")] = True,
) -> None:
    """Draft (and submit) a hospital's supply request."""
    from fangkong.core.access import CLI_ACTOR
    from fangkong.services import requests as svc

    parsed: list[tuple[str, int]] = []
    for text in lines:
        code, _, qty = text.partition("=")
        if not qty.strip().isdigit():
            raise fail(f"line {text!r}: expected ITEM=UNITS", 2)
        parsed.append((code.strip(), int(qty)))

    def call(engine: Engine, tree: RegionTree) -> dict[str, typing.Any]:
        made = svc.create_request(
            engine, CLI_ACTOR, tree, hospital_code=hospital_code, priority=priority, lines=parsed
        )
        return svc.submit_request(engine, CLI_ACTOR, tree, made["id"]) if submit else made

    out = _run(call)
    console.print(f"request {out['id']} for {out['hospital_code']}: {out['status']}")


@supplies_app.command("approve")
def supplies_approve(
    request_id: Annotated[int, typer.Argument(help="Request id.")],
    line: Annotated[
        list[str] | None, typer.Option(help="ITEM=UNITS to approve less than asked.")
    ] = None,
    note: Annotated[str, typer.Option(help="Decision note.")] = "",
) -> None:
    """Approve a submitted request (in full unless --line says otherwise)."""
    from fangkong.core.access import CLI_ACTOR
    from fangkong.services import requests as svc

    approved: dict[str, int] = {}
    for text in line or []:
        code, _, qty = text.partition("=")
        if not qty.strip().isdigit():
            raise fail(f"--line {text!r}: expected ITEM=UNITS", 2)
        approved[code.strip()] = int(qty)
    out = _run(
        lambda e, t: svc.decide_request(e, CLI_ACTOR, t, request_id, approved=approved, note=note)
    )
    console.print(f"request {out['id']}: {out['status']}")


@supplies_app.command("requests")
def supplies_requests(
    status: Annotated[str | None, typer.Option(help="Derived status to show.")] = None,
) -> None:
    """Supply requests with their derived status."""
    from rich.table import Table

    from fangkong.core.access import CLI_ACTOR
    from fangkong.services import requests as svc

    rows = _run(lambda e, t: svc.list_requests(e, CLI_ACTOR, t, status=status))
    table = Table("id", "hospital", "priority", "status", "lines (requested/approved/received)")
    for r in rows:
        table.add_row(
            str(r["id"]),
            r["hospital_code"],
            r["priority"],
            r["status"],
            "; ".join(
                f"{x['item_code']} {x['requested']}/"
                f"{'-' if x['approved'] is None else x['approved']}/{x['received']}"
                for x in r["lines"]
            ),
        )
    console.print(table)


def _print_plan(plan: dict[str, typing.Any], lang: str) -> None:
    console.print(
        f"plan {plan['id']} ({plan['plan_date']}): min fill {plan['min_fill']:.0%} "
        f"(nearest-depot baseline {plan['greedy_min_fill']:.0%}), unmet "
        f"{plan['unmet_units']:,} units (baseline {plan['greedy_unmet_units']:,}), "
        f"{plan['cost_km']:,.0f} pack-km, solved in {plan['solve_seconds']:.2f} s",
        highlight=False,
    )
    for e in plan["explanations"]:
        console.print(f"  {e[lang]}", highlight=False, soft_wrap=True, markup=False)
    for s in plan["shipments"]:
        lines = ", ".join(f"{x['item_code']} {x['packs']} packs" for x in s["lines"])
        console.print(
            f"  shipment {s['id']} ({s['status']}) {s['from_warehouse']} → "
            f"{s['hospital_code']} ({s['distance_km']} km): {lines}",
            highlight=False,
        )


@allocate_app.command("run")
def allocate_run(
    on: Annotated[str | None, typer.Option("--date", help="Plan date; default today.")] = None,
    region: Annotated[str | None, typer.Option(help="Only this region.")] = None,
    lang: Annotated[str, typer.Option(help="zh or en.")] = "zh",
) -> None:
    """Allocate usable depot stock to approved needs and draft the shipments."""
    from fangkong.core.access import CLI_ACTOR
    from fangkong.services import allocation as svc

    if lang not in ("zh", "en"):
        raise fail("--lang must be zh or en", 2)
    day = _day(on, "--date")
    plan = _run(lambda e, t: svc.run_allocation(e, CLI_ACTOR, t, plan_date=day, region_code=region))
    _print_plan(plan, lang)


@allocate_app.command("show")
def allocate_show(
    plan_id: Annotated[int, typer.Argument(help="Plan id.")],
    lang: Annotated[str, typer.Option(help="zh or en.")] = "zh",
) -> None:
    """A stored plan with its explanations and shipments."""
    from fangkong.core.access import CLI_ACTOR
    from fangkong.services import allocation as svc

    if lang not in ("zh", "en"):
        raise fail("--lang must be zh or en", 2)
    _print_plan(_run(lambda e, t: svc.get_plan(e, CLI_ACTOR, t, plan_id)), lang)


@allocate_app.command("confirm")
def allocate_confirm(
    shipment_id: Annotated[int, typer.Argument(help="Shipment id.")],
    carrier: Annotated[str, typer.Option(help="Carrier.")] = "",
    tracking: Annotated[str, typer.Option(help="Tracking number.")] = "",
) -> None:
    """Confirm a draft shipment."""
    from fangkong.core.access import CLI_ACTOR
    from fangkong.services import shipments as svc

    out = _run(
        lambda e, t: svc.confirm(
            e, CLI_ACTOR, t, shipment_id, carrier=carrier, tracking_number=tracking
        )
    )
    console.print(f"shipment {out['id']}: {out['status']}")


@allocate_app.command("dispatch")
def allocate_dispatch(
    shipment_id: Annotated[int, typer.Argument(help="Shipment id.")],
    on: Annotated[str | None, typer.Option("--date", help="Movement date; default today.")] = None,
) -> None:
    """Issue a confirmed shipment from its depot (earliest expiry first)."""
    from fangkong.core.access import CLI_ACTOR
    from fangkong.services import shipments as svc

    day = _day(on, "--date")
    out = _run(lambda e, t: svc.dispatch(e, CLI_ACTOR, t, shipment_id, movement_date=day))
    console.print(f"shipment {out['id']}: {out['status']}")


@allocate_app.command("receive")
def allocate_receive(
    shipment_id: Annotated[int, typer.Argument(help="Shipment id.")],
    signed_by: Annotated[str, typer.Option(help="Who signed for it.")],
    proof: Annotated[str, typer.Option(help="Receipt document reference.")] = "",
    on: Annotated[str | None, typer.Option("--date", help="Movement date; default today.")] = None,
) -> None:
    """Record receipt of a dispatched shipment in full, with proof."""
    from fangkong.core.access import CLI_ACTOR
    from fangkong.services import shipments as svc

    day = _day(on, "--date")
    out = _run(
        lambda e, t: svc.receive(
            e, CLI_ACTOR, t, shipment_id, signed_by=signed_by, movement_date=day,
            proof_reference=proof,
        )
    )  # fmt: skip
    console.print(f"shipment {out['id']}: {out['status']} (signed by {out['proof']['signed_by']})")


# --- Bulletins (issue 4) ---

bulletin_app = typer.Typer(
    help="Daily bulletins (疫情通报): draft, publish, show.", no_args_is_help=True
)
app.add_typer(bulletin_app, name="bulletin")


def _bulletin_date(text: str) -> date:
    """An ISO date argument (exit code 2 when it is not one)."""
    from fangkong.services.errors import Invalid
    from fangkong.services.public import parse_day

    try:
        when = parse_day(text)
    except Invalid as exc:
        raise fail(f"DATE: {exc.message}", 2) from exc
    if when is None:
        raise fail("DATE is required (YYYY-MM-DD)", 2)
    return when


def _print_bulletin(out: dict[str, object], lang: str, as_json: bool) -> None:
    import json

    if as_json:
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return
    version = out.get("version")
    head = f"bulletin #{out['id']} {out['region_code']} {out['report_date']}: " + (
        f"version {version}, published by {out['approved_by']}" if version else "draft"
    )
    console.print(head, highlight=False)
    for key in ("text_zh", "text_en") if lang == "both" else (f"text_{lang}",):
        console.print("")
        console.print(str(out[key]), highlight=False, markup=False, soft_wrap=True)
    checks = out.get("checks")
    if isinstance(checks, list) and version is None:
        console.print("")
        for c in checks:
            mark = "ok  " if c["passed"] else ("FAIL" if c["blocking"] else "warn")
            console.print(f"[{mark}] {c['check']}: {c['message']}", highlight=False, markup=False)


@bulletin_app.command("draft")
def bulletin_draft(
    region: Annotated[str, typer.Argument(help="CN (the nation) or a province code.")],
    day: Annotated[str, typer.Argument(metavar="DATE", help="Report date, YYYY-MM-DD.")],
    source: Annotated[str | None, typer.Option(help="Source of the figures.")] = None,
    reason: Annotated[
        list[str] | None,
        typer.Option(
            help="Revision reason of a falling cumulative figure, "
            "REGION:FIELD:TEXT (e.g. 420000:cumulative_confirmed:duplicates removed)."
        ),
    ] = None,
    lang: Annotated[str, typer.Option(help="zh, en or both.")] = "both",
    as_json: Annotated[bool, typer.Option("--json", help="Print the draft as JSON.")] = False,
) -> None:
    """Compose a bulletin from the stored figures, run the checks, store it as a draft."""
    from fangkong.core.access import CLI_ACTOR
    from fangkong.services import bulletins as svc
    from fangkong.services.errors import ServiceError
    from fangkong.services.reference import region_tree

    if lang not in ("zh", "en", "both"):
        raise fail("--lang must be zh, en or both", 2)
    items = []
    for r in reason or []:
        parts = r.split(":", 2)
        if len(parts) != 3:
            raise fail(f"--reason {r!r}: expected REGION:FIELD:TEXT", 2)
        items.append({"region_code": parts[0], "field": parts[1], "reason": parts[2]})
    when = _bulletin_date(day)
    engine = _users_engine()
    try:
        out = svc.draft_bulletin(
            engine,
            settings(),
            CLI_ACTOR,
            region_tree(engine),
            region,
            when,
            source=source,
            reasons=svc.parse_reasons(items),
        )
    except ServiceError as exc:
        raise fail(exc.message) from exc
    finally:
        engine.dispose()
    _print_bulletin(out, lang, as_json)
    if not out["publishable"]:
        raise typer.Exit(1)


@bulletin_app.command("publish")
def bulletin_publish(
    bulletin_id: Annotated[int, typer.Argument(help="Draft id (from `bulletin draft`).")],
    reason: Annotated[str | None, typer.Option(help="Reason of a correction.")] = None,
) -> None:
    """Approve a draft and publish it as the next numbered version."""
    from fangkong.core.access import CLI_ACTOR
    from fangkong.services import bulletins as svc
    from fangkong.services.errors import ServiceError
    from fangkong.services.reference import region_tree

    engine = _users_engine()
    try:
        out = svc.publish_bulletin(
            engine, CLI_ACTOR, region_tree(engine), bulletin_id, reason=reason
        )
    except ServiceError as exc:
        raise fail(exc.message) from exc
    finally:
        engine.dispose()
    console.print(
        f"published {out['region_code']} {out['report_date']} version {out['version']}",
        highlight=False,
    )
    for c in out["changes"] or []:
        console.print(f"  {c['field']}: {c['old_value']} → {c['new_value']}", highlight=False)


@bulletin_app.command("show")
def bulletin_show(
    region: Annotated[str, typer.Argument(help="CN or a province code.")],
    day: Annotated[str, typer.Argument(metavar="DATE", help="Report date, YYYY-MM-DD.")],
    version: Annotated[int | None, typer.Option(help="Version; default the latest.")] = None,
    lang: Annotated[str, typer.Option(help="zh, en or both.")] = "both",
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Print a published bulletin."""
    from fangkong.services import bulletins as svc
    from fangkong.services.errors import ServiceError

    if lang not in ("zh", "en", "both"):
        raise fail("--lang must be zh, en or both", 2)
    when = _bulletin_date(day)
    engine = _users_engine()
    try:
        out = svc.published_bulletin(engine, region, when, version)
    except ServiceError as exc:
        raise fail(exc.message) from exc
    finally:
        engine.dispose()
    _print_bulletin(out, lang, as_json)
