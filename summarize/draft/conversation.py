"""Conversations: the pipeline's requests as rounds, whoever sends them.

A conversation is a generator that yields a round (a list of requests that do not depend
on each other), receives their completions in the same order, and finally returns its
result. A failed request is thrown into the conversation at the `yield` of its round, so
the pipeline can react (a context-length refusal makes it split the article) or let the
error end the article.

Conversations are deterministic: given the same completions they ask the same requests.
That is what lets a provider batch job replay an article's conversation from the replies
it has collected so far, after any crash, and get exactly the live path's result.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import TYPE_CHECKING, TypeVar

from summarize.backends.base import Completion, Request
from summarize.errors import SummarizeError

if TYPE_CHECKING:
    from summarize.draft.sender import Sender

T = TypeVar("T")
Round = list[Request]
Conversation = Generator[Round, list[Completion], T]


def ask(request: Request) -> Conversation[Completion]:
    """A round of one request; its completion."""
    replies = yield [request]
    return replies[0]


def in_parallel(conversations: Sequence[Conversation[T]]) -> Conversation[list[T]]:
    """Run CONVERSATIONS side by side: each round holds the next requests of every one
    still going. Returns their results in order."""
    results: dict[int, T] = {}
    pending: dict[int, Round] = {}
    for i, conv in enumerate(conversations):
        _advance(i, conv, None, pending, results)
    while pending:
        order = sorted(pending)
        replies = yield [r for i in order for r in pending[i]]
        cursor = 0
        for i in order:
            n = len(pending.pop(i))
            _advance(i, conversations[i], replies[cursor : cursor + n], pending, results)
            cursor += n
    return [results[i] for i in range(len(conversations))]


def _advance(
    i: int,
    conv: Conversation[T],
    replies: list[Completion] | None,
    pending: dict[int, Round],
    results: dict[int, T],
) -> None:
    try:
        pending[i] = next(conv) if replies is None else conv.send(replies)
    except StopIteration as stop:
        results[i] = stop.value


def run_live(conv: Conversation[T], sender: Sender) -> T:
    """Drive CONV to its result, sending every request through SENDER, in order."""
    try:
        requests = next(conv)
        while True:
            try:
                replies = [sender.send(r) for r in requests]
            except SummarizeError as exc:
                requests = conv.throw(exc)
                continue
            requests = conv.send(replies)
    except StopIteration as stop:
        result: T = stop.value
        return result
