"""The audit log's hash chain: canonical form of an entry, its hash, and verification.

Every entry of the audit log (``audit_log``) carries the hash of the entry before it,
so that editing, removing, inserting or reordering entries breaks the chain at the
first entry touched — a hash chain in the sense of Schneier and Kelsey, "Secure audit
logs to support computer forensics", *ACM TISSEC* 2(2):159-176 (1999), without their
per-entry MAC keys (the log has no secret), and the append-only, tamper-evident event
record of NIST SP 800-92 (*Guide to Computer Security Log Management*, 2006, §2.3).

**Hash.** ``hash = SHA-256(canonical(fields))`` (FIPS 180-4), lower-case hex, where
``fields`` is the JSON object::

    {"action": …, "actor": …, "details": …, "id": …, "occurred_at": …,
     "prev_hash": …, "target_id": …, "target_type": …}

* ``id`` — the entry's position in the chain (1, 2, …; gapless), an integer;
* ``occurred_at`` — UTC, ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (microseconds, always six
  digits; :func:`utc_text`);
* ``actor``, ``action``, ``target_type`` — strings; ``target_id`` — a string or null;
* ``details`` — the stored JSON text of the details, *as a string* (so that any byte
  of it changed is seen), itself written canonically by :func:`canonical_json`;
* ``prev_hash`` — the previous entry's ``hash``; :data:`GENESIS` (64 zeros) for the
  first entry.

**Canonical serialisation** (:func:`canonical_json`): JSON with the object keys sorted,
no whitespace between tokens (``","`` and ``":"``), non-ASCII characters written as
UTF-8 rather than ``\\u`` escapes, encoded as UTF-8. For objects whose values are
strings, integers and null — which the hashed object always is — this is exactly the
JSON Canonicalization Scheme of RFC 8785, so the hash can be recomputed with any JCS
implementation.

**What verification proves** (:func:`verify_chain`). Walking the entries in ``id``
order it recomputes every hash and checks every link; the first failure is reported
with the entry and its kind: ``edited`` (content no longer matches its hash), ``gap``
(ids missing: rows deleted), ``link`` (the entry does not follow its predecessor: rows
replaced or inserted), ``reordered`` (it follows another entry), ``head`` (the last
entry differs from the chain head kept beside the log: the tail was cut off, or
entries were added behind the log's back), ``anchor`` (an entry differs from a hash
recorded elsewhere earlier), ``checkpoint`` (the entry a verification passed at earlier
is missing or differs from its hash then). An attacker able to rewrite the whole log *and* its head
consistently is detected only by an anchor: record the head hash that ``fangkong audit
verify`` prints somewhere the database's administrators cannot write.

**Incremental verification** (:func:`check_checkpoint`, ``start`` of
:func:`verify_chain`). A *checkpoint* is the id and hash of the last entry of a chain
that verified earlier. Verifying from a checkpoint re-hashes the checkpoint entry (its
content must still give its hash, and that hash must still be the checkpoint's — a
``checkpoint`` problem otherwise), then checks only the entries after it, linked to it.
That catches any change to the new entries and to the checkpoint entry, a tail cut
below the checkpoint, and a rewrite of the chain up to the checkpoint (the checkpoint
entry's hash depends on every entry before it only through ``prev_hash``, so a rewrite
consistent up to it changes its hash). What it cannot see is an entry before the
checkpoint edited *without* rewriting the entries after it: that breaks the link of
the next entry, which only a full verification walks. So full verification stays the
proof; the incremental one is the cheap check between two of them. A full verification
checks the checkpoint too (like an anchor: ``checkpoint`` of :func:`verify_chain`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

#: ``prev_hash`` of the first entry.
GENESIS = "0" * 64


def canonical_json(value: Any) -> str:
    """``value`` as canonical JSON text (sorted keys, no whitespace, UTF-8 characters);
    RFC 8785 for strings, integers, booleans and null."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def utc_text(moment: datetime) -> str:
    """``moment`` in UTC as ``YYYY-MM-DDTHH:MM:SS.ffffffZ``; a naive datetime is taken
    to be UTC already (SQLite hands back naive values of what was stored as UTC)."""
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return aware.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True, slots=True)
class ChainEntry:
    """One entry as stored: the hashed fields plus the stored ``hash``."""

    id: int
    occurred_at: str
    actor: str
    action: str
    target_type: str
    target_id: str | None
    details: str
    prev_hash: str
    hash: str

    def fields(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "actor": self.actor,
            "details": self.details,
            "id": self.id,
            "occurred_at": self.occurred_at,
            "prev_hash": self.prev_hash,
            "target_id": self.target_id,
            "target_type": self.target_type,
        }


