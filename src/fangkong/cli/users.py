"""``fangkong user …``: accounts and API tokens."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

from fangkong.cli import app, console, err_console, fail, open_engine

user_app = typer.Typer(help="User accounts and API tokens.", no_args_is_help=True)
app.add_typer(user_app, name="user")


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
    engine = open_engine()
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

    engine = open_engine()
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

    from fangkong.core.access import CLI_ACTOR
    from fangkong.services.reference import region_tree
    from fangkong.services.users import list_users

    engine = open_engine()
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
    from fangkong.services.versions import UNCHECKED

    engine = open_engine()
    try:
        # The operator at the server edits no version they read: no If-Match to check.
        user = set_active(engine, CLI_ACTOR, username, active, if_match=UNCHECKED)
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

    engine = open_engine()
    try:
        info = revoke_token(engine, CLI_ACTOR, username, token_id)
    except ServiceError as exc:
        raise fail(exc.message) from exc
    finally:
        engine.dispose()
    console.print(f"token {info.id} ({info.name}) of {info.username} revoked")
