"""Locate the model's quotes in the article text and turn drafts into grounded items."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from summarize.schemas import Claim, Draft, DraftClaim, DraftStance, Dropped, Evidence, Stance

MatchKind = Literal["exact", "normalized", "fuzzy"]


@dataclass(frozen=True)
class Span:
    """Where a quote was found: `text[start:end]` is the exact source span."""

    start: int
    end: int
    match: MatchKind


def locate(quote: str, text: str, *, near: int | None = None) -> Span | None:
    """Find QUOTE in TEXT; None when it is not there."""
    q = quote.strip()
    if not q:
        return None
    i = text.find(q)
    if i < 0:
        return None
    return Span(i, i + len(q), "exact")


def _evidence(span: Span, text: str) -> Evidence:
    return Evidence(
        quote=text[span.start : span.end], start=span.start, end=span.end, match=span.match
    )


@dataclass
class Grounded:
    """Result of grounding one draft."""

    stances: list[Stance]
    claims: list[Claim]
    unlocated_stances: list[DraftStance]
    unlocated_claims: list[DraftClaim]

    def dropped(self, reason: str) -> list[Dropped]:
        """The unlocated items as `dropped` entries with REASON."""
        return [
            Dropped(kind="stance", item=s.model_dump(), reason=reason) for s in self.unlocated_stances
        ] + [Dropped(kind="claim", item=c.model_dump(), reason=reason) for c in self.unlocated_claims]


def ground(draft: Draft, text: str) -> Grounded:
    """Locate every stance and claim quote of DRAFT in TEXT."""
    out = Grounded([], [], [], [])
    for s in draft.stances:
        span = locate(s.quote, text)
        if span is None:
            out.unlocated_stances.append(s)
            continue
        out.stances.append(
            Stance(
                actor=s.actor,
                topic=s.topic,
                position=s.position,
                target=s.target,
                evidence=_evidence(span, text),
            )
        )
    for c in draft.claims:
        span = locate(c.quote, text)
        if span is None:
            out.unlocated_claims.append(c)
            continue
        out.claims.append(
            Claim(
                speaker=c.speaker,
                text=c.text,
                kind=c.kind,
                cue=c.cue,
                hedged=c.hedged,
                evidence=_evidence(span, text),
            )
        )
    return out
