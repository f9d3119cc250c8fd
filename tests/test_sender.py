"""summarize.draft.sender and retry: the one way a request reaches a model."""

from __future__ import annotations

import pytest

from summarize.backends.base import Completion, Message, Request
from summarize.draft.retry import RetryPolicy
from summarize.draft.sender import Sender, UsageMeter
from summarize.errors import ModelConnectionError, ModelHTTPError
from summarize.schemas import Usage
from summarize.testing import FakeBackend
from tests.fakes import Sleeps

REQUEST = Request(messages=(Message("user", "hi"),), schema={}, max_tokens=8)
OK = Completion("{}", "stop", Usage(prompt_tokens=7, completion_tokens=3, requests=1))


def test_transport_faults_are_retried_and_every_attempt_is_counted() -> None:
    sleeps = Sleeps()
    fake = FakeBackend()
    fake.enqueue(ModelHTTPError("busy", status=503), ModelConnectionError("reset"), OK)
    meter = UsageMeter()
    sender = Sender(fake, RetryPolicy(max_retries=3, budget_seconds=60, sleep=sleeps), meter)
    assert sender.send(REQUEST) is OK
    assert meter.usage == Usage(prompt_tokens=7, completion_tokens=3, requests=3)
    assert len(sleeps.waits) == 2


def test_the_retry_after_a_server_asks_for_is_waited() -> None:
    sleeps = Sleeps()
    fake = FakeBackend()
    fake.enqueue(ModelHTTPError("slow down", status=429, retry_after=2.5), OK)
    Sender(fake, RetryPolicy(max_retries=3, budget_seconds=60, sleep=sleeps)).send(REQUEST)
    assert sleeps.waits == [2.5]


def test_permanent_errors_are_not_retried_but_counted() -> None:
    fake = FakeBackend()
    fake.enqueue(ModelHTTPError("no", status=404), OK)
    sender = Sender(fake, RetryPolicy(max_retries=3, budget_seconds=60, sleep=Sleeps()))
    with pytest.raises(ModelHTTPError):
        sender.send(REQUEST)
    assert sender.meter.usage.requests == 1 and len(fake.requests) == 1