def entry_hash(
    *,
    id: int,
    occurred_at: str,
    actor: str,
    action: str,
    target_type: str,
    target_id: str | None,
    details: str,
    prev_hash: str,
) -> str:
    """SHA-256 (hex) of the canonical serialisation of an entry's fields."""
    fields = {
        "action": action,
        "actor": actor,
        "details": details,
        "id": id,
        "occurred_at": occurred_at,
        "prev_hash": prev_hash,
        "target_id": target_id,
        "target_type": target_type,
    }
    return hashlib.sha256(canonical_json(fields).encode("utf-8")).hexdigest()


def recomputed_hash(entry: ChainEntry) -> str:
    return entry_hash(**entry.fields())


@dataclass(frozen=True, slots=True)
class ChainProblem:
    """The first thing found wrong: the entry (``id``) where it shows, its kind
    (``edited``, ``gap``, ``link``, ``reordered``, ``head``, ``anchor``,
    ``checkpoint``) and an explanation."""

    entry_id: int
    kind: str
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {"entry_id": self.entry_id, "kind": self.kind, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class ChainReport:
    """Outcome of a verification: ``entries`` checked, the last entry's id and hash
    (the value to record as an anchor) and the first problem, if any."""

    entries: int
    last_id: int
    last_hash: str
    problem: ChainProblem | None
    #: The first entry checked: 1 for a full verification; the checkpoint entry (which
    #: is re-hashed) for an incremental one.
    first_id: int = 1

    @property
    def ok(self) -> bool:
        return self.problem is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "first_id": self.first_id,
            "last_id": self.last_id,
            "last_hash": self.last_hash,
            "problem": self.problem.as_dict() if self.problem else None,
        }


def check_checkpoint(entry: ChainEntry | None, checkpoint: tuple[int, str]) -> ChainProblem | None:
    """The problem with the entry at ``checkpoint`` (``(id, hash)`` of the last entry
    verified earlier), or None: it must exist, still match its own hash, and that hash
    must still be the checkpoint's."""
    entry_id, digest = checkpoint
    if entry is None or entry.id != entry_id:
        return ChainProblem(
            entry_id,
            "checkpoint",
            f"entry {entry_id}, verified earlier, is missing: entries were removed",
        )
    if recomputed_hash(entry) != entry.hash:
        return ChainProblem(
            entry_id, "edited", f"entry {entry_id} does not match its hash: its content was changed"
        )
    if entry.hash != digest:
        return ChainProblem(
            entry_id,
            "checkpoint",
            f"entry {entry_id} differs from the hash verified earlier: "
            "the log was rewritten up to here",
        )
    return None


