"""Operations: ``fangkong backup PATH`` and ``fangkong restore PATH`` (services/backup.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from fangkong.cli import app, console, fail, settings

T = TypeVar("T")


def _run(call: Callable[[], T]) -> T:
    from fangkong.services.errors import ServiceError

    try:
        return call()
    except ServiceError as exc:
        raise fail(exc.message) from exc


def _say(done: str, result: Any, where: str) -> None:
    """One line: what was done, to how many tables and rows, at which schema revision."""
    rows = sum(result.tables.values())
    console.print(
        f"{done} {len(result.tables)} tables, {rows:,} rows, schema revision "
        f"{result.revision} ({result.format}) {where}",
        highlight=False,
        soft_wrap=True,
    )


@app.command()
def backup(
    path: Annotated[Path, typer.Argument(help="File to write (its manifest goes beside it).")],
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace the file if it exists.")
    ] = False,
) -> None:
    """Back up the database while it serves: SQLite online backup, or pg_dump -Fc."""
    from fangkong.services.backup import backup_database, manifest_path

    manifest = _run(lambda: backup_database(settings(), path, overwrite=overwrite))
    _say("backed up", manifest, f"to {path}; manifest {manifest_path(path)}")


@app.command()
def restore(
    path: Annotated[Path, typer.Argument(help="A file written by `fangkong backup`.")],
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite a database that holds tables.")
    ] = False,
) -> None:
    """Restore a backup into the configured database, then verify revision and rows.
    Stop the server first and start it afterwards (its processes keep read models of
    the stored figures in memory)."""
    from fangkong.services.backup import restore_database

    result = _run(lambda: restore_database(settings(), path, force=force))
    _say("restored and verified", result, f"from {path}")
    for note in result.notes:
        console.print(f"note: {note}", highlight=False, soft_wrap=True)
