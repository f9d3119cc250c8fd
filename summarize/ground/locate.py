"""Locate a quote in the article text, exactly, normalised or fuzzily.

A quote is looked for in three passes, stopping at the first that finds it:

1. exact: the quote (stripped of outer whitespace) occurs verbatim;
2. normalized: it occurs once both sides are folded (case, whitespace runs, NBSP, curly vs
   straight quotes, dashes, ellipsis, accents; double quotation marks are ignored), or
   once the model's stray trailing punctuation is cut; an elided quote ("A ... B") is
   found when its parts occur in order close together;
3. fuzzy: rapidfuzz finds a span whose similarity to the quote reaches FUZZY_THRESHOLD
   (measured by benchmarks/grounding_threshold.py; OMISSION_ALLOWANCE lower when the model
   only left words out) and that lacks few of the quote's words (a splice or made-up words
   fail); never for very short quotes.

Folding keeps a map from every folded character back to the original offsets, so the span
returned is always an exact span of the original text: `text[span.start:span.end]`.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from rapidfuzz import fuzz
from rapidfuzz.distance import Indel

from summarize.text import DASHES, DOUBLE_QUOTES, INVISIBLE, SINGLE_QUOTES

MatchKind = Literal["exact", "normalized", "fuzzy"]

FUZZY_THRESHOLD = 90.0
"""Minimum rapidfuzz `ratio` (0-100) between the folded quote and the folded span."""

MIN_FUZZY_CHARS = 12
MIN_FUZZY_WORDS = 3
MAX_INVENTED_RUN = 2
"""Most words in a row a fuzzily matched quote may have that the article span lacks."""
MAX_INVENTED_SHARE = 0.2
"""Largest share of a fuzzily matched quote's words that the article span may lack."""
_CANDIDATES = 12
"""How many of the best-scoring spans `fuzzy_score` compares by invented words."""
OMISSION_ALLOWANCE = 10.0
"""How far below the threshold a quote may score when it only leaves words out."""
MAX_ELISION_GAP = 300
"""Most characters an elided quote ("A ... B") may skip between two of its parts."""

REASON_EMPTY = "quote is empty"
REASON_TOO_SHORT = "quote too short to locate reliably"
REASON_NOT_FOUND = "quote not found in the article"

_TRAILING_NOISE = " '.,;:!?"
_WORD_RE = re.compile(r"\w+")


@dataclass(frozen=True)
class Span:
    """Where a quote was found: `text[start:end]` is the exact source span."""

    start: int
    end: int
    match: MatchKind


# --- folding with an offset map ------------------------------------------------------------


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    """What one character becomes in the folded text ('' drops it)."""
    if ch in DOUBLE_QUOTES or ch in INVISIBLE:
        return ""
    if ch in SINGLE_QUOTES:
        return "'"
    if ch in DASHES:
        return "-"
    if ch.isspace():
        return " "
    if ch == "\u2026":  # ellipsis
        return "..."
    if ch.isascii():
        return ch.lower()
    decomposed = unicodedata.normalize("NFKD", ch)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@dataclass(frozen=True)
class _Folded:
    """A folded copy of a text; folded char i came from original `text[starts[i]:ends[i]]`."""

    text: str
    starts: list[int]
    ends: list[int]

    def original(self, start: int, end: int) -> tuple[int, int]:
        """The original span that the folded span [start, end) came from."""
        return self.starts[start], self.ends[end - 1]


def _fold_uncached(text: str) -> _Folded:
    """Fold TEXT: one space per whitespace run, one dash per run of dashes with no space
    around it; see `_fold_char` for single characters."""
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for i, ch in enumerate(text):
        folded = _fold_char(ch)
        if folded == "-" and out and out[-1] == "-":
            ends[-1] = i + 1
            continue
        if folded == " " and out and out[-1] in " -":
            ends[-1] = i + 1 if out[-1] == " " else ends[-1]
            continue
        if folded == "-" and out and out[-1] == " ":
            out.pop()
            starts.pop()
            ends.pop()
        for c in folded:
            out.append(c)
            starts.append(i)
            ends.append(i + 1)
    return _Folded("".join(out), starts, ends)


_fold = lru_cache(maxsize=8)(_fold_uncached)
"""Fold an article once for all the quotes looked for in it."""


