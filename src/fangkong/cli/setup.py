"""Set-up and serving: ``fangkong db upgrade``, ``serve``, ``demo``."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from fangkong.cli import app, console, fail, settings

db_app = typer.Typer(help="Database schema and reference data.", no_args_is_help=True)
app.add_typer(db_app, name="db")


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
    backlog: Annotated[
        int,
        typer.Option(
            min=64,
            max=65535,
            help="Connections the kernel queues before they are accepted (listen backlog; "
            "the system's net.core.somaxconn caps it).",
        ),
    ] = 2048,
    keep_alive: Annotated[
        int,
        typer.Option(min=1, max=3600, help="Seconds an idle keep-alive connection is kept open."),
    ] = 5,
    access_log: Annotated[
        bool,
        typer.Option(
            "--access-log/--no-access-log",
            help="Log every request (a line per request costs ~10% of throughput).",
        ),
    ] = True,
) -> None:
    """Serve the platform (API, docs and pages).

    Every response carries ``Server-Timing: app;dur=<ms>`` (server time to the first
    byte); with FANGKONG_TIMING_LOG set, each process also logs the durations there."""
    import uvicorn

    from fangkong.api.app import create_app, freeze_startup_objects

    s = settings()
    try:
        app_ = create_app(s)  # also refuses production settings with default secrets
    except RuntimeError as exc:
        raise fail(str(exc)) from exc
    processes = workers or s.workers
    options: dict[str, Any] = {
        "host": host or s.host,
        "port": port or s.port,
        "log_level": "info",
        "backlog": backlog,
        "timeout_keep_alive": keep_alive,
        "access_log": access_log,
        # Behind a reverse proxy: the client address and the scheme (https, for HSTS and
        # the Secure cookies) come from X-Forwarded-* headers, trusted from these only.
        "proxy_headers": True,
        "forwarded_allow_ips": s.forwarded_allow_ips,
    }
    if processes == 1:
        uvicorn.run(freeze_startup_objects(app_), **options)
    else:
        del app_  # each worker builds its own app from the environment
        uvicorn.run("fangkong.api.app:app_from_env", factory=True, workers=processes, **options)


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
        serve(None, None, None, 2048, 5, True)
