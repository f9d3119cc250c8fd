"""Streaming from an endpoint: the idle timeout, stopping at the close of the JSON, runaway
replies, dropped streams, no pile-up on a single-slot server, and the drafter for a small model.

The fake server's clock is small (a token every 0.2 s, a silence of 1.5 s) so each test is
fast and still fails without the behaviour it shows.
"""

from __future__ import annotations

import io
import json
import logging
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from typer.testing import CliRunner

from summarize.backends import is_small, params_in_name
from summarize.backends.base import Message, Request
from summarize.backends.openai_compat import OpenAICompatBackend, rejects_streaming
from summarize.backends.streaming import GRACE_CHUNKS, RUNAWAY, JsonClosure, read_chunks, repeats
from summarize.batch.throttle import AIMD
from summarize.cli import app
from summarize.cli.article import Ticker
from summarize.config import Settings
from summarize.draft.retry import RetryPolicy
from summarize.draft.sender import Sender
from summarize.errors import ModelTimeout, UnexpectedModelBehavior
from summarize.ingest import Document
from summarize.pipeline import Summarizer, choose_drafter
from summarize.prompts import Prompts
from summarize.testing import FakeOpenAIServer, Reply, chat_completion, ok
from tests.fakes import ARTICLE, ARTICLE_PATH, draft_json, summarize_document

DOC = Document(text=ARTICLE, path="article.txt")
DRAFT = draft_json()


def settings(server: FakeOpenAIServer, **kw: Any) -> Settings:
    return Settings(base_url=server.base_url, model="m", timeout=5.0).with_overrides(**kw)


def backend(server: FakeOpenAIServer, **kw: Any) -> OpenAICompatBackend:
    return OpenAICompatBackend.from_settings(settings(server, **kw))


def in_pieces(text: str, n: int) -> list[str]:
    """TEXT cut into N pieces (the last one takes the rest)."""
    size = len(text) // n
    return [text[i * size : (i + 1) * size] for i in range(n - 1)] + [text[(n - 1) * size :]]


def request(max_tokens: int = 2048) -> Request:
    return Request(messages=(Message("user", "article"),), schema={"type": "object"}, max_tokens=max_tokens)


# --- the JSON-closure scanner ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "end"),
    [
        ('{"a": 1}   ', 8),
        ('{"a": "}"} tail', 10),
        ('{"a": "\\"}"}x', 12),
        ('{"a": "\\\\"}x', 11),
        ('{"a": [1, {"b": []}]}\n\n', 21),
        ('```json\n{"a": 1}\n```', 16),
        ("[1, [2]] ", 8),
        ('{"a": "{[{["}', 13),
    ],
)
def test_the_scanner_finds_where_the_top_level_value_closes(text: str, end: int) -> None:
    assert JsonClosure().feed(text) == end
    assert text[:end].rstrip().endswith(("}", "]"))
    # Fed a character at a time, it closes at the same character.
    scanner = JsonClosure()
    closed_at = next(i for i, ch in enumerate(text) if scanner.feed(ch) is not None)
    assert closed_at + 1 == end


@pytest.mark.parametrize("text", ['{"a": 1', '{"a": "}', '{"a": "\\"}', "no json here", '{"a": [1, 2}'])
def test_the_scanner_does_not_close_an_open_value(text: str) -> None:
    assert JsonClosure().feed(text) is None


def test_repetition_is_found_in_a_looping_tail_only() -> None:
    assert repeats('{"summary": "' + "the council said that " * 40)
    assert repeats('{"actors": [' + '{"name": "Brandt", "aliases": []}, ' * 25)
    assert repeats('{"a": "x"' + " " * 700)
    assert not repeats(DRAFT * 2)  # a whole draft said twice is not a loop of short units
    assert not repeats(ARTICLE[:1500])


def chunk(content: str | None = None, finish: str | None = None, usage: Any = None) -> Any:
    choices = (
        []
        if content is None and finish is None
        else [SimpleNamespace(delta=SimpleNamespace(content=content, refusal=None), finish_reason=finish)]
    )
    return SimpleNamespace(choices=choices, usage=usage)


def test_reading_stops_a_few_chunks_after_the_close_when_the_server_pads() -> None:
    taken: list[int] = []

    def chunks() -> Any:
        for i, piece in enumerate(['{"a": ', '"b"}', *[" "] * 1000]):
            taken.append(i)
            yield chunk(piece)

    reply = read_chunks(chunks())
    assert reply.text == '{"a": "b"}' and reply.finish_reason == "stop" and reply.stopped_early
    assert len(taken) == 2 + GRACE_CHUNKS


