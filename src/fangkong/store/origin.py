"""The *origin* of work written to the audit log: who acts, and on what.

Kept apart from :mod:`fangkong.store.audit` (and free of database imports) so that the
command line can register its origin cheaply at start-up. See that module for how
origins are used.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable, Mapping
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from typing import Any


def os_user() -> str:
    """The operating-system user running this process."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for the uid (containers)
        return str(os.getuid()) if hasattr(os, "getuid") else "unknown"


@dataclass(frozen=True)
class Origin:
    """Who is acting and on what, for entries that do not say it themselves.

    ``authoritative`` origins (an authenticated user, the CLI operator) override the
    actor a service names; ``context`` (request method and path, client address, token
    fingerprint, CLI command) goes into every entry's details; ``on_append`` is told how
    many entries were appended on the origin's behalf."""

    actor: str
    action: str
    target_type: str = "-"
    target_id: str | None = None
    context: Mapping[str, Any] = field(default_factory=dict)
    authoritative: bool = True
    on_append: Callable[[int], None] | None = field(default=None, compare=False)


_ORIGIN: ContextVar[Callable[[], Origin] | None] = ContextVar("fangkong_audit_origin", default=None)
_PROVIDERS: list[Callable[[], Origin | None]] = []


def set_origin(resolve: Callable[[], Origin]) -> Token[Callable[[], Origin] | None]:
    """Make ``resolve`` the origin of the work done in the current context (a request);
    it is called when an entry is appended, so it may read state set later (the user
    authenticated after this call)."""
    return _ORIGIN.set(resolve)


def reset_origin(token: Token[Callable[[], Origin] | None]) -> None:
    _ORIGIN.reset(token)


def register_origin_provider(provider: Callable[[], Origin | None]) -> None:
    """Add a fallback origin (e.g. the CLI's, which knows the running command)."""
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)


def current_origin() -> Origin:
    resolve = _ORIGIN.get()
    if resolve is not None:
        return resolve()
    for provider in _PROVIDERS:
        found = provider()
        if found is not None:
            return found
    return Origin(actor=f"system:{os_user()}", action="write", authoritative=False)
