"""summarize.draft.conversation: rounds of requests, whoever sends them."""

from __future__ import annotations

import pytest

from summarize.backends.base import Completion, Message, Request
from summarize.draft.conversation import Conversation, ask, in_parallel, run_live
from summarize.draft.retry import RetryPolicy
from summarize.draft.sender import Sender
from summarize.errors import ContextLengthError, ModelHTTPError
from summarize.testing import FakeBackend

NO_WAIT = RetryPolicy(max_retries=2, budget_seconds=10, sleep=lambda s: None)


def req(text: str) -> Request:
    return Request(messages=(Message("user", text),), schema={}, max_tokens=8)


def echo(request: Request) -> Completion:
    return Completion(request.messages[0].content.upper(), "stop")


def two_steps(name: str) -> Conversation[str]:
    first = yield from ask(req(f"{name}-1"))
    second = yield from ask(req(f"{name}-2 after {first.text}"))
    return second.text


def test_parallel_conversations_share_rounds_and_keep_their_order() -> None:
    conv = in_parallel([two_steps("a"), two_steps("b")])
    rounds = []
    replies = None
    try:
        while True:
            requests = next(conv) if replies is None else conv.send(replies)
            rounds.append([r.messages[0].content for r in requests])
            replies = [echo(r) for r in requests]
    except StopIteration as stop:
        result = stop.value
    assert rounds == [["a-1", "b-1"], ["a-2 after A-1", "b-2 after B-1"]]
    assert result == ["A-2 AFTER A-1", "B-2 AFTER B-1"]


def test_run_live_sends_in_order_and_counts_every_request() -> None:
    fake = FakeBackend()
    fake.enqueue(*[echo] * 4)
    sender = Sender(fake, NO_WAIT)
    assert run_live(in_parallel([two_steps("a"), two_steps("b")]), sender) == [
        "A-2 AFTER A-1",
        "B-2 AFTER B-1",
    ]
    assert [r.messages[0].content for r in fake.requests] == ["a-1", "b-1", "a-2 after A-1", "b-2 after B-1"]
    assert sender.meter.usage.requests == 4


def test_a_failed_request_is_thrown_into_the_conversation() -> None:
    def replans() -> Conversation[str]:
        try:
            reply = yield from ask(req("whole"))
        except ContextLengthError:
            parts = yield [req("part 1"), req("part 2")]
            return " + ".join(p.text for p in parts)
        return reply.text

    fake = FakeBackend()
    fake.enqueue(ContextLengthError("too long"), echo, echo)
    assert run_live(replans(), Sender(fake, NO_WAIT)) == "PART 1 + PART 2"


def test_an_error_the_conversation_does_not_handle_ends_it() -> None:
    fake = FakeBackend()
    fake.enqueue(ModelHTTPError("bad key", status=401))
    with pytest.raises(ModelHTTPError):
        run_live(two_steps("a"), Sender(fake, NO_WAIT))
