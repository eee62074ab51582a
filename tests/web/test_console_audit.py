"""The audit-log page of the console (zh/en): administrators only, filters, pages, the
chain's verification shown (incremental from the checkpoint on every load, the whole
chain on request), no inline scripts."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from fangkong.api.app import create_app
from fangkong.core.access import CLI_ACTOR
from fangkong.services import users
from fangkong.services.reference import region_tree
from fangkong.settings import Settings
from fangkong.store import audit as hook
from support import PASSWORD


def signed_in(settings: Settings, engine: Engine, username: str, role: str) -> TestClient:
    users.create_user(
        engine,
        CLI_ACTOR,
        username=username,
        password=PASSWORD,
        role=role,
        jurisdiction="*",
        tree=region_tree(engine),
    )
    client = TestClient(create_app(settings, engine))
    answer = client.post("/api/v1/session", json={"username": username, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return client


def fill(engine: Engine, n: int) -> None:
    for i in range(n):
        with engine.begin() as conn:
            hook.note(conn, "test.entry" if i % 2 else "other.entry", "test", str(i), {"i": i},
                      actor="someone")  # fmt: skip


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_administrators_see_the_verified_log(settings: Settings, engine: Engine, lang: str) -> None:
    client = signed_in(settings, engine, "root.admin", "admin")
    fill(engine, 60)
    page = client.get(f"/{lang}/console/audit")
    assert page.status_code == 200
    html = page.text
    assert page.headers["cache-control"] == "no-store"
    newest = max(int(r) for r in re.findall(r'<tr data-id="(\d+)">', html))
    assert f'id="audit-verify" data-ok="true" data-full="true" data-last="{newest}"' in html
    assert ("哈希链校验通过" if lang == "zh" else f"Chain verified up to entry {newest} at") in html
    assert f'href="/{lang}/console/audit" aria-current="page"' in html
    rows = re.findall(r'<tr data-id="(\d+)">', html)
    assert len(rows) == 50 and rows[0] == str(max(int(r) for r in rows))  # newest first
    assert "offset=50" in html  # a link to the older entries
    older = client.get(f"/{lang}/console/audit?offset=50")
    assert len(re.findall(r'<tr data-id="(\d+)">', older.text)) >= 10
    only = client.get(f"/{lang}/console/audit", params={"action": "test.", "actor": "someone"})
    assert len(re.findall(r'<tr data-id="(\d+)">', only.text)) == 30
    assert "<code>other.entry</code>" not in only.text
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "no inline scripts"


def test_others_are_refused_and_see_no_link(settings: Settings, engine: Engine) -> None:
    client = signed_in(settings, engine, "epi.nat", "epidemiologist")
    page = client.get("/en/console/audit")
    assert page.status_code == 403
    assert "read_audit" in page.text and "audit-entries" not in page.text
    dashboard = client.get("/en/console").text
    assert "/en/console/audit" not in dashboard
    anonymous = TestClient(create_app(settings, engine)).get(
        "/en/console/audit", follow_redirects=False
    )
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")


def test_a_broken_chain_is_shown(settings: Settings, engine: Engine) -> None:
    client = signed_in(settings, engine, "root.admin", "admin")
    fill(engine, 5)
    with engine.begin() as conn:
        conn.execute(text("DROP TRIGGER audit_log_no_update"))
        conn.execute(text("UPDATE audit_log SET actor = 'nobody' WHERE id = 3"))
    html = client.get("/en/console/audit").text
    assert 'data-ok="false"' in html
    assert "Chain broken at entry 3 (edited)" in html


def test_each_load_verifies_the_new_entries_and_the_button_all(
    settings: Settings, engine: Engine
) -> None:
    client = signed_in(settings, engine, "root.admin", "admin")
    fill(engine, 10)
    first = client.get("/en/console/audit").text
    last = max(int(r) for r in re.findall(r'<tr data-id="(\d+)">', first))
    assert f'data-full="true" data-last="{last}"' in first  # nothing verified before
    assert "Last full verification:" in first
    fill(engine, 3)
    page = client.get("/en/console/audit").text
    assert f'data-ok="true" data-full="false" data-last="{last + 3}"' in page
    assert f"Chain verified up to entry {last + 3} at" in page
    assert f"entries {last}–{last + 3} checked now" in page
    assert 'id="audit-verify-full"' in page and 'name="verify" value="full"' in page

    # an old entry edited: not re-read on a normal load, found by the full verification
    with engine.begin() as conn:
        conn.execute(text("DROP TRIGGER audit_log_no_update"))
        conn.execute(text("UPDATE audit_log SET actor = 'nobody' WHERE id = 3"))
    assert 'data-ok="true"' in client.get("/en/console/audit").text
    full = client.get("/en/console/audit", params={"verify": "full", "actor": "someone"}).text
    assert 'data-ok="false" data-full="true"' in full
    assert "Chain broken at entry 3 (edited)" in full
    assert '<input type="hidden" name="actor" value="someone">' in full  # filters kept

    # the checkpoint entry itself edited: found on a normal load
    with engine.begin() as conn:
        conn.execute(text(f"UPDATE audit_log SET details = '{{}}' WHERE id = {last + 3}"))
    broken = client.get("/en/console/audit").text
    assert 'data-ok="false" data-full="false"' in broken
    assert f"Chain broken at entry {last + 3} (edited)" in broken
    assert "Found by the incremental verification" in broken
