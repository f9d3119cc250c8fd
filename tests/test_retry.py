from __future__ import annotations

import pytest

from summarize.errors import ContextLengthError, ModelConnectionError, ModelHTTPError, is_transient
from summarize.retry import RetryPolicy, call_with_retries


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504])
def test_transient_statuses(status: int) -> None:
    assert is_transient(ModelHTTPError("x", status=status))


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_permanent_statuses(status: int) -> None:
    assert not is_transient(ModelHTTPError("x", status=status))


def test_connection_errors_are_transient_context_errors_are_not() -> None:
    assert is_transient(ModelConnectionError("x"))
    assert not is_transient(ContextLengthError("x", status=400))
    assert not is_transient(ValueError("x"))


def test_attempts_are_capped_and_each_failure_is_seen() -> None:
    seen: list[BaseException] = []

    def always_fail() -> None:
        raise ModelHTTPError("busy", status=503)

    with pytest.raises(ModelHTTPError):
        call_with_retries(always_fail, RetryPolicy(max_retries=3, initial=0.001), seen.append)
    assert len(seen) == 4


def test_retry_after_overrides_backoff() -> None:
    from tenacity import RetryCallState, Retrying

    policy = RetryPolicy(initial=0.001, maximum=0.002, retry_after_cap=10)
    state = RetryCallState(Retrying(), fn=None, args=(), kwargs={})
    state.set_exception((ModelHTTPError, ModelHTTPError("x", status=429, retry_after=7.5), None))
    assert policy.wait(state) == 7.5
    state.set_exception((ModelHTTPError, ModelHTTPError("x", status=429, retry_after=999), None))
    assert policy.wait(state) == 10


def test_backoff_grows_with_jitter() -> None:
    from tenacity import RetryCallState, Retrying

    policy = RetryPolicy(initial=1, maximum=8)
    state = RetryCallState(Retrying(), fn=None, args=(), kwargs={})
    state.set_exception((ModelHTTPError, ModelHTTPError("x", status=500), None))
    waits = []
    for attempt in (1, 2, 3, 4, 5):
        state.attempt_number = attempt
        waits.append(policy.wait(state))
    assert 0.5 <= waits[0] <= 1 and 4 <= waits[3] <= 8 and waits[4] <= 8
