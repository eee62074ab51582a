"""Public-health emergency response levels (突发公共卫生事件应急响应 Level I–IV).

The National Emergency Plan for Public Health Emergencies (《国家突发公共卫生事件应急
预案》, State Council, 2006-02-26) grades responses I (especially serious) to IV
(ordinary). A region's own level changes by four actions: *declare* (from none),
*raise*, *lower* and *lift* (back to none). The level in effect for a region is the
highest of its own level and its ancestors' levels: children inherit a parent's level
unless they declare a higher one.

Who may set a level is data (:class:`AuthorityRules`): by default Level I needs the
national command, II a province, III a prefecture, IV a county — i.e. the actor's
jurisdiction must be a region of at least that administrative level, and a change
*from* a level needs the same authority as declaring it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from fangkong.core.access import WORLD
from fangkong.core.regions import RegionLevel, RegionTree


class ResponseLevel(StrEnum):
    NONE = "none"
    IV = "IV"
    III = "III"
    II = "II"
    I = "I"  # noqa: E741 - the level's official name

    @property
    def rank(self) -> int:
        """0 for none, 1 for IV … 4 for I (higher is more serious)."""
        return _RANK[self]


_RANK = {
    ResponseLevel.NONE: 0,
    ResponseLevel.IV: 1,
    ResponseLevel.III: 2,
    ResponseLevel.II: 3,
    ResponseLevel.I: 4,
}

LEVEL_NAMES: dict[ResponseLevel, tuple[str, str]] = {
    ResponseLevel.NONE: ("无应急响应", "no emergency response"),
    ResponseLevel.IV: ("四级响应（一般）", "Level IV (ordinary)"),
    ResponseLevel.III: ("三级响应（较大）", "Level III (major)"),
    ResponseLevel.II: ("二级响应（重大）", "Level II (serious)"),
    ResponseLevel.I: ("一级响应（特别重大）", "Level I (especially serious)"),
}


class Action(StrEnum):
    DECLARE = "declare"
    RAISE = "raise"
    LOWER = "lower"
    LIFT = "lift"


class InvalidTransition(ValueError):
    """The requested level is no change, or the level name is unknown."""


def parse_level(text: str) -> ResponseLevel:
    """``"II"``, ``"2"``, ``"ii"``, ``"none"`` → the level; anything else raises."""
    cleaned = text.strip()
    arabic = {"0": "none", "1": "I", "2": "II", "3": "III", "4": "IV"}
    cleaned = arabic.get(cleaned, cleaned)
    for level in ResponseLevel:
        if cleaned.upper() == level.value.upper():
            return level
    raise InvalidTransition(f"unknown response level {text!r}; use none, IV, III, II or I")


def transition(current: ResponseLevel, new: ResponseLevel) -> Action:
    """The action that takes a region's own level from ``current`` to ``new``."""
    if new == current:
        raise InvalidTransition(f"the level is already {current.value}")
    if current == ResponseLevel.NONE:
        return Action.DECLARE
    if new == ResponseLevel.NONE:
        return Action.LIFT
    return Action.RAISE if new.rank > current.rank else Action.LOWER


_REGION_RANK = {
    RegionLevel.COUNTRY: 0,
    RegionLevel.PROVINCE: 1,
    RegionLevel.PREFECTURE: 2,
    RegionLevel.COUNTY: 3,
}


@dataclass(frozen=True, slots=True)
class AuthorityRules:
    """For each level, the lowest administrative level whose command may set it."""

    minimum: Mapping[ResponseLevel, RegionLevel]

    @classmethod
    def from_mapping(cls, data: Mapping[str, str]) -> AuthorityRules:
        minimum = {parse_level(k): RegionLevel(v) for k, v in data.items()}
        missing = {lv for lv in ResponseLevel if lv != ResponseLevel.NONE} - set(minimum)
        if missing:
            raise ValueError(f"authority rules lack levels {sorted(m.value for m in missing)}")
        return cls(minimum)

    def required(self, current: ResponseLevel, new: ResponseLevel) -> RegionLevel:
        """The administrative level needed to go from ``current`` to ``new``: that of the
        more serious of the two (lowering or lifting Level I is the national command's)."""
        top = current if current.rank >= new.rank else new
        return self.minimum[top]


DEFAULT_AUTHORITY = AuthorityRules(
    {
        ResponseLevel.I: RegionLevel.COUNTRY,
        ResponseLevel.II: RegionLevel.PROVINCE,
        ResponseLevel.III: RegionLevel.PREFECTURE,
        ResponseLevel.IV: RegionLevel.COUNTY,
    }
)


def authority_problem(
    *,
    jurisdiction: str,
    jurisdiction_level: RegionLevel | None,
    region_code: str,
    current: ResponseLevel,
    new: ResponseLevel,
    tree: RegionTree,
    rules: AuthorityRules = DEFAULT_AUTHORITY,
) -> str | None:
    """Why a command scoped to ``jurisdiction`` may not make this change, or ``None``.

    ``jurisdiction_level`` is the administrative level of the jurisdiction region
    (``None`` for ``"*"``, which counts as the national command).
    """
    if jurisdiction != WORLD and not tree.is_within(region_code, jurisdiction):
        return f"region {region_code} is outside the jurisdiction {jurisdiction}"
    needed = rules.required(current, new)
    have = RegionLevel.COUNTRY if jurisdiction == WORLD else jurisdiction_level
    if have is None or _REGION_RANK[have] > _REGION_RANK[needed]:
        top = current if current.rank >= new.rank else new
        return (
            f"Level {top.value} needs a {needed.value}-level command or higher; "
            f"the jurisdiction {jurisdiction} is {have.value if have else 'unknown'}-level"
        )
    return None


@dataclass(frozen=True, slots=True)
class LevelChange:
    """One stored change of a region's own level."""

    region_code: str
    level: ResponseLevel
    action: Action
    effective_at: datetime
    reason: str
    authority: str
    actor: str


def own_level_at(changes: Iterable[LevelChange], at: datetime) -> dict[str, LevelChange]:
    """Each region's own latest change in effect at ``at`` (changes in any order; ties on
    ``effective_at`` go to the later item)."""
    latest: dict[str, LevelChange] = {}
    for change in changes:
        if change.effective_at > at:
            continue
        held = latest.get(change.region_code)
        if held is None or change.effective_at >= held.effective_at:
            latest[change.region_code] = change
    return latest


@dataclass(frozen=True, slots=True)
class EffectiveLevel:
    """The level in effect for a region, and where it comes from."""

    region_code: str
    level: ResponseLevel
    source_region: str | None
    own_level: ResponseLevel
    inherited: bool


def effective_level(
    region_code: str, own: Mapping[str, ResponseLevel], tree: RegionTree
) -> EffectiveLevel:
    """The highest of the region's own level and its ancestors' own levels; on a tie the
    nearest region (the region itself first) is the source."""
    mine = own.get(region_code, ResponseLevel.NONE)
    best, source = mine, region_code if mine != ResponseLevel.NONE else None
    for ancestor in tree.ancestors(region_code):
        theirs = own.get(ancestor, ResponseLevel.NONE)
        if theirs.rank > best.rank:
            best, source = theirs, ancestor
    return EffectiveLevel(region_code, best, source, mine, source not in (None, region_code))
