"""The audit log's hash chain: canonical form, hash, and what verification detects."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from fangkong.core.privacy.audit_log import (
    GENESIS,
    ChainEntry,
    canonical_json,
    check_checkpoint,
    entry_hash,
    recomputed_hash,
    utc_text,
    verify_chain,
)


def chain(n: int) -> list[ChainEntry]:
    """A valid chain of ``n`` entries."""
    entries: list[ChainEntry] = []
    prev = GENESIS
    start = datetime(2020, 1, 23, 2, 0, tzinfo=UTC)
    for i in range(1, n + 1):
        entry = ChainEntry(
            id=i,
            occurred_at=utc_text(start + timedelta(seconds=i)),
            actor="epi.hubei" if i % 2 else "cli:root",
            action="daily.submit_daily" if i % 3 else "case.read_personal",
            target_type="daily",
            target_id=None if i % 4 else "420000",
            details=canonical_json({"writes": {"daily_reports": {"insert": i}}, "备注": "武汉"}),
            prev_hash=prev,
            hash="",
        )
        entry = dataclasses.replace(entry, hash=recomputed_hash(entry))
        entries.append(entry)
        prev = entry.hash
    return entries


def rehashed(entry: ChainEntry, **changes: object) -> ChainEntry:
    """``entry`` changed and given a matching hash, as a careful attacker would."""
    changed = dataclasses.replace(entry, **changes)  # type: ignore[arg-type]
    return dataclasses.replace(changed, hash=recomputed_hash(changed))


def test_canonical_json_is_the_documented_form() -> None:
    text = canonical_json({"b": 1, "a": "武汉", "c": None, "d": 'x"\n'})
    assert text == '{"a":"武汉","b":1,"c":null,"d":"x\\"\\n"}'


def test_entry_hash_is_sha256_of_the_sorted_compact_json() -> None:
    fields = {
        "id": 7,
        "occurred_at": "2020-01-23T02:00:00.000000Z",
        "actor": "alice",
        "action": "users.create_user",
        "target_type": "users",
        "target_id": None,
        "details": '{"writes":{"users":{"insert":1}}}',
        "prev_hash": GENESIS,
    }
    expected_text = (
        '{"action":"users.create_user","actor":"alice",'
        '"details":"{\\"writes\\":{\\"users\\":{\\"insert\\":1}}}","id":7,'
        '"occurred_at":"2020-01-23T02:00:00.000000Z","prev_hash":"' + GENESIS + '",'
        '"target_id":null,"target_type":"users"}'
    )
    assert entry_hash(**fields) == hashlib.sha256(expected_text.encode()).hexdigest()


def test_utc_text_normalises_zones_and_naive_values() -> None:
    beijing = timezone(timedelta(hours=8))
    assert utc_text(datetime(2020, 1, 23, 10, 0, tzinfo=beijing)) == "2020-01-23T02:00:00.000000Z"
    assert utc_text(datetime(2020, 1, 23, 2, 0, 0, 5)) == "2020-01-23T02:00:00.000005Z"


def test_an_intact_chain_verifies() -> None:
    entries = chain(12)
    report = verify_chain(entries, head=(12, entries[-1].hash))
    assert report.ok and report.entries == 12
    assert (report.last_id, report.last_hash) == (12, entries[-1].hash)
    assert verify_chain([]).ok


def test_an_edited_entry_is_named() -> None:
    entries = chain(10)
    entries[4] = dataclasses.replace(entries[4], actor="someone.else")
    report = verify_chain(entries, head=(10, entries[-1].hash))
    assert report.problem is not None
    assert (report.problem.entry_id, report.problem.kind) == (5, "edited")
    assert report.entries == 4


def test_an_edit_with_a_recomputed_hash_breaks_the_next_link() -> None:
    entries = chain(10)
    entries[4] = rehashed(entries[4], details='{"writes":{}}')
    problem = verify_chain(entries).problem
    assert problem is not None and (problem.entry_id, problem.kind) == (6, "link")


def test_a_deleted_entry_leaves_a_gap() -> None:
    entries = chain(10)
    del entries[3]
    problem = verify_chain(entries).problem
    assert problem is not None and (problem.entry_id, problem.kind) == (5, "gap")
    assert "entry 4 missing" in problem.detail


def test_several_deleted_entries_are_counted() -> None:
    entries = chain(10)
    del entries[2:5]
    problem = verify_chain(entries).problem
    assert problem is not None and "entries 3-5 missing" in problem.detail


def test_an_inserted_entry_is_found() -> None:
    entries = chain(6)
    forged = rehashed(entries[2], actor="forger", prev_hash=entries[1].hash)
    shifted = [dataclasses.replace(e, id=e.id + 1) for e in entries[2:]]
    tampered = [*entries[:2], forged, *[rehashed(e) for e in shifted]]
    problem = verify_chain(tampered).problem
    assert problem is not None and problem.entry_id == 4 and problem.kind == "link"


def test_swapped_entries_are_reported_as_reordered() -> None:
    entries = chain(8)
    third, fourth = entries[2], entries[3]
    swapped_third = dataclasses.replace(fourth, id=3)  # the rows' ids exchanged
    swapped_fourth = dataclasses.replace(third, id=4)
    tampered = [*entries[:2], swapped_third, swapped_fourth, *entries[4:]]
    by_hash = {e.hash: e.id for e in tampered}
    problem = verify_chain(tampered, locate=by_hash.get).problem
    assert problem is not None and problem.kind == "reordered" and problem.entry_id == 3
    assert "follows entry 4" in problem.detail
    problem = verify_chain(tampered).problem  # without a lookup: still detected
    assert problem is not None and problem.entry_id == 3


def test_a_cut_tail_and_entries_beyond_the_head_are_found() -> None:
    entries = chain(10)
    head = (10, entries[-1].hash)
    problem = verify_chain(entries[:8], head=head).problem
    assert problem is not None and (problem.entry_id, problem.kind) == (9, "head")
    problem = verify_chain(entries, head=(9, entries[8].hash)).problem
    assert problem is not None and (problem.entry_id, problem.kind) == (10, "head")
    problem = verify_chain(entries, head=(10, GENESIS)).problem
    assert problem is not None and problem.kind == "head"


def test_entries_appended_during_the_walk_are_accepted() -> None:
    entries = chain(10)
    report = verify_chain(entries, head=(8, entries[7].hash), head_after=lambda: (11, "f" * 64))
    assert report.ok


def test_a_rewritten_log_is_caught_by_an_anchor() -> None:
    entries = chain(6)
    anchor = {3: entries[2].hash}
    rewritten: list[ChainEntry] = []
    prev = GENESIS
    for e in entries:
        fresh = rehashed(e, actor="forger", prev_hash=prev)
        rewritten.append(fresh)
        prev = fresh.hash
    assert verify_chain(rewritten, head=(6, rewritten[-1].hash)).ok  # no anchor: undetectable
    problem = verify_chain(rewritten, anchors=anchor).problem
    assert problem is not None and (problem.entry_id, problem.kind) == (3, "anchor")
    problem = verify_chain(entries[:2], anchors=anchor).problem
    assert problem is not None and problem.kind == "anchor"


FIELDS = ("occurred_at", "actor", "action", "target_type", "target_id", "details", "prev_hash")


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(1, 15),
    data=st.data(),
    replacement=st.text(min_size=1, max_size=20),
)
def test_any_changed_field_of_any_entry_is_detected(
    n: int, data: st.DataObject, replacement: str
) -> None:
    entries = chain(n)
    k = data.draw(st.integers(0, n - 1))
    name = data.draw(st.sampled_from(FIELDS))
    if getattr(entries[k], name) == replacement:
        replacement += "x"
    entries[k] = dataclasses.replace(entries[k], **{name: replacement})
    problem = verify_chain(entries).problem
    assert problem is not None and problem.entry_id == k + 1


# --- incremental verification from a checkpoint ---------------------------------------------


def test_verifying_from_a_checkpoint_checks_only_the_new_entries() -> None:
    entries = chain(10)
    cp = entries[5]  # entry 6, verified earlier
    assert check_checkpoint(cp, (6, cp.hash)) is None
    report = verify_chain(entries[6:], start=(6, cp.hash), head=(10, entries[-1].hash))
    assert report.ok and report.first_id == 6 and report.last_id == 10
    assert report.entries == 5  # the checkpoint entry, re-hashed, and the 4 new ones
    nothing_new = verify_chain([], start=(10, entries[-1].hash), head=(10, entries[-1].hash))
    assert nothing_new.ok and nothing_new.last_id == 10 and nothing_new.entries == 1


def test_a_checkpoint_entry_changed_is_found() -> None:
    entries = chain(10)
    cp = entries[5]
    edited = dataclasses.replace(cp, actor="nobody")
    problem = check_checkpoint(edited, (6, cp.hash))
    assert problem is not None and problem.kind == "edited" and problem.entry_id == 6
    rewritten = rehashed(cp, actor="nobody")  # consistent with itself, not with the past
    problem = check_checkpoint(rewritten, (6, cp.hash))
    assert problem is not None and problem.kind == "checkpoint"
    problem = check_checkpoint(None, (6, cp.hash))  # deleted
    assert problem is not None and problem.kind == "checkpoint" and "missing" in problem.detail
    problem = check_checkpoint(entries[6], (6, cp.hash))  # another entry in its place
    assert problem is not None and problem.kind == "checkpoint"


def test_new_entries_changed_after_a_checkpoint_are_found() -> None:
    entries = chain(10)
    cp = entries[5]
    tampered = [*entries[6:8], dataclasses.replace(entries[8], details="{}"), entries[9]]
    report = verify_chain(tampered, start=(6, cp.hash), head=(10, entries[-1].hash))
    assert report.problem is not None and report.problem.kind == "edited"
    assert report.problem.entry_id == 9
    # a new entry that does not follow the checkpoint (the checkpoint's successor replaced)
    replaced = [rehashed(entries[6], prev_hash="f" * 64), *entries[7:]]
    report = verify_chain(replaced, start=(6, cp.hash), head=(10, entries[-1].hash))
    assert report.problem is not None and report.problem.kind == "link"
    # the tail cut off after the checkpoint
    report = verify_chain(entries[6:8], start=(6, cp.hash), head=(10, entries[-1].hash))
    assert report.problem is not None and report.problem.kind == "head"


def test_an_old_entry_edited_is_missed_from_a_checkpoint_but_found_in_full() -> None:
    """Why the full verification stays: an entry before the checkpoint edited in place
    (hash left alone) breaks only its own hash and its successor's link, both before the
    checkpoint."""
    entries = chain(10)
    entries[2] = dataclasses.replace(entries[2], actor="nobody")
    cp = entries[5]
    assert check_checkpoint(cp, (6, cp.hash)) is None
    assert verify_chain(entries[6:], start=(6, cp.hash), head=(10, entries[-1].hash)).ok
    full = verify_chain(entries, head=(10, entries[-1].hash))
    assert full.problem is not None and full.problem.kind == "edited"
    assert full.problem.entry_id == 3


def test_a_full_walk_checks_the_checkpoint_like_an_anchor() -> None:
    entries = chain(8)
    head = (8, entries[-1].hash)
    assert verify_chain(entries, head=head, checkpoint=(6, entries[5].hash)).ok
    rewritten = verify_chain(entries, head=head, checkpoint=(6, "a" * 64))
    assert rewritten.problem is not None
    assert (rewritten.problem.entry_id, rewritten.problem.kind) == (6, "checkpoint")
    cut = verify_chain(entries[:4], head=(4, entries[3].hash), checkpoint=(6, entries[5].hash))
    assert cut.problem is not None and (cut.problem.entry_id, cut.problem.kind) == (6, "checkpoint")
