"""Grounding: locate the model's quotes in the article and turn drafts into grounded items.

`locate` finds a quote (exact, normalised, fuzzy; see `locate.py`); this module grounds
a whole draft: every stance and claim with its evidence offsets, or unlocated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from summarize.ground.locate import (
    FUZZY_THRESHOLD,
    REASON_EMPTY,
    REASON_NOT_FOUND,
    REASON_TOO_SHORT,
    Span,
    fuzzy_score,
    invented_words,
    locate,
    occurrences,
    unlocated_reason,
)
from summarize.schemas import Claim, Draft, DraftActor, DraftClaim, DraftStance, Dropped, Evidence, Stance
from summarize.text import is_hedged

__all__ = [
    "FUZZY_THRESHOLD",
    "REASON_EMPTY",
    "REASON_NOT_FOUND",
    "REASON_TOO_SHORT",
    "Grounded",
    "Span",
    "fuzzy_score",
    "ground",
    "ground_claim",
    "ground_stance",
    "invented_words",
    "is_hedged",
    "locate",
    "mentions",
    "unlocated_reason",
]


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
    return sorted({i for n in names if len(n) >= 3 for i in occurrences(n, text)})


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
