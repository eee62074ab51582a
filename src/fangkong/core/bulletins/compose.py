"""Composing a daily bulletin (Chinese and English) from one set of numbers.

The layout follows the daily bulletins of China's National Health Commission
(国家卫生健康委员会 疫情通报, e.g. ``tests/fixtures/bulletins/nhc_2020-02-13.txt`` and
``nhc_2021-08-02.txt``), paragraph by paragraph:

1. the 0–24 h window (``2月13日0—24时``): new confirmed cases, split into imported
   (境外输入) and local (本土) cases when known, each with its breakdown by province;
   new deaths (by province); new suspected cases;
2. the same day: new recoveries (治愈出院), close contacts released from medical
   observation, the change in severe cases (``重症病例较前一日增加/减少 N 例`` or
   ``与前一日持平``);
3. the imported-case block (境外输入现有确诊病例 …, 累计确诊病例 …);
4. the cut-off (``截至2月13日24时``): current confirmed (of which severe), cumulative
   recovered, deaths and confirmed cases, current suspected cases; close contacts traced
   and still under medical observation;
5. asymptomatic infections;
6. cases notified by Hong Kong, Macao and Taiwan (national bulletins only).

Both texts are rendered from the same :class:`BulletinFigures`; a figure that is not
reported is *omitted* from the sentences and listed in a closing note ("not reported"),
never written as 0 — an explicit zero (``无新增死亡病例``) is written only for a
reported 0. Chinese numbers are plain digits as in the official texts; English numbers
use the CLDR ``en`` grouping (``63,851``). The Chinese text is read back by
:func:`fangkong.core.bulletins.reader.read_bulletin` to the same figures (tested).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from fangkong.core.bulletins.reader import FIGURES

#: Region code of the nation, as in the reader (:data:`~.places.NATIONAL`).
NATION = "CN"
#: Hong Kong, Macao and Taiwan, in the order of the national bulletins.
HK_MO_TW: tuple[str, ...] = ("810000", "820000", "710000")
_HKMOTW_ZH = {"810000": "香港特别行政区", "820000": "澳门特别行政区", "710000": "台湾地区"}
_HKMOTW_EN = {
    "810000": "the Hong Kong SAR",
    "820000": "the Macao SAR",
    "710000": "Taiwan",
}
#: Who reports to a national bulletin (the 31 mainland provinces and the XPCC).
_NATION_ZH = "31个省（自治区、直辖市）和新疆生产建设兵团"
_NATION_EN = (
    "31 provincial-level regions on the Chinese mainland and the Xinjiang Production "
    "and Construction Corps"
)

#: Figures of the imported-case block.
IMPORTED_FIGURES: tuple[str, ...] = (
    "current_confirmed",
    "current_severe",
    "current_suspected",
    "cumulative_confirmed",
    "cumulative_recovered",
    "cumulative_deaths",
)
#: Names of the figures in the "not reported" note.
LABELS: dict[str, tuple[str, str]] = {
    "new_confirmed": ("新增确诊病例", "new confirmed cases"),
    "new_confirmed_imported": ("新增境外输入病例", "new imported cases"),
    "new_confirmed_local": ("新增本土病例", "new local cases"),
    "new_deaths": ("新增死亡病例", "new deaths"),
    "new_suspected": ("新增疑似病例", "new suspected cases"),
    "new_recovered": ("新增治愈出院病例", "new recoveries"),
    "new_severe": ("重症病例变化", "change in severe cases"),
    "new_asymptomatic": ("新增无症状感染者", "new asymptomatic infections"),
    "cumulative_confirmed": ("累计确诊病例", "cumulative confirmed cases"),
    "cumulative_recovered": ("累计治愈出院病例", "cumulative recoveries"),
    "cumulative_deaths": ("累计死亡病例", "cumulative deaths"),
    "current_confirmed": ("现有确诊病例", "current confirmed cases"),
    "current_severe": ("现有重症病例", "current severe cases"),
    "current_suspected": ("现有疑似病例", "current suspected cases"),
    "close_contacts_traced": ("累计追踪到密切接触者", "close contacts traced"),
    "close_contacts_under_observation": (
        "尚在医学观察的密切接触者",
        "close contacts under medical observation",
    ),
}
_MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


@dataclass(slots=True)
class Place:
    """A region named in a bulletin: code, Chinese (short) name, English name."""

    region_code: str
    name_zh: str
    name_en: str


@dataclass(slots=True)
class BulletinFigures:
    """The one set of numbers both texts are rendered from.

    ``figures`` holds the bulletin region's own figures (keys of :data:`FIGURES`; a
    missing key is *not reported*). ``breakdowns`` maps a sub-region's code to its
    figures (the by-province lists); ``places`` names every code used. ``imported``
    is the imported-case block (keys of :data:`IMPORTED_FIGURES`), ``asymptomatic``
    the asymptomatic block (``new_imported``, ``new_local``, ``under_observation``),
    ``hk_mo_tw`` the figures notified by Hong Kong, Macao and Taiwan (national
    bulletins), ``corrections`` the cumulative figures a region revised downwards
    (``region_code``, ``field``, ``change`` < 0, ``reason``)."""

    region_code: str
    report_date: date
    place: Place
    figures: dict[str, int] = field(default_factory=dict)
    breakdowns: dict[str, dict[str, int]] = field(default_factory=dict)
    places: dict[str, Place] = field(default_factory=dict)
    imported: dict[str, int] = field(default_factory=dict)
    asymptomatic: dict[str, int] = field(default_factory=dict)
    hk_mo_tw: dict[str, dict[str, int]] = field(default_factory=dict)
    corrections: list[dict[str, Any]] = field(default_factory=list)
    source: str | None = None

    @property
    def national(self) -> bool:
        return self.region_code == NATION

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (stored with each version, returned by the API)."""
        return {
            "region_code": self.region_code,
            "report_date": self.report_date.isoformat(),
            "place": _place_dict(self.place),
            "figures": {k: self.figures[k] for k in FIGURES if k in self.figures},
            "breakdowns": {k: dict(v) for k, v in sorted(self.breakdowns.items())},
            "places": {k: _place_dict(p) for k, p in sorted(self.places.items())},
            "imported": dict(self.imported),
            "asymptomatic": dict(self.asymptomatic),
            "hk_mo_tw": {k: dict(v) for k, v in sorted(self.hk_mo_tw.items())},
            "corrections": [dict(c) for c in self.corrections],
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BulletinFigures:
        """The inverse of :meth:`as_dict`."""
        return cls(
            region_code=str(data["region_code"]),
            report_date=date.fromisoformat(str(data["report_date"])),
            place=Place(**data["place"]),
            figures={k: int(v) for k, v in data.get("figures", {}).items()},
            breakdowns={
                k: {f: int(v) for f, v in fs.items()}
                for k, fs in data.get("breakdowns", {}).items()
            },
            places={k: Place(**p) for k, p in data.get("places", {}).items()},
            imported={k: int(v) for k, v in data.get("imported", {}).items()},
            asymptomatic={k: int(v) for k, v in data.get("asymptomatic", {}).items()},
            hk_mo_tw={
                k: {f: int(v) for f, v in fs.items()} for k, fs in data.get("hk_mo_tw", {}).items()
            },
            corrections=[dict(c) for c in data.get("corrections", [])],
            source=data.get("source"),
        )

    def not_reported(self) -> list[str]:
        """The figures of :data:`FIGURES` this bulletin does not report."""
        return [k for k in FIGURES if k not in self.figures]


def _place_dict(p: Place) -> dict[str, str]:
    return {"region_code": p.region_code, "name_zh": p.name_zh, "name_en": p.name_en}


@dataclass(frozen=True, slots=True)
class ComposedBulletin:
    """Both texts of one bulletin (paragraphs joined by newlines)."""

    text_zh: str
    text_en: str


def compose(b: BulletinFigures) -> ComposedBulletin:
    """The Chinese and English texts of ``b`` (see the module docstring)."""
    return ComposedBulletin(_Zh(b).text(), _En(b).text())


# --- helpers --------------------------------------------------------------------------------


def _ranked(b: BulletinFigures, name: str) -> list[tuple[str, int]]:
    """Sub-regions with a positive ``name``, largest first (ties by code), as the
    official lists are ordered."""
    found = [(c, f[name]) for c, f in b.breakdowns.items() if f.get(name, 0) > 0]
    return sorted(found, key=lambda cv: (-cv[1], cv[0]))


def _runs(items: list[tuple[str, int]]) -> list[tuple[list[str], int]]:
    """Consecutive sub-regions sharing one count (``安徽、河南、重庆各1例``)."""
    runs: list[tuple[list[str], int]] = []
    for code, value in items:
        if runs and runs[-1][1] == value:
            runs[-1][0].append(code)
        else:
            runs.append(([code], value))
    return runs


# --- Chinese ---------------------------------------------------------------------------------


def _negative_zh(label: str, value: int) -> str:
    """A day's net downward correction (a negative daily figure), said as such rather
    than as a count: the reader leaves it unread instead of misreading it as positive."""
    return f"{label}为负数（订正核减{-value}例）"


class _Zh:
    def __init__(self, b: BulletinFigures) -> None:
        self.b = b
        self.f = b.figures
        self.md = f"{b.report_date.month}月{b.report_date.day}日"
        self.who = _NATION_ZH if b.national else b.place.name_zh

    def name(self, code: str) -> str:
        place = self.b.place if code == self.b.region_code else self.b.places.get(code)
        return place.name_zh if place else code

    def breakdown(self, name: str) -> str:
        items = _ranked(self.b, name)
        if not items:
            return ""
        parts = []
        for codes, value in _runs(items):
            if len(codes) == 1:
                parts.append(f"{self.name(codes[0])}{value}例")
            else:
                parts.append("、".join(self.name(c) for c in codes) + f"各{value}例")
        return "（" + "，".join(parts) + "）"

    def count(self, key: str, label: str, unit: str = "例", *, detail: str = "") -> str | None:
        """``新增死亡病例121例（…）``, ``无新增死亡病例`` for 0, None when not reported."""
        value = self.f.get(key)
        if value is None:
            return None
        if value == 0:
            return f"无{label}"
        if value < 0:
            return _negative_zh(label, value)
        return f"{label}{value}{unit}{detail}"

    def text(self) -> str:
        paras = [
            self.window(),
            self.same_day(),
            self.imported_block(),
            self.cut_off(),
            self.asymptomatic(),
            self.hk_mo_tw(),
            self.note(),
        ]
        return "\n".join(p for p in paras if p)

    def window(self) -> str:
        f = self.f
        head = f"{self.md}0—24时，{self.who}报告"
        clauses: list[str] = []
        total = f.get("new_confirmed")
        if total is not None:
            if total == 0:
                first = "无新增确诊病例"
                head = f"{self.md}0—24时，{self.who}"
            elif total < 0:
                first = _negative_zh("新增确诊病例", total)
            else:
                first = f"新增确诊病例{total}例"
                imp, loc = f.get("new_confirmed_imported"), f.get("new_confirmed_local")
                if imp is None or loc is None:
                    first += self.breakdown("new_confirmed")
                split: list[str] = []
                for label, part, key in (
                    ("境外输入病例", imp, "new_confirmed_imported"),
                    ("本土病例", loc, "new_confirmed_local"),
                ):
                    if part is None:
                        continue
                    if part > 0:
                        split.append(f"{label}{part}例{self.breakdown(key)}")
                    elif part == 0:
                        split.append(f"无{label}")
                    else:
                        split.append(_negative_zh(label, part))
                if split:
                    first += "，其中" + "，".join(split)
            clauses.append(first)
        deaths = self.count("new_deaths", "新增死亡病例", detail=self.breakdown("new_deaths"))
        suspected = self.count(
            "new_suspected", "新增疑似病例", detail=self.breakdown("new_suspected")
        )
        rest = [c for c in (deaths, suspected) if c]
        if not clauses and not rest:
            return ""
        if not clauses:
            head = f"{self.md}0—24时，{self.who}"
        return head + "；".join(clauses + rest) + "。"

    def same_day(self) -> str:
        parts: list[str] = []
        rec = self.count(
            "new_recovered", "新增治愈出院病例", detail=self.breakdown("new_recovered")
        )
        if rec:
            parts.append(rec if rec.startswith("无") else "当日" + rec)
        severe = self.f.get("new_severe")
        if severe is not None:
            if severe > 0:
                parts.append(f"重症病例较前一日增加{severe}例")
            elif severe < 0:
                parts.append(f"重症病例较前一日减少{-severe}例")
            else:
                parts.append("重症病例与前一日持平")
        if not parts:
            return ""
        if parts[0].startswith("无") or parts[0].startswith("重症"):
            parts[0] = "当日" + parts[0]
        return "，".join(parts) + "。"

    def imported_block(self) -> str:
        i = self.b.imported
        if not i:
            return ""
        stock: list[str] = []
        if "current_confirmed" in i:
            sev = i.get("current_severe")
            stock.append(
                f"境外输入现有确诊病例{i['current_confirmed']}例"
                + (f"（其中重症病例{sev}例）" if sev is not None else "")
            )
        if "current_suspected" in i:
            v = i["current_suspected"]
            stock.append(f"现有疑似病例{v}例" if v else "无现有疑似病例")
        cum: list[str] = []
        for key, label in (
            ("cumulative_confirmed", "累计确诊病例"),
            ("cumulative_recovered", "累计治愈出院病例"),
            ("cumulative_deaths", "累计死亡病例"),
        ):
            if key in i:
                v = i[key]
                cum.append(f"{label}{v}例" if v or key != "cumulative_deaths" else "无死亡病例")
        out = ""
        if stock:
            out += "，".join(stock) + "。"
        if cum:
            out += ("境外输入" if not stock else "") + "，".join(cum) + "。"
        return out

    def corrected(self, field_name: str) -> str:
        notes = [c for c in self.b.corrections if c.get("field") == field_name]
        if not notes:
            return ""
        parts = []
        for c in notes:
            change = int(c["change"])
            word = "核减" if change < 0 else "核增"
            parts.append(f"{self.name(str(c['region_code']))}{word}{abs(change)}例")
        return "（" + "，".join(parts) + "）"

    def cut_off(self) -> str:
        f = self.f
        who = f"据{_NATION_ZH}报告，" if self.b.national else f"{self.b.place.name_zh}"
        parts: list[str] = []
        if "current_confirmed" in f:
            sev = f.get("current_severe")
            parts.append(
                f"现有确诊病例{f['current_confirmed']}例"
                + (f"（其中重症病例{sev}例）" if sev is not None else "")
            )
        elif "current_severe" in f:
            parts.append(f"现有重症病例{f['current_severe']}例")
        for key, label in (
            ("cumulative_recovered", "累计治愈出院病例"),
            ("cumulative_deaths", "累计死亡病例"),
            ("cumulative_confirmed", "累计报告确诊病例"),
        ):
            if key in f:
                parts.append(f"{label}{f[key]}例{self.corrected(key)}")
        if "current_suspected" in f:
            v = f["current_suspected"]
            parts.append(f"现有疑似病例{v}例" if v else "无现有疑似病例")
        out = ""
        if parts:
            out = f"截至{self.md}24时，{who}" + "，".join(parts) + "。"
        contacts = []
        if "close_contacts_traced" in f:
            contacts.append(f"累计追踪到密切接触者{f['close_contacts_traced']}人")
        if "close_contacts_under_observation" in f:
            contacts.append(f"尚在医学观察的密切接触者{f['close_contacts_under_observation']}人")
        if contacts:
            if not out:
                out = f"截至{self.md}24时，{who}"
            out += "，".join(contacts) + "。"
        return out

    def asymptomatic(self) -> str:
        total = self.f.get("new_asymptomatic")
        a = self.b.asymptomatic
        if total is None and not a:
            return ""
        parts: list[str] = []
        if total is not None:
            if total == 0:
                parts.append(f"{self.who}无新增无症状感染者")
            else:
                head = f"{self.who}报告新增无症状感染者{total}例"
                split = []
                if "new_imported" in a:
                    split.append(f"境外输入{a['new_imported']}例")
                if "new_local" in a:
                    split.append(f"本土{a['new_local']}例")
                if split:
                    head += "，其中" + "，".join(split)
                parts.append(head)
        if "under_observation" in a:
            parts.append(f"尚在医学观察的无症状感染者{a['under_observation']}例")
        return "；".join(parts) + "。"

    def hk_mo_tw(self) -> str:
        h = self.b.hk_mo_tw
        if not self.b.national or not h:
            return ""
        codes = [c for c in HK_MO_TW if "cumulative_confirmed" in h.get(c, {})]
        if not codes:
            return ""
        total = sum(h[c]["cumulative_confirmed"] for c in codes)
        items = []
        for c in codes:
            v = h[c]
            extra = []
            if v.get("cumulative_recovered"):
                extra.append(f"出院{v['cumulative_recovered']}例")
            if v.get("cumulative_deaths"):
                extra.append(f"死亡{v['cumulative_deaths']}例")
            items.append(
                f"{_HKMOTW_ZH[c]}{v['cumulative_confirmed']}例"
                + ("（" + "，".join(extra) + "）" if extra else "")
            )
        return f"累计收到港澳台地区通报确诊病例{total}例：" + "，".join(items) + "。"

    def note(self) -> str:
        missing = self.b.not_reported()
        if not missing:
            return ""
        return "（注：本通报未包含以下数据：" + "、".join(LABELS[k][0] for k in missing) + "。）"


# --- English ---------------------------------------------------------------------------------


def _n(value: int) -> str:
    return f"{value:,}"


def _cases(value: int, singular: str = "case", plural: str = "cases") -> str:
    return f"{_n(value)} {singular if value == 1 else plural}"


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


class _En:
    def __init__(self, b: BulletinFigures) -> None:
        self.b = b
        self.f = b.figures
        d = b.report_date
        self.day = f"{d.day} {_MONTHS_EN[d.month - 1]} {d.year}"
        self.who = _NATION_EN if b.national else b.place.name_en

    def name(self, code: str) -> str:
        place = self.b.place if code == self.b.region_code else self.b.places.get(code)
        return place.name_en if place else code

    def breakdown(self, name: str) -> str:
        items = _ranked(self.b, name)
        if not items:
            return ""
        parts = []
        for codes, value in _runs(items):
            if len(codes) == 1:
                parts.append(f"{_n(value)} in {self.name(codes[0])}")
            else:
                parts.append(f"{_n(value)} each in " + _join([self.name(c) for c in codes]))
        return " (" + ", ".join(parts) + ")"

    def text(self) -> str:
        paras = [
            self.window(),
            self.same_day(),
            self.imported_block(),
            self.cut_off(),
            self.asymptomatic(),
            self.hk_mo_tw(),
            self.note(),
        ]
        return "\n".join(p for p in paras if p)

    def window(self) -> str:
        f = self.f
        clauses: list[str] = []
        total = f.get("new_confirmed")
        if total is not None:
            first = (
                f"{_cases(total, 'new confirmed case', 'new confirmed cases')}"
                if total > 0
                else "no new confirmed cases"
                if total == 0
                else f"a net downward correction of {_n(-total)} confirmed cases"
            )
            if total > 0:
                imp, loc = f.get("new_confirmed_imported"), f.get("new_confirmed_local")
                if imp is None or loc is None:
                    first += self.breakdown("new_confirmed")
                split = []
                if imp is not None:
                    split.append(f"{_n(imp)} imported{self.breakdown('new_confirmed_imported')}")
                if loc is not None:
                    split.append(f"{_n(loc)} local{self.breakdown('new_confirmed_local')}")
                if split:
                    first += ", of which " + " and ".join(split)
            clauses.append(first)
        if "new_deaths" in f:
            v = f["new_deaths"]
            clauses.append(
                f"{_cases(v, 'new death', 'new deaths')}{self.breakdown('new_deaths')}"
                if v > 0
                else "no new deaths"
                if v == 0
                else f"a net downward correction of {_n(-v)} deaths"
            )
        if "new_suspected" in f:
            v = f["new_suspected"]
            clauses.append(
                f"{_cases(v, 'new suspected case', 'new suspected cases')}"
                f"{self.breakdown('new_suspected')}"
                if v > 0
                else "no new suspected cases"
                if v == 0
                else f"a net downward correction of {_n(-v)} suspected cases"
            )
        if not clauses:
            return ""
        return f"From 0:00 to 24:00 on {self.day}, {self.who} reported " + "; ".join(clauses) + "."

    def same_day(self) -> str:
        parts: list[str] = []
        if "new_recovered" in self.f:
            v = self.f["new_recovered"]
            parts.append(
                f"{_n(v)} {'patient was' if v == 1 else 'patients were'} discharged from "
                f"hospital after recovery{self.breakdown('new_recovered')}"
                if v > 0
                else "no patients were discharged from hospital"
                if v == 0
                else f"recoveries were corrected down by {_n(-v)}"
            )
        severe = self.f.get("new_severe")
        if severe is not None:
            if severe > 0:
                parts.append(f"severe cases increased by {_n(severe)} from the previous day")
            elif severe < 0:
                parts.append(f"severe cases decreased by {_n(-severe)} from the previous day")
            else:
                parts.append("severe cases were unchanged from the previous day")
        if not parts:
            return ""
        text = "On the same day, " + _join(parts) + "."
        return text

    def imported_block(self) -> str:
        i = self.b.imported
        if not i:
            return ""
        parts = []
        if "current_confirmed" in i:
            sev = i.get("current_severe")
            parts.append(
                f"{_n(i['current_confirmed'])} current confirmed"
                + (f" (including {_n(sev)} severe)" if sev is not None else "")
            )
        if "current_suspected" in i:
            parts.append(f"{_n(i['current_suspected'])} current suspected")
        for key, label in (
            ("cumulative_confirmed", "cumulative confirmed"),
            ("cumulative_recovered", "cumulative recovered"),
            ("cumulative_deaths", "cumulative deaths"),
        ):
            if key in i:
                parts.append(f"{_n(i[key])} {label}")
        return "Imported cases: " + "; ".join(parts) + "."

    def corrected(self, field_name: str) -> str:
        notes = [c for c in self.b.corrections if c.get("field") == field_name]
        if not notes:
            return ""
        parts = []
        for c in notes:
            change = int(c["change"])
            word = "revised down by" if change < 0 else "revised up by"
            parts.append(f"{self.name(str(c['region_code']))} {word} {_n(abs(change))}")
        return " (" + ", ".join(parts) + ")"

    def cut_off(self) -> str:
        f = self.f
        parts = []
        if "current_confirmed" in f:
            sev = f.get("current_severe")
            parts.append(
                f"{_n(f['current_confirmed'])} current confirmed cases"
                + (f" (including {_n(sev)} severe cases)" if sev is not None else "")
            )
        elif "current_severe" in f:
            parts.append(f"{_n(f['current_severe'])} current severe cases")
        for key, label in (
            ("cumulative_recovered", "patients discharged after recovery in total"),
            ("cumulative_deaths", "deaths in total"),
            ("cumulative_confirmed", "confirmed cases reported in total"),
        ):
            if key in f:
                parts.append(f"{_n(f[key])} {label}{self.corrected(key)}")
        if "current_suspected" in f:
            parts.append(f"{_n(f['current_suspected'])} current suspected cases")
        if "close_contacts_traced" in f:
            parts.append(f"{_n(f['close_contacts_traced'])} close contacts traced in total")
        if "close_contacts_under_observation" in f:
            parts.append(
                f"{_n(f['close_contacts_under_observation'])} close contacts still under "
                "medical observation"
            )
        if not parts:
            return ""
        lead = f"As of 24:00 on {self.day}, " + (
            f"according to reports from {_NATION_EN}, there were "
            if self.b.national
            else f"{self.who} had "
        )
        return lead + "; ".join(parts) + "."

    def asymptomatic(self) -> str:
        total = self.f.get("new_asymptomatic")
        a = self.b.asymptomatic
        if total is None and not a:
            return ""
        parts = []
        if total is not None:
            head = f"{self.who} reported {_n(total)} new asymptomatic infections"
            split = []
            if "new_imported" in a:
                split.append(f"{_n(a['new_imported'])} imported")
            if "new_local" in a:
                split.append(f"{_n(a['new_local'])} local")
            if split:
                head += " (" + ", ".join(split) + ")"
            parts.append(head)
        if "under_observation" in a:
            parts.append(
                f"{_n(a['under_observation'])} asymptomatic infections were under medical "
                "observation"
            )
        return "; ".join(parts) + "."

    def hk_mo_tw(self) -> str:
        h = self.b.hk_mo_tw
        if not self.b.national or not h:
            return ""
        codes = [c for c in HK_MO_TW if "cumulative_confirmed" in h.get(c, {})]
        if not codes:
            return ""
        total = sum(h[c]["cumulative_confirmed"] for c in codes)
        items = []
        for c in codes:
            v = h[c]
            extra = []
            if v.get("cumulative_recovered"):
                extra.append(f"{_n(v['cumulative_recovered'])} discharged")
            if v.get("cumulative_deaths"):
                extra.append(_cases(v["cumulative_deaths"], "death", "deaths"))
            items.append(
                f"{_n(v['cumulative_confirmed'])} in {_HKMOTW_EN[c]}"
                + (" (" + ", ".join(extra) + ")" if extra else "")
            )
        return (
            f"A total of {_cases(total, 'confirmed case', 'confirmed cases')} had been "
            "notified by Hong Kong, Macao and Taiwan: " + _join(items) + "."
        )

    def note(self) -> str:
        missing = self.b.not_reported()
        if not missing:
            return ""
        return "(Not reported in this bulletin: " + ", ".join(LABELS[k][1] for k in missing) + ".)"
