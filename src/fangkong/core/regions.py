"""Regions: the administrative units that report (GB/T 2260 in China, ISO 3166-1 abroad).

China's divisions follow GB/T 2260 six-digit codes (``420000`` Hubei, ``420100`` Wuhan,
``420102`` Jiang'an District). Countries use ISO 3166-1 alpha-2 codes (``US``); China
itself is ``CN`` and is the parent of the 34 provincial units.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum


class RegionLevel(StrEnum):
    """Administrative level, from the top down."""

    COUNTRY = "country"
    PROVINCE = "province"
    PREFECTURE = "prefecture"
    COUNTY = "county"


@dataclass(frozen=True, slots=True)
class Region:
    """One administrative unit. ``population`` is residents (census), or ``None``."""

    region_code: str
    level: RegionLevel
    parent_code: str | None
    name_zh: str
    name_en: str
    population: int | None = None


class RegionTree:
    """Parent links of all regions, for jurisdiction checks and sub-tree queries."""

    def __init__(self, parents: Mapping[str, str | None]) -> None:
        self._parent = dict(parents)

    @classmethod
    def from_regions(cls, regions: Iterable[Region]) -> RegionTree:
        return cls({r.region_code: r.parent_code for r in regions})

    def __contains__(self, region_code: object) -> bool:
        return region_code in self._parent

    def ancestors(self, region_code: str) -> list[str]:
        """The chain of parents of ``region_code``, nearest first (not including itself)."""
        chain: list[str] = []
        seen = {region_code}
        parent = self._parent.get(region_code)
        while parent is not None and parent not in seen:
            chain.append(parent)
            seen.add(parent)
            parent = self._parent.get(parent)
        return chain

    def is_within(self, region_code: str, ancestor_code: str) -> bool:
        """True when ``region_code`` is ``ancestor_code`` or lies below it."""
        return region_code == ancestor_code or ancestor_code in self.ancestors(region_code)