def test_reading_waits_for_the_usage_chunk_after_the_close() -> None:
    usage = SimpleNamespace(prompt_tokens=7, completion_tokens=3)
    reply = read_chunks(iter([chunk("{}"), chunk(finish="stop"), chunk(usage=usage)]))
    assert reply.usage is usage and not reply.stopped_early and reply.text == "{}"


def test_a_runaway_reply_is_stopped_and_marked() -> None:
    taken: list[int] = []

    def chunks() -> Any:
        yield chunk('{"summary": "')
        for i in range(100_000):
            taken.append(i)
            yield chunk("again and ")

    reply = read_chunks(chunks())
    assert reply.finish_reason == RUNAWAY and reply.stopped_early
    assert len(taken) < 200


# --- the idle timeout ------------------------------------------------------------------------


def slow_draft(every: float, n: int = 15) -> Reply:
    return Reply(200, chat_completion(DRAFT), pieces=in_pieces(DRAFT, n), every=every)


def test_a_server_producing_tokens_is_never_cut_off_by_the_timeout(server: FakeOpenAIServer) -> None:
    # 15 tokens 0.2 s apart: 3 s in all, three times --timeout; every silence is 0.2 s.
    server.enqueue(slow_draft(0.2))
    result = summarize_document(DOC, backend(server, timeout=1.0), max_retries=0)
    assert result.usage.requests == 1 and len(result.claims) == 2
    assert server.requests[0]["stream"] is True
    assert server.requests[0]["stream_options"] == {"include_usage": True}
    assert result.usage.prompt_tokens == 100  # from the final usage chunk


def test_file_succeeds_against_a_slow_token_stream_with_a_short_timeout(
    server: FakeOpenAIServer, tmp_path: Path
) -> None:
    server.enqueue(slow_draft(0.2))
    result = CliRunner().invoke(
        app,
        ["file", str(ARTICLE_PATH), "--base-url", server.base_url, "--model", "m", "--timeout", "1"],
        env={"OPENAI_API_KEY": "sk-test-key"},
    )
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)["claims"]) == 2
    assert "receiving" not in result.stderr  # progress is for a terminal only


def test_help_names_both_timeouts() -> None:
    text = CliRunner().invoke(app, ["file", "--help"], env={"COLUMNS": "200"}).output
    assert "--timeout" in text and "--request-timeout" in text and "silence" in text


def test_the_ticker_shows_tokens_and_tokens_per_second() -> None:
    out = io.StringIO()
    ticker = Ticker(out, every=0.0)
    ticker(1, 10.0)  # the first token after a 10 s prompt
    ticker(21, 12.0)
    assert "21 tokens, 10.0 tokens/s" in out.getvalue()
    ticker.clear()
    assert out.getvalue().endswith("\r")


def test_verbose_logs_one_line_per_request(
    server: FakeOpenAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.enqueue(ok('{"summary": 3}'), ok(DRAFT))
    with caplog.at_level(logging.INFO, logger="summarize.backends.openai_compat"):
        summarize_document(DOC, backend(server), max_retries=0)
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("request: ")]
    assert len(lines) == 2 and all("prompt +" in line and "completion tokens" in line for line in lines)


def test_a_silence_between_chunks_longer_than_the_timeout_is_retried(server: FakeOpenAIServer) -> None:
    server.enqueue(slow_draft(1.5, n=3), ok(DRAFT))
    result = summarize_document(DOC, backend(server, timeout=0.5), max_retries=2)
    assert result.usage.requests == 2
    assert server.requests[1]["messages"] == server.requests[0]["messages"]  # retried, not re-asked


def test_the_request_timeout_caps_a_whole_streamed_request(server: FakeOpenAIServer) -> None:
    server.enqueue(slow_draft(0.2), ok(DRAFT))
    result = summarize_document(DOC, backend(server, timeout=1.0, request_timeout=1.0), max_retries=2)
    assert result.usage.requests == 2


# --- stopping at the close, runaways, dropped streams ------------------------------------------


def test_reading_stops_within_a_few_tokens_of_the_close(server: FakeOpenAIServer) -> None:
    pieces = [*in_pieces(DRAFT, 20), *[" "] * 400]
    server.enqueue(Reply(200, chat_completion(DRAFT), pieces=pieces, every=0.01))
    result = summarize_document(DOC, backend(server), max_retries=0)
    assert len(result.claims) == 2 and result.usage.requests == 1
    assert server.wait_idle()
    served = server.served[0]
    assert served.streamed and served.client_gone
    assert served.pieces <= 20 + GRACE_CHUNKS + 3  # not the 400 pieces of padding
    assert result.usage.completion_tokens > 0  # no usage chunk came: estimated


