"""Response-level state machine, authority rules and inheritance."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from fangkong.core.regions import RegionLevel, RegionTree
from fangkong.core.rules import response as r
from fangkong.core.rules.response import Action, ResponseLevel

TREE = RegionTree({"CN": None, "420000": "CN", "420100": "420000", "420102": "420100"})
LEVELS = {"CN": RegionLevel.COUNTRY, "420000": RegionLevel.PROVINCE}


def test_transitions() -> None:
    assert r.transition(ResponseLevel.NONE, ResponseLevel.II) == Action.DECLARE
    assert r.transition(ResponseLevel.II, ResponseLevel.I) == Action.RAISE
    assert r.transition(ResponseLevel.I, ResponseLevel.III) == Action.LOWER
    assert r.transition(ResponseLevel.III, ResponseLevel.NONE) == Action.LIFT
    with pytest.raises(r.InvalidTransition):
        r.transition(ResponseLevel.II, ResponseLevel.II)


@pytest.mark.parametrize(("text", "level"), [("ii", "II"), ("1", "I"), (" none ", "none")])
def test_parse_level(text: str, level: str) -> None:
    assert r.parse_level(text).value == level


def test_parse_level_rejects() -> None:
    with pytest.raises(r.InvalidTransition):
        r.parse_level("V")


def test_authority_by_administrative_level() -> None:
    def why(
        jur: str, level: RegionLevel | None, cur: str, new: str, code: str = "420100"
    ) -> str | None:
        return r.authority_problem(
            jurisdiction=jur,
            jurisdiction_level=level,
            region_code=code,
            current=ResponseLevel(cur),
            new=ResponseLevel(new),
            tree=TREE,
        )

    assert why("420000", RegionLevel.PROVINCE, "none", "II") is None
    assert "Level I needs a country-level" in (
        why("420000", RegionLevel.PROVINCE, "none", "I") or ""
    )
    # lowering from Level I needs the same authority as declaring it
    assert why("420000", RegionLevel.PROVINCE, "I", "III") is not None
    assert why("*", None, "I", "III") is None
    assert why("420100", RegionLevel.PREFECTURE, "none", "III") is None
    assert why("420100", RegionLevel.PREFECTURE, "none", "II") is not None
    assert "outside" in (why("430000", RegionLevel.PROVINCE, "none", "IV") or "")


def test_authority_rules_are_configurable() -> None:
    rules = r.AuthorityRules.from_mapping(
        {"I": "province", "II": "province", "III": "county", "IV": "county"}
    )
    assert (
        r.authority_problem(
            jurisdiction="420000",
            jurisdiction_level=RegionLevel.PROVINCE,
            region_code="420000",
            current=ResponseLevel.NONE,
            new=ResponseLevel.I,
            tree=TREE,
            rules=rules,
        )
        is None
    )
    with pytest.raises(ValueError, match="lack levels"):
        r.AuthorityRules.from_mapping({"I": "country"})


def test_inheritance_takes_the_highest() -> None:
    own = {"420000": ResponseLevel.II, "420102": ResponseLevel.I, "420100": ResponseLevel.IV}
    child = r.effective_level("420100", own, TREE)
    assert child.level == ResponseLevel.II and child.inherited and child.source_region == "420000"
    grandchild = r.effective_level("420102", own, TREE)
    assert grandchild.level == ResponseLevel.I and not grandchild.inherited
    assert r.effective_level("CN", own, TREE).level == ResponseLevel.NONE


def test_own_level_at_picks_latest_in_effect() -> None:
    def ch(day: int, level: str) -> r.LevelChange:
        return r.LevelChange(
            "420000",
            ResponseLevel(level),
            Action.DECLARE,
            datetime(2020, 1, day, tzinfo=UTC),
            "x",
            "a",
            "u",
        )

    changes = [ch(24, "I"), ch(10, "II"), ch(28, "III")]
    assert r.own_level_at(changes, datetime(2020, 1, 25, tzinfo=UTC))["420000"].level == "I"
    assert r.own_level_at(changes, datetime(2020, 1, 5, tzinfo=UTC)) == {}
