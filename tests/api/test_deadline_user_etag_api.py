"""Optimistic concurrency (ETag / If-Match) for the last edits made in place, on both
databases: a reporting-deadline rule (``PUT /api/v1/timeliness/deadlines/{key}``) and a
user account (``PATCH /api/v1/users/{username}``). GET gives the ETag; an edit of an
existing record needs If-Match (428 without, 412 with a stale one, naming the record and
carrying the current ETag); a success gives the new ETag; two editors racing on the same
version: exactly one wins; the command line edits without a precondition."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from fangkong.api.app import create_app
from fangkong.cli import app as cli_app
from fangkong.core.access import CLI_ACTOR, Actor, Role
from fangkong.services import timeliness, users
from fangkong.services.errors import PreconditionFailed, PreconditionRequired
from fangkong.services.reference import region_tree
from fangkong.settings import Settings
from support import bearer, problem

RULE = "/api/v1/timeliness/deadlines/420100"
HUBEI_CMD = Actor("hubei.cmd", Role.COMMANDER, "420000")
ADMIN = Actor("admin", Role.ADMIN, "*")


@pytest.fixture
def client(settings: Settings, engine: Engine) -> TestClient:
    return TestClient(create_app(settings, engine))


# --- deadline rules --------------------------------------------------------------------


def test_deadline_create_read_replace_with_etags(client: TestClient, engine: Engine) -> None:
    cmd = bearer(engine, "hubei.cmd", "commander", "420000")
    viewer = bearer(engine, "bj.view", "viewer", "110000")
    problem(client.get(RULE, headers=cmd), 404)
    created = client.put(RULE, headers=cmd, json={"due_time": "08:00"})
    assert created.status_code == 201, created.text
    assert created.headers["ETag"] == '"1"' and created.json()["version"] == 1

    got = client.get(RULE, headers=viewer)
    assert got.status_code == 200 and got.headers["ETag"] == '"1"'
    assert got.json()["due_time"] == "08:00" and got.json()["actor"] == "hubei.cmd"
    (listed,) = client.get("/api/v1/timeliness/deadlines", headers=viewer).json()["items"]
    assert listed["etag"] == '"1"' and listed["key"] == "420100"

    replaced = client.put(RULE, headers={**cmd, "If-Match": '"1"'}, json={"due_time": "09:30"})
    assert replaced.status_code == 200, replaced.text
    assert replaced.headers["ETag"] == '"2"' and replaced.json()["result"] == "updated"
    assert client.get(RULE, headers=cmd).json()["due_time"] == "09:30"


def test_deadline_missing_if_match_is_428_and_stale_is_412(
    client: TestClient, engine: Engine
) -> None:
    cmd = bearer(engine, "hubei.cmd", "commander", "420000")
    rep = bearer(engine, "hubei.rep", "reporter", "420000")
    assert client.put(RULE, headers=cmd, json={"due_time": "08:00"}).status_code == 201
    missing = problem(client.put(RULE, headers=cmd, json={"due_time": "10:00"}), 428)
    assert missing["errors"][0]["parameter"] == "If-Match" and missing["etag"] == '"1"'
    assert "420100" in missing["detail"] and "hubei.cmd" in missing["detail"]
    # the access check comes first: a reporter is refused whatever the precondition
    problem(client.put(RULE, headers=rep, json={"due_time": "10:00"}), 403)

    first = client.put(RULE, headers={**cmd, "If-Match": '"1"'}, json={"due_time": "10:00"})
    assert first.status_code == 200
    stale = client.put(RULE, headers={**cmd, "If-Match": '"1"'}, json={"due_time": "11:00"})
    body = problem(stale, 412)
    assert stale.headers["ETag"] == '"2"' and body["etag"] == '"2"'
    assert "changed by someone else" in body["detail"] and "420100" in body["detail"]
    assert client.get(RULE, headers=cmd).json()["due_time"] == "10:00"

    problem(
        client.put(RULE, headers={**cmd, "If-None-Match": "*"}, json={"due_time": "07:00"}), 412
    )
    problem(client.put(RULE, headers={**cmd, "If-Match": 'W/"2"'}, json={"due_time": "07:00"}), 412)
    bad = problem(
        client.put(RULE, headers={**cmd, "If-Match": "two"}, json={"due_time": "7:00"}), 422
    )
    assert bad["errors"][0]["pointer"] == "/due_time"  # the body is checked first
    bad = problem(
        client.put(RULE, headers={**cmd, "If-Match": "two"}, json={"due_time": "07:00"}), 422
    )
    assert bad["errors"][0]["parameter"] == "If-Match"
    # If-Match on a rule that does not exist yet: 412 (it was deleted meanwhile)
    other = "/api/v1/timeliness/deadlines/420200"
    problem(client.put(other, headers={**cmd, "If-Match": '"1"'}, json={"due_time": "07:00"}), 412)
    # a rule deleted and set again starts over at version 1
    assert client.delete(RULE, headers=cmd).status_code == 204
    again = client.put(RULE, headers=cmd, json={"due_time": "06:00"})
    assert again.status_code == 201 and again.headers["ETag"] == '"1"'


def race(edit: Callable[[int], object], n: int = 8) -> tuple[list[int], list[int]]:
    """``n`` threads call ``edit`` at once: the indices that won and that got 412."""
    barrier = threading.Barrier(n)
    won: list[int] = []
    lost: list[int] = []
    errors: list[BaseException] = []

    def run(i: int) -> None:
        barrier.wait()
        try:
            edit(i)
            won.append(i)
        except PreconditionFailed:
            lost.append(i)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    return won, lost


def test_racing_deadline_editors_one_wins(engine: Engine) -> None:
    tree = region_tree(engine)
    timeliness.set_deadline(engine, HUBEI_CMD, tree, "420100", due_time="08:00", day_offset=1)
    times = [f"{10 + i:02d}:00" for i in range(8)]
    won, lost = race(
        lambda i: timeliness.set_deadline(
            engine, HUBEI_CMD, tree, "420100", due_time=times[i], day_offset=1, if_match='"1"'
        )
    )
    assert len(won) == 1 and len(lost) == 7
    stored = timeliness.get_deadline(engine, HUBEI_CMD, "420100")
    assert stored["version"] == 2 and stored["due_time"] == times[won[0]]


def test_deadline_service_requires_if_match_for_existing(engine: Engine) -> None:
    tree = region_tree(engine)
    timeliness.set_deadline(engine, HUBEI_CMD, tree, "420100", due_time="08:00", day_offset=1,
                            if_match=None)  # fmt: skip
    with pytest.raises(PreconditionRequired):
        timeliness.set_deadline(engine, HUBEI_CMD, tree, "420100", due_time="09:00", day_offset=1,
                                if_match=None)  # fmt: skip
    # callers that edit no version they read (the command line, the demo) are unchecked
    done = timeliness.set_deadline(
        engine, CLI_ACTOR, tree, "420100", due_time="09:00", day_offset=1
    )
    assert done["version"] == 2


# --- user accounts ---------------------------------------------------------------------


def test_user_patch_needs_the_etag(client: TestClient, engine: Engine) -> None:
    admin = bearer(engine, "admin", "admin", "*")
    bearer(engine, "wuhan.rep", "reporter", "420100")
    path = "/api/v1/users/wuhan.rep"
    got = client.get(path, headers=admin)
    assert got.status_code == 200 and got.headers["ETag"] == '"1"' and got.json()["version"] == 1

    missing = problem(client.patch(path, headers=admin, json={"active": False}), 428)
    assert missing["errors"][0]["parameter"] == "If-Match" and missing["etag"] == '"1"'
    assert "wuhan.rep" in missing["detail"]
    assert client.get(path, headers=admin).json()["active"] is True

    off = client.patch(path, headers={**admin, "If-Match": '"1"'}, json={"active": False})
    assert off.status_code == 200, off.text
    assert off.headers["ETag"] == '"2"' and off.json()["active"] is False
    # a second administrator who read version 1 wants the account enabled: refused
    stale = client.patch(path, headers={**admin, "If-Match": '"1"'}, json={"active": True})
    body = problem(stale, 412)
    assert stale.headers["ETag"] == '"2"' and body["etag"] == '"2"'
    assert "changed by someone else" in body["detail"] and "disabled" in body["detail"]
    assert client.get(path, headers=admin).json()["active"] is False

    on = client.patch(path, headers={**admin, "If-Match": '"2"'}, json={"active": True})
    assert on.status_code == 200 and on.headers["ETag"] == '"3"'
    # the access check comes first; an unknown user is 404 whatever the precondition
    cmd = bearer(engine, "hb.cmd", "commander", "420000")
    problem(client.patch(path, headers={**cmd, "If-Match": '"3"'}, json={"active": False}), 403)
    nobody = "/api/v1/users/nobody"
    problem(client.patch(nobody, headers={**admin, "If-Match": '"1"'}, json={"active": False}), 404)
    bad = problem(
        client.patch(path, headers={**admin, "If-Match": "3"}, json={"active": False}), 422
    )
    assert bad["errors"][0]["parameter"] == "If-Match"


def test_racing_account_editors_one_wins(engine: Engine) -> None:
    bearer(engine, "wuhan.rep", "reporter", "420100")
    won, lost = race(
        lambda i: users.set_active(engine, ADMIN, "wuhan.rep", i % 2 == 0, if_match='"1"')
    )
    assert len(won) == 1 and len(lost) == 7
    stored = users.get_user(engine, "wuhan.rep")
    assert stored.version == 2 and stored.active is (won[0] % 2 == 0)


def test_the_command_line_disables_without_an_etag(engine: Engine, settings: Settings) -> None:
    bearer(engine, "wuhan.rep", "reporter", "420100")
    env = {"FANGKONG_DATABASE_URL": settings.database_url}
    runner = CliRunner()
    out = runner.invoke(cli_app, ["user", "disable", "wuhan.rep"], env=env)
    assert out.exit_code == 0, out.output
    assert "disabled" in out.output
    out = runner.invoke(cli_app, ["user", "enable", "wuhan.rep"], env=env)
    assert out.exit_code == 0, out.output
    stored = users.get_user(engine, "wuhan.rep")
    assert stored.active and stored.version == 3
