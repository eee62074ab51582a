"""Property tests (Hypothesis): the reader never raises and never invents a figure.

Inputs: random Unicode, real bulletins cut at random points, and real bulletins with
their sentences shuffled. "No guessing" means every number in the output is a number
written in the (normalised) text; a zero may also come from words (无新增…, 持平)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from fangkong.core.bulletins import read_bulletin
from fangkong.core.bulletins.normalise import normalise

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "bulletins"
TEXTS = [p.read_text(encoding="utf-8") for p in sorted(FIXTURES.glob("*.txt"))]


def numbers_in(value: Any) -> list[int]:
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        return [value]
    if isinstance(value, dict):
        return [n for k, v in value.items() if k not in ("date", "sentence") for n in numbers_in(v)]
    if isinstance(value, list):
        return [n for v in value for n in numbers_in(v)]
    return []


def check_no_invented_figure(text: str) -> None:
    out = read_bulletin(text).as_dict()
    written = {int(n) for n in re.findall(r"\d+", normalise(text))}
    for key in ("unread", "flags"):
        assert all(isinstance(s, str) for s in out[key])
    for number in numbers_in({k: v for k, v in out.items() if k not in ("unread", "flags")}):
        assert abs(number) in written or number == 0, (number, text[:200])


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_random_unicode(text: str) -> None:
    check_no_invented_figure(text)


ALPHABET = st.sampled_from(
    list(
        "0123456789０１２３例人名无新增累计现有确诊疑似死亡出院重症湖北武汉上海各、，。；（）()*—-至时月日年截至24"
    )
)


@settings(max_examples=300, deadline=None)
@given(st.lists(ALPHABET, max_size=120).map("".join))
def test_bulletin_like_noise(text: str) -> None:
    check_no_invented_figure(text)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(TEXTS), st.floats(0, 1), st.floats(0, 1))
def test_truncated_bulletins(text: str, a: float, b: float) -> None:
    start, end = sorted((int(a * len(text)), int(b * len(text))))
    check_no_invented_figure(text[start:end])


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(TEXTS), st.randoms(use_true_random=False))
def test_shuffled_sentences(text: str, rnd: Any) -> None:
    parts = re.split(r"(?<=[。\n；])", text)
    rnd.shuffle(parts)
    check_no_invented_figure("".join(parts))
