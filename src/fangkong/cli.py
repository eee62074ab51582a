"""Command-line interface (Typer + Rich): a thin layer over the services.

Errors are printed as one line on standard error; exit codes: 0 success, 1 the
operation failed or rejected rows, 2 bad usage.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console

from fangkong.settings import Settings

app = typer.Typer(
    help="Fangkong (防控): epidemic prevention-and-control platform.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema and reference data.", no_args_is_help=True)
app.add_typer(db_app, name="db")

console = Console()
err_console = Console(stderr=True)


def fail(message: str, code: int = 1) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
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


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