@lru_cache(maxsize=256)
def _fold_quote(quote: str) -> str:
    return _fold_uncached(quote).text.strip()


# --- choosing among occurrences --------------------------------------------------------------


def occurrences(needle: str, haystack: str) -> list[int]:
    found: list[int] = []
    i = haystack.find(needle)
    while i >= 0:
        found.append(i)
        i = haystack.find(needle, i + 1)
    return found


def _at_word_edges(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not (before.isalnum() and text[start].isalnum()) and not (
        after.isalnum() and text[end - 1].isalnum()
    )


def _pick(spans: list[tuple[int, int]], text: str, near: int | Sequence[int] | None) -> int:
    """Index of the best span: whole words first, then nearest to NEAR, then earliest."""
    anchors = [near] if isinstance(near, int) else list(near or [])

    def key(i: int) -> tuple[bool, int, int]:
        start, end = spans[i]
        distance = min((abs(start - a) for a in anchors), default=0)
        return (not _at_word_edges(text, start, end), distance, start)

    return min(range(len(spans)), key=key)


# --- the three passes ---------------------------------------------------------------------


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _keep_quote_marks(quote: str, text: str, start: int, end: int) -> tuple[int, int]:
    """Take in the text's quotation marks at either edge where the model's quote had them."""
    if quote[:1] in DOUBLE_QUOTES and start > 0 and text[start - 1] in DOUBLE_QUOTES:
        start -= 1
    if quote[-1:] in DOUBLE_QUOTES and end < len(text) and text[end] in DOUBLE_QUOTES:
        end += 1
    return start, end


def _exact(quote: str, text: str, near: int | Sequence[int] | None) -> Span | None:
    spans = [(i, i + len(quote)) for i in occurrences(quote, text)]
    if not spans:
        return None
    start, end = spans[_pick(spans, text, near)]
    return Span(start, end, "exact")


def _normalized(quote: str, text: str, near: int | Sequence[int] | None) -> Span | None:
    folded = _fold(text)
    needle = _fold_quote(quote)
    for candidate in dict.fromkeys((needle, needle.strip(_TRAILING_NOISE))):
        if not candidate:
            continue
        spans = [
            _trim(text, *folded.original(i, i + len(candidate))) for i in occurrences(candidate, folded.text)
        ]
        spans = [s for s in spans if s[0] < s[1]]
        if spans:
            start, end = _keep_quote_marks(quote, text, *spans[_pick(spans, text, near)])
            return Span(start, end, "normalized")
    return None


def _elided(quote: str, text: str) -> Span | None:
    """Find "A ... B": every part in order, each gap at most MAX_ELISION_GAP characters."""
    parts = [p.strip(_TRAILING_NOISE) for p in re.split(r"\[(?:\.\.\.|\u2026)\]|\.\.\.|\u2026", quote)]
    parts = [p for p in parts if p]
    if len(parts) < 2 or any(len(_fold_quote(p).split()) < 2 for p in parts):
        return None
    folded = _fold(text)
    first = _fold_quote(parts[0])
    for begin in occurrences(first, folded.text):
        end = begin + len(first)
        for part in map(_fold_quote, parts[1:]):
            nxt = folded.text.find(part, end, end + MAX_ELISION_GAP + len(part))
            if nxt < 0:
                break
            end = nxt + len(part)
        else:
            start, stop = _trim(text, *folded.original(begin, end))
            return Span(start, stop, "fuzzy")
    return None


def _too_short(quote: str) -> bool:
    folded = _fold_quote(quote)
    return len(folded) < MIN_FUZZY_CHARS or len(folded.split()) < MIN_FUZZY_WORDS


_TOKEN_RE = re.compile(r"\w+(?:'\w+)*|[^\w\s]+")


@lru_cache(maxsize=8)
def _edges(folded: str) -> tuple[list[int], list[int]]:
    """Where words and runs of punctuation start and end in a folded text (sorted)."""
    tokens = list(_TOKEN_RE.finditer(folded))
    return [m.start() for m in tokens], [m.end() for m in tokens]


def _word_edges(text: str, lo: int, hi: int, *, starts: bool) -> list[int]:
    """Offsets in [lo, hi] of the folded TEXT where a word (or a run of punctuation) starts,
    or with STARTS false, ends."""
    edges = _edges(text)[0 if starts else 1]
    return edges[bisect_left(edges, lo) : bisect_right(edges, hi)]


def invented_words(quote: str, span: str) -> tuple[int, int]:
    """Words of QUOTE that the SPAN does not have: (how many, longest run of them).

    Counted on word sequences, so a splice of two sentences or a quote with words made up
    shows as a run of unmatched words even when its characters look alike overall.
    """
    return _invented(_fold_quote(quote), _fold_quote(span))


def _invented(folded_quote: str, folded_span: str) -> tuple[int, int]:
    q, s = _WORD_RE.findall(folded_quote), _WORD_RE.findall(folded_span)
    runs = [op.src_end - op.src_start for op in Indel.opcodes(q, s) if op.tag in ("delete", "replace")]
    return sum(runs), max(runs, default=0)


def _good_enough(quote: str, span: str, score: float, threshold: float) -> bool:
    """Whether a fuzzy match is kept: few invented words, and a score at THRESHOLD, or at
    THRESHOLD - OMISSION_ALLOWANCE when the model only left words out."""
    total, longest = invented_words(quote, span)
    words = len(_WORD_RE.findall(_fold_quote(quote)))
    if longest > MAX_INVENTED_RUN or total > max(2, words * MAX_INVENTED_SHARE):
        return False
    return score >= (threshold - OMISSION_ALLOWANCE if total == 0 else threshold)


def fuzzy_score(quote: str, text: str) -> tuple[float, int, int]:
    """Best similarity (0-100) of QUOTE to a span of TEXT and that span's original offsets.

    rapidfuzz aligns the folded quote with the folded text; the ends of the alignment are
    then moved to nearby word edges to maximise the similarity of the whole span, so a
    dropped or added word does not leave a span cut in the middle of a word.
    """
    folded = _fold(text)
    needle = _fold_quote(quote)
    if not needle or not folded.text:
        return 0.0, 0, 0
    hit = fuzz.partial_ratio_alignment(needle, folded.text)
    if hit is None:
        return 0.0, 0, 0
    back = max(10, len(needle) // 4)
    ahead = max(20, len(needle) // 2)
    scored: list[tuple[float, int, int]] = []
    for s in _word_edges(folded.text, hit.dest_start - back, hit.dest_start + back, starts=True):
        guess = s + len(needle)
        for e in _word_edges(folded.text, guess - back, guess + ahead, starts=False):
            if e > s:
                scored.append((fuzz.ratio(needle, folded.text[s:e]), s, e))
    if not scored:
        return 0.0, 0, 0
    # Among the best-scoring spans, prefer one that holds all of the quote's words: the
    # highest ratio alone favours a span cut short where the model left words out.
    top = sorted(scored, key=lambda c: (-c[0], c[1], c[2]))[:_CANDIDATES]
    best = min(top, key=lambda c: (_invented(needle, folded.text[c[1] : c[2]])[0], -c[0]))
    start, end = _trim(text, *folded.original(best[1], best[2]))
    return best[0], start, end


def _fuzzy(quote: str, text: str, threshold: float) -> Span | None:
    if _too_short(quote):
        return None
    score, start, end = fuzzy_score(quote, text)
    if start >= end or not _good_enough(quote, text[start:end], score, threshold):
        return None
    return Span(start, end, "fuzzy")


def locate(
    quote: str,
    text: str,
    *,
    near: int | Sequence[int] | None = None,
    threshold: float = FUZZY_THRESHOLD,
) -> Span | None:
    """Find QUOTE in TEXT; None when it is not there.

    Among several occurrences the one nearest NEAR (an offset, or several such as the
    speaker's mentions) wins, else the first. `text[span.start:span.end]` is never empty
    and never starts or ends with whitespace.
    """
    q = quote.strip()
    if not q:
        return None
    return (
        _exact(q, text, near) or _normalized(q, text, near) or _elided(q, text) or _fuzzy(q, text, threshold)
    )


def unlocated_reason(quote: str) -> str:
    """Why a quote that `locate` did not find was not found."""
    if not quote.strip():
        return REASON_EMPTY
    if _too_short(quote):
        return REASON_TOO_SHORT
    return REASON_NOT_FOUND
