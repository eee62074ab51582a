"""Property tests (Hypothesis): every real bulletin reads the same in any of the copies
that circulate — traditional script, full-width digits and punctuation, any dash in the
0–24 h window, pinyin glosses after characters, stray blanks — in any combination.

The reader normalises these away (:mod:`fangkong.core.bulletins.normalise`); the example
tests of ``test_bulletin_reader.py`` show each variant once, these draw them at random
positions of every fixture bulletin and combine them.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import opencc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypinyin import Style, pinyin

from fangkong.core.bulletins import read_bulletin
from fangkong.core.bulletins.normalise import DASH

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "bulletins"
NAMES = sorted(p.name for p in FIXTURES.glob("*.txt"))
#: ASCII characters and their full-width forms (NFKC folds them back).
WIDE = {ord(c): ord(c) + 0xFEE0 for c in "0123456789,;:()"}
#: The dash of a 0–24 h window: ``0—24时`` or ``0时—24时``.
WINDOW_DASH = re.compile(rf"(?<=日0)(时?)[{DASH}](?=\d{{1,2}}时)")
DASHES = [d for d in DASH if d != "\\"]
BLANKS = [" ", "\u3000", "\u2002", "\t"]


@cache
def text_of(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


@cache
def reading_of(name: str) -> dict[str, Any]:
    return read_bulletin(text_of(name), filename=name).as_dict()


@cache
def to_traditional(text: str) -> str:
    return str(opencc.OpenCC("s2t").convert(text))


def gloss(char: str, wide: bool) -> str:
    """``char(zhěn)``: the character with its pinyin in brackets, as some web copies."""
    syllable = pinyin(char, style=Style.TONE)[0][0]
    return f"{char}（{syllable}）" if wide else f"{char}({syllable})"


@st.composite
def copies(draw: st.DrawFn) -> tuple[str, str]:
    """A fixture bulletin's name and a copy of its text with random variants."""
    name = draw(st.sampled_from(NAMES), label="bulletin")
    text = text_of(name)
    if draw(st.booleans(), label="traditional"):
        text = to_traditional(text)
    if draw(st.booleans(), label="full-width"):
        text = text.translate(WIDE)
    dash = draw(st.sampled_from(DASHES), label="window dash")
    text = WINDOW_DASH.sub(lambda m: m.group(1) + dash, text)
    chars = list(text)
    cjk = [i for i, c in enumerate(chars) if "\u4e00" <= c <= "\u9fff"]
    glossed = draw(st.lists(st.sampled_from(cjk), max_size=25, unique=True), label="glosses")
    wide = draw(st.booleans(), label="wide brackets")
    for i in glossed:
        chars[i] = gloss(chars[i], wide)
    spaced = draw(
        st.lists(st.tuples(st.integers(0, len(chars)), st.sampled_from(BLANKS)), max_size=25),
        label="blanks",
    )
    for i, blank in sorted(spaced, reverse=True):
        chars.insert(i, blank)
    return name, "".join(chars)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(copies())
def test_every_copy_reads_the_same(copy: tuple[str, str]) -> None:
    name, text = copy
    assert read_bulletin(text, filename=name).as_dict() == reading_of(name)


def test_the_variants_are_really_applied() -> None:
    """The window pattern finds the dash of every fixture that has a 0–24 h window, so the
    dash variants are exercised (not silently skipped)."""
    with_window = [n for n in NAMES if re.search(r"0(时)?[—–\-－～~至]\d{1,2}时", text_of(n))]
    assert with_window
    for name in with_window:
        assert WINDOW_DASH.search(text_of(name)), name
    assert gloss("诊", False) == "诊(zhěn)" and gloss("例", True) == "例（lì）"
