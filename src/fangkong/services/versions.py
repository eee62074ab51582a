"""Optimistic concurrency for records edited in place (RFC 9110 §8.8.3 and §13.1).

A record's ``version`` counts its writes; its ETag is the strong entity tag
``"<version>"``. Reading a record gives its ETag; an edit names the version it was made
from in ``If-Match``. The edit is applied only if that is still the stored version —
checked and written in one transaction that holds the record's write lock (PostgreSQL
``SELECT … FOR UPDATE``; SQLite ``BEGIN IMMEDIATE``), so two people who edit the same
figures cannot overwrite each other without seeing it (no *lost update*):

* the record exists and the edit has no ``If-Match`` → 428 Precondition Required
  (RFC 6585 §3), with the current ETag;
* ``If-Match`` does not name the current version (or the record does not exist) →
  412 Precondition Failed, naming the record, who changed it last and when, with the
  current ETag so that the client can re-read and retry;
* ``If-None-Match: *`` creates a record only if it does not exist yet (else 412);
* a record that does not exist may be created without a precondition.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from typing import Any, Literal

from sqlalchemy import Connection, Engine

from fangkong.services.errors import Invalid, PreconditionFailed, PreconditionRequired
from fangkong.store.db import is_sqlite


class _Unchecked(Enum):
    UNCHECKED = "unchecked"


#: Passed as ``if_match`` by callers that are not editing a version they read (the
#: command line, the demo loader, imports): no precondition is checked.
UNCHECKED = _Unchecked.UNCHECKED
IfMatch = str | None | Literal[_Unchecked.UNCHECKED]


def etag(version: int | str) -> str:
    """The strong entity tag of a record version (or of a content digest)."""
    return f'"{version}"'


def content_digest(value: Any) -> str:
    """The version of a value without a version column: the first 16 hex digits of the
    SHA-256 of its canonical JSON (equal content, equal version)."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


#: An entity tag's opaque part (RFC 9110 §8.8.3: etagc, without obs-text).
_OPAQUE = re.compile(r"^[\x21\x23-\x7e]*$")


def parse_tags(header: str | None, *, name: str) -> set[str] | None:
    """The opaque tags an ``If-Match``/``If-None-Match`` header names; ``{"*"}`` for
    ``*``, ``None`` when absent. Weak tags (``W/"…"``) never match an edit (strong
    comparison, RFC 9110 §8.8.3.2); a malformed tag is refused (Invalid)."""
    if header is None or not header.strip():
        return None
    if header.strip() == "*":
        return {"*"}
    found: set[str] = set()
    for part in header.split(","):
        tag = part.strip()
        if tag.startswith("W/"):
            continue
        inner = tag[1:-1] if len(tag) >= 2 and tag[0] == tag[-1] == '"' else None
        if inner is None or not _OPAQUE.match(inner):
            raise Invalid(f'{name} must list entity tags, like "3" (got {header!r})', field=name)
        found.add(inner)
    return found


def check_preconditions(
    current: int | str | None,
    *,
    if_match: IfMatch,
    if_none_match: str | None = None,
    what: str,
    last_change: str = "",
) -> None:
    """Raise unless an edit of ``what`` (stored at version ``current`` — a number or a
    content digest — ``None`` when it does not exist) may proceed under the request's
    preconditions."""
    if if_match is UNCHECKED:
        return
    match = parse_tags(if_match, name="If-Match")
    none_match = parse_tags(if_none_match, name="If-None-Match")
    if current is None:
        if match is not None:
            raise PreconditionFailed(f"{what} does not exist (If-Match: {if_match})", "If-Match")
        return
    now = str(current)
    tag = etag(now)
    shown = f"version {now}" if isinstance(current, int) else f"ETag {tag}"
    if none_match is not None and ("*" in none_match or now in none_match):
        raise PreconditionFailed(
            f"{what} exists already ({shown}{last_change})", "If-None-Match", tag
        )
    if match is None:
        raise PreconditionRequired(
            f"{what} exists ({shown}{last_change}): send If-Match: {tag} "
            "with the ETag of the version you edited",
            "If-Match",
            tag,
        )
    if "*" not in match and now not in match:
        raise PreconditionFailed(
            f"{what} was changed by someone else: it is at {shown}{last_change}, "
            f"your edit was made from {if_match}; reload it and edit again",
            "If-Match",
            tag,
        )


@contextmanager
def locked_write(engine: Engine) -> Iterator[Connection]:
    """A transaction that reads a record's version and writes it: on SQLite it takes
    the write lock at once (``BEGIN IMMEDIATE``); on PostgreSQL the caller reads the row
    ``FOR UPDATE``."""
    with engine.begin() as conn:
        if is_sqlite(engine):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        yield conn
