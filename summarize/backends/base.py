"""The model contract: one request in, one completion out.

A backend sends exactly one request per `complete()` call (or reports how many it
sent in `Completion.usage.requests`), translates its transport's errors into
`summarize.errors` once, and never retries: retrying belongs to `summarize.draft.sender`.
It knows nothing of articles, drafting strategies or what the pipeline learns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from summarize.schemas import Usage


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
    max_tokens: int
    schema_name: str = "article_summary"
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

    @property
    def model_name(self) -> str:
        """Name reported in ArticleSummary.model."""
        ...

    @property
    def context_tokens(self) -> int | None:
        """The model's context window in tokens, when known."""
        ...

    def count_tokens(self, text: str) -> int:
        """Tokens TEXT takes in this model's prompt (an estimate is fine for endpoints)."""
        ...

    def complete(self, request: Request) -> Completion:
        """Send one request and return the reply."""
        ...
