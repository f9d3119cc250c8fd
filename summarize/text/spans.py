"""Sentences and words of a text, as character spans into it.

One sentence rule for the whole program: a line is a paragraph; inside it, a sentence
ends at `.`, `!`, `?` or `…` (with any closing quotes or brackets) followed by white space
and a capital, a digit or an opening quote, unless the dot closes an abbreviation
("Mr.", "U.S.") or an initial ("George W. Bush").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from summarize.text.lexicon import ABBREVIATIONS, CLOSERS

_END = re.compile(rf"[.!?\u2026][{re.escape(CLOSERS)}]*(?=\s+[\"'\u201c\u2018\u00ab(\[A-Z0-9])")
_WORD_BEFORE = re.compile(r"([\w.]+)\.$")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Span:
    """A piece of a text: `text[start:end]`."""

    start: int
    end: int


def _is_sentence_end(text: str, match: re.Match[str]) -> bool:
    if match.group()[0] != ".":
        return True
    before = _WORD_BEFORE.search(text, max(0, match.start() - 12), match.start() + 1)
    if before is None:
        return True
    word = before.group(1)
    if len(word) == 1 and word.isupper():
        return False  # an initial: "George W. Bush"
    return word.casefold() not in ABBREVIATIONS


def sentence_ends(text: str, start: int = 0, end: int | None = None) -> Iterator[int]:
    """Offsets just after each sentence's last character (closing quotes included) in
    text[start:end], not counting the end of the range itself."""
    stop = len(text) if end is None else end
    for line in re.finditer(r"[^\n]+", text[:stop]):
        if line.end() <= start:
            continue
        for m in _END.finditer(text, max(start, line.start()), line.end()):
            if _is_sentence_end(text, m):
                yield m.end()
        if line.end() < stop:
            yield line.end()


def sentence_spans(text: str) -> list[Span]:
    """The sentences of TEXT, each stripped of outer white space, in order."""
    out: list[Span] = []
    begin = 0
    for cut in [*sentence_ends(text), len(text)]:
        piece = text[begin:cut]
        stripped = piece.strip()
        if stripped:
            lead = len(piece) - len(piece.lstrip())
            out.append(Span(begin + lead, begin + lead + len(stripped)))
        begin = cut
    return out


def sentences(text: str) -> list[str]:
    """The sentences of TEXT as strings."""
    return [text[s.start : s.end] for s in sentence_spans(text)]


def words(text: str) -> list[str]:
    """Lower-cased word tokens of TEXT."""
    return _WORD.findall(text.lower())
