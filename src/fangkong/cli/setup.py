"""Set-up and serving: ``fangkong db upgrade``, ``serve``, ``demo``."""

from __future__ import annotations

from typing import Annotated

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
    # Behind a reverse proxy: the client address and the scheme (https, for HSTS and the
    # Secure cookies) come from X-Forwarded-* headers, trusted from these proxies only.
    trusted = s.forwarded_allow_ips
    if processes == 1:
        uvicorn.run(
            app_,
            host=bind_host,
            port=bind_port,
            log_level="info",
            proxy_headers=True,
            forwarded_allow_ips=trusted,
        )
    else:
        uvicorn.run(
            "fangkong.api.app:app_from_env",
            factory=True,
            workers=processes,
            host=bind_host,
            port=bind_port,
            log_level="info",
            proxy_headers=True,
            forwarded_allow_ips=trusted,
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
