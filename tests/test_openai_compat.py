"""The real openai client against a loopback server scripted with faults."""

from __future__ import annotations

import time

import pytest

from summarize.backends.base import Request
from summarize.backends.openai_compat import OpenAICompatBackend
from summarize.config import Settings
from summarize.errors import (
    ContextLengthError,
    ModelConnectionError,
    ModelHTTPError,
    UnexpectedModelBehavior,
)
from summarize.extract import ExtractOptions, summarize_document
from summarize.ingest import Document
from summarize.retry import RetryPolicy
from summarize.testing import FakeOpenAIServer, Reply, chat_completion, ok
from tests.fakes import ARTICLE, draft_json

FAST = ExtractOptions(retry=RetryPolicy(initial=0.01, maximum=0.02))
DOC = Document(text=ARTICLE, path="article.txt")


def backend(server: FakeOpenAIServer, **kw: object) -> OpenAICompatBackend:
    settings = Settings(base_url=server.base_url, model="test-model", timeout=5).with_overrides(**kw)
    return OpenAICompatBackend.from_settings(settings)


def run(server: FakeOpenAIServer, **kw: object):  # type: ignore[no-untyped-def]
    return summarize_document(DOC, backend(server, **kw), options=FAST)


def test_json_schema_mode_sends_the_strict_schema(server: FakeOpenAIServer) -> None:
    server.enqueue(ok(draft_json()))
    result = run(server)
    fmt = server.requests[0]["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
    assert fmt["json_schema"]["schema"]["additionalProperties"] is False
    assert server.requests[0]["model"] == "test-model"
    assert result.usage.requests == 1 and result.usage.prompt_tokens == 100
    assert result.model == "test-model"


def test_429_with_retry_after_is_honoured(server: FakeOpenAIServer) -> None:
    server.enqueue(
        Reply(429, {"error": {"message": "slow down"}}, headers={"retry-after": "0.3"}),
        ok(draft_json()),
    )
    t0 = time.monotonic()
    result = run(server)
    assert time.monotonic() - t0 >= 0.3
    assert result.usage.requests == 2


def test_retry_after_ms_is_honoured(server: FakeOpenAIServer) -> None:
    server.enqueue(
        Reply(429, {"error": {"message": "x"}}, headers={"retry-after-ms": "250"}), ok(draft_json())
    )
    t0 = time.monotonic()
    run(server)
    assert time.monotonic() - t0 >= 0.25


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504])
def test_transient_statuses_are_retried(server: FakeOpenAIServer, status: int) -> None:
    server.enqueue(Reply(status, {"error": {"message": "transient"}}), ok(draft_json()))
    assert run(server).usage.requests == 2


@pytest.mark.parametrize("status", [400, 401, 403, 404])
def test_client_errors_fail_fast(server: FakeOpenAIServer, status: int) -> None:
    server.enqueue(Reply(status, {"error": {"message": "nope"}}))
    with pytest.raises(ModelHTTPError) as info:
        run(server, mode="json_object")
    assert info.value.status == status
    assert len(server.requests) == 1


def test_dropped_connection_is_retried(server: FakeOpenAIServer) -> None:
    server.enqueue(Reply(drop=True), ok(draft_json()))
    result = run(server)
    assert result.usage.requests == 2


def test_malformed_and_schema_invalid_json_are_reasked(server: FakeOpenAIServer) -> None:
    server.enqueue(ok('{"summary": oops'), ok('{"summary": "x"}'), ok(draft_json()))
    result = run(server)
    assert result.usage.requests == 3
    reask = server.requests[2]["messages"][-1]["content"]
    assert "actors: Field required" in reask


def test_truncated_output_is_asked_again_with_more_tokens(server: FakeOpenAIServer) -> None:
    server.enqueue(ok('{"summary": "The coun', finish_reason="length"), ok(draft_json()))
    result = run(server)
    assert [r["max_tokens"] for r in server.requests] == [2048, 4096]
    assert result.usage.requests == 2


def test_auto_steps_down_when_json_schema_is_rejected_and_remembers(server: FakeOpenAIServer) -> None:
    rejected = Reply(400, {"error": {"message": "response_format json_schema is not supported"}})
    server.enqueue(rejected, ok(draft_json()), ok(draft_json()))
    b = backend(server)
    summarize_document(DOC, b, options=FAST)
    summarize_document(DOC, b, options=FAST)
    kinds = [r.get("response_format", {}).get("type") for r in server.requests]
    assert kinds == ["json_schema", "json_object", "json_object"]


def test_explicit_mode_is_not_stepped_down(server: FakeOpenAIServer) -> None:
    server.enqueue(Reply(400, {"error": {"message": "response_format json_schema is not supported"}}))
    with pytest.raises(ModelHTTPError):
        run(server, mode="json_schema")
    assert len(server.requests) == 1


def test_tools_mode_reads_the_function_arguments(server: FakeOpenAIServer) -> None:
    server.enqueue(Reply(200, chat_completion(draft_json(), tool_call=True)))
    result = run(server, mode="tools")
    assert server.requests[0]["tool_choice"]["function"]["name"] == "article_summary"
    assert len(result.claims) == 2


def test_context_length_error_is_not_retried(server: FakeOpenAIServer) -> None:
    body = {"error": {"message": "maximum context length is 4096 tokens", "code": "context_length_exceeded"}}
    server.enqueue(Reply(400, body))
    with pytest.raises(ContextLengthError):
        run(server)
    assert len(server.requests) == 1


def test_refusal_fails_with_the_reason(server: FakeOpenAIServer) -> None:
    server.enqueue(Reply(200, chat_completion(None, refusal="I cannot help with that")))
    with pytest.raises(UnexpectedModelBehavior, match="refused"):
        run(server)


def test_empty_choices_are_reasked(server: FakeOpenAIServer) -> None:
    empty = chat_completion("x")
    empty["choices"] = []
    server.enqueue(Reply(200, empty), ok(draft_json()))
    assert run(server).usage.requests == 2


def test_html_error_page_with_status_200_is_retried(server: FakeOpenAIServer) -> None:
    server.enqueue(Reply(200, "<html>Bad gateway</html>", content_type="text/html"), ok(draft_json()))
    assert run(server).usage.requests == 2


def test_unreachable_endpoint_fails_in_bounded_time() -> None:
    settings = Settings(base_url="http://127.0.0.1:9/v1", model="m", timeout=2)
    b = OpenAICompatBackend.from_settings(settings)
    t0 = time.monotonic()
    with pytest.raises(ModelConnectionError, match="cannot reach"):
        summarize_document(DOC, b, options=ExtractOptions(retry=RetryPolicy(max_retries=2, initial=0.01)))
    assert time.monotonic() - t0 < 10


def test_sdk_retries_are_off(server: FakeOpenAIServer) -> None:
    server.enqueue(Reply(500, {"error": {"message": "x"}}))
    b = backend(server)
    with pytest.raises(ModelHTTPError):
        b.complete(Request(messages=(), schema={}))
    assert len(server.requests) == 1
