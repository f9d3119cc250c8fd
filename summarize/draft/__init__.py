"""Drafting: what the model is asked, and how its answers become a grounded draft.

A drafter turns one article (or one chunk of it) into a `Part`: the model's draft and
its grounded stances and claims. It is written as a *conversation*: a generator that
yields rounds of requests and receives their completions, so the same code runs live
(`conversation.run_live`, through the one `Sender`) and through provider batch jobs
(every round a batch). Two drafters exist; the pipeline builder picks one:

- `one_pass.OnePass`: the whole Draft in one request, re-asked when invalid, one repair
  request for unlocated quotes. For capable models.
- `passes.Passes`: the program proposes the candidates and a small model only labels
  them in short passes over a shared prefix. For the embedded model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from summarize.config import Settings
from summarize.draft.conversation import Conversation
from summarize.ground import Grounded
from summarize.ingest import Document
from summarize.schemas import Draft


@dataclass(frozen=True)
class DraftOptions:
    """How drafting behaves; every value comes from Settings."""

    max_reasks: int
    max_tokens: int
    max_tokens_cap: int
    temperature: float
    repair: bool
    label_positions: bool = True
    """Whether the model labels the position of attributed statements (measured per model:
    the bundled 0.5B model cannot, docs/MODELS.md); else only stance verbs give positions."""
    summary_language: str | None = None
    """ISO 639-1 code of the summary and claim texts (--summary-language); None: the article's."""

    @classmethod
    def from_settings(cls, settings: Settings, *, label_positions: bool = True) -> DraftOptions:
        """The options SETTINGS ask for; LABEL_POSITIONS is what the model was measured to do."""
        return cls(
            max_reasks=settings.max_reasks,
            max_tokens=settings.max_tokens,
            max_tokens_cap=settings.max_tokens_cap,
            temperature=settings.temperature,
            repair=settings.repair,
            label_positions=label_positions,
            summary_language=settings.summary_language,
        )


@dataclass
class Part:
    """The draft of one article or chunk, and how its quotes fared."""

    draft: Draft
    grounded: Grounded
    located: int = 0
    repaired: int = 0


class Drafter(Protocol):
    """A way of asking a model for a draft."""

    name: str
    """Part of the batch cache key: another drafter gives another result."""
    needs_reader: bool
    """Whether the program reads the article itself (summarize.text.readers), so that an
    article in a language with no reader is refused before any model is loaded."""

    def overhead(self, doc: Document) -> str:
        """The prompt text for DOC without the article (to plan chunks of a long one)."""
        ...

    def draft(self, doc: Document) -> Conversation[Part]:
        """The requests that draft DOC, round by round, and the grounded result."""
        ...
