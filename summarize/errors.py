"""One error tree. Every message reads `<what happened>. <what to do>.`

The CLI turns a `SummarizeError` into one `Error:` line; any other exception is a bug
and shows its traceback.
"""

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
    """An article file cannot be read, is not an article, or its output cannot be placed."""


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


class ModelTimeout(ModelConnectionError):
    """The endpoint was silent longer than --timeout, or a request took longer than
    --request-timeout: a sign of a busy server (the limiter sends fewer at once)."""


class ContextLengthError(SummarizeError):
    """The prompt does not fit the model's context window.

    Raised by a backend before sending (it counted the prompt) or after the endpoint said
    so; `limit` is the context size the model or endpoint named, when it named one.
    """

    def __init__(self, message: str, *, limit: int | None = None) -> None:
        super().__init__(message)
        self.limit = limit


class BatchJobError(SummarizeError):
    """A provider batch job cannot go on: its folder is damaged, or the provider refused a step."""


class UnexpectedModelBehavior(SummarizeError):
    """The model kept answering with output that is not a valid summary."""

    def __init__(self, message: str, *, last_output: str = "") -> None:
        super().__init__(message)
        self.last_output = last_output


def is_transient(exc: BaseException) -> bool:
    """The retry predicate: retry rate limits, overloads, server faults and broken connections."""
    if isinstance(exc, ModelHTTPError):
        return exc.transient
    return isinstance(exc, ModelConnectionError)
