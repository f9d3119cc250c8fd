"""The context the pipeline may fill, and what it learns when a model refuses a prompt.

The budget belongs to the pipeline, not the backend: it starts at the backend's context
size (known from the settings, without loading a model) and only ever shrinks, when an
endpoint answers `context_length_exceeded`. One budget is shared by every worker of a
batch, so a lesson learned on one article splits the next ones before they are refused.
"""

from __future__ import annotations

import logging
import threading

from summarize.errors import ContextLengthError

log = logging.getLogger(__name__)

MIN_CHUNK_TOKENS = 256
# Offline token counts are estimates: after a refusal, aim below what was refused; well
# below when the model did not say its limit.
SHRINK_SAID = 0.9
SHRINK_UNSAID = 0.6


class ContextBudget:
    """Context tokens available to one request (thread-safe, shrink-only)."""

    def __init__(self, tokens: int | None) -> None:
        self._tokens = tokens
        self._lock = threading.Lock()

    @property
    def tokens(self) -> int | None:
        """The context size now believed, or None when unknown (no chunking)."""
        return self._tokens

    def learn(self, exc: ContextLengthError, sent_tokens: int) -> bool:
        """Shrink after the model refused a request of SENT_TOKENS; False when no smaller
        context could still hold a chunk."""
        with self._lock:
            if self._tokens is not None and sent_tokens > self._tokens:
                return True  # planned before another worker's lesson: the budget is already lower
            current = min(self._tokens or sent_tokens, sent_tokens)
            if exc.limit is None:
                learned = int(current * SHRINK_UNSAID)
            else:
                learned = int(min(current, exc.limit) * SHRINK_SAID)
            if learned < MIN_CHUNK_TOKENS:
                return False
            self._tokens = learned
        log.warning("the model's context seems to be about %d tokens; splitting articles to fit", learned)
        return True