def verify_chain(
    entries: Iterable[ChainEntry],
    *,
    head: tuple[int, str] | None = None,
    head_after: tuple[int, str] | Callable[[], tuple[int, str] | None] | None = None,
    anchors: Mapping[int, str] | None = None,
    locate: Callable[[str], int | None] | None = None,
    start: tuple[int, str] = (0, GENESIS),
    checkpoint: tuple[int, str] | None = None,
) -> ChainReport:
    """Check ``entries`` (in ascending ``id`` order, as stored) and stop at the first
    problem.

    ``start`` is the ``(id, hash)`` of the entry the first of ``entries`` must follow:
    nothing (entry 0, :data:`GENESIS`) for a full verification, a checkpoint (see
    :func:`check_checkpoint`, which the caller runs first) for an incremental one, which
    then counts in ``entries`` and is ``first_id``. ``anchors`` must name entries after
    ``start``. ``checkpoint`` (a full walk's) is the ``(id, hash)`` of the last entry a
    verification passed earlier: checked like an anchor, but kept by the database, so a
    rewrite of the log and its head up to that entry, or a tail cut below it, is found
    without an anchor kept elsewhere (a ``checkpoint`` problem).

    ``head`` is the ``(last_id, last_hash)`` the log keeps beside itself, read before
    the entries; when entries may be appended while they are read, pass the head read
    afterwards as ``head_after`` (or a function reading it): the last entry must then
    lie between the two heads (and match the one it equals). ``anchors`` maps entry ids
    to hashes recorded earlier; ``locate`` finds the id of the entry
    with a given hash (to tell a reordering from a replacement). Streaming: memory does
    not grow with the log."""
    anchors = dict(anchors or {})
    count = 1 if start[0] > 0 else 0
    last_id, last_hash = start
    first_id = max(start[0], 1)

    def report(problem: ChainProblem | None) -> ChainReport:
        return ChainReport(count, last_id, last_hash, problem, first_id)

    for entry in entries:
        expected = last_id + 1
        if entry.id != expected:
            if entry.id > expected:
                missing = (
                    f"entry {expected}"
                    if entry.id == expected + 1
                    else f"entries {expected}-{entry.id - 1}"
                )
                return report(
                    ChainProblem(entry.id, "gap", f"{missing} missing before entry {entry.id}")
                )
            return report(
                ChainProblem(entry.id, "reordered", f"entry {entry.id} appears after {last_id}")
            )
        if entry.prev_hash != last_hash:
            found = locate(entry.prev_hash) if locate is not None else None
            if found is not None and found != last_id:
                return report(
                    ChainProblem(
                        entry.id,
                        "reordered",
                        f"entry {entry.id} follows entry {found}, not entry {last_id}",
                    )
                )
            return report(
                ChainProblem(
                    entry.id,
                    "link",
                    f"entry {entry.id} does not follow entry {last_id}: entry {last_id} "
                    "was rewritten, or entries were replaced or inserted here",
                )
            )
        if recomputed_hash(entry) != entry.hash:
            return report(
                ChainProblem(
                    entry.id,
                    "edited",
                    f"entry {entry.id} does not match its hash: its content was changed",
                )
            )
        if checkpoint is not None and entry.id == checkpoint[0] and entry.hash != checkpoint[1]:
            return report(
                ChainProblem(
                    entry.id,
                    "checkpoint",
                    f"entry {entry.id} differs from the hash verified earlier: "
                    "the log was rewritten up to here",
                )
            )
        if entry.id in anchors and anchors.pop(entry.id) != entry.hash:
            return report(
                ChainProblem(
                    entry.id,
                    "anchor",
                    f"entry {entry.id} differs from its recorded hash: "
                    "the log was rewritten from here on",
                )
            )
        count += 1
        last_id, last_hash = entry.id, entry.hash
    if anchors:
        first = min(anchors)
        return report(ChainProblem(first, "anchor", f"anchored entry {first} is missing"))
    if checkpoint is not None and last_id < checkpoint[0]:
        return report(
            ChainProblem(
                checkpoint[0],
                "checkpoint",
                f"entry {checkpoint[0]}, verified earlier, is missing: entries were removed",
            )
        )
    lower = head
    upper = head_after() if callable(head_after) else head_after
    if lower is None:
        lower = upper
    if upper is None:
        upper = lower
    if lower is not None and upper is not None:
        if last_id < lower[0]:
            return report(
                ChainProblem(
                    last_id + 1,
                    "head",
                    f"the log ends at entry {last_id} but its head is entry {lower[0]}: "
                    "entries were removed from the end",
                )
            )
        if last_id > upper[0]:
            return report(
                ChainProblem(
                    upper[0] + 1,
                    "head",
                    f"entries {upper[0] + 1}-{last_id} lie beyond the head "
                    f"(entry {upper[0]}): they were inserted behind the log's back",
                )
            )
        for head_id, head_hash in (lower, upper):
            if head_id == last_id and head_hash != last_hash:
                return report(
                    ChainProblem(
                        last_id, "head", f"entry {last_id} differs from the hash kept in the head"
                    )
                )
    return report(None)
