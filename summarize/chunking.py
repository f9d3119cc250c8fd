"""Split an article that does not fit the model's context into overlapping chunks.

Chunks are spans of the article text (`text[start:end]`), cut at paragraph
boundaries when possible, then sentences, then words, so evidence found in a
chunk maps back to the full text by adding the chunk's start.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

_SENTENCE_END = re.compile(r"(?<=[.!?\u2026])[\"'\u201d\u2019)]*\s+")


@dataclass(frozen=True)
class Chunk:
    """One piece of the article: `text[start:end]`."""

    start: int
    end: int


def _pieces(text: str, start: int, end: int, pattern: re.Pattern[str]) -> list[tuple[int, int]]:
    """Split text[start:end] after each match of PATTERN, keeping every character."""
    out, pos = [], start
    for m in pattern.finditer(text, start, end):
        if m.end() > pos:
            out.append((pos, m.end()))
            pos = m.end()
    if pos < end:
        out.append((pos, end))
    return out


def _units(text: str, budget: int, count: Callable[[str], int]) -> list[tuple[int, int]]:
    """Paragraphs, with any paragraph over BUDGET split into sentences, then words."""
    units: list[tuple[int, int]] = []
    for p in _pieces(text, 0, len(text), re.compile(r"\n+")):
        if count(text[p[0] : p[1]]) <= budget:
            units.append(p)
            continue
        for s in _pieces(text, p[0], p[1], _SENTENCE_END):
            if count(text[s[0] : s[1]]) <= budget:
                units.append(s)
                continue
            units.extend(_word_runs(text, s, budget, count))
    return units


def _word_runs(
    text: str, span: tuple[int, int], budget: int, count: Callable[[str], int]
) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    start = span[0]
    words = _pieces(text, span[0], span[1], re.compile(r"\s+"))
    for i, (_, w_end) in enumerate(words):
        if count(text[start:w_end]) > budget and words[i][0] > start:
            runs.append((start, words[i][0]))
            start = words[i][0]
    runs.append((start, span[1]))
    return runs


def split_text(text: str, budget: int, count: Callable[[str], int], overlap: int = 1) -> list[Chunk]:
    """Chunks of at most BUDGET tokens (by COUNT), sharing OVERLAP units with the previous one."""
    if budget <= 0:
        raise ValueError("chunk budget must be positive")
    units = _units(text, budget, count)
    chunks: list[Chunk] = []
    i = 0
    while i < len(units):
        j = i
        while j + 1 < len(units) and count(text[units[i][0] : units[j + 1][1]]) <= budget:
            j += 1
        chunks.append(Chunk(units[i][0], units[j][1]))
        if j + 1 >= len(units):
            break
        # Step back OVERLAP units so a quote that straddles the cut is whole in one chunk.
        i = max(j + 1 - overlap, i + 1)
    return chunks
