"""Risk zoning (分区分级): daily low / medium / high classification by versioned rule sets.

A rule set is data (JSON, see ``fangkong/data/rulesets/``), not a code branch:

* ``levels`` — the level names, least serious first (``["low", "medium", "high"]``);
* ``count_fields`` — the daily figures counted as new cases (``new_confirmed``, and
  ``new_asymptomatic`` for the 2022 rules, which count every new infection);
  ``exclude_imported`` subtracts ``new_confirmed_imported`` where it is reported;
* ``window_days`` — the look-back window of the ``*_in_window`` features;
* ``presumed_cluster_min_new`` — without line-list cluster records, a day with at least
  this many new cases counts as a *presumed* cluster (0 disables the proxy);
* ``rules`` — evaluated in order, the first whose conditions hold gives the level;
  a rule has ``all`` and/or ``any`` lists of ``{"feature", "op", "value"}`` conditions
  and optional ``explain_zh``/``explain_en`` templates (``str.format`` fields: every
  feature, ``window_days``, ``last_new_date``); without templates the explanation
  lists the conditions that held;
* ``default`` — the level when no rule holds; ``strategy`` — zh/en text per level.

Features, per unit and day *t*, computed for every unit and day at once with NumPy:
``new_today``; ``cumulative`` (sum of new cases up to *t*); ``new_in_window`` (days
*t−W+1 … t*); ``days_since_last_new`` (0 when a case is reported on *t*;
:data:`NEVER` when none ever was); ``clusters_in_window`` (cluster-days with a case in
the window, from line-list ``cluster_id``); ``presumed_cluster_days_in_window``.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray

#: ``days_since_last_new`` of a unit that never had a case.
NEVER = 1_000_000

FEATURES: dict[str, tuple[str, str]] = {
    "new_today": ("当日新增", "new today"),
    "cumulative": ("累计病例", "cumulative cases"),
    "new_in_window": ("窗口期内新增", "new cases in the window"),
    "days_since_last_new": ("距最近新增天数", "days since the last new case"),
    "clusters_in_window": ("窗口期内聚集性疫情", "clusters in the window"),
    "presumed_cluster_days_in_window": (
        "窗口期内推定聚集天数",
        "presumed cluster days in the window",
    ),
}
OPS: dict[str, Callable[[Any, Any], Any]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}
COUNT_FIELDS = ("new_confirmed", "new_asymptomatic")
UNITS = ("country", "province", "prefecture", "county")


class RuleSetError(ValueError):
    """A rule set definition is invalid; ``problems`` lists (path, message) pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{p}: {m}" for p, m in problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Condition:
    feature: str
    op: str
    value: float

    def holds(self, values: Mapping[str, NDArray[np.int64]]) -> NDArray[np.bool_]:
        result: NDArray[np.bool_] = OPS[self.op](values[self.feature], self.value)
        return result

    def describe(self, values: Mapping[str, int]) -> tuple[str, str]:
        zh, en = FEATURES[self.feature]
        shown = _show(self.feature, values[self.feature])
        limit = int(self.value) if float(self.value).is_integer() else self.value
        return f"{zh} {shown} {self.op} {limit}", f"{en} {shown} {self.op} {limit}"


def _show(feature: str, value: int) -> str:
    return "∞" if feature == "days_since_last_new" and value >= NEVER else str(value)


@dataclass(frozen=True, slots=True)
class Rule:
    level: str
    all: tuple[Condition, ...] = ()
    any: tuple[Condition, ...] = ()
    explain_zh: str | None = None
    explain_en: str | None = None

    def mask(self, values: Mapping[str, NDArray[np.int64]], shape: tuple[int, int]) -> Any:
        result = np.ones(shape, dtype=bool)
        for cond in self.all:
            result &= cond.holds(values)
        if self.any:
            either = np.zeros(shape, dtype=bool)
            for cond in self.any:
                either |= cond.holds(values)
            result &= either
        return result


@dataclass(frozen=True, slots=True)
class RuleSet:
    name: str
    version: str
    unit: str
    title_zh: str
    title_en: str
    levels: tuple[str, ...]
    level_names: Mapping[str, tuple[str, str]]
    count_fields: tuple[str, ...]
    exclude_imported: bool
    window_days: int
    presumed_cluster_min_new: int
    rules: tuple[Rule, ...]
    default: str
    strategy: Mapping[str, tuple[str, str]]
    source: Mapping[str, str] = field(default_factory=dict)
    notes_en: str = ""

    @property
    def key(self) -> str:
        return f"{self.name}@{self.version}"


