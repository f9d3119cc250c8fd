"""One error tree. Every message reads `<what happened>. <what to do>.`"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from summarize.schemas import Usage


class SummarizeError(Exception):
    """Base of every error this package raises on purpose."""

    exit_code = 1
    usage: Usage | None = None
    """What the article had cost when it failed (set by the pipeline)."""


class UserError(SummarizeError):
    """The caller asked for something that cannot work (bad option, missing key)."""


class InputError(SummarizeError):
    """An article file cannot be read or is not an article."""


class PromptError(SummarizeError):
    """A prompt template is missing or needs a variable that was not given."""


class ModelHTTPError(SummarizeError):
    """The endpoint answered with an HTTP error status."""

    def __init__(
        self, message: str, *, status: int, body: str = "", retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = body
        self.retry_after = retry_after

    @property
    def transient(self) -> bool:
        """Whether a later identical request may succeed (rate limit, overload, server fault)."""
        return self.status in (408, 409, 429) or self.status >= 500


class ModelConnectionError(SummarizeError):
    """The endpoint could not be reached or the connection broke (always transient)."""

    transient = True


class ContextLengthError(ModelHTTPError):
    """The prompt is longer than the model's context window."""


class UnexpectedModelBehavior(SummarizeError):
    """The model kept answering with output that is not a valid summary."""

    def __init__(self, message: str, *, last_output: str = "") -> None:
        super().__init__(message)
        self.last_output = last_output


def is_transient(exc: BaseException) -> bool:
    """The retry predicate: retry rate limits, overloads, server faults and broken connections."""
    if isinstance(exc, ContextLengthError):
        return False
    if isinstance(exc, ModelHTTPError):
        return exc.transient
    return isinstance(exc, ModelConnectionError)
