"""Transport retries: tenacity with an explicit predicate, jittered backoff and Retry-After.

This is the only place that retries a request. The SDK's own retries are off,
and the re-ask loop for bad output (summarize.extract) never wraps this one in
a second transport loop.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
)

from summarize.errors import ModelHTTPError, is_transient

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: attempts, total time, and the backoff curve."""

    max_retries: int = 6
    budget_seconds: float = 40.0
    initial: float = 0.5
    maximum: float = 20.0
    retry_after_cap: float = 60.0

    def wait(self, state: RetryCallState) -> float:
        """Exponential backoff with full jitter, or the server's Retry-After when it asks."""
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, ModelHTTPError) and exc.retry_after is not None:
            return min(max(exc.retry_after, 0.0), self.retry_after_cap)
        ceiling = min(self.maximum, self.initial * 2 ** (state.attempt_number - 1))
        return random.uniform(ceiling / 2, ceiling)


def call_with_retries(
    fn: Callable[[], T], policy: RetryPolicy, on_failure: Callable[[BaseException], None]
) -> T:
    """Call FN until it succeeds, a non-transient error occurs, or the policy gives up.

    ON_FAILURE sees every failed attempt (to count it as a request); the last
    error is re-raised unchanged.
    """

    def before_sleep(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        log.info("attempt %d failed (%s); retrying", state.attempt_number, exc)

    retrying = Retrying(
        retry=retry_if_exception(is_transient),
        stop=stop_after_attempt(policy.max_retries + 1) | stop_after_delay(policy.budget_seconds),
        wait=policy.wait,
        before_sleep=before_sleep,
        reraise=True,
    )
    for attempt in retrying:
        with attempt:
            try:
                return fn()
            except BaseException as exc:
                on_failure(exc)
                raise
    raise AssertionError("unreachable: tenacity either returns or re-raises")  # pragma: no cover
