"""The bulletin reader: from a normalised text to dated, region-coded figures.

Method (rule-based reading of a controlled genre, no statistics):

1. The text is normalised (:mod:`~fangkong.core.bulletins.normalise`) and cut into
   paragraphs, sentences and clauses outside brackets (:mod:`.segment`).
2. Each *count* — digits followed by 例, 人 or 名 (``5090例``; a footnote mark ``*`` is
   allowed), or an explicit zero (``无新增死亡病例``) — is placed by the words before it in
   its clause (its *label*: 新增 / 累计 / 现有, 确诊 / 疑似 / 死亡 / 出院 / 重症 /
   密切接触者 / 无症状感染者), by the sentence's period (a 0–24 h window is a flow, a
   ``截至…24时`` sentence a stock), and by the sentence's subject (the bulletin's region,
   Hubei's block, the imported-case block, Hong Kong/Macao/Taiwan).
3. A bracket after a count is a breakdown by province (``（湖北116例，…各1例）``), a
   detail (``（其中重症病例10204例）``), a place (``（均在山东）``) or a correction
   (``（湖北省核减1043例）``).
4. Every count that no rule places leaves its sentence in ``unread``; a figure given two
   different values is dropped and flagged. Nothing is inferred: derived figures (e.g.
   local = total − imported) are not computed here.

The as-of date is the day of the 0–24 h window (or of ``截至 M月D日24时``). The year is
taken from the text, else from the caller's context (``--date`` or the file name), else
from the bulletin's dated signature; otherwise it is flagged as unknown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from fangkong.core.bulletins.normalise import DASH, normalise
from fangkong.core.bulletins.places import (
    NATIONAL,
    PLACE,
    PLACE_TEXT,
    WUHAN,
    code_of,
    region_from_filename,
)
from fangkong.core.bulletins.segment import paragraphs, paren_pairs, sentences, split_top

#: The figures of the issue's dry-run output, in order.
FIGURES: tuple[str, ...] = (
    "new_confirmed",
    "new_confirmed_imported",
    "new_confirmed_local",
    "new_deaths",
    "new_suspected",
    "new_recovered",
    "new_severe",
    "new_asymptomatic",
    "cumulative_confirmed",
    "cumulative_recovered",
    "cumulative_deaths",
    "current_confirmed",
    "current_severe",
    "current_suspected",
    "close_contacts_traced",
    "close_contacts_under_observation",
)
_STOCK_OF = {
    "new_confirmed": "cumulative_confirmed",
    "new_deaths": "cumulative_deaths",
    "new_recovered": "cumulative_recovered",
}

_MD = r"(?:(?P<y>\d{4})年)?(?P<m>\d{1,2})月(?P<d>\d{1,2})日"
WINDOW = re.compile(rf"{_MD}0(?:时)?[{DASH}](?P<h>\d{{1,2}})时")
AS_OF = re.compile(rf"截至{_MD}(?P<h>\d{{1,2}})时")
SIGNATURE = re.compile(r"^[^\d,]{0,16}(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日$")
_FILE_DATE = re.compile(r"(?<!\d)(20\d\d)[-_.]?(\d\d)[-_.]?(\d\d)(?!\d)")
_FILE_YEAR = re.compile(r"(?<!\d)(20\d\d)(?!\d)")

#: A count: digits, an optional footnote mark, a unit (cases, persons).
COUNT = re.compile(r"(?<![\d.])(\d{1,10})(\*{0,2})(例|人|名)(?!次)(\*{0,2})")
#: An explicit zero: 无新增死亡病例, 无现有疑似病例, (无重症病例), 当日无转为确诊病例.
ZERO = re.compile(r"无(?=新增|现有|死亡|重症|转为|境外输入)")
#: Counts the reader cannot read: decimals, 万, Chinese numerals (flagged, never guessed).
UNREADABLE = re.compile(r"(?:\d+\.\d+|\d+万|[零〇一二两三四五六七八九十百千万]+)(?:例|人|名)")
_CORRECTION = re.compile(r"(核减|核增)(\d+)\**例")
_FOREIGN = re.compile(r"国外通报|收到[^,:港澳台]{1,12}通报确诊")
_PLACE_ONLY = re.compile(rf"^(?:其中|均来自|均在|均为|来自|在)?(?P<p>{PLACE.pattern})(?:的)?$")


@dataclass(slots=True)
class BulletinReading:
    """What was read from one bulletin (see the module docstring)."""

    date: date | None
    region_code: str | None
    figures: dict[str, int] = field(default_factory=dict)
    breakdowns: dict[str, dict[str, int]] = field(default_factory=dict)
    imported: dict[str, int] = field(default_factory=dict)
    other: dict[str, int] = field(default_factory=dict)
    corrections: list[dict[str, Any]] = field(default_factory=list)
    unread: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    date_basis: str | None = None
    sentences_read: int = 0

    def as_dict(self) -> dict[str, Any]:
        """The dry-run JSON: ``date``, ``region_code``, the figures found, then the rest."""
        out: dict[str, Any] = {
            "date": self.date.isoformat() if self.date else None,
            "region_code": self.region_code,
        }
        out.update({k: self.figures[k] for k in FIGURES if k in self.figures})
        out["unread"] = list(self.unread)
        out["breakdowns"] = {k: dict(v) for k, v in sorted(self.breakdowns.items())}
        out["corrections"] = [dict(c) for c in self.corrections]
        out["imported"] = dict(self.imported)
        out["other"] = dict(self.other)
        out["flags"] = list(self.flags)
        out["date_basis"] = self.date_basis
        return out

    @property
    def complete(self) -> bool:
        """True when every sentence with a count was read."""
        return not self.unread


# --- date and region ------------------------------------------------------------------------


def _context_year(
    month: int, day: int, hint: date | None, year: int | None
) -> tuple[int | None, str | None]:
    if hint is not None:
        # a file named by its publication date (the next morning) may cross a year end
        best = min(
            (hint.year - 1, hint.year, hint.year + 1),
            key=lambda y: abs((_safe_date(y, month, day) or date(y, 1, 1)) - hint),
        )
        return best, "context"
    if year is not None:
        return year, "context"
    return None, None


def _safe_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _find_date(
    text: str, hint: date | None, hint_year: int | None, flags: list[str]
) -> tuple[date | None, str | None]:
    stamps: list[tuple[int | None, int, int, int]] = []
    for rx in (WINDOW, AS_OF):
        for m in rx.finditer(text):
            y = int(m["y"]) if m["y"] else None
            stamps.append((y, int(m["m"]), int(m["d"]), int(m["h"])))
    if not stamps:
        if hint is not None:
            flags.append("no 0-24时 window or 截至 date in the text: date taken from context")
            return hint, "context"
        flags.append("date unknown: no 0-24时 window or 截至 date in the text and no --date")
        return None, None
    # the as-of day is the latest one named (a bulletin may also cover the day before)
    explicit = [s for s in stamps if s[0] is not None]
    year: int | None
    basis: str | None
    if explicit:
        year, basis = max(s[0] for s in explicit if s[0] is not None), "text"
    else:
        year = None
        basis = None
    _, month, day, hour = max(stamps, key=lambda s: (s[1], s[2]))
    if explicit:
        # months named without a year belong to the explicit year unless they wrap around
        latest = max(explicit, key=lambda s: (s[1], s[2]))
        if (month, day) < (latest[1], latest[2]):
            month, day, hour = latest[1], latest[2], latest[3]
    if year is None:
        year, basis = _context_year(month, day, hint, hint_year)
    if year is None:
        for line in text.split("\n"):
            sig = SIGNATURE.match(line)
            if sig:
                published = _safe_date(int(sig["y"]), int(sig["m"]), int(sig["d"]))
                if published is not None:
                    year = (
                        published.year
                        if (month, day) <= (published.month, published.day)
                        else published.year - 1
                    )
                    basis = "signature"
    if hour != 24:
        flags.append(f"figures are as of {month}月{day}日{hour}时, not 24时")
    if year is None:
        flags.append(f"year unknown: the text says {month}月{day}日 without a year; give --date")
        return None, None
    found = _safe_date(year, month, day)
    if found is None:
        flags.append(f"no such day: {year}-{month}-{day}")
        return None, None
    if hint is not None and found != hint:
        flags.append(
            f"the text's as-of date {found.isoformat()} differs from the context's "
            f"{hint.isoformat()}; the text's is used"
        )
    return found, basis


_NATIONAL_MARKS = ("个省(", "我委收到", "国家卫生健康委收到", "国家卫生健康委员会收到")
_OWN = re.compile(
    rf"(?P<p>{PLACE.pattern})(?:卫生健康委|报告|新增|累计|全省|全市)|(?:本市|全市|我市)"
)


def _find_region(text: str, hint: str | None, flags: list[str]) -> str | None:
    found: str | None = None
    head = text[:400]
    if "武汉市卫生健康委" in text or ("我市" in text and "武汉" in text):
        found = WUHAN
    elif any(mark in head for mark in _NATIONAL_MARKS):
        found = NATIONAL
    else:
        for m in _OWN.finditer(head):
            if m["p"]:
                found = code_of(m["name"])
                if found:
                    break
    if hint and found and hint != found:
        flags.append(f"the text reads as a bulletin of {found}; the given region {hint} is used")
        return hint
    if found is None and hint is None:
        flags.append("region unknown: name it with --region")
    return hint or found


# --- sentence reading -----------------------------------------------------------------------


@dataclass(slots=True)
class _Count:
    start: int
    end: int
    value: int
    marked: bool
    zero: bool = False


@dataclass(slots=True)
class _Ctx:
    sentence: str
    subject: str  # a region code, "imported" or "hkmotw"
    period: str | None  # "flow", "stock" or None (unknown)
    topic: str | None = None  # "asym" or "contacts"
    last: str | None = None  # the figure of the last head count (for lists and variants)


_KEYWORD = re.compile(
    r"确诊|疑似|死亡|出院|治愈|重症|重型|危重|密切接触|无症状|病例|观察|转为|治疗"
)
_OTHER_TOPIC = re.compile(r"密切接触|疑似|死亡|重症")
_SEVERE_SAME = re.compile(r"重症病例(?:较|与)前一日持平")
_DAY = re.compile(r"(?<!\d)(\d{1,2})月(\d{1,2})日")
_LIST_PREFIX = ("、", "和", "及", "与", "包括", ",")
_ITEM = re.compile(rf"^(?P<names>(?:{PLACE_TEXT}[、和])*{PLACE_TEXT})(?:各)?(?:新增)?$")


class _Reader:
    """The state of one reading: values by (bucket, region, figure), corrections, unread."""

    def __init__(self, region: str | None, day: tuple[int, int] | None) -> None:
        self.region = region
        self.day = day
        self.values: dict[tuple[str, str, str], tuple[int, str]] = {}
        self.conflicts: set[tuple[str, str, str]] = set()
        self.corrections: list[dict[str, Any]] = []
        self.unread: list[str] = []
        self.flags: list[str] = []
        self.read = 0
        self.consumed: set[int] = set()

    def put(self, bucket: str, region: str | None, name: str, value: int, ctx: _Ctx) -> None:
        """Record a figure; a second, different value for it makes both unusable."""
        where = region if region is not None else "?"
        key = (bucket, where, name)
        old = self.values.get(key)
        if old is not None and old[0] != value:
            self.conflicts.add(key)
            self.flags.append(
                f"{name} of {where} given as {old[0]} and as {value}: neither is used"
            )
            for s in (old[1], ctx.sentence):
                if s not in self.unread:
                    self.unread.append(s)
            return
        self.values[key] = (value, ctx.sentence)

    # text helpers ----------------------------------------------------------------------

    @staticmethod
    def counts(s: str, a: int, b: int) -> list[_Count]:
        """Counts of ``s[a:b]`` outside brackets."""
        pairs = paren_pairs(s)
        found: list[_Count] = []
        i = a
        while i < b:
            if s[i] == "(" and i in pairs and pairs[i] < b:
                i = pairs[i] + 1
                continue
            m = COUNT.match(s, i)
            if m and m.end() <= b and (i == 0 or not s[i - 1].isdigit()):
                found.append(_Count(i, m.end(), int(m[1]), bool(m[2] or m[4])))
                i = m.end()
                continue
            if ZERO.match(s, i):
                found.append(_Count(i, i + 1, 0, False, zero=True))
            i += 1
        return found

    @staticmethod
    def flat(s: str, a: int, b: int) -> str:
        """``s[a:b]`` without its bracketed parts."""
        pairs = paren_pairs(s)
        out: list[str] = []
        i = a
        while i < b:
            if s[i] == "(" and i in pairs and pairs[i] < b:
                i = pairs[i] + 1
                continue
            out.append(s[i])
            i += 1
        return "".join(out)

    @staticmethod
    def groups(s: str, a: int, b: int) -> list[tuple[int, int]]:
        """Contents of the top-level brackets inside ``s[a:b]``."""
        pairs = paren_pairs(s)
        out: list[tuple[int, int]] = []
        i = a
        while i < b:
            if s[i] == "(" and i in pairs and pairs[i] < b:
                out.append((i + 1, pairs[i]))
                i = pairs[i] + 1
                continue
            i += 1
        return out

    # sentences ---------------------------------------------------------------------------

    def sentence(self, s: str, ctx: _Ctx) -> None:
        """Read one sentence; it is listed as unread unless every count in it was placed."""
        positions = [m.start() for m in COUNT.finditer(s)]
        zeros = [m.start() for m in ZERO.finditer(s)]
        if UNREADABLE.search(s):
            self.unread.append(s)
            self.flags.append(f"a count in words, with 万 or decimals is not read: {s[:40]}…")
            return
        if not positions and not zeros:
            return
        self.consumed = set()
        if _FOREIGN.search(s):
            self.flags.append("figures notified by other countries are outside the report")
            self.read += 1
            return
        if s.startswith(("*", "备注")) or (
            _CORRECTION.search(self.flat(s, 0, len(s))) and not WINDOW.search(s)
        ):
            self.footnote(s, ctx)
            self.read += 1
            return
        other_day = False
        for a, b in split_top(s, ",;:"):
            days = [(int(m[1]), int(m[2])) for m in _DAY.finditer(s, a, b)]
            if days and self.day is not None:
                other_day = days[-1] != self.day
            if other_day:
                continue  # figures of another day (e.g. the day before the as-of day)
            self.clause(s, a, b, ctx)
        if any(p not in self.consumed for p in positions + zeros):
            if s not in self.unread:
                self.unread.append(s)
        else:
            self.read += 1

    def footnote(self, s: str, ctx: _Ctx) -> None:
        """A correction note (``*核减1例当日解除医学观察的无症状感染者，即…为13例``)."""
        for m in _CORRECTION.finditer(s):
            after = s[m.end() : m.end() + 40]
            probe = _Ctx(s, ctx.subject, ctx.period)
            name = self.classify(after, "", probe)
            self.corrections.append(
                {
                    "region_code": self.region,
                    "field": name[0] if name else None,
                    "change": int(m[2]) * (-1 if m[1] == "核减" else 1),
                    "sentence": s,
                }
            )
        # the corrected values restated in the note (即…为13例) are part of the correction
        self.consumed.update(m.start() for m in COUNT.finditer(s))

    def clause(self, s: str, a: int, b: int, ctx: _Ctx) -> None:
        counts = self.counts(s, a, b)
        if not counts and _SEVERE_SAME.search(s, a, b):
            self.put("main", ctx.subject, "new_severe", 0, ctx)  # 重症病例与前一日持平
            return
        if not counts:
            # 均为境外输入疑似病例（上海3例，黑龙江2例）: a breakdown of the figure before
            if ctx.last is not None:
                for g in self.groups(s, a, b):
                    self.detail(s, g, ctx.last, ctx.subject, None, ctx)
            return
        prev = a
        for n, c in enumerate(counts):
            nxt = counts[n + 1].start if n + 1 < len(counts) else b
            label = self.flat(s, prev, c.start)
            tail = re.split(r"[、和]", self.flat(s, c.end, nxt), maxsplit=1)[0]
            if c.zero:
                label, tail = self.flat(s, c.end, nxt), ""
            details = self.groups(s, c.end, nxt)
            prev = c.end
            self.figure(s, c, label, tail, details, ctx)

    def figure(
        self,
        s: str,
        c: _Count,
        label: str,
        tail: str,
        details: list[tuple[int, int]],
        ctx: _Ctx,
    ) -> None:
        if c.marked:
            self.flags.append(f"{c.value} carries a footnote mark (*): see the bulletin's note")
        bare = label
        for prefix in (*_LIST_PREFIX, "其中", "另有"):
            bare = bare.removeprefix(prefix)
        place = _PLACE_ONLY.match(bare.removesuffix("各"))
        if place and ctx.last is not None and not label.startswith("其中"):
            code = code_of(place["name"])  # a list item: 香港特别行政区53例, 上海10例
            self.consumed.add(c.start)
            if code is None:
                self.flags.append(f"{place['name']} has no region code: its figure is not stored")
                return
            self.put("main", code, ctx.last, c.value, ctx)
            for g in details:
                self.detail(s, g, ctx.last, code, c.value, ctx)
            return
        variant = self.variant(ctx.last, label + tail) if ctx.last else None
        if variant is not None:
            name, sign = variant, 1
        else:
            target = self.classify(label, tail, ctx)
            if target is None:
                return
            name, sign = target
        value = c.value * sign
        bucket, region = self.where(name, ctx.subject, label + tail)
        self.put(bucket, region, name, value, ctx)
        self.consumed.add(c.start)
        if variant is None:
            ctx.last = "cumulative_confirmed" if ctx.subject == "hkmotw" else name
        elif not variant.endswith("_from_asymptomatic"):
            ctx.last = variant
        for g in details:
            self.detail(s, g, name, region, value, ctx)

    def where(self, name: str, subject: str, words: str) -> tuple[str, str | None]:
        """Bucket and region of a figure: the imported-case block, or a region's figures."""
        if subject == "imported" or ("境外输入" in words and name in _STOCKS):
            return "imported", None
        region = self.region if subject == "hkmotw" else subject
        return ("main" if name in FIGURES else "other"), region

    # details in brackets -----------------------------------------------------------------

    def detail(
        self,
        s: str,
        g: tuple[int, int],
        head: str,
        region: str | None,
        value: int | None,
        ctx: _Ctx,
    ) -> None:
        """A bracket after a figure: places, a correction, or nested figures."""
        a, b = g
        flat = self.flat(s, a, b)
        counts = self.counts(s, a, b)
        if not counts:
            m = _PLACE_ONLY.match(flat)
            if m and value is not None:
                code = code_of(m["name"])
                if code is not None and code != region:
                    self.put("main", code, head, value, ctx)  # (均来自湖北省), (在上海)
            return
        if _CORRECTION.search(flat):
            self.correction(s, a, b, flat, head, region, ctx)
            return
        bare = flat
        for prefix in (*_LIST_PREFIX, "其中"):
            bare = bare.removeprefix(prefix)
        if PLACE.match(bare):
            self.place_list(s, a, b, head, ctx)
            return
        inner = _Ctx(ctx.sentence, ctx.subject, ctx.period, ctx.topic, head)
        for x, y in split_top(s, ",;:", a, b):
            cs = self.counts(s, x, y)
            for n, c in enumerate(cs):
                label = self.flat(s, x if n == 0 else cs[n - 1].end, c.start)
                tail = self.flat(s, c.end, cs[n + 1].start if n + 1 < len(cs) else y)
                if c.zero:
                    label, tail = tail, ""
                variant = self.variant(head, label + tail)
                if variant is not None:
                    bucket = "main" if variant in FIGURES else "other"
                    self.put(bucket, region, variant, c.value, ctx)
                    self.consumed.add(c.start)
                    continue
                target = self.classify(label, tail, inner)
                if target is None:
                    continue
                name, sign = target
                bucket, where = self.where(name, ctx.subject, label + tail)
                if region is not None and bucket != "imported":
                    where = region
                self.put(bucket, where, name, c.value * sign, ctx)
                self.consumed.add(c.start)
                for sub in self.groups(s, c.end, y):
                    self.detail(s, sub, name, where, c.value, ctx)

    def correction(
        self, s: str, a: int, b: int, flat: str, head: str, region: str | None, ctx: _Ctx
    ) -> None:
        """``(湖北省核减1043例)``, ``(山西、黑龙江、河南、海南各核减1例)``: the publisher
        lowered (核减) or raised (核增) a total; kept with the sentence, never applied."""
        names = [p["name"] for p in PLACE.finditer(flat.split("核")[0])]
        codes = [code_of(n) for n in names] or [region]
        fix = _STOCK_OF.get(head, head)
        for m in _CORRECTION.finditer(flat):
            for code in codes:
                self.corrections.append(
                    {
                        "region_code": code,
                        "field": fix,
                        "change": int(m[2]) * (-1 if m[1] == "核减" else 1),
                        "sentence": ctx.sentence,
                    }
                )
        for c in self.counts(s, a, b):
            if self.flat(s, max(a, c.start - 4), c.start).endswith(("核减", "核增")):
                self.consumed.add(c.start)
        # places with their own figure inside the note: (其中：武汉新增615例，…)
        for x, y in split_top(s, ",;:", a, b):
            part = self.flat(s, x, y)
            own = re.match(rf"^(?:其中)?{PLACE.pattern}新增(?P<n>\d+)例$", part)
            if own:
                code = code_of(own["name"])
                if code is not None:
                    self.put("main", code, head, int(own["n"]), ctx)
                    self.consumed.update(c.start for c in self.counts(s, x, y))

    @staticmethod
    def variant(head: str | None, words: str) -> str | None:
        """``其中境外输入病例54例`` after ``新增确诊病例55例`` → ``new_confirmed_imported``;
        ``(境外输入6例)`` after ``新增无症状感染者9例`` → ``new_asymptomatic_imported``;
        ``含10例由无症状感染者转为确诊病例`` → ``<head>_from_asymptomatic``."""
        if head is None:
            return None
        core = words.replace("|", "").removeprefix("其中").removeprefix("含")
        core = core.removeprefix("均为").removeprefix("为").removeprefix("无")
        if "由无症状感染者转为确诊" in core:
            return f"{head.removesuffix('_from_asymptomatic')}_from_asymptomatic"
        base = re.sub(r"(_imported|_local|_from_asymptomatic)+$", "", head)
        if core.startswith("境外输入") and len(core) <= 10 and "疑似" not in core:
            return f"{base}_imported"
        if core.startswith("本土") and len(core) <= 6:
            return f"{base}_local"
        return None

    def place_list(self, s: str, a: int, b: int, head: str, ctx: _Ctx) -> None:
        """``湖北116例，黑龙江2例，安徽、河南、重庆各1例`` → one figure per place.

        A part that starts with 其中 (``其中吉林市560例、长春市554例``) details the place
        before it by city and is skipped; a place without a region code is flagged."""
        for x, y in split_top(s, ",;:", a, b):
            counts = self.counts(s, x, y)
            if not counts or self.flat(s, x, y).startswith("其中"):
                for c in counts:
                    self.consumed.add(c.start)  # city details of the place before
                continue
            prev = x
            for c in counts:
                label = self.flat(s, prev, c.start)
                prev = c.end
                for prefix in _LIST_PREFIX:
                    label = label.removeprefix(prefix)
                m = _ITEM.match(label)
                if not m:
                    break
                names = [p["name"] for p in PLACE.finditer(m["names"])]
                self.consumed.add(c.start)
                for name in names:
                    code = code_of(name)
                    if code is None:
                        self.flags.append(f"{name} has no region code: its figure is not stored")
                        continue
                    self.put("main", code, head, c.value, ctx)
                    for g in self.groups(s, c.end, y):
                        self.detail(s, g, head, code, c.value, ctx)

    # classification -------------------------------------------------------------------

    def classify(self, label: str, tail: str, ctx: _Ctx) -> tuple[str, int] | None:
        """The figure a count is, from the words before it (or, when those name nothing,
        the words after it), or ``None`` when the words do not decide it."""
        words = label if _KEYWORD.search(label) else label + "|" + tail
        if "两日" in words or "共检测出" in words:
            return None  # totals over several days, test results
        if "无症状" in words and "由无症状感染者转为确诊" not in words:
            ctx.topic = "asym"
        elif "密切接触" in words:
            ctx.topic = "contacts"
        flow = any(k in words for k in ("新增", "当日", "新确诊", "又有"))
        cumulative = "累计" in words
        current = any(
            k in words
            for k in ("现有", "尚有", "共有", "另有", "目前", "在治", "在院", "尚在", "仍在")
        )
        period = "flow" if flow else "stock" if (cumulative or current) else ctx.period
        if ctx.topic == "asym" and not _OTHER_TOPIC.search(label):
            return _asymptomatic(words)
        if "密切接触" in words or (ctx.topic == "contacts" and "观察" in words):
            return _contacts(words)
        if "诊断为疑似" in words:
            return "close_contacts_diagnosed_suspected", 1
        if "临床诊断" in words:
            return ("new_clinically_diagnosed", 1) if period == "flow" else None
        if "疑似" in words:
            if cumulative:
                return "cumulative_suspected", 1
            if flow:
                return "new_suspected", 1
            return ("current_suspected", 1) if period == "stock" else None
        if "死亡" in words:
            if cumulative or (period == "stock" and not flow):
                return "cumulative_deaths", 1
            return ("new_deaths", 1) if period == "flow" else None
        if "出院" in words or "治愈" in words:
            if cumulative or (period == "stock" and not flow):
                return "cumulative_recovered", 1
            return ("new_recovered", 1) if period == "flow" else None
        if "危重" in words:
            return ("current_critical", 1) if period == "stock" else None
        if "重症" in words or "重型" in words:
            return _severe(words, period, current, ctx.last)
        if "隔离治疗" in words or "在院治疗" in words:
            return ("current_confirmed", 1) if period == "stock" else None
        if "确诊" in words or "病例" in words:
            return _confirmed(words, period, flow, current, cumulative)
        return None


