"""Operations: ``fangkong backup PATH`` and ``fangkong restore PATH`` (services/backup.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fangkong.cli import app, console, fail, settings


@app.command()
def backup(
    path: Annotated[Path, typer.Argument(help="File to write (its manifest goes beside it).")],
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace the file if it exists.")
    ] = False,
) -> None:
    """Back up the database while it serves: SQLite online backup, or pg_dump -Fc."""
    from fangkong.services.backup import backup_database, manifest_path
    from fangkong.services.errors import ServiceError

    try:
        manifest = backup_database(settings(), path, overwrite=overwrite)
    except ServiceError as exc:
        raise fail(exc.message) from exc
    rows = sum(manifest.tables.values())
    console.print(
        f"backed up {len(manifest.tables)} tables, {rows:,} rows, schema revision "
        f"{manifest.revision} ({manifest.format}) to {path}; manifest {manifest_path(path)}",
        highlight=False,
        soft_wrap=True,
    )


@app.command()
def restore(
    path: Annotated[Path, typer.Argument(help="A file written by `fangkong backup`.")],
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite a database that holds tables.")
    ] = False,
) -> None:
    """Restore a backup into the configured database, then verify revision and rows."""
    from fangkong.services.backup import restore_database
    from fangkong.services.errors import ServiceError

    try:
        result = restore_database(settings(), path, force=force)
    except ServiceError as exc:
        raise fail(exc.message) from exc
    rows = sum(result.tables.values())
    console.print(
        f"restored and verified {len(result.tables)} tables, {rows:,} rows, schema "
        f"revision {result.revision} ({result.format}) from {path}",
        highlight=False,
        soft_wrap=True,
    )
    for note in result.notes:
        console.print(f"note: {note}", highlight=False, soft_wrap=True)
