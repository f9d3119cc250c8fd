"""The fault matrix: every way an endpoint misbehaves, through the real openai client.

Each case shows the outcome (retried, re-asked, or failed fast with a clear reason) and
that `usage.requests` counts every attempt the server saw. test_openai_compat.py holds
the older single cases (Retry-After-ms, dropped connection, mode step-down); this file
is the matrix docs/RELIABILITY.md records.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from summarize.backends.openai_compat import OpenAICompatBackend
from summarize.batch import BatchConfig, run_batch
from summarize.cli import app
from summarize.config import Settings
from summarize.errors import ModelConnectionError, ModelHTTPError, SummarizeError, UnexpectedModelBehavior
from summarize.ingest import Document
from summarize.schemas import ArticleSummary
from summarize.testing import FakeOpenAIServer, Reply, chat_completion, echo_responder, ok
from tests.fakes import ARTICLE, ARTICLE_PATH, Sleeps, draft_json, summarize_document

RETRIES = 2
DOC = Document(text=ARTICLE, path="article.txt")
GOOD = ok(draft_json())
COMPLETION = chat_completion(draft_json())
BODY_BYTES = len(json.dumps(COMPLETION))


def summarize(
    server: FakeOpenAIServer, *, timeout: float = 5.0, request_timeout: float = 1800.0
) -> ArticleSummary:
    settings = Settings(base_url=server.base_url, model="m", timeout=timeout, request_timeout=request_timeout)
    result = summarize_document(DOC, OpenAICompatBackend.from_settings(settings), max_retries=RETRIES)
    assert result.usage.requests == len(server.requests)
    return result


def failure(server: FakeOpenAIServer, kind: type[SummarizeError], *, timeout: float = 5.0) -> SummarizeError:
    with pytest.raises(kind) as info:
        summarize(server, timeout=timeout)
    exc = info.value
    assert exc.usage is not None and exc.usage.requests == len(server.requests)
    return exc


def error(status: int, **headers: str) -> Reply:
    return Reply(status, {"error": {"message": f"fault {status}"}}, headers=headers)


# --- HTTP statuses ---------------------------------------------------------------------------


def test_429_with_retry_after_is_retried_after_the_wait(server: FakeOpenAIServer) -> None:
    sleeps = Sleeps()
    server.enqueue(error(429, **{"retry-after": "0.3"}), GOOD)
    settings = Settings(base_url=server.base_url, model="m")
    backend = OpenAICompatBackend.from_settings(settings)
    result = summarize_document(DOC, backend, max_retries=RETRIES, sleep=sleeps)
    assert sleeps.waits == [0.3]
    assert result.usage.requests == len(server.requests) == 2


def test_429_without_retry_after_backs_off_and_retries(server: FakeOpenAIServer) -> None:
    server.enqueue(error(429), GOOD)
    assert summarize(server).usage.requests == 2


def test_429_that_never_ends_fails_with_the_hint(server: FakeOpenAIServer) -> None:
    server.enqueue(*[error(429, **{"retry-after": "0"})] * (RETRIES + 1))
    exc = failure(server, ModelHTTPError)
    assert "HTTP 429" in str(exc) and "Lower --concurrency" in str(exc)
    assert len(server.requests) == RETRIES + 1


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_retried(server: FakeOpenAIServer, status: int) -> None:
    server.enqueue(error(status), error(status), GOOD)
    assert summarize(server).usage.requests == 3


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_that_persist_fail_with_every_attempt_counted(
    server: FakeOpenAIServer, status: int
) -> None:
    server.enqueue(*[error(status)] * (RETRIES + 1))
    exc = failure(server, ModelHTTPError)
    assert f"HTTP {status}" in str(exc) and "Retry later or check the server" in str(exc)


# --- connections -------------------------------------------------------------------------------


def _closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    sock.close()
    return port


def test_connection_refused_is_retried_then_fails_clearly() -> None:
    settings = Settings(base_url=f"http://127.0.0.1:{_closed_port()}/v1", model="m", timeout=2)
    with pytest.raises(ModelConnectionError, match=r"cannot reach .*Check --base-url") as info:
        summarize_document(DOC, OpenAICompatBackend.from_settings(settings), max_retries=RETRIES)
    usage = info.value.usage
    assert usage is not None and usage.requests == RETRIES + 1


def test_connection_reset_mid_response_is_retried(server: FakeOpenAIServer) -> None:
    server.enqueue(Reply(200, COMPLETION, truncate=BODY_BYTES // 2), GOOD)
    assert summarize(server).usage.requests == 2


def test_connection_reset_right_after_the_headers_is_retried(server: FakeOpenAIServer) -> None:
    server.enqueue(Reply(200, COMPLETION, truncate=0), GOOD)
    assert summarize(server).usage.requests == 2


def test_read_timeout_is_retried(server: FakeOpenAIServer) -> None:
    server.enqueue(Reply(200, COMPLETION, delay=1.5), GOOD)
    assert summarize(server, timeout=0.5).usage.requests == 2


def test_read_timeout_that_persists_fails_with_the_hint(server: FakeOpenAIServer) -> None:
    server.enqueue(*[Reply(200, COMPLETION, delay=1.0)] * (RETRIES + 1))
    exc = failure(server, ModelConnectionError, timeout=0.3)
    assert "did not answer in time. Raise --timeout" in str(exc)


def test_slow_trickle_within_the_timeout_succeeds(server: FakeOpenAIServer) -> None:
    server.enqueue(Reply(200, COMPLETION, trickle=0.1 / BODY_BYTES))
    assert summarize(server, timeout=20).usage.requests == 1


def test_trickle_past_the_request_timeout_is_cut_and_retried(server: FakeOpenAIServer) -> None:
    # Every byte arrives well within --timeout (a silence); only --request-timeout stops it.
    server.enqueue(Reply(200, COMPLETION, trickle=2.0 / BODY_BYTES), GOOD)
    assert summarize(server, timeout=0.5, request_timeout=0.5).usage.requests == 2


# --- bodies that are not a chat completion -----------------------------------------------------


def test_malformed_json_body_is_retried(server: FakeOpenAIServer) -> None:
    server.enqueue(Reply(200, '{"id": "chatcmpl-1", "choices": [{"index": 0,'), GOOD)
    result = summarize(server)
    assert result.usage.requests == 2
    assert server.requests[1]["messages"] == server.requests[0]["messages"]  # retried, not re-asked


def test_malformed_json_body_that_persists_fails_clearly(server: FakeOpenAIServer) -> None:
    server.enqueue(*[Reply(200, "{not json")] * (RETRIES + 1))
    exc = failure(server, ModelConnectionError)
    assert "not valid JSON" in str(exc)


def test_html_error_page_with_status_200_is_retried_not_reasked(server: FakeOpenAIServer) -> None:
    page = "<html><body><h1>502 Bad Gateway</h1></body></html>"
    server.enqueue(Reply(200, page, content_type="text/html"), GOOD)
    assert summarize(server).usage.requests == 2
    assert server.requests[1]["messages"] == server.requests[0]["messages"]


def test_html_page_that_persists_names_the_base_url(server: FakeOpenAIServer) -> None:
    server.enqueue(*[Reply(200, "<html>login</html>", content_type="text/html")] * (RETRIES + 1))
    exc = failure(server, ModelConnectionError)
    assert "not a chat completion. Check --base-url" in str(exc)


def test_wrong_content_type_with_a_valid_body_is_accepted(server: FakeOpenAIServer) -> None:
    server.enqueue(Reply(200, COMPLETION, content_type="text/plain"))
    result = summarize(server)
    assert result.usage.requests == 1 and len(result.claims) == 2


def test_empty_choices_are_reasked(server: FakeOpenAIServer) -> None:
    empty = chat_completion("x")
    empty["choices"] = []
    server.enqueue(Reply(200, empty), GOOD)
    assert summarize(server).usage.requests == 2
    assert "(empty reply)" in json.dumps(server.requests[1]["messages"])


# --- replies that are not a valid summary ------------------------------------------------------


def test_malformed_json_content_is_reasked_with_the_error(server: FakeOpenAIServer) -> None:
    server.enqueue(ok('{"summary": "x", "actors": [,]}'), GOOD)
    assert summarize(server).usage.requests == 2
    assert "not valid JSON" in server.requests[1]["messages"][-1]["content"]


def test_schema_invalid_json_is_reasked_then_fails_after_the_limit(server: FakeOpenAIServer) -> None:
    server.enqueue(*[ok('{"summary": 3, "actors": "none"}')] * 3)
    exc = failure(server, UnexpectedModelBehavior)
    assert "no valid summary after 3 attempts" in str(exc) and "summary:" in str(exc)
    assert "actors" in server.requests[1]["messages"][-1]["content"]


def test_truncated_output_is_asked_again_with_more_room(server: FakeOpenAIServer) -> None:
    cut = ok('{"summary": "The coun', finish_reason="length")
    server.enqueue(cut, GOOD)
    assert summarize(server).usage.requests == 2
    assert [r["max_tokens"] for r in server.requests] == [2048, 4096]


def test_truncated_output_at_the_cap_fails_with_the_hint(server: FakeOpenAIServer) -> None:
    server.enqueue(*[ok('{"summary": "The coun', finish_reason="length")] * 3)
    exc = failure(server, UnexpectedModelBehavior)
    assert "cut off at 8192 tokens. Raise --max-tokens" in str(exc)
    assert [r["max_tokens"] for r in server.requests] == [2048, 4096, 8192]


def test_refusal_fails_fast_with_the_reason(server: FakeOpenAIServer) -> None:
    server.enqueue(Reply(200, chat_completion(None, refusal="I can't help with that.")))
    exc = failure(server, UnexpectedModelBehavior)
    assert "the model refused: I can't help with that." in str(exc)
    assert len(server.requests) == 1


# --- through the command line and a batch --------------------------------------------------------


def endpoint(server: FakeOpenAIServer) -> list[str]:
    return ["--base-url", server.base_url, "--model", "m", "--max-retries", str(RETRIES)]


@pytest.mark.parametrize(
    ("replies", "expected"),
    [
        ([error(503, **{"retry-after": "0"})] * (RETRIES + 1), "HTTP 503"),
        ([Reply(200, "{not json", headers={"retry-after": "0"})] * (RETRIES + 1), "not valid JSON"),
        ([Reply(200, chat_completion(None, refusal="No."))], "the model refused: No"),
    ],
)
def test_cli_fault_is_one_error_line(server: FakeOpenAIServer, replies: list[Reply], expected: str) -> None:
    server.enqueue(*replies)
    result = CliRunner().invoke(app, ["file", str(ARTICLE_PATH), *endpoint(server)])
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and expected in lines[0], result.stderr
    assert "Traceback" not in result.output


@pytest.fixture
def flaky() -> Iterator[FakeOpenAIServer]:
    """Answers every article well, except the first: it always gets a 500."""

    def responder(body: dict[str, Any]) -> Reply:
        if "number 0 " in json.dumps(body):
            return error(500, **{"retry-after": "0"})
        return echo_responder(body)

    with FakeOpenAIServer(responder=responder) as srv:
        yield srv


def test_batch_counts_every_attempt_of_a_failed_article(tmp_path: Path, flaky: FakeOpenAIServer) -> None:
    root, out = tmp_path / "in", tmp_path / "out"
    root.mkdir()
    for i in range(3):
        (root / f"a{i}.txt").write_text(
            f"Story number {i} \n\nThe council met on Monday. The story number {i} was told.\n"
        )
    settings = Settings(base_url=flaky.base_url, model="m", max_retries=RETRIES)
    stats = run_batch(BatchConfig(root=root, outdir=out, concurrency=2), settings)
    assert (stats.ok, stats.failed) == (2, 1)
    recs = {r["path"]: r for r in map(json.loads, (out / "results.jsonl").read_text().splitlines())}
    assert recs["a0.txt"]["status"] == "failed" and "HTTP 500" in recs["a0.txt"]["error"]
    assert recs["a0.txt"]["usage"]["requests"] == RETRIES + 1
    assert stats.usage.requests == len(flaky.requests) == RETRIES + 1 + 2
    assert json.loads((out / "run.json").read_text())["usage"]["requests"] == len(flaky.requests)
