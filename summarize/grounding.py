"""Locate the model's quotes in the article text and turn drafts into grounded items.

A quote is looked for in three passes, stopping at the first that finds it:

1. exact: the quote (stripped of outer whitespace) occurs verbatim;
2. normalized: it occurs once both sides are folded (case, whitespace runs, NBSP, curly vs
   straight quotes, dashes, ellipsis, accents; double quotation marks are ignored), or
   once the model's stray trailing punctuation is cut; an elided quote ("A ... B") is
   found when its parts occur in order close together;
3. fuzzy: rapidfuzz finds a span whose similarity to the quote reaches FUZZY_THRESHOLD
   (measured by benchmarks/grounding_threshold.py); never for very short quotes.

Folding keeps a map from every folded character back to the original offsets, so the span
returned is always an exact span of the original text: `text[span.start:span.end]`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from rapidfuzz import fuzz

from summarize.schemas import (
    Claim,
    Draft,
    DraftActor,
    DraftClaim,
    DraftStance,
    Dropped,
    Evidence,
    Stance,
)

MatchKind = Literal["exact", "normalized", "fuzzy"]

FUZZY_THRESHOLD = 90.0
"""Minimum rapidfuzz `ratio` (0-100) between the folded quote and the folded span."""

MIN_FUZZY_CHARS = 12
MIN_FUZZY_WORDS = 3
MAX_ELISION_GAP = 300
"""Most characters an elided quote ("A ... B") may skip between two of its parts."""

REASON_EMPTY = "quote is empty"
REASON_TOO_SHORT = "quote too short to locate reliably"
REASON_NOT_FOUND = "quote not found in the article"

# Written as escapes: most of these look alike on screen.
# " and the curly, low, angle, prime and full-width double quotation marks
_DOUBLE_QUOTES = frozenset('"\u201c\u201d\u201e\u201f\u00ab\u00bb\u2033\u301d\u301e\uff02')
# ' and the curly, low, prime, accent and angle single quotation marks
_SINGLE_QUOTES = frozenset("'\u2018\u2019\u201a\u201b\u2032`\u00b4\u2039\u203a")
# hyphen-minus, hyphen, non-breaking hyphen, figure/en/em dash, bar, minus, small and wide
_DASHES = frozenset("-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d")
_INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad")
_TRAILING_NOISE = " '.,;:!?"

_HEDGE_RE = re.compile(
    r"\b(?:allegedly|alleged|reportedly|according to|claimed|claims|purportedly|purported|"
    r"supposedly|rumou?red|unconfirmed|unverified|(?:is|are|was|were) said to)\b",
    re.IGNORECASE,
)


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
    if ch in _DOUBLE_QUOTES or ch in _INVISIBLE:
        return ""
    if ch in _SINGLE_QUOTES:
        return "'"
    if ch in _DASHES:
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


def _fold_quote(quote: str) -> str:
    return _fold_uncached(quote).text.strip()


# --- choosing among occurrences --------------------------------------------------------------


def _occurrences(needle: str, haystack: str) -> list[int]:
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
    if quote[:1] in _DOUBLE_QUOTES and start > 0 and text[start - 1] in _DOUBLE_QUOTES:
        start -= 1
    if quote[-1:] in _DOUBLE_QUOTES and end < len(text) and text[end] in _DOUBLE_QUOTES:
        end += 1
    return start, end


def _exact(quote: str, text: str, near: int | Sequence[int] | None) -> Span | None:
    spans = [(i, i + len(quote)) for i in _occurrences(quote, text)]
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
            _trim(text, *folded.original(i, i + len(candidate))) for i in _occurrences(candidate, folded.text)
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
    for begin in _occurrences(first, folded.text):
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


def _word_edges(text: str, lo: int, hi: int, *, starts: bool) -> list[int]:
    """Offsets in [lo, hi] of the folded TEXT where a word (or a run of punctuation) starts,
    or with STARTS false, ends."""
    lo, hi = max(lo, 0), min(hi, len(text))
    if starts:
        return [i for i in range(lo, min(hi, len(text) - 1) + 1) if _is_edge(text, i - 1, i)]
    return [i for i in range(max(lo, 1), hi + 1) if _is_edge(text, i, i - 1)]


def _is_edge(text: str, outside: int, inside: int) -> bool:
    """Whether a span may begin or end at `inside` with `outside` just beyond it."""
    if text[inside] == " ":
        return False
    if outside < 0 or outside >= len(text) or text[outside] == " ":
        return True
    return text[inside].isalnum() != text[outside].isalnum()


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
    slack = max(8, len(needle) // 4)
    best = (0.0, 0, 0)
    for s in _word_edges(folded.text, hit.dest_start - slack, hit.dest_start + slack, starts=True):
        guess = s + len(needle)
        for e in _word_edges(folded.text, guess - slack, guess + slack, starts=False):
            if e > s:
                score = fuzz.ratio(needle, folded.text[s:e])
                if score > best[0]:
                    best = (score, s, e)
    if best[0] == 0.0:
        return 0.0, 0, 0
    start, end = _trim(text, *folded.original(best[1], best[2]))
    return best[0], start, end


def _fuzzy(quote: str, text: str, threshold: float) -> Span | None:
    if _too_short(quote):
        return None
    score, start, end = fuzzy_score(quote, text)
    if score < threshold or start >= end:
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


def is_hedged(span_text: str) -> bool:
    """Whether the words carry a hedge cue (allegedly, reportedly, according to, claimed...)."""
    return _HEDGE_RE.search(span_text) is not None


# --- grounding a draft --------------------------------------------------------------------


def _evidence(span: Span, text: str) -> Evidence:
    return Evidence(quote=text[span.start : span.end], start=span.start, end=span.end, match=span.match)


def mentions(name: str | None, text: str, actors: Sequence[DraftActor] = ()) -> list[int]:
    """Offsets where NAME (its aliases in ACTORS, its last word) is mentioned in TEXT."""
    if not name or not name.strip():
        return []
    names = {name.strip()}
    for actor in actors:
        if name.strip().casefold() in {n.strip().casefold() for n in [actor.name, *actor.aliases]}:
            names.update(n.strip() for n in [actor.name, *actor.aliases] if n.strip())
    names.update(n.split()[-1] for n in list(names) if len(n.split()) > 1)
    return sorted({i for n in names if len(n) >= 3 for i in _occurrences(n, text)})


@dataclass
class Grounded:
    """Result of grounding one draft."""

    stances: list[Stance]
    claims: list[Claim]
    unlocated_stances: list[DraftStance]
    unlocated_claims: list[DraftClaim]

    def dropped(self, reason: str | None = None) -> list[Dropped]:
        """The unlocated items as `dropped` entries, with REASON or each item's own reason."""
        return [
            Dropped(kind="stance", item=s.model_dump(), reason=reason or unlocated_reason(s.quote))
            for s in self.unlocated_stances
        ] + [
            Dropped(kind="claim", item=c.model_dump(), reason=reason or unlocated_reason(c.quote))
            for c in self.unlocated_claims
        ]