#: Figures of the imported-case block (境外输入现有确诊病例…, 累计确诊病例…).
_STOCKS = frozenset(
    {
        "cumulative_confirmed",
        "cumulative_recovered",
        "cumulative_deaths",
        "current_confirmed",
        "current_severe",
        "current_suspected",
    }
)


def _asymptomatic(words: str) -> tuple[str, int] | None:
    if "新增" in words and "无症状" in words:
        return "new_asymptomatic", 1
    if "转为确诊" in words:
        return "asymptomatic_to_confirmed", 1
    if "解除" in words:
        return "asymptomatic_released", 1
    if "尚在医学观察" in words or "现有" in words:
        return "current_asymptomatic", 1
    if "比前一日减少" in words:
        return "current_asymptomatic_change", -1
    if "比前一日增加" in words:
        return "current_asymptomatic_change", 1
    return None


def _contacts(words: str) -> tuple[str, int] | None:
    if "新增" in words and "解除" not in words:
        return "new_close_contacts", 1
    if "解除" in words:
        return "close_contacts_released", 1
    if "诊断为疑似" in words:
        return "close_contacts_diagnosed_suspected", 1
    if any(k in words for k in ("追踪", "确定", "所有")):
        return "close_contacts_traced", 1
    if "观察" in words:
        return "close_contacts_under_observation", 1
    return None


