"""Helpers shared by the API tests (importable as ``support``: pytest puts this folder on
``sys.path`` because ``tests/conftest.py`` lives here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from fangkong.core.access import CLI_ACTOR
from fangkong.services import users
from fangkong.services.reference import region_tree

PASSWORD = "correct horse battery"


def bearer(engine: Engine, username: str, role: str, jurisdiction: str) -> dict[str, str]:
    """Create a user and return the ``Authorization`` header of a fresh API token."""
    users.create_user(
        engine,
        CLI_ACTOR,
        username=username,
        password=PASSWORD,
        role=role,
        jurisdiction=jurisdiction,
        tree=region_tree(engine),
    )
    token, _ = users.create_token(engine, CLI_ACTOR, username)
    return {"Authorization": f"Bearer {token}"}


def problem(answer: Any, status: int) -> dict[str, Any]:
    """Assert an RFC 9457 problem answer with ``status``; return its body."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = answer.json()
    return body


#: The real data bundled with the package (copies of the shared data, with their sources in
#: ``README.md`` there): tests read these, never a path outside the repository.
DEMO_DATA = Path(__file__).resolve().parents[1] / "src" / "fangkong" / "data" / "demo"
#: Real official bulletin texts, copied with their sources.
BULLETINS = Path(__file__).resolve().parent / "fixtures" / "bulletins"
