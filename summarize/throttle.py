"""AIMD: fewer requests in flight while the endpoint rate-limits, more again when it stops.

`Throttle` wraps a backend. Each `complete()` holds one of `limit` slots. A 429 halves
the limit (multiplicative decrease) once per "generation": 429s from requests sent
before the last decrease were sent under the old limit and say nothing new, so a burst
of them halves once, not N times. After `limit` successes in a row the limit grows by
one (additive increase), up to the ceiling. Waiting for Retry-After happens in the
retry layer, outside the slot, so a sleeping retry never blocks a healthy request.
"""

from __future__ import annotations

import logging
import threading

from summarize.backends.base import Backend, Completion, Request
from summarize.errors import ModelHTTPError

log = logging.getLogger(__name__)


class Throttle:
    """A Backend that limits in-flight requests to an adaptive number (AIMD on HTTP 429)."""

    def __init__(self, backend: Backend, ceiling: int, *, floor: int = 1) -> None:
        self.backend = backend
        self.model_name = backend.model_name
        self.ceiling = max(1, ceiling)
        self.floor = max(1, min(floor, self.ceiling))
        self.limit = self.ceiling
        self.in_flight = 0
        self.decreases = 0
        self.rate_limited = 0
        self._generation = 0
        self._successes = 0
        self._cond = threading.Condition()

    # Read through, not copied: the pipeline lowers the context when a model refuses a
    # prompt, and that must reach the backend every worker shares.
    @property
    def context_tokens(self) -> int | None:
        """The wrapped backend's context window."""
        return self.backend.context_tokens

    @context_tokens.setter
    def context_tokens(self, value: int | None) -> None:
        self.backend.context_tokens = value

    @property
    def draft_strategy(self) -> str:
        """The wrapped backend's drafting strategy."""
        return self.backend.draft_strategy

    def count_tokens(self, text: str) -> int:
        """The wrapped backend's count."""
        return self.backend.count_tokens(text)

    def complete(self, request: Request) -> Completion:
        """Wait for a slot, send REQUEST through the wrapped backend, adapt the limit."""
        generation = self._acquire()
        try:
            completion = self.backend.complete(request)
        except ModelHTTPError as exc:
            self._release(generation, rate_limited=exc.status == 429, success=False)
            raise
        except BaseException:
            self._release(generation, rate_limited=False, success=False)
            raise
        self._release(generation, rate_limited=False, success=True)
        return completion

    def _acquire(self) -> int:
        with self._cond:
            while self.in_flight >= self.limit:
                self._cond.wait()
            self.in_flight += 1
            return self._generation

    def _release(self, generation: int, *, rate_limited: bool, success: bool) -> None:
        with self._cond:
            self.in_flight -= 1
            if rate_limited:
                self.rate_limited += 1
                self._successes = 0
                if generation == self._generation:
                    self._generation += 1
                    self.decreases += 1
                    self.limit = max(self.floor, self.limit // 2)
                    log.info("rate limited: at most %d requests in flight now", self.limit)
            elif success:
                self._successes += 1
                if self._successes >= self.limit and self.limit < self.ceiling:
                    self._successes = 0
                    self.limit += 1
                    log.info("no rate limit lately: up to %d requests in flight", self.limit)
            self._cond.notify_all()
