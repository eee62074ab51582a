"""Place names in English → region codes, for line lists that name places, not codes.

China: provinces by their English name (``Hubei`` → 420000, also Hong Kong, Macau,
Taiwan), prefectures and counties by English name *within* a province (``Wuhan City``
→ 420100, ``Baohe District, Hefei City`` → 340111). Names are compared after folding
case and dropping administrative suffixes (``City``, ``Shi``, ``District``,
``Prefecture``, ``County``, ``Forest(ry) District`` …), so ``Qianjiang City`` and
``Qianjiang``, or ``Shennongjia Forest District`` and ``Shennongjia Forestry
District``, are the same place. Autonomous prefectures are also known by their first
word (``Enshi Prefecture`` → 恩施土家族苗族自治州 422800) when that word is unique.

Countries: ISO 3166-1 names of the reference regions, the ``jhu`` aliases (JHU CSSE
country names) and a few common short forms (UAE, USA, UK).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from fangkong.core.regions import Region, RegionLevel

SUFFIXES = (
    " special administrative region",
    " autonomous prefecture",
    " autonomous region",
    " autonomous county",
    " forestry district",
    " forest district",
    " new area",
    " municipality",
    " prefecture",
    " province",
    " district",
    " county",
    " league",
    " banner",
    " city",
    " shi",
    " qu",
    " xian",
    " sheng",
)
#: Short country names seen in line lists that neither ISO nor JHU spell this way.
COUNTRY_EXTRAS = {
    "uae": "AE",
    "usa": "US",
    "u.s.": "US",
    "us": "US",
    "uk": "GB",
    "korea": "KR",
    "republic of korea": "KR",
    "mainland china": "CN",
}
#: Province-level units that line lists often give as a country (Taiwan, Hong Kong, Macau).
SEPARATE_TERRITORIES = frozenset({"710000", "810000", "820000"})
#: Conventional English names (exonyms) of places whose reference name is pinyin.
EXONYMS = {
    "harbin": "haerbin",
    "qiqihar": "qiqihaer",
    "hohhot": "huhehaote",
    "ordos": "eerduosi",
    "hulunbeir": "hulunbeier",
    "hulunbuir": "hulunbeier",
    "bayannur": "bayannaoer",
    "ulanqab": "wulanchabu",
    "xilingol": "xilinguole",
    "xilingol league": "xilinguole",
    "hinggan": "xingan",
    "hinggan league": "xingan",
    "urumqi": "wulumuqi",
    "karamay": "kelamayi",
    "turpan": "tulufan",
    "turfan": "tulufan",
    "aksu": "akesu",
    "kashgar": "kashi",
    "ili": "yili",
    "altay": "aletai",
    "lhasa": "lasa",
    "yanbain": "yanbian",
    "luliang": "lvliang",
    "lüliang": "lvliang",
    "yaan": "yaan",
}
_SPACE = re.compile(r"\s+")
_COUNTY_WORDS = (" district", " county", " banner", " qu", " xian")


def fold(name: str) -> str:
    """Case-folded name without administrative suffixes or surrounding blanks."""
    s = _SPACE.sub(" ", name.strip().lower().replace("’", "").replace("'", ""))
    s = s.replace("ü", "v")
    changed = True
    while changed:
        changed = False
        for suffix in SUFFIXES:
            if s.endswith(suffix) and len(s) > len(suffix):
                s = s[: -len(suffix)].strip()
                changed = True
    return EXONYMS.get(s, s)


class Gazetteer:
    """Resolves English place names against the reference regions."""

    def __init__(
        self, regions: Iterable[Region], aliases: Iterable[tuple[str, str, str]] = ()
    ) -> None:
        regions = list(regions)
        self.parent: dict[str, str | None] = {r.region_code: r.parent_code for r in regions}
        self.level: dict[str, RegionLevel] = {r.region_code: r.level for r in regions}
        self._name_of: dict[str, str] = {r.region_code: r.name_en for r in regions}
        self._countries: dict[str, str] = {}
        self._provinces: dict[str, str] = {}
        self._within: dict[str, dict[str, list[str]]] = {}
        for r in regions:
            if r.level is RegionLevel.COUNTRY:
                self._countries[fold(r.name_en)] = r.region_code
            elif r.level is RegionLevel.PROVINCE:
                self._provinces[fold(r.name_en)] = r.region_code
        for alias, code, scheme in aliases:
            if code not in self.parent:
                continue
            if scheme in ("jhu", "iso3166"):
                self._countries.setdefault(fold(alias.rstrip("*")), code)
            elif scheme == "jhu_china_province":
                self._provinces.setdefault(fold(alias), code)
        for short, code in COUNTRY_EXTRAS.items():
            if code in self.parent:
                self._countries.setdefault(short, code)
        for r in regions:
            if r.region_code in SEPARATE_TERRITORIES:
                self._countries.setdefault(fold(r.name_en), r.region_code)
        for r in regions:
            if r.level not in (RegionLevel.PREFECTURE, RegionLevel.COUNTY):
                continue
            province = self.province_of(r.region_code)
            if province is None:
                continue
            index = self._within.setdefault(province, {})
            names = {fold(r.name_en)}
            if "autonomous" in r.name_en.lower():
                names.add(fold(r.name_en.split()[0]))
            for name in names:
                index.setdefault(name, []).append(r.region_code)

    def province_of(self, code: str) -> str | None:
        """The province-level unit containing ``code`` (itself when it is one)."""
        seen = 0
        current: str | None = code
        while current is not None and seen < 8:
            if self.level.get(current) is RegionLevel.PROVINCE:
                return current
            current = self.parent.get(current)
            seen += 1
        return None

    def country_of(self, code: str) -> str:
        current = code
        while self.parent.get(current) is not None:
            current = self.parent[current]  # type: ignore[assignment]
        return current

    def country(self, name: str) -> str | None:
        return self._countries.get(fold(name))

    def province(self, name: str) -> str | None:
        return self._provinces.get(fold(name))

    def place(self, province: str, name: str, under: str | None = None) -> str | None:
        """A prefecture or county of ``province`` called ``name`` (prefecture-level
        first); ``under`` narrows an ambiguous county name to one prefecture."""
        folded = fold(name)
        if folded == fold(self._name_of.get(province, "")):
            return province
        candidates = self._within.get(province, {}).get(folded, [])
        if under is not None and len(candidates) > 1:
            candidates = [
                c for c in candidates if c == under or self.parent.get(c) == under
            ] or candidates
        if len(candidates) > 1:
            wants_county = name.strip().lower().endswith(_COUNTY_WORDS)
            level = RegionLevel.COUNTY if wants_county else RegionLevel.PREFECTURE
            candidates = [c for c in candidates if self.level[c] is level]
        return candidates[0] if len(candidates) == 1 else None

    def place_anywhere(self, name: str) -> str | None:
        """A province, a prefecture unique across China, or a country, by name."""
        folded = fold(name)
        if folded == "wuhan":
            return self.place("420000", "Wuhan")
        code = self._provinces.get(folded) or self._countries.get(folded)
        if code is not None:
            return code
        found = [
            c
            for index in self._within.values()
            for c in index.get(folded, [])
            if self.level[c] is RegionLevel.PREFECTURE
        ]
        return found[0] if len(found) == 1 else None

    def depth(self, code: str) -> int:
        return len(self.ancestors(code))

    def ancestors(self, code: str) -> list[str]:
        chain: list[str] = []
        current = self.parent.get(code)
        while current is not None and len(chain) < 8:
            chain.append(current)
            current = self.parent.get(current)
        return chain
