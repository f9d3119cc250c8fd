"""Split an article that does not fit the model's context into overlapping chunks.

Chunks are spans of the article text (`text[start:end]`), cut at paragraph
boundaries when possible, then sentences, then words, so evidence found in a
chunk maps back to the full text by adding the chunk's start.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from summarize.draft.budget import MIN_CHUNK_TOKENS
from summarize.errors import ContextLengthError
from summarize.text import sentence_ends

log = logging.getLogger(__name__)

CONTEXT_MARGIN = 64
"""Tokens kept free besides the prompt and the answer (chat-template markers, estimate error)."""


@dataclass(frozen=True)
class Chunk:
    """One piece of the article: `text[start:end]`."""

    start: int
    end: int


def _pieces(text: str, start: int, end: int, pattern: re.Pattern[str]) -> list[tuple[int, int]]:
    """Split text[start:end] after each match of PATTERN, keeping every character."""
    return _cut(start, end, (m.end() for m in pattern.finditer(text, start, end)))


def _cut(start: int, end: int, cuts: Iterable[int]) -> list[tuple[int, int]]:
    out, pos = [], start
    for cut in cuts:
        if pos < cut < end:
            out.append((pos, cut))
            pos = cut
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
        for s in _cut(p[0], p[1], sentence_ends(text, p[0], p[1])):
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


def plan_chunks(
    text: str, *, context: int | None, overhead: int, answer: int, count: Callable[[str], int]
) -> list[Chunk]:
    """TEXT whole when it fits CONTEXT beside the prompt's OVERHEAD and the ANSWER, else chunks."""
    whole = [Chunk(0, len(text))]
    if context is None:
        return whole
    budget = context - overhead - answer - CONTEXT_MARGIN
    if count(text) <= budget:
        return whole
    if budget < MIN_CHUNK_TOKENS:
        raise ContextLengthError(
            f"the model's context ({context} tokens) leaves only {max(budget, 0)} tokens for the "
            "article after the prompt and the answer. Use a model with a larger context "
            "(--ctx / --context-tokens) or lower --max-tokens",
            limit=context,
        )
    chunks = split_text(text, budget, count)
    log.info("article of %d chars split into %d chunks of <= %d tokens", len(text), len(chunks), budget)
    return chunks
