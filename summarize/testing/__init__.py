"""Fakes for tests and benchmarks: a queue backend, a loopback OpenAI-compatible server, and a
loopback Files + Batches API (`FakeBatchAPI`, scripted per batch with a `BatchPlan`). The
server streams when asked (`Reply(pieces=..., every=..., drop_after=...)`, `slots=`), and
`summarize.testing.llama_http` runs llama.cpp's own server on 127.0.0.1.

Shipped with the package so users can test code that calls summarize without a model:

    fake = FakeBackend()
    fake.enqueue(draft_json)            # or an exception, or a Completion
    summarize_text(text, backend=fake)
"""

from __future__ import annotations

from summarize.testing.batch_api import BatchPlan, FakeBatchAPI
from summarize.testing.fakes import FakeBackend
from summarize.testing.server import (
    FakeOpenAIServer,
    Reply,
    Responder,
    Served,
    chat_completion,
    echo_responder,
    ok,
)

__all__ = [
    "BatchPlan",
    "FakeBackend",
    "FakeBatchAPI",
    "FakeOpenAIServer",
    "Reply",
    "Responder",
    "Served",
    "chat_completion",
    "echo_responder",
    "ok",
]
