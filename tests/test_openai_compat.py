"""The real openai client against a loopback server scripted with faults."""

from __future__ import annotations

import logging

import pytest

from summarize.backends.base import Request
from summarize.backends.openai_compat import OpenAICompatBackend, httpx_module
from summarize.config import Settings
from summarize.errors import (
    ContextLengthError,
    ModelConnectionError,
    ModelHTTPError,
    UnexpectedModelBehavior,
)
from summarize.ingest import Document
from summarize.schemas import ArticleSummary
from summarize.testing import FakeOpenAIServer, Reply, chat_completion, ok
from tests.fakes import ARTICLE, Sleeps, draft_json, pipeline, summarize_document

DOC = Document(text=ARTICLE, path="article.txt")


def backend(server: FakeOpenAIServer, **kw: object) -> OpenAICompatBackend:
    settings = Settings(base_url=server.base_url, model="test-model", timeout=5).with_overrides(**kw)
    return OpenAICompatBackend.from_settings(settings)


def run(server: FakeOpenAIServer, sleep: Sleeps | None = None, **kw: object) -> ArticleSummary:
    return pipeline(backend(server, **kw), sleep=sleep).summarize(DOC)


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
    sleeps = Sleeps()
    result = run(server, sleeps)
    assert sleeps.waits == [0.3]
    assert result.usage.requests == 2


def test_retry_after_ms_is_honoured(server: FakeOpenAIServer) -> None:
    server.enqueue(
        Reply(429, {"error": {"message": "x"}}, headers={"retry-after-ms": "250"}), ok(draft_json())
    )
    sleeps = Sleeps()
    run(server, sleeps)
    assert sleeps.waits == [0.25]


@pytest.mark.parametrize("value", ["soon", "nan", "inf"])
def test_unreadable_retry_after_falls_back_to_backoff(server: FakeOpenAIServer, value: str) -> None:
    server.enqueue(Reply(429, {"error": {"message": "x"}}, headers={"retry-after": value}), ok(draft_json()))
    sleeps = Sleeps()
    result = run(server, sleeps)
    assert result.usage.requests == 2
    assert len(sleeps.waits) == 1
    assert 0 < sleeps.waits[0] < 60  # our own backoff, not a wait read from the header


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
    summarize_document(DOC, b)
    summarize_document(DOC, b)
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


def test_unreachable_endpoint_fails_after_the_retries_with_a_cause() -> None:
    settings = Settings(base_url="http://127.0.0.1:9/v1", model="m", timeout=2)
    b = OpenAICompatBackend.from_settings(settings)
    sleeps = Sleeps()
    with pytest.raises(ModelConnectionError, match="cannot reach") as info:
        pipeline(b, sleep=sleeps, max_retries=2).summarize(DOC)
    assert len(sleeps.waits) == 2
    assert "()" not in str(info.value)  # the cause is named, never empty


def test_sdk_retries_are_off(server: FakeOpenAIServer) -> None:
    server.enqueue(Reply(500, {"error": {"message": "x"}}))
    b = backend(server)
    with pytest.raises(ModelHTTPError):
        b.complete(Request(messages=(), schema={}, max_tokens=10))
    assert len(server.requests) == 1


def test_a_500_that_names_response_format_steps_down_once(
    server: FakeOpenAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    # What a widely used local server answers to json_schema: a 500 with a validation error.
    invalid = {
        "detail": [
            {"loc": ["body", "response_format", "type"], "msg": "Input should be 'text' or 'json_object'"}
        ]
    }
    server.enqueue(Reply(500, invalid), ok(draft_json()), ok(draft_json()))
    b = backend(server)
    with caplog.at_level(logging.WARNING):
        summarize_document(DOC, b)
        summarize_document(DOC, b)
    kinds = [r.get("response_format", {}).get("type") for r in server.requests]
    assert kinds == ["json_schema", "json_object", "json_object"]
    assert sum("rejected json_schema mode" in r.message for r in caplog.records) == 1


def test_a_bare_500_stays_a_transport_fault(server: FakeOpenAIServer) -> None:
    server.enqueue(Reply(500, {"error": {"message": "internal error"}}), ok(draft_json()))
    result = run(server)
    assert [r["response_format"]["type"] for r in server.requests] == ["json_schema", "json_schema"]
    assert result.usage.requests == 2


def test_the_http_library_is_the_one_the_sdk_uses(server: FakeOpenAIServer) -> None:
    import openai

    # httpx and httpx2 both import here; the transport must come from the SDK's own one.
    pytest.importorskip("httpx")
    pytest.importorskip("httpx2")
    library = httpx_module()
    assert issubclass(openai.DefaultHttpxClient, library.Client)
    server.enqueue(ok(draft_json()))
    assert run(server).usage.requests == 1
