"""Normalising real-world copies of a bulletin before it is read.

Copies of the same bulletin differ in ways that carry no meaning:

* full-width or ASCII digits and punctuation — Unicode NFKC compatibility folding (UAX #15)
  maps ``５０９０`` to ``5090`` and ``（，；：`` to ``(,;:``;
* traditional or simplified script — converted to simplified with OpenCC's ``t2s``
  profile (the same conversion tables as Wikipedia's zh variants);
* pinyin glosses that some web copies insert after characters, ``確診(zhěn)病例`` or
  ``報(bào)告`` — a parenthesised run of lower-case Latin syllables (Hanyu Pinyin, with
  tone marks, ``ü`` or tone digits) right after a Chinese character is removed;
* white space inside the text (``密切接触者 817人``, U+2002, U+3000) — removed, lines kept;
* thousands separators (``1,102,493``) — removed;
* the dash of the 0–24 h window (—, –, -, －, ～, 至 …: :data:`DASH`) — written ``—``, so
  that every copy gives the same text (the reader's patterns accept every variant, but
  the sentences it leaves unread are shown as normalised).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ"
_SYLLABLE = rf"[a-z{_TONED}\u0300-\u036f]+[1-5]?"
#: A pinyin gloss: "(zhěn)", "(bào gào)" after a CJK character.
_GLOSS = re.compile(rf"(?<=[\u3400-\u9fff])\(\s*{_SYLLABLE}(?:\s+{_SYLLABLE}){{0,3}}\s*\)")
_SPACE = re.compile(r"[^\S\n]+")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
#: Dashes written between the hours of a time window (``0—24时``, ``0时至24时``).
DASH = "—–\\-－～~至―‐‑‒−"
_WINDOW_DASH = re.compile(rf"(?<=日0)(时?)[{DASH}](?=\d{{1,2}}时)")


@lru_cache(maxsize=1)
def _t2s() -> Any:
    import opencc  # the converter loads its dictionaries once

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional → simplified Chinese (OpenCC ``t2s``); identity on simplified text."""
    return str(_t2s().convert(text))


def strip_glosses(text: str) -> str:
    """Remove pinyin glosses in parentheses after Chinese characters."""
    return _GLOSS.sub("", text)


def normalise(text: str) -> str:
    """The text as the reader sees it: NFKC, glosses removed, simplified, spaces removed.

    Line breaks are kept (they end paragraphs); ``\\r`` line endings become ``\\n``."""
    folded = unicodedata.normalize("NFKC", text.replace("\r\n", "\n").replace("\r", "\n"))
    folded = strip_glosses(folded)
    simplified = to_simplified(folded)
    # a gloss written in full-width brackets is only recognisable after NFKC; t2s may turn
    # a traditional character before it into one the lookbehind accepts, so strip again
    simplified = strip_glosses(simplified)
    lines = (_SPACE.sub("", line) for line in simplified.split("\n"))
    joined = _THOUSANDS.sub("", "\n".join(line for line in lines if line))
    return _WINDOW_DASH.sub(r"\1—", joined)