def ground_stance(stance: DraftStance, text: str, actors: Sequence[DraftActor] = ()) -> Stance | None:
    """The grounded stance, or None when its quote is not in TEXT."""
    span = locate(stance.quote, text, near=mentions(stance.actor, text, actors))
    if span is None:
        return None
    return Stance(
        actor=stance.actor,
        topic=stance.topic,
        position=stance.position,
        target=stance.target,
        evidence=_evidence(span, text),
    )


def ground_claim(claim: DraftClaim, text: str, actors: Sequence[DraftActor] = ()) -> Claim | None:
    """The grounded claim, or None when its quote is not in TEXT; hedge cues set `hedged`."""
    span = locate(claim.quote, text, near=mentions(claim.speaker, text, actors))
    if span is None:
        return None
    evidence = _evidence(span, text)
    return Claim(
        speaker=claim.speaker,
        text=claim.text,
        kind=claim.kind,
        cue=claim.cue,
        hedged=claim.hedged or is_hedged(evidence.quote),
        evidence=evidence,
    )


def ground(draft: Draft, text: str) -> Grounded:
    """Locate every stance and claim quote of DRAFT in TEXT."""
    out = Grounded([], [], [], [])
    for s in draft.stances:
        stance = ground_stance(s, text, draft.actors)
        if stance is None:
            out.unlocated_stances.append(s)
        else:
            out.stances.append(stance)
    for c in draft.claims:
        claim = ground_claim(c, text, draft.actors)
        if claim is None:
            out.unlocated_claims.append(c)
        else:
            out.claims.append(claim)
    return out
