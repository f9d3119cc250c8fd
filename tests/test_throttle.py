"""AIMD: one limit shared by every request of a batch, halved once per burst of 429s."""

from __future__ import annotations

import contextlib
import threading

import pytest

from summarize.backends.base import Message, Request
from summarize.batch.throttle import AIMD
from summarize.draft.retry import RetryPolicy
from summarize.draft.sender import Sender
from summarize.errors import ModelHTTPError
from summarize.testing import FakeBackend

REQUEST = Request(messages=(Message("user", "hi"),), schema={}, max_tokens=8)
NO_RETRY = RetryPolicy(max_retries=0, budget_seconds=1, sleep=lambda s: None)


def test_a_burst_of_429s_halves_the_limit_once() -> None:
    limiter = AIMD(ceiling=8)
    slots = [limiter.slot() for _ in range(3)]
    held = [cm.__enter__() for cm in slots]  # three requests in flight together
    for cm, slot in zip(slots, held, strict=True):
        slot.rate_limited = True
        cm.__exit__(None, None, None)
    assert limiter.limit == 4 and limiter.decreases == 1 and limiter.rate_limited == 3
    assert limiter.in_flight == 0


def test_the_sender_reports_429s_and_successes_to_the_limiter() -> None:
    limiter = AIMD(ceiling=4)
    backend = FakeBackend()
    sender = Sender(backend, NO_RETRY, limiter=limiter)
    backend.enqueue(ModelHTTPError("slow down", status=429))
    with pytest.raises(ModelHTTPError):
        sender.send(REQUEST)
    assert limiter.limit == 2
    backend.enqueue(*['{"x": 1}'] * 2)
    sender.send(REQUEST)
    sender.send(REQUEST)
    assert limiter.limit == 3  # a full window of successes adds one
    assert limiter.in_flight == 0


def test_other_errors_neither_shrink_nor_grow_the_limit() -> None:
    limiter = AIMD(ceiling=4)
    backend = FakeBackend()
    backend.enqueue(ModelHTTPError("bad", status=400))
    with pytest.raises(ModelHTTPError):
        Sender(backend, NO_RETRY, limiter=limiter).send(REQUEST)
    assert (limiter.limit, limiter.decreases, limiter.in_flight) == (4, 0, 0)


def test_no_more_than_the_limit_are_in_flight() -> None:
    limiter = AIMD(ceiling=2)
    peak = 0
    lock = threading.Lock()
    gate = threading.Barrier(2, timeout=5)

    def request() -> None:
        nonlocal peak
        with limiter.slot() as slot:
            with lock:
                peak = max(peak, limiter.in_flight)
            with contextlib.suppress(threading.BrokenBarrierError):
                gate.wait()
            slot.succeeded = True

    threads = [threading.Thread(target=request) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert peak == 2 and limiter.in_flight == 0
