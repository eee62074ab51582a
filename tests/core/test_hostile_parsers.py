"""Property tests (Hypothesis): the parsers outside the importers take any input and
either return a value or raise their documented error — never another exception.

* ``core.rules.directives.parse_priority`` and ``core.rules.response.parse_level``
  (``InvalidTransition``, a ``ValueError``);
* ``core.rules.risk.parse_ruleset`` — a rule set posted as JSON (``RuleSetError`` listing
  every problem with its path);
* ``core.epi.intervals.read_cluster_linelist`` — the Tindale et al. cluster line lists
  (``ValueError`` naming the line).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fangkong.core.epi.intervals import read_cluster_linelist
from fangkong.core.rules.directives import Priority, parse_priority
from fangkong.core.rules.response import ResponseLevel, parse_level
from fangkong.core.rules.risk import RuleSetError, parse_ruleset

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
RULESETS = Path(__file__).resolve().parents[2] / "src" / "fangkong" / "data" / "rulesets"
SHIPPED = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(RULESETS.glob("cn-*.json"))]
DELAYS = Path(__file__).resolve().parents[1] / "fixtures" / "delays"
CLUSTER_FILES = {
    "singapore": DELAYS / "tindale2020_COVID-19_Singapore_data_revised.csv",
    "tianjin": DELAYS / "tindale2020_Tianjin135cases_revised.csv",
}
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@SETTINGS
@given(
    st.one_of(st.text(max_size=12), st.sampled_from(["II", "2", " iv ", "none", "特急", "加急"]))
)
def test_names_parse_or_are_refused(text: str) -> None:
    try:
        assert isinstance(parse_level(text), ResponseLevel)
    except ValueError as exc:
        assert repr(text) in str(exc)
    try:
        assert isinstance(parse_priority(text), Priority)
    except ValueError as exc:
        assert repr(text) in str(exc)


@st.composite
def rulesets(draw: st.DrawFn) -> Any:
    """A shipped rule set with some members replaced by random JSON, or random JSON."""
    if draw(st.booleans()):
        return draw(JSON)
    data = dict(draw(st.sampled_from(SHIPPED)))
    for key in draw(st.lists(st.sampled_from(sorted(data)), max_size=4)):
        data[key] = draw(JSON)
    if draw(st.booleans()) and isinstance(data.get("rules"), list) and data["rules"]:
        rules = list(data["rules"])
        rules[0] = draw(JSON)
        data["rules"] = rules
    return data


@SETTINGS
@given(rulesets())
def test_a_rule_set_is_built_or_every_problem_is_named(data: Any) -> None:
    try:
        parse_ruleset(data)
    except RuleSetError as exc:
        assert exc.problems
        for path, reason in exc.problems:
            assert path == "" or path.startswith("/"), path
            assert reason


def test_the_shipped_rule_sets_parse() -> None:
    assert SHIPPED
    for data in SHIPPED:
        parse_ruleset(data)


CELL = st.one_of(
    st.text(max_size=10),
    st.sampled_from(["", "NA", "2020-01-19", "19/01/2020", "2020-02-30", "1, 2", "TJ1"]),
)


@SETTINGS
@given(
    st.sampled_from(sorted(CLUSTER_FILES)),
    st.lists(st.lists(CELL, max_size=14), max_size=8),
    st.booleans(),
)
def test_cluster_line_lists_take_any_rows(layout: str, rows: list[list[str]], real: bool) -> None:
    """The real header (and, when ``real``, its first rows) with any rows after it."""
    lines = CLUSTER_FILES[layout].read_text(encoding="utf-8").splitlines(keepends=True)
    out = io.StringIO()
    out.write("".join(lines[: 6 if real else 1]))
    csv.writer(out).writerows(rows)
    try:
        found, cases = read_cluster_linelist(out.getvalue())
    except ValueError as exc:
        assert str(exc).startswith("line ")
        return
    assert found == layout
    assert all(isinstance(c.case_id, str) for c in cases)
