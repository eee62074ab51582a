"""Set-based case merge: counts, NULL-safe change detection, revisions, per database."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, text

from fangkong.core.cases import CASE_FIELDS
from fangkong.store.bulk import copy_buffer, merge_case_rows


def cells(case_id: str, **values: str) -> tuple[str, ...]:
    base = dict.fromkeys(CASE_FIELDS, "")
    base.update(source="s", case_id=case_id, region_code="CN", classification="confirmed")
    base.update(values)
    return tuple(base[f] for f in CASE_FIELDS)


def merge(engine: Engine, rows: list[tuple[str, ...]]):
    with engine.begin() as conn:
        return merge_case_rows(
            conn,
            rows,
            import_id=None,
            actor="t",
            reason="test",
            when=datetime(2020, 3, 1, tzinfo=UTC),
        )


def test_insert_unchanged_update_and_null_safe_compare(engine: Engine) -> None:
    first = merge(engine, [cells("a", age_years="5"), cells("b"), cells("c", imported="true")])
    assert (first.inserted, first.updated, first.unchanged) == (3, 0, 0)
    second = merge(
        engine,
        [
            cells("a", age_years="5"),
            cells("b", sex="male"),
            cells("c", imported="false"),
            cells("d"),
        ],
    )
    assert (second.inserted, second.updated, second.unchanged, second.revisions) == (1, 2, 1, 2)
    third = merge(engine, [cells("b", sex="male"), cells("c", imported="false")])
    assert (third.updated, third.unchanged) == (0, 2)
    with engine.connect() as conn:
        revisions = conn.execute(
            text(
                "SELECT entity_key, field, old_value, new_value FROM revisions ORDER BY entity_key"
            )
        ).all()
        stored = conn.execute(
            text(
                "SELECT age_years, imported FROM case_records "
                "WHERE case_id IN ('a', 'c') ORDER BY case_id"
            )
        ).all()
    assert [tuple(r) for r in revisions] == [
        ("s|b", "sex", None, "male"),
        ("s|c", "imported", "true", "false"),
    ]
    assert [(r[0], bool(r[1]) if r[1] is not None else None) for r in stored] == [
        (5, None),
        (None, False),
    ]


def test_copy_buffer_escapes_backslashes() -> None:
    assert copy_buffer([("a\\b", "")]) == "a\\\\b\t\n"
