"""The model contract: one request in, one completion out.

A backend sends exactly one request per `complete()` call (or reports how many it
sent in `Completion.usage.requests`), translates its transport's errors into
`summarize.errors` once, and never retries: retrying belongs to `summarize.retry`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from summarize.schemas import Usage

# Backend.draft_strategy: the whole Draft in one request, with re-asks and repair; or
# summarize.passes' candidate-constrained passes, for models too small for the whole schema.
ONE_PASS = "one-pass"
PASSES = "passes"


@dataclass(frozen=True)
class Message:
    """One chat message."""

    role: str
    content: str


@dataclass(frozen=True)
class Request:
    """What the pipeline asks of a model: messages plus the JSON Schema the reply must follow."""

    messages: tuple[Message, ...]
    schema: dict[str, Any]
    schema_name: str = "article_summary"
    max_tokens: int = 2048
    temperature: float = 0.0


@dataclass(frozen=True)
class Completion:
    """The model's reply text, why it stopped, and what the request cost."""

    text: str
    finish_reason: str | None
    usage: Usage = field(default_factory=lambda: Usage(requests=1))


@runtime_checkable
class Backend(Protocol):
    """A way to reach a model."""

    model_name: str
    """Name reported in ArticleSummary.model."""

    context_tokens: int | None
    """Context window in tokens, when known (the pipeline lowers it when the model refuses)."""

    @property
    def draft_strategy(self) -> str:
        """How the pipeline drafts with this model: ONE_PASS or PASSES."""
        ...

    def complete(self, request: Request) -> Completion:
        """Send one request and return the reply."""
        ...

    def count_tokens(self, text: str) -> int:
        """Tokens TEXT takes in this model's prompt (an estimate is fine for endpoints)."""
        ...
