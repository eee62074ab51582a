"""``fangkong user …``: create users and issue tokens from the command line."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner, Result

from fangkong.cli import app
from fangkong.services import users as svc
from fangkong.settings import Settings

PASSWORD = "correct horse battery"


Run = Callable[..., Result]


@pytest.fixture
def run(settings: Settings) -> Run:
    """Invoke the CLI against the test database (the same one ``engine`` opens)."""
    runner = CliRunner()
    env = {"FANGKONG_DATABASE_URL": settings.database_url}

    def invoke(*args: str, stdin: str | None = None) -> Result:
        return runner.invoke(app, list(args), input=stdin, env=env)

    return invoke


def test_cli_creates_a_user_and_issues_a_working_token(run: Run, engine: Engine) -> None:
    made = run(
        "user",
        "create",
        "hubei.rep",
        "--role",
        "reporter",
        "--jurisdiction",
        "420000",
        "--display-name",
        "湖北 reporter",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert made.exit_code == 0, made.output
    assert "hubei.rep" in made.output
    user = svc.authenticate(engine, "hubei.rep", PASSWORD)
    assert user is not None and user.display_name == "湖北 reporter"

    issued = run("user", "token", "hubei.rep", "--name", "uploader", "--expires-days", "30")
    assert issued.exit_code == 0, issued.output
    token = issued.stdout.strip().splitlines()[-1]
    assert svc.verify_token(engine, token) == user
    info = svc.list_tokens(engine, user.actor, "hubei.rep")[0]
    assert info.name == "uploader" and info.expires_at is not None

    listed = run("user", "list")
    assert listed.exit_code == 0 and "hubei.rep" in listed.output and "420000" in listed.output

    assert run("user", "revoke", "hubei.rep", str(info.id)).exit_code == 0
    assert svc.verify_token(engine, token) is None
    assert run("user", "disable", "hubei.rep").exit_code == 0
    assert svc.authenticate(engine, "hubei.rep", PASSWORD) is None
    assert run("user", "enable", "hubei.rep").exit_code == 0
    assert svc.authenticate(engine, "hubei.rep", PASSWORD) is not None


def test_cli_prompts_for_the_password(run: Run, engine: Engine) -> None:
    made = run(
        "user",
        "create",
        "national",
        "--role",
        "admin",
        "--jurisdiction",
        "*",
        stdin=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert made.exit_code == 0, made.output
    assert svc.get_user(engine, "national").jurisdiction == "*"


def test_cli_reports_bad_input_in_one_line(run: Run, engine: Engine) -> None:
    bad_role = run(
        "user",
        "create",
        "someone",
        "--role",
        "king",
        "--jurisdiction",
        "420000",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert bad_role.exit_code == 1 and "unknown role" in bad_role.output
    weak = run(
        "user",
        "create",
        "someone",
        "--role",
        "viewer",
        "--jurisdiction",
        "420000",
        "--password-stdin",
        stdin="short\n",
    )
    assert weak.exit_code == 1 and "at least 10" in weak.output
    nowhere = run(
        "user",
        "create",
        "someone",
        "--role",
        "viewer",
        "--jurisdiction",
        "XX9",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert nowhere.exit_code == 1 and "jurisdiction" in nowhere.output
    assert svc.user_count(engine) == 0
    missing = run("user", "token", "ghost")
    assert missing.exit_code == 1 and "ghost" in missing.output