def _severe(
    words: str, period: str | None, current: bool, last: str | None
) -> tuple[str, int] | None:
    if "减少" in words:
        return "new_severe", -1
    if "增加" in words or "新增" in words:
        return "new_severe", 1
    if "持平" in words:
        return None
    if current or period == "stock":
        return "current_severe", 1
    if last == "current_confirmed" and ("其中" in words or "含" in words):
        return "current_severe", 1
    return None  # 重症病例1例 in a day's sentence: current, or new? not decided


def _confirmed(
    words: str, period: str | None, flow: bool, current: bool, cumulative: bool
) -> tuple[str, int] | None:
    if "港澳台" in words:
        return "hk_mo_tw_cumulative_confirmed", 1
    if flow or (period == "flow" and "确诊" in words):
        if "境外输入" in words:
            return "new_confirmed_imported", 1
        if "本土" in words:
            return "new_confirmed_local", 1
        return "new_confirmed", 1
    if current and not cumulative:
        return "current_confirmed", 1
    if cumulative or period == "stock":
        return "cumulative_confirmed", 1
    return None


def _subject(s: str, default: str, previous: str) -> str:
    body = WINDOW.sub("", AS_OF.sub("", s)).lstrip(",")
    if "港澳台" in s:
        return "hkmotw"
    if "个省(" in s or "截至" in s or WINDOW.search(s):
        start = body.removeprefix("据")
        if start.startswith("境外输入"):
            return "imported"
        m = re.match(rf"(?P<p>{PLACE.pattern})(?:新增|无新增)", start)
        if m and default == NATIONAL:
            return code_of(m["name"]) or default
        return default
    if body.startswith("境外输入"):
        return "imported"
    m = re.match(rf"(?P<p>{PLACE.pattern})(?:新增|无新增)", body)
    if m and default == NATIONAL:
        code = code_of(m["name"])
        if code is not None:
            return code
    if body.startswith("其中") and previous == "hkmotw":
        return "hkmotw"
    return previous


