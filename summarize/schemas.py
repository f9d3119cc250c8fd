"""The two shapes of a summary: the draft the model fills, and the grounded output.

The draft has no offsets and is strict-mode compatible (every property required,
optionals nullable, no extra keys); the program locates each quote and turns the
draft into an ArticleSummary with evidence offsets, provenance and usage.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "1"

ActorType = Literal["person", "organization", "country", "group", "other"]
Position = Literal["support", "oppose", "neutral", "mixed"]
ClaimKind = Literal["direct_quote", "indirect", "reporter_assertion"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- the shape the model fills ------------------------------------------------------------


class DraftActor(_Strict):
    """A person, organisation, state or group that the article mentions."""

    name: str = Field(description="Canonical full name as written in the article, e.g. 'Vladimir Putin'.")
    type: ActorType = Field(description="What kind of actor this is.")
    role: str | None = Field(
        description="Title or role given in the article, e.g. 'Russian President'; null if none."
    )
    aliases: list[str] = Field(
        description="Other ways the article refers to this actor: surname, title, description."
    )


class DraftStance(_Strict):
    """One actor's position on one topic, backed by a verbatim quote."""

    actor: str = Field(description="Name of the actor holding the stance; must be one of `actors`.")
    topic: str = Field(description="Short reusable noun phrase, e.g. 'Belarus joining the war'.")
    position: Position = Field(description="The actor's position on the topic.")
    target: str | None = Field(
        description="Actor the stance is directed at, if any (a name from `actors`); else null."
    )
    quote: str = Field(
        description="Exact words copied from the article that show this stance (one sentence or less)."
    )


class DraftClaim(_Strict):
    """A statement the article attributes to a speaker, or asserts in its own voice."""

    speaker: str | None = Field(
        description="Name of the actor who made the claim (outer source for nested attribution); "
        "null for the reporter's own voice."
    )
    text: str = Field(description="The claim in one short sentence of your own words.")
    kind: ClaimKind = Field(
        description="direct_quote: speaker's words in quotation marks; indirect: reported speech; "
        "reporter_assertion: the article's own voice."
    )
    cue: str | None = Field(description="Reporting verb such as said, told, denied, warned; or null.")
    hedged: bool = Field(
        description="True when the article hedges it (allegedly, reportedly, according to...)."
    )
    quote: str = Field(
        description="Exact words copied from the article where the claim is made (one sentence or less)."
    )


class Draft(_Strict):
    """Everything the model extracts from one article."""

    summary: str = Field(description="Neutral summary of the article in 2-4 sentences.")
    actors: list[DraftActor] = Field(description="Every named person, organisation and state.")
    stances: list[DraftStance] = Field(description="Who is for or against what.")
    claims: list[DraftClaim] = Field(description="Who said what.")


# --- the grounded output -------------------------------------------------------------------


class Evidence(BaseModel):
    """A verbatim span of the article text: `text[start:end] == quote`."""

    quote: str = Field(description="Exact span of the article text.")
    start: int = Field(ge=0, description="Start offset (characters) in the text of `summarize text`.")
    end: int = Field(ge=0, description="End offset (exclusive) in the text of `summarize text`.")
    match: Literal["exact", "normalized", "fuzzy"] = Field(
        default="exact", description="How the model's quote was located in the text."
    )


class Actor(BaseModel):
    """A resolved actor: one entry per real-world person, organisation or state."""

    name: str = Field(description="Canonical name; stances and claims refer to it.")
    type: ActorType = Field(description="What kind of actor this is.")
    role: str | None = Field(default=None, description="Title or role given in the article.")
    aliases: list[str] = Field(default_factory=list, description="Other names used in the article.")


class Stance(BaseModel):
    """An actor's position on a topic, with evidence."""

    actor: str = Field(description="Name of an entry of `actors`.")
    topic: str = Field(description="Short noun phrase naming the issue.")
    position: Position = Field(description="support, oppose, neutral or mixed.")
    target: str | None = Field(default=None, description="Actor the stance is directed at, if any.")
    evidence: Evidence = Field(description="Where the article shows this stance.")


class Claim(BaseModel):
    """A statement and who made it, with evidence."""

    speaker: str | None = Field(description="Name of an entry of `actors`; null for the reporter.")
    text: str = Field(description="The claim, paraphrased in one sentence.")
    kind: ClaimKind = Field(default="indirect", description="How the claim is reported.")
    cue: str | None = Field(default=None, description="Reporting verb (said, told, denied...).")
    hedged: bool = Field(default=False, description="Whether the article hedges the claim.")
    evidence: Evidence = Field(description="Where the article makes this claim.")


class Dropped(BaseModel):
    """An item the model proposed that could not be kept, and why."""

    kind: Literal["stance", "claim"] = Field(description="Which list the item was meant for.")
    item: dict[str, Any] = Field(description="The item as the model proposed it.")
    reason: str = Field(description="Why it was dropped.")


class Source(BaseModel):
    """Provenance of the article."""

    path: str = Field(description="Path of the input file ('-' for stdin).")
    sha256: str = Field(description="SHA-256 of the clean article text.")
    title: str | None = Field(default=None, description="Title, when the input has one.")
    author: str | None = Field(default=None, description="Author, when the page names one.")
    date: str | None = Field(default=None, description="Publication date, when the page gives one.")
    site: str | None = Field(default=None, description="Site name, when the page gives one.")
    language: str | None = Field(
        default=None, description="The article's language, ISO 639-1 ('en', 'ru', 'uk'), detected or given."
    )
    url: str | None = Field(default=None, description="Where the article was published, when known.")


class Usage(BaseModel):
    """Tokens and requests spent on one article, failed attempts and re-asks included."""

    prompt_tokens: int = Field(default=0, description="Prompt tokens over all requests.")
    completion_tokens: int = Field(default=0, description="Completion tokens over all requests.")
    requests: int = Field(default=0, description="Requests sent, failed attempts and re-asks included.")

    def add(self, other: Usage) -> Usage:
        """Return the sum of two usages."""
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            requests=self.requests + other.requests,
        )


class GroundingStats(BaseModel):
    """How the model's proposed stances and claims fared against the article text."""

    proposed: int = Field(default=0, description="Stances and claims the model proposed.")
    located: int = Field(default=0, description="Located in the text on the first try.")
    repaired: int = Field(default=0, description="Located after one targeted repair request.")
    dropped: int = Field(default=0, description="Not located, or not attributable: see `dropped`.")


class ArticleSummary(BaseModel):
    """The validated, grounded digest of one article."""

    summary: str = Field(description="Neutral 2-4 sentence summary.")
    actors: list[Actor] = Field(description="Resolved actors.")
    stances: list[Stance] = Field(description="Grounded stances.")
    claims: list[Claim] = Field(description="Grounded claims.")
    dropped: list[Dropped] = Field(default_factory=list, description="Proposed items not kept.")
    source: Source = Field(description="Where the article came from.")
    model: str = Field(description="Model that produced the draft.")
    usage: Usage = Field(description="Tokens and requests spent on this article.")
    grounding: GroundingStats = Field(
        default_factory=GroundingStats, description="Grounding outcome of the proposed items."
    )
    chunks: int = Field(default=1, description="Parts the article was split into to fit the context.")
    schema_version: str = Field(default=SCHEMA_VERSION, description="Version of this schema.")


def draft_json_schema() -> dict[str, Any]:
    """JSON Schema of the draft, in the strict form structured-output endpoints accept."""
    return Draft.model_json_schema()