def _problem(problems: list[tuple[str, str]], path: str, message: str) -> None:
    problems.append((path, message))


def _conditions(raw: Any, path: str, problems: list[tuple[str, str]]) -> tuple[Condition, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        _problem(problems, path, "must be a list of conditions")
        return ()
    found: list[Condition] = []
    for i, item in enumerate(raw):
        where = f"{path}/{i}"
        if not isinstance(item, dict):
            _problem(problems, where, "must be an object with feature, op, value")
            continue
        feat, op, value = item.get("feature"), item.get("op"), item.get("value")
        if feat not in FEATURES:
            _problem(
                problems, f"{where}/feature", f"unknown feature {feat!r}; use {sorted(FEATURES)}"
            )
            continue
        if op not in OPS:
            _problem(problems, f"{where}/op", f"unknown operator {op!r}; use {sorted(OPS)}")
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            _problem(problems, f"{where}/value", "must be a number")
            continue
        found.append(Condition(str(feat), str(op), float(value)))
    return tuple(found)


def _text_pair(raw: Any, path: str, problems: list[tuple[str, str]]) -> tuple[str, str]:
    if (
        not isinstance(raw, dict)
        or not isinstance(raw.get("zh"), str)
        or not isinstance(raw.get("en"), str)
    ):
        _problem(problems, path, "must be an object with zh and en text")
        return ("", "")
    return (raw["zh"], raw["en"])


def parse_ruleset(data: Any) -> RuleSet:
    """Check a rule set definition (parsed JSON) and build it; every problem is reported
    with its JSON-pointer-like path (RFC 6901), not only the first."""
    problems: list[tuple[str, str]] = []
    if not isinstance(data, dict):
        raise RuleSetError([("", "a rule set must be a JSON object")])
    texts: dict[str, str] = {}
    for key in ("name", "version", "unit", "title_zh", "title_en", "default"):
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            _problem(problems, f"/{key}", "required text")
        else:
            texts[key] = value.strip()
    if "name" in texts and not all(c.isalnum() or c in "-_." for c in texts["name"]):
        _problem(problems, "/name", "letters, digits, '-', '_' and '.' only")
    if len(texts.get("name", "")) > 64 or len(texts.get("version", "")) > 32:
        _problem(problems, "/name", "name ≤ 64 and version ≤ 32 characters")
    if texts.get("unit") and texts["unit"] not in UNITS:
        _problem(problems, "/unit", f"unit must be one of {list(UNITS)}")
    levels = data.get("levels")
    if (
        not isinstance(levels, list)
        or not levels
        or not all(isinstance(x, str) and x for x in levels)
        or len(set(levels)) != len(levels)
    ):
        _problem(problems, "/levels", "a list of distinct level names, least serious first")
        levels = []
    level_names: dict[str, tuple[str, str]] = {}
    raw_names = data.get("level_names", {})
    for lv in levels:
        level_names[lv] = (
            _text_pair(raw_names.get(lv), f"/level_names/{lv}", problems)
            if isinstance(raw_names, dict) and lv in raw_names
            else (lv, lv)
        )
    if texts.get("default") and texts["default"] not in levels:
        _problem(problems, "/default", "must be one of the levels")
    count_fields = data.get("count_fields", ["new_confirmed"])
    if (
        not isinstance(count_fields, list)
        or not count_fields
        or any(f not in COUNT_FIELDS for f in count_fields)
    ):
        _problem(problems, "/count_fields", f"a non-empty list drawn from {list(COUNT_FIELDS)}")
        count_fields = ["new_confirmed"]
    ints: dict[str, int] = {}
    for key, default, low, high in (
        ("window_days", 14, 1, 366),
        ("presumed_cluster_min_new", 0, 0, 1_000_000),
    ):
        value = data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            _problem(problems, f"/{key}", f"an integer from {low} to {high}")
            value = default
        ints[key] = int(value)
    exclude = data.get("exclude_imported", False)
    if not isinstance(exclude, bool):
        _problem(problems, "/exclude_imported", "true or false")
        exclude = False
    rules: list[Rule] = []
    raw_rules = data.get("rules")
    if not isinstance(raw_rules, list):
        _problem(problems, "/rules", "a list of rules")
        raw_rules = []
    for i, raw in enumerate(raw_rules):
        where = f"/rules/{i}"
        if not isinstance(raw, dict):
            _problem(problems, where, "must be an object")
            continue
        if raw.get("level") not in levels:
            _problem(problems, f"{where}/level", "must be one of the levels")
            continue
        all_ = _conditions(raw.get("all"), f"{where}/all", problems)
        any_ = _conditions(raw.get("any"), f"{where}/any", problems)
        if not all_ and not any_:
            _problem(problems, where, "needs at least one condition in 'all' or 'any'")
        templates: list[str | None] = []
        for lang in ("zh", "en"):
            tpl = raw.get(f"explain_{lang}")
            if tpl is not None and (not isinstance(tpl, str) or not _template_ok(tpl)):
                _problem(problems, f"{where}/explain_{lang}", "a text with known {fields}")
                tpl = None
            templates.append(tpl)
        rules.append(Rule(str(raw["level"]), all_, any_, templates[0], templates[1]))
    strategy: dict[str, tuple[str, str]] = {}
    raw_strategy = data.get("strategy", {})
    if not isinstance(raw_strategy, dict):
        _problem(problems, "/strategy", "an object of zh/en text per level")
        raw_strategy = {}
    for lv in levels:
        if lv in raw_strategy:
            strategy[lv] = _text_pair(raw_strategy[lv], f"/strategy/{lv}", problems)
    source = data.get("source", {})
    if not isinstance(source, dict) or not all(isinstance(v, str) for v in source.values()):
        _problem(problems, "/source", "an object of text fields")
        source = {}
    if problems:
        raise RuleSetError(problems)
    return RuleSet(
        name=texts["name"],
        version=texts["version"],
        unit=texts["unit"],
        title_zh=texts["title_zh"],
        title_en=texts["title_en"],
        levels=tuple(levels),
        level_names=level_names,
        count_fields=tuple(count_fields),
        exclude_imported=bool(exclude),
        window_days=ints["window_days"],
        presumed_cluster_min_new=ints["presumed_cluster_min_new"],
        rules=tuple(rules),
        default=texts["default"],
        strategy=strategy,
        source=dict(source),
        notes_en=str(data.get("notes_en", "")),
    )


_TEMPLATE_FIELDS = {**dict.fromkeys(FEATURES, 0), "window_days": 14, "last_new_date": "-"}


def _template_ok(template: str) -> bool:
    try:
        template.format(**_TEMPLATE_FIELDS)
    except (KeyError, IndexError, ValueError):
        return False
    return True


def _rolling(values: NDArray[np.int64], window: int) -> NDArray[np.int64]:
    """Sum over days t−window+1 … t along axis 1 (fewer days at the start)."""
    cum = np.cumsum(values, axis=1)
    shifted = np.zeros_like(cum)
    if window < cum.shape[1]:
        shifted[:, window:] = cum[:, :-window]
    return cum - shifted


def features(
    new: NDArray[np.int64],
    cluster_days: NDArray[np.int64] | None,
    window_days: int,
    presumed_cluster_min_new: int,
) -> dict[str, NDArray[np.int64]]:
    """Every feature for a (units × days) array of new cases, all at once."""
    units, days = new.shape
    positive = new > 0
    index = np.broadcast_to(np.arange(days, dtype=np.int64), (units, days))
    last = np.maximum.accumulate(np.where(positive, index, -1), axis=1)
    since = np.where(last >= 0, index - last, NEVER)
    clusters = cluster_days if cluster_days is not None else np.zeros_like(new)
    presumed = (
        _rolling((new >= presumed_cluster_min_new).astype(np.int64), window_days)
        if presumed_cluster_min_new > 0
        else np.zeros_like(new)
    )
    return {
        "new_today": new,
        "cumulative": np.cumsum(new, axis=1),
        "new_in_window": _rolling(new, window_days),
        "days_since_last_new": since.astype(np.int64),
        "clusters_in_window": _rolling(clusters.astype(np.int64), window_days),
        "presumed_cluster_days_in_window": presumed,
    }


@dataclass(slots=True)
class Classification:
    """Levels of every unit on every day: ``levels[u, t]`` indexes ``ruleset.levels``;
    ``rule[u, t]`` is the index of the rule that held, −1 for the default."""

    ruleset: RuleSet
    unit_codes: list[str]
    start: date
    levels: NDArray[np.int8]
    rule: NDArray[np.int16]
    values: dict[str, NDArray[np.int64]]

    @property
    def days(self) -> int:
        return int(self.levels.shape[1])

    def day_index(self, day: date) -> int:
        return (day - self.start).days

    def level_name(self, u: int, t: int) -> str:
        return self.ruleset.levels[int(self.levels[u, t])]

    def since(self, u: int, t: int) -> date:
        """The first day of the current run of the same level (the last transition)."""
        row = self.levels[u, : t + 1]
        changes = np.flatnonzero(row != row[t])
        first = int(changes[-1]) + 1 if changes.size else 0
        return self.start + timedelta(days=first)

    def transitions(self, u: int) -> list[tuple[date, str | None, str]]:
        """(day, from, to) for the first day and every change of level."""
        row = self.levels[u]
        out: list[tuple[date, str | None, str]] = []
        if row.size:
            out.append((self.start, None, self.ruleset.levels[int(row[0])]))
        for t in np.flatnonzero(row[1:] != row[:-1]) + 1:
            out.append(
                (
                    self.start + timedelta(days=int(t)),
                    self.ruleset.levels[int(row[t - 1])],
                    self.ruleset.levels[int(row[t])],
                )
            )
        return out

    def explain(self, u: int, t: int) -> tuple[str, str]:
        """The zh and en explanation of the level of unit ``u`` on day ``t``."""
        rs = self.ruleset
        vals = {k: int(v[u, t]) for k, v in self.values.items()}
        since = vals["days_since_last_new"]
        last = (self.start + timedelta(days=t - since)).isoformat() if since < NEVER else "-"
        level = self.level_name(u, t)
        zh_name, en_name = rs.level_names.get(level, (level, level))
        index = int(self.rule[u, t])
        if index < 0:
            return (
                f"{zh_name}：不符合其他等级条件（默认）；累计 {vals['cumulative']} 例，"
                f"最近新增 {last}",
                f"{en_name}: no other level's conditions hold (default); "
                f"{vals['cumulative']} cumulative cases, last new case {last}",
            )
        rule = rs.rules[index]
        fields: dict[str, object] = {**vals, "window_days": rs.window_days, "last_new_date": last}
        fields["days_since_last_new"] = _show("days_since_last_new", since)
        if rule.explain_zh and rule.explain_en:
            return rule.explain_zh.format(**fields), rule.explain_en.format(**fields)
        held_all = [c.describe(vals) for c in rule.all]
        held_any = [c.describe(vals) for c in rule.any if bool(c.holds(self._at(u, t)))]
        parts = held_all + held_any
        return (
            f"{zh_name}：" + "，".join(p[0] for p in parts),
            f"{en_name}: " + ", ".join(p[1] for p in parts),
        )

    def _at(self, u: int, t: int) -> dict[str, NDArray[np.int64]]:
        return {k: v[u, t] for k, v in self.values.items()}


def classify(
    ruleset: RuleSet,
    unit_codes: Sequence[str],
    start: date,
    new: NDArray[np.int64],
    cluster_days: NDArray[np.int64] | None = None,
) -> Classification:
    """Classify every unit on every day of ``new`` (units × days, day 0 = ``start``;
    days without a report count as no new case)."""
    if new.ndim != 2 or new.shape[0] != len(unit_codes):
        raise ValueError("new must be a (units × days) array matching unit_codes")
    values = features(new, cluster_days, ruleset.window_days, ruleset.presumed_cluster_min_new)
    shape = (new.shape[0], new.shape[1])
    default = ruleset.levels.index(ruleset.default)
    levels = np.full(shape, default, dtype=np.int8)
    which = np.full(shape, -1, dtype=np.int16)
    decided = np.zeros(shape, dtype=bool)
    for i, rule in enumerate(ruleset.rules):
        hit = rule.mask(values, shape) & ~decided
        levels[hit] = ruleset.levels.index(rule.level)
        which[hit] = i
        decided |= hit
    return Classification(ruleset, list(unit_codes), start, levels, which, values)