def _period(s: str, previous: str | None) -> str | None:
    if WINDOW.search(s):
        return "flow"
    if "截至" in s:
        return "stock"
    if s.startswith("当日"):
        return "flow"
    return previous


def read_bulletin(
    text: str,
    *,
    filename: str | None = None,
    as_of: date | None = None,
    year: int | None = None,
    region_code: str | None = None,
) -> BulletinReading:
    """Read one bulletin. ``as_of``/``year`` and ``filename`` supply the date's context,
    ``region_code`` overrides the region the text names. Never raises on any text."""
    flags: list[str] = []
    norm = normalise(text)
    hint = as_of
    hint_year = year
    if filename:
        fd = _FILE_DATE.search(filename)
        if hint is None and fd:
            hint = _safe_date(int(fd[1]), int(fd[2]), int(fd[3]))
        fy = _FILE_YEAR.search(filename)
        if hint is None and hint_year is None and fy:
            hint_year = int(fy[1])
    found_date, basis = _find_date(norm, hint, hint_year, flags)
    if as_of is not None and found_date != as_of:
        flags.append(f"--date {as_of.isoformat()} is used as the as-of date")
        found_date, basis = as_of, "context"
    region_hint = region_code or (region_from_filename(filename) if filename else None)
    region = _find_region(norm, region_code, flags)
    if region is None:
        region = region_hint
        if region is not None:
            flags[:] = [f for f in flags if not f.startswith("region unknown")]
            flags.append(f"region {region} taken from the file name")
    day = (found_date.month, found_date.day) if found_date else _text_day(norm)
    reader = _Reader(region, day)
    for para in paragraphs(norm):
        subject = region or "?"
        period: str | None = None
        last: str | None = None
        for s in sentences(para):
            before = subject
            subject = _subject(s, region or "?", subject)
            period = _period(s, period)
            if subject in ("imported", "hkmotw"):
                period = "stock"
            if subject != before:
                last = "cumulative_confirmed" if subject == "hkmotw" else None
            ctx = _Ctx(s, subject, period, last=last)
            reader.sentence(s, ctx)
            last = ctx.last
    reading = BulletinReading(found_date, region, date_basis=basis, sentences_read=reader.read)
    for (bucket, where, name), (value, _) in reader.values.items():
        if (bucket, where, name) in reader.conflicts:
            continue
        own = where == (region or "?")
        if bucket == "imported":
            reading.imported[name] = value
        elif own and bucket == "main":
            reading.figures[name] = value
        elif own:
            reading.other[name] = value
        elif where != "?":
            reading.breakdowns.setdefault(where, {})[name] = value
    reading.corrections = reader.corrections
    reading.unread = reader.unread
    reading.flags = flags + _dedupe(reader.flags) + _consistency(reading.figures)
    return reading


def _text_day(text: str) -> tuple[int, int] | None:
    """The as-of month and day when the year is unknown (for figures of other days)."""
    days = [(int(m["m"]), int(m["d"])) for rx in (WINDOW, AS_OF) for m in rx.finditer(text)]
    return max(days) if days else None


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _consistency(f: dict[str, int]) -> list[str]:
    """The bulletin's own identity: current = cumulative − recovered − deaths."""
    need = (
        "current_confirmed",
        "cumulative_confirmed",
        "cumulative_recovered",
        "cumulative_deaths",
    )
    if not all(k in f for k in need):
        return []
    expected = f["cumulative_confirmed"] - f["cumulative_recovered"] - f["cumulative_deaths"]
    if expected == f["current_confirmed"]:
        return []
    return [
        f"current_confirmed {f['current_confirmed']} ≠ cumulative_confirmed − recovered − "
        f"deaths = {expected}"
    ]
