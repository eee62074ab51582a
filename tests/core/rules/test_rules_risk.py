"""Risk rule sets: parsing, vectorised features, the three shipped rules."""

from __future__ import annotations

import json
from datetime import date
from importlib import resources
from typing import Any

import numpy as np
import pytest

from fangkong.core.rules import risk


def shipped(name: str) -> dict[str, Any]:
    text = resources.files("fangkong.data").joinpath(f"rulesets/{name}.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


FEB = risk.parse_ruleset(shipped("cn-2020-02-county"))
NINTH = risk.parse_ruleset(shipped("cn-2022-06-ninth-edition"))
NOV = risk.parse_ruleset(shipped("cn-2022-11-twenty-measures"))


def levels(rs: risk.RuleSet, series: list[int]) -> list[str]:
    cls = risk.classify(rs, ["X"], date(2020, 1, 1), np.array([series], dtype=np.int64))
    return [cls.level_name(0, t) for t in range(len(series))]


def test_february_2020_rule() -> None:
    assert levels(FEB, [0, 0]) == ["low", "low"]
    # 2 cases: medium for 14 days, then low on the 14th day without a new case
    series = [2] + [0] * 14
    got = levels(FEB, series)
    assert got[0] == "medium" and got[13] == "medium" and got[14] == "low"
    # 60 cases in one day: > 50 and a presumed cluster (>= 3 new) within 14 days: high
    assert levels(FEB, [60, 0])[-1] == "high"
    # > 50 cumulative made of 1-2 case days: no cluster evidence: medium
    assert levels(FEB, [2] * 30)[-1] == "medium"


def test_february_rule_uses_line_list_clusters() -> None:
    new = np.array([[2] * 30], dtype=np.int64)
    clusters = np.zeros_like(new)
    clusters[0, 25] = 1
    cls = risk.classify(FEB, ["X"], date(2020, 1, 1), new, clusters)
    assert cls.level_name(0, 29) == "high"
    zh, en = cls.explain(0, 29)
    assert "1 line-list cluster-days" in en and "聚集" in zh


def test_ninth_edition_downgrades_after_7_then_3_days() -> None:
    got = levels(NINTH, [1] + [0] * 11)
    assert got[:7] == ["high"] * 7
    assert got[7:10] == ["medium"] * 3
    assert got[10] == "low"


def test_november_2022_two_levels_after_5_days() -> None:
    got = levels(NOV, [0, 3, 0, 0, 0, 0, 0])
    assert got == ["low", "high", "high", "high", "high", "high", "low"]
    assert NOV.levels == ("low", "high")


def test_explanations_and_transitions() -> None:
    cls = risk.classify(FEB, ["X"], date(2020, 1, 1), np.array([[60] + [0] * 20]))
    zh, en = cls.explain(0, 0)
    assert en.startswith("high: 60 cumulative") and zh.startswith("高风险")
    steps = cls.transitions(0)
    assert steps[0] == (date(2020, 1, 1), None, "high")
    assert steps[-1] == (date(2020, 1, 15), "high", "low")
    assert cls.since(0, 20) == date(2020, 1, 15)


def test_never_had_a_case_is_explained() -> None:
    cls = risk.classify(FEB, ["X"], date(2020, 1, 1), np.zeros((1, 3), dtype=np.int64))
    assert "∞" in cls.explain(0, 2)[1]


def test_user_defined_rule_set_with_generated_explanation() -> None:
    rs = risk.parse_ruleset(
        {
            "name": "city-watch",
            "version": "1",
            "unit": "prefecture",
            "title_zh": "市级",
            "title_en": "city",
            "levels": ["green", "red"],
            "default": "green",
            "window_days": 7,
            "rules": [
                {"level": "red", "all": [{"feature": "new_in_window", "op": ">=", "value": 10}]}
            ],
        }
    )
    cls = risk.classify(rs, ["X"], date(2020, 1, 1), np.array([[5, 5, 0]], dtype=np.int64))
    assert [cls.level_name(0, t) for t in range(3)] == ["green", "red", "red"]
    assert cls.explain(0, 1)[1] == "red: new cases in the window 10 >= 10"
    assert "默认" in cls.explain(0, 0)[0]


def test_invalid_rule_set_reports_every_problem() -> None:
    with pytest.raises(risk.RuleSetError) as info:
        risk.parse_ruleset(
            {
                "name": "bad name!",
                "version": "1",
                "unit": "street",
                "levels": ["a"],
                "default": "b",
                "rules": [{"level": "a", "all": [{"feature": "nope", "op": ">", "value": 1}]}],
            }
        )
    paths = {p for p, _ in info.value.problems}
    assert {"/name", "/unit", "/default", "/title_zh", "/rules/0/all/0/feature"} <= paths
    with pytest.raises(risk.RuleSetError):
        risk.parse_ruleset([])


def test_vectorised_features_match_a_loop() -> None:
    rng = np.random.default_rng(5)
    new = rng.poisson(0.7, size=(6, 40)).astype(np.int64)
    f = risk.features(new, None, 14, 3)
    for u in range(6):
        for t in range(40):
            assert f["new_in_window"][u, t] == new[u, max(0, t - 13) : t + 1].sum()
            hits = [d for d in range(t + 1) if new[u, d] > 0]
            want = t - hits[-1] if hits else risk.NEVER
            assert f["days_since_last_new"][u, t] == want
