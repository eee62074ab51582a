"""The region tree used for jurisdiction checks."""

from __future__ import annotations

from fangkong.core.access import WORLD, Permission, Role, may_act_on
from fangkong.core.regions import RegionTree

TREE = RegionTree(
    {"CN": None, "420000": "CN", "420100": "420000", "420102": "420100", "110000": "CN", "US": None}
)


def test_ancestors_nearest_first() -> None:
    assert TREE.ancestors("420102") == ["420100", "420000", "CN"]
    assert TREE.ancestors("US") == []


def test_is_within() -> None:
    assert TREE.is_within("420102", "420000")
    assert TREE.is_within("420000", "420000")
    assert not TREE.is_within("110000", "420000")


def test_cycle_does_not_hang() -> None:
    assert RegionTree({"A": "B", "B": "A"}).ancestors("A") == ["B"]


def test_reporter_writes_only_in_jurisdiction() -> None:
    assert may_act_on(Role.REPORTER, "420000", Permission.WRITE_REPORTS, "420102", TREE)
    assert not may_act_on(Role.REPORTER, "420000", Permission.WRITE_REPORTS, "110000", TREE)
    assert not may_act_on(Role.VIEWER, WORLD, Permission.WRITE_REPORTS, "420000", TREE)
    assert may_act_on(Role.ADMIN, WORLD, Permission.MANAGE_USERS, "US", TREE)
