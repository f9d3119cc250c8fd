"""Transport retries: tenacity with an explicit predicate, jittered backoff and Retry-After.

This is the only place that retries a request. The SDK's own retries are off, and the
re-ask loop for bad output (summarize.draft.one_pass) never wraps this one in a second
transport loop. The sleep and the clock are injectable so tests never wait.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt
from tenacity.stop import stop_base

from summarize.config import Settings
from summarize.errors import ModelHTTPError, is_transient

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: attempts, total time, and the backoff curve."""

    max_retries: int
    budget_seconds: float
    initial: float = 0.5
    maximum: float = 20.0
    retry_after_cap: float = 60.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False, repr=False)
    clock: Callable[[], float] = field(default=time.monotonic, compare=False, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        """The policy SETTINGS ask for (--max-retries, the retry time budget)."""
        return cls(max_retries=settings.max_retries, budget_seconds=settings.retry_budget)

    def wait(self, state: RetryCallState) -> float:
        """Exponential backoff with full jitter, or the server's Retry-After when it asks."""
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, ModelHTTPError) and exc.retry_after is not None:
            return min(max(exc.retry_after, 0.0), self.retry_after_cap)
        ceiling = min(self.maximum, self.initial * 2 ** (state.attempt_number - 1))
        return random.uniform(ceiling / 2, ceiling)


def call_with_retries(
    fn: Callable[[], T], policy: RetryPolicy, on_failure: Callable[[BaseException], None] | None = None
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
        stop=stop_after_attempt(policy.max_retries + 1) | _StopAfterBudget(policy),
        wait=policy.wait,
        sleep=policy.sleep,
        before_sleep=before_sleep,
        reraise=True,
    )
    for attempt in retrying:
        with attempt:
            try:
                return fn()
            except BaseException as exc:
                if on_failure is not None:
                    on_failure(exc)
                raise
    raise AssertionError("unreachable: tenacity either returns or re-raises")  # pragma: no cover


class _StopAfterBudget(stop_base):
    """Stop once the time budget is spent retrying, by the policy's clock (so tests can fake
    time). The clock starts at the first failure: the first attempt's own wait, for a slot
    of a busy batch's limiter or for a slow answer, is not time spent retrying."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy
        self.first_failure: float | None = None

    def __call__(self, retry_state: RetryCallState) -> bool:
        now = self.policy.clock()
        if self.first_failure is None:
            self.first_failure = now
        return now - self.first_failure >= self.policy.budget_seconds
