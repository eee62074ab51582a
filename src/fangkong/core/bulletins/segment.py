"""Splitting a normalised bulletin into paragraphs, sentences and clauses.

Sentences end at ``。`` ``!`` ``?`` and line breaks; clauses at ``,`` ``;`` and ``:``
— but only outside parentheses, because the breakdowns of the later bulletins nest
whole clause lists inside them (``本土病例1280例（吉林1122例，其中吉林市560例…；上海38例…）``).
Unbalanced brackets (a truncated copy) are treated as plain characters.
"""

from __future__ import annotations

from collections.abc import Iterator

SENTENCE_END = "。!?"
CLAUSE_SEPARATORS = ",;:"


def paren_pairs(text: str) -> dict[int, int]:
    """Positions of matching ``(``/``)`` (both directions); unmatched ones are left out."""
    pairs: dict[int, int] = {}
    stack: list[int] = []
    for i, ch in enumerate(text):
        if ch == "(":
            stack.append(i)
        elif ch == ")" and stack:
            j = stack.pop()
            pairs[j] = i
            pairs[i] = j
    return pairs


def split_top(
    text: str, separators: str, start: int = 0, end: int | None = None
) -> list[tuple[int, int]]:
    """Spans of ``text[start:end]`` separated by any of ``separators`` outside brackets."""
    stop = len(text) if end is None else end
    pairs = paren_pairs(text)
    spans: list[tuple[int, int]] = []
    i = piece = start
    while i < stop:
        ch = text[i]
        if ch == "(" and i in pairs and pairs[i] < stop:
            i = pairs[i] + 1
            continue
        if ch in separators:
            spans.append((piece, i))
            piece = i + 1
        i += 1
    spans.append((piece, stop))
    return [(a, b) for a, b in spans if b > a]


def paragraphs(text: str) -> list[str]:
    """Non-empty lines of a normalised text."""
    return [line for line in text.split("\n") if line]


def sentences(paragraph: str) -> Iterator[str]:
    """Sentences of a paragraph, without their final punctuation."""
    for a, b in split_top(paragraph, SENTENCE_END):
        sentence = paragraph[a:b]
        if sentence.strip():
            yield sentence
