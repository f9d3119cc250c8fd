"""A queue backend: replays queued replies and records every request."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable

from summarize.backends.base import Completion, Request
from summarize.backends.openai_compat import estimate_tokens
from summarize.schemas import Usage


class FakeBackend:
    """A Backend that replays queued replies and records every request."""

    def __init__(self, model_name: str = "fake-model", context_tokens: int | None = None) -> None:
        self.model_name = model_name
        self.context_tokens = context_tokens
        self.queue: deque[Completion | BaseException | Callable[[Request], Completion]] = deque()
        self.requests: list[Request] = []
        self._lock = threading.Lock()

    def enqueue(self, *items: str | Completion | BaseException | Callable[[Request], Completion]) -> None:
        """Queue replies: a string is a complete reply text; exceptions are raised in turn."""
        for item in items:
            if isinstance(item, str):
                item = Completion(item, "stop", Usage(prompt_tokens=10, completion_tokens=5, requests=1))
            self.queue.append(item)

    def count_tokens(self, text: str) -> int:
        """Four characters a token, like the endpoint estimate."""
        return estimate_tokens(text)

    def complete(self, request: Request) -> Completion:
        """Pop the next queued reply (or raise it)."""
        with self._lock:
            self.requests.append(request)
            if not self.queue:
                raise AssertionError("FakeBackend: no reply queued for this request")
            item = self.queue.popleft()
        if isinstance(item, BaseException):
            raise item
        if callable(item):
            return item(request)
        return item
