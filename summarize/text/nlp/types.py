"""The result shapes of `nlp.analyze`: frozen dataclasses with character offsets.

Every offset is into the text that was analysed: `text[span.start:span.end]`. Sequences
are tuples so that a result can be shared and hashed without being changed under a
caller's feet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ActorType = Literal["person", "organization", "country", "group", "other"]
AttributionKind = Literal["direct_quote", "indirect", "reporter_assertion"]
Polarity = Literal["support", "oppose"]


@dataclass(frozen=True, order=True)
class Span:
    """A character span `[start, end)` of the analysed text."""

    start: int
    end: int

    def of(self, text: str) -> str:
        """The text this span covers."""
        return text[self.start : self.end]

    def overlaps(self, other: Span) -> bool:
        """Whether the two spans share at least one character."""
        return self.start < other.end and other.start < self.end

    def contains(self, other: Span) -> bool:
        """Whether OTHER lies inside this span."""
        return self.start <= other.start and other.end <= self.end


@dataclass(frozen=True)
class ActorCandidate:
    """One real-world actor (or, in `Analysis.places`, a place that only sets the scene)."""

    name: str
    """The fullest proper name the article uses, e.g. "Vladimir Putin"."""
    type: ActorType
    aliases: tuple[str, ...]
    """Other forms used: "Putin", "President Putin", "EU" for "European Union"."""
    role: str | None
    """Title or role as written: "Russian President", "spokesperson for the US State Department"."""
    mentions: tuple[Span, ...]
    """Where the name or an alias occurs (pronouns and descriptions are not mentions)."""


@dataclass(frozen=True)
class Attribution:
    """A reported statement: who said what, where, and how it is reported."""

    speaker: str | None
    """An actor name from `Analysis.actors`; None for the reporter's voice or an unresolved source."""
    source_text: str | None
    """The source as written ("he", "the spokesman", "officials"), None when there is none."""
    cue: str | None
    """Reporting verb or phrase as written: said, told, according to, reportedly."""
    cue_span: Span | None
    content: Span
    """What was said: the quotation or the reported clause."""
    sentence: Span
    kind: AttributionKind
    hedged: bool
    outer_source: str | None
    """For nested attribution ("X said Y told him ..."), the actor who reports the report."""
    actors: tuple[str, ...]
    """Actors named (or referred to by a resolved pronoun) in the content."""
    continuation: bool = False
    """True when the sentence only continues a quotation whose speaker was given before."""


@dataclass(frozen=True)
class StanceCue:
    """A verb of taking a position (reject, support, praise ...) with its agents and target."""

    verb: str
    lemma: str
    span: Span
    polarity: Polarity
    """What the verb says on its own: support (back, praise) or oppose (reject, condemn)."""
    agents: tuple[str, ...]
    """Actors doing it: subjects, or the "by X and Y" agents of a passive."""
    agent_text: str | None
    target: Span | None
    """The object of the position: "The idea" in "The idea was rejected by ..."."""
    target_actors: tuple[str, ...]
    negated: bool
    sentence: Span


@dataclass(frozen=True)
class SentenceInfo:
    """A sentence and the actors it names or refers to by a resolved pronoun."""

    span: Span
    actors: tuple[str, ...]


@dataclass(frozen=True)
class Analysis:
    """Everything `nlp.analyze` finds in one article."""

    text: str
    sentences: tuple[Span, ...]
    actors: tuple[ActorCandidate, ...]
    places: tuple[ActorCandidate, ...]
    """Named places that only say where something happened ("in Minsk"): not actors."""
    attributions: tuple[Attribution, ...]
    stance_cues: tuple[StanceCue, ...]
    sentence_actors: tuple[SentenceInfo, ...]

    def actor(self, name: str) -> ActorCandidate | None:
        """The actor whose name or alias is NAME (case-insensitive), if any."""
        folded = name.casefold()
        for actor in self.actors:
            if folded in (n.casefold() for n in (actor.name, *actor.aliases)):
                return actor
        return None