def test_a_runaway_reply_is_stopped_early_and_reasked(server: FakeOpenAIServer) -> None:
    loop = ['{"summary": "', *["the council said that "] * 5000]
    server.enqueue(Reply(200, chat_completion("".join(loop)), pieces=loop, every=0.0005), ok(DRAFT))
    result = summarize_document(DOC, backend(server), max_retries=0)
    assert result.usage.requests == 2 and len(result.claims) == 2
    assert server.served[0].pieces < 1000
    reask = server.requests[1]["messages"]
    assert reask[-2]["role"] == "assistant" and "the council said that" in reask[-2]["content"]


def test_a_dropped_stream_is_retried(server: FakeOpenAIServer) -> None:
    server.enqueue(Reply(200, chat_completion(DRAFT), pieces=in_pieces(DRAFT, 10), drop_after=4), ok(DRAFT))
    result = summarize_document(DOC, backend(server), max_retries=2)
    assert result.usage.requests == 2
    assert server.requests[1]["messages"] == server.requests[0]["messages"]


def test_an_error_event_inside_the_stream_is_retried(server: FakeOpenAIServer) -> None:
    body = "data: " + json.dumps({"error": {"code": 500, "message": "slot crashed"}}) + "\n\n"
    server.enqueue(Reply(200, body, content_type="text/event-stream"), ok(DRAFT))
    assert summarize_document(DOC, backend(server), max_retries=2).usage.requests == 2


def test_tool_call_arguments_are_streamed(server: FakeOpenAIServer) -> None:
    server.enqueue(Reply(200, chat_completion(DRAFT, tool_call=True), pieces=[*in_pieces(DRAFT, 8), "  "]))
    result = summarize_document(DOC, backend(server, mode="tools"), max_retries=0)
    assert len(result.claims) == 2 and "tools" in server.requests[0]


# --- servers that cannot stream ----------------------------------------------------------------


def test_a_server_that_refuses_to_stream_gets_plain_requests_for_the_rest_of_the_run(
    server: FakeOpenAIServer,
) -> None:
    server.enqueue(Reply(400, {"error": {"message": "stream_options: not supported"}}), ok(DRAFT), ok(DRAFT))
    be = backend(server)
    summarize_document(DOC, be, max_retries=0)
    summarize_document(DOC, be, max_retries=0)
    assert [r.get("stream") for r in server.requests] == [True, None, None]
    assert not be.streams


def test_a_server_that_ignores_stream_is_read_plain(server: FakeOpenAIServer) -> None:
    server.enqueue(Reply(200, chat_completion(DRAFT), stream=False))
    result = summarize_document(DOC, backend(server), max_retries=0)
    assert result.usage.requests == 1 and result.usage.prompt_tokens == 100
    assert not server.served[0].streamed


def test_only_errors_that_name_streaming_step_down() -> None:
    assert rejects_streaming(400, "'stream_options' is not permitted")
    assert rejects_streaming(500, "streaming is not supported for this model")
    assert not rejects_streaming(503, "upstream connect error or disconnect/reset before headers")
    assert not rejects_streaming(429, "too many stream requests")


# --- no pile-up; Ctrl-C and cancel close the stream --------------------------------------------


def test_after_a_client_timeout_the_server_runs_only_the_retry() -> None:
    # A single-slot server that sees a closed connection only when it writes (as
    # llama-cpp-python's does): the first request's prompt takes longer than --timeout,
    # then 100 tokens. The abandoned request must stop at its first token, not generate all
    # 100 while the retry queues behind it.
    with FakeOpenAIServer(slots=1) as srv:
        pieces = in_pieces(DRAFT, 100)
        srv.enqueue(Reply(200, chat_completion(DRAFT), pieces=pieces, every=0.02, delay=1.5), ok(DRAFT))
        # The retry waits out the rest of the abandoned prompt (0.5 s), well within --timeout.
        result = summarize_document(DOC, backend(srv, timeout=1.0), max_retries=2)
        assert result.usage.requests == 2
        assert srv.wait_idle()
        abandoned = srv.served[0]
        assert abandoned.client_gone and abandoned.pieces <= 2


def test_ctrl_c_while_reading_closes_the_stream(server: FakeOpenAIServer) -> None:
    server.enqueue(Reply(200, chat_completion(DRAFT), pieces=in_pieces(DRAFT, 200), every=0.01))
    be = backend(server)

    def interrupt(chunks: int, _seconds: float) -> None:
        if chunks == 3:
            raise KeyboardInterrupt

    be.progress = interrupt
    with pytest.raises(KeyboardInterrupt):
        be.complete(request())
    assert server.wait_idle()
    assert server.served[0].client_gone and server.served[0].pieces < 20


