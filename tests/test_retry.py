from __future__ import annotations

import pytest

from summarize.draft.retry import RetryPolicy, call_with_retries
from summarize.errors import ContextLengthError, ModelConnectionError, ModelHTTPError, is_transient
from tests.fakes import Sleeps


def policy(**kw: float) -> RetryPolicy:
    """A policy whose waits are recorded, not slept, on a clock that only the waits move."""
    clock = {"now": 0.0}
    sleeps = Sleeps()

    def sleep(seconds: float) -> None:
        sleeps(seconds)
        clock["now"] += seconds

    defaults: dict[str, float] = {"max_retries": 6, "budget_seconds": 40.0}
    return RetryPolicy(**{**defaults, **kw}, sleep=sleep, clock=lambda: clock["now"])  # type: ignore[arg-type]


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504])
def test_transient_statuses(status: int) -> None:
    assert is_transient(ModelHTTPError("x", status=status))


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_permanent_statuses(status: int) -> None:
    assert not is_transient(ModelHTTPError("x", status=status))


def test_connection_errors_are_transient_context_errors_are_not() -> None:
    assert is_transient(ModelConnectionError("x"))
    assert not is_transient(ContextLengthError("x"))
    assert not is_transient(ValueError("x"))


def test_attempts_are_capped_and_each_failure_is_seen() -> None:
    seen: list[BaseException] = []

    def always_fail() -> None:
        raise ModelHTTPError("busy", status=503)

    with pytest.raises(ModelHTTPError):
        call_with_retries(always_fail, policy(max_retries=3), seen.append)
    assert len(seen) == 4


def test_the_time_budget_stops_retrying_before_the_attempts_run_out() -> None:
    seen: list[BaseException] = []

    def always_fail() -> None:
        raise ModelHTTPError("busy", status=503, retry_after=15)

    with pytest.raises(ModelHTTPError):
        call_with_retries(always_fail, policy(max_retries=10, budget_seconds=40), seen.append)
    assert len(seen) == 4  # at 0, 15, 30 and 45 s: the budget is spent after the fourth


def test_retry_after_overrides_backoff() -> None:
    from tenacity import RetryCallState, Retrying

    p = policy(initial=0.001, maximum=0.002, retry_after_cap=10)
    state = RetryCallState(Retrying(), fn=None, args=(), kwargs={})
    state.set_exception((ModelHTTPError, ModelHTTPError("x", status=429, retry_after=7.5), None))
    assert p.wait(state) == 7.5
    state.set_exception((ModelHTTPError, ModelHTTPError("x", status=429, retry_after=999), None))
    assert p.wait(state) == 10


def test_backoff_grows_with_jitter() -> None:
    from tenacity import RetryCallState, Retrying

    p = policy(initial=1, maximum=8)
    state = RetryCallState(Retrying(), fn=None, args=(), kwargs={})
    state.set_exception((ModelHTTPError, ModelHTTPError("x", status=500), None))
    waits = []
    for attempt in (1, 2, 3, 4, 5):
        state.attempt_number = attempt
        waits.append(p.wait(state))
    assert 0.5 <= waits[0] <= 1 and 4 <= waits[3] <= 8 and waits[4] <= 8
