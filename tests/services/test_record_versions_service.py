"""Optimistic concurrency rules (services/versions.py) and racing writers on both
databases: simultaneous first reports of one hospital day create it once; simultaneous
capacity edits from one version apply once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy import Engine

from fangkong.core.access import Actor, Role
from fangkong.services import hospitals
from fangkong.services.errors import Invalid, PreconditionFailed, PreconditionRequired
from fangkong.services.reference import region_tree
from fangkong.services.versions import (
    UNCHECKED,
    check_preconditions,
    content_digest,
    etag,
    parse_tags,
)

DAY = date(2020, 2, 10)
CMD = Actor("hubei.cmd", Role.COMMANDER, "420000")
REP = Actor("wuhan.rep", Role.REPORTER, "420100")


def test_parse_tags() -> None:
    assert parse_tags(None, name="If-Match") is None
    assert parse_tags(" ", name="If-Match") is None
    assert parse_tags("*", name="If-Match") == {"*"}
    assert parse_tags('"3", "4"', name="If-Match") == {"3", "4"}
    assert parse_tags('W/"3"', name="If-Match") == set()  # weak: never for an edit
    for bad in ("3", '"3', '"a b"', '"x"y"'):
        with pytest.raises(Invalid) as caught:
            parse_tags(bad, name="If-Match")
        assert caught.value.field == "If-Match"


def test_check_preconditions() -> None:
    what = "the report"
    check_preconditions(None, if_match=None, what=what)  # create freely
    check_preconditions(None, if_match=None, if_none_match="*", what=what)
    check_preconditions(4, if_match=UNCHECKED, what=what)  # operator tools
    check_preconditions(4, if_match='"4"', what=what)
    check_preconditions(4, if_match='"2", "4"', what=what)
    check_preconditions(4, if_match="*", what=what)
    with pytest.raises(PreconditionRequired) as required:
        check_preconditions(4, if_match=None, what=what)
    assert required.value.status == 428 and required.value.etag == '"4"'
    with pytest.raises(PreconditionFailed) as stale:
        check_preconditions(4, if_match='"3"', what=what, last_change=", last changed today")
    assert stale.value.status == 412 and stale.value.etag == '"4"'
    assert "version 4, last changed today" in stale.value.message
    with pytest.raises(PreconditionFailed):
        check_preconditions(None, if_match='"1"', what=what)
    with pytest.raises(PreconditionFailed):
        check_preconditions(4, if_match=None, if_none_match="*", what=what)
    digest = content_digest([{"a": 1}])
    assert digest == content_digest([{"a": 1}]) != content_digest([{"a": 2}])
    check_preconditions(digest, if_match=etag(digest), what=what)


def race(n: int, call: Callable[[int], object]) -> tuple[list[int], list[BaseException]]:
    """Run ``call(i)`` in ``n`` threads released together; (winners, refusals)."""
    barrier = threading.Barrier(n)
    won: list[int] = []
    refused: list[BaseException] = []
    other: list[BaseException] = []

    def run(i: int) -> None:
        barrier.wait()
        try:
            call(i)
            won.append(i)
        except PreconditionFailed as exc:
            refused.append(exc)
        except BaseException as exc:
            other.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert other == []
    return won, refused


def test_simultaneous_first_reports_create_one_day(engine: Engine) -> None:
    tree = region_tree(engine)
    hospitals.create_hospital(
        engine, CMD, tree, hospital_code="JYT", name="金银潭", kind="designated",
        region_code="420100", lat=30.6, lon=114.3, beds={"icu": 40},
    )  # fmt: skip

    def report(i: int) -> object:
        return hospitals.report_occupancy(
            engine, REP, tree, "JYT", report_date=DAY, occupied={"icu": 10 + i}, today=DAY,
            if_match=None,
        )  # fmt: skip

    won, refused = race(6, report)
    assert len(won) == 1 and len(refused) == 5
    stored = hospitals.get_hospital(engine, CMD, tree, "JYT", DAY)["latest_occupancy"]
    assert stored["occupied_icu"] == 10 + won[0] and stored["version"] == 1


def test_simultaneous_capacity_edits_from_one_version_apply_once(engine: Engine) -> None:
    tree = region_tree(engine)
    created = hospitals.create_hospital(
        engine, CMD, tree, hospital_code="HSS", name="火神山", kind="designated",
        region_code="420100", lat=30.5, lon=114.1, beds={"icu": 50},
    )  # fmt: skip
    tag = created["etag"]
    won, refused = race(
        6, lambda i: hospitals.set_capacity(engine, CMD, tree, "HSS", {"icu": 60 + i}, if_match=tag)
    )
    assert len(won) == 1 and len(refused) == 5
    after = hospitals.get_hospital(engine, CMD, tree, "HSS", DAY)
    assert after["beds"]["icu"] == 60 + won[0] and after["version"] == 2