def test_cancel_stops_a_reply_being_read(server: FakeOpenAIServer) -> None:
    server.enqueue(Reply(200, chat_completion(DRAFT), pieces=in_pieces(DRAFT, 200), every=0.01))
    be = backend(server)
    started = threading.Event()

    def progress(chunks: int, _seconds: float) -> None:
        if chunks == 2:
            started.set()

    be.progress = progress
    threading.Thread(target=lambda: started.wait(10) and be.cancel(), daemon=True).start()
    with pytest.raises(UnexpectedModelBehavior, match="cancelled"):
        be.complete(request())
    assert server.wait_idle()
    assert server.served[0].client_gone and server.served[0].pieces < 20


def test_a_timeout_halves_the_limiter() -> None:
    class Silent:
        model_name, context_tokens = "m", None

        def count_tokens(self, text: str) -> int:
            return 1

        def complete(self, request: Request) -> Any:
            raise ModelTimeout("silent")

    limiter = AIMD(8)
    sender = Sender(Silent(), RetryPolicy(max_retries=0, budget_seconds=1), limiter=limiter)
    with pytest.raises(ModelTimeout):
        sender.send(request())
    assert limiter.limit == 4 and limiter.timed_out == 1 and limiter.rate_limited == 0


# --- the drafter for a small model behind an endpoint -----------------------------------------


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("qwen2.5-coder-0.5b-instruct", 500_000_000),
        ("Qwen2.5-1.5B-Instruct", 1_500_000_000),
        ("llama3.1:8b", 8_000_000_000),
        ("SmolLM2-360M-Instruct", 360_000_000),
        ("/models/Qwen2.5-3B-Instruct-Q4_K_M.gguf", 3_000_000_000),
        ("gpt-4o-mini", None),
        ("mixtral-8x7b", None),
        ("qwen2.5", None),
    ],
)
def test_a_model_names_size_tag_is_read(name: str, params: int | None) -> None:
    assert params_in_name(name) == params


def drafter_for(srv: FakeOpenAIServer, model: str) -> str:
    return choose_drafter(settings(srv, model=model), Prompts.load(None)).name


def test_auto_picks_passes_for_a_small_model_the_server_describes(server: FakeOpenAIServer) -> None:
    # llama.cpp serves one model under any name and says its size in meta.n_params.
    server.models = [{"id": "/models/model.gguf", "object": "model", "meta": {"n_params": 630_167_424}}]
    assert drafter_for(server, "qwen") == "passes"
    server.models = [{"id": "/models/model.gguf", "object": "model", "meta": {"n_params": 7_600_000_000}}]
    assert drafter_for(server, "qwen") == "one-pass"


def test_auto_reads_the_size_tag_when_the_server_does_not_say(server: FakeOpenAIServer) -> None:
    assert drafter_for(server, "qwen2.5:0.5b") == "passes"
    assert drafter_for(server, "qwen2.5:7b") == "one-pass"
    assert drafter_for(server, "my-model") == "one-pass"  # unknown: taken for a capable model
    assert not is_small(Settings(api_key="sk-x", model="gpt-4o-mini"))


def test_the_strategy_option_overrides_the_measured_size(server: FakeOpenAIServer) -> None:
    chosen = choose_drafter(settings(server, model="qwen2.5:0.5b", strategy="one-pass"), Prompts.load(None))
    assert chosen.name == "one-pass"


def test_a_one_pass_reply_that_stays_invalid_names_the_passes_strategy(server: FakeOpenAIServer) -> None:
    server.enqueue(*[ok('{"summary": 3}')] * 3)
    summarizer = Summarizer.from_settings(settings(server, max_retries=0))
    with pytest.raises(UnexpectedModelBehavior, match="--strategy passes"):
        summarizer.summarize(DOC)


# --- a real local server ---------------------------------------------------------------------

SEED = Path(__file__).parent / "fixtures" / "seed_article.txt"


@pytest.mark.slow
@pytest.mark.local_model
def test_the_seed_through_llama_cpps_own_http_server_with_default_options() -> None:
    pytest.importorskip("xllamacpp")
    from summarize.backends.model_files import resolve_model
    from summarize.errors import UserError
    from summarize.ingest import load_document
    from summarize.testing.llama_http import LlamaHTTPServer

    try:
        path = resolve_model(None).path
    except UserError as exc:  # the chunk packages are the optional 'local' extra
        pytest.skip(f"bundled model unavailable: {exc}")
    with LlamaHTTPServer(path, threads=2) as srv:
        run = CliRunner().invoke(app, ["file", str(SEED), "--base-url", srv.base_url, "--model", "qwen"])
    assert run.exit_code == 0, run.output
    result = json.loads(run.stdout)
    text = load_document(str(SEED)).text
    for item in [*result["stances"], *result["claims"]]:
        ev = item["evidence"]
        assert text[ev["start"] : ev["end"]] == ev["quote"]
    assert len(result["actors"]) >= 1
    assert result["usage"]["requests"] >= 1
