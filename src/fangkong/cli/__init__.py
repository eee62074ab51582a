"""Command-line interface (Typer + Rich): a thin layer over the services.

Errors are printed as one line on standard error; exit codes: 0 success, 1 the
operation failed or rejected rows, 2 bad usage. One module per area registers its
commands on :data:`app` (imported at the end of this module).
"""

from __future__ import annotations

import importlib
import sys
import typing
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from fangkong.settings import Settings
from fangkong.store.origin import register_origin_provider as _register_origin

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import date

    from sqlalchemy import Engine

    from fangkong.core.regions import RegionTree
    from fangkong.store.origin import Origin

    T = typing.TypeVar("T")

app = typer.Typer(
    help="Fangkong (防控): epidemic prevention-and-control platform.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

console = Console()
err_console = Console(stderr=True)


def fail(message: str, code: int = 1) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def settings() -> Settings:
    return Settings.from_env()


def choose(value: str, option: str, choices: tuple[str, ...]) -> str:
    """``value`` when it is one of ``choices``; otherwise a one-line usage error (exit 2)."""
    if value not in choices:
        listed = ", ".join(choices[:-1]) + " or " + choices[-1]
        raise fail(f"{option} must be {listed}", 2)
    return value


def iso_date(text: str | None, option: str) -> date | None:
    """The ISO 8601 date given for ``option``, or ``None`` when absent; a bad value is a
    one-line usage error (exit 2)."""
    from datetime import date as date_cls

    if not text:
        return None
    try:
        return date_cls.fromisoformat(text)
    except ValueError as exc:
        raise fail(f"{option}: not an ISO 8601 date (YYYY-MM-DD): {text!r}", 2) from exc


def open_engine() -> Engine:
    """An engine on the configured database; the caller disposes of it."""
    from fangkong.store.db import make_engine

    return make_engine(settings().database_url)


def run_service(call: Callable[[Engine, RegionTree], T]) -> T:
    """Run a service call as the CLI operator; service errors become one line."""
    from fangkong.services.errors import ServiceError
    from fangkong.services.reference import region_tree

    engine = open_engine()
    try:
        return call(engine, region_tree(engine))
    except ServiceError as exc:
        raise fail(exc.message) from exc
    finally:
        engine.dispose()


def cli_origin() -> Origin | None:
    """The audit origin of work done by a running command: ``cli:<os user>`` and the
    command (``cli.user.create``); ``None`` outside a command."""
    import typer.main

    from fangkong.store.origin import Origin, os_user

    # Typer vendors Click; its main module re-exports Click's current-context lookup.
    current = getattr(typer.main, "get_current_context", None)
    ctx = current(silent=True) if current is not None else None
    if ctx is None:
        return None
    words = ctx.command_path.split()[1:]
    return Origin(
        actor=f"cli:{os_user()}",
        action=".".join(["cli", *words]) if words else "cli",
        target_type="cli",
        context={"command": " ".join(["fangkong", *words])},
    )


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


#: The command modules, in the order ``fangkong --help`` lists them; each registers its
#: commands on ``app`` when imported.
AREAS = (
    "setup",
    "users",
    "data",
    "analytics",
    "command",
    "resources",
    "bulletins",
    "ops",
    "audit",
)
_register_origin(cli_origin)
for _area in AREAS:
    importlib.import_module(f"fangkong.cli.{_area}")
