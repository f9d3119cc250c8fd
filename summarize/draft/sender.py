"""The one way a request reaches a model: transport retries and the usage meter.

Every request of every drafting strategy goes through `Sender.send`, so `usage.requests`
and transport retries mean the same thing whatever the strategy.
"""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager
from typing import Protocol

from summarize.backends.base import Backend, Completion, Request
from summarize.draft.retry import RetryPolicy, call_with_retries
from summarize.errors import ModelHTTPError, ModelTimeout
from summarize.schemas import Usage


class Slot(Protocol):
    """One request's place among those in flight; the sender says how it went."""

    rate_limited: bool
    succeeded: bool
    timed_out: bool


class Limiter(Protocol):
    """Bounds the requests in flight across every article that shares it (AIMD on 429s and timeouts)."""

    def slot(self) -> AbstractContextManager[Slot]:
        """Wait for a free place; hold it for one request."""
        ...


class UsageMeter:
    """Adds up every request made for one article, failed attempts included."""

    def __init__(self) -> None:
        self.usage = Usage()
        self._lock = threading.Lock()

    def add(self, usage: Usage) -> None:
        """Count a completed request (or several, when a backend stepped down a mode)."""
        with self._lock:
            self.usage = self.usage.add(usage)

    def failed(self, _exc: BaseException) -> None:
        """Count a request that failed in transport."""
        self.add(Usage(requests=1))


class Sender:
    """Sends requests to BACKEND through the transport retry loop and meters them."""

    def __init__(
        self,
        backend: Backend,
        policy: RetryPolicy,
        meter: UsageMeter | None = None,
        limiter: Limiter | None = None,
    ) -> None:
        self.backend = backend
        self.policy = policy
        self.meter = meter or UsageMeter()
        self.limiter = limiter

    def send(self, request: Request) -> Completion:
        """One request, retried on transport faults; every attempt is counted."""
        completion = call_with_retries(lambda: self._attempt(request), self.policy, self.meter.failed)
        self.meter.add(completion.usage)
        return completion

    def _attempt(self, request: Request) -> Completion:
        """One attempt, inside a limiter slot when there is a limiter. Waiting for a retry
        happens outside the slot, so a sleeping retry never blocks a healthy request."""
        if self.limiter is None:
            return self.backend.complete(request)
        with self.limiter.slot() as slot:
            try:
                completion = self.backend.complete(request)
            except ModelHTTPError as exc:
                slot.rate_limited = exc.status == 429
                raise
            except ModelTimeout:
                slot.timed_out = True  # requests queue on the server: send fewer at once
                raise
            slot.succeeded = True
            return completion
