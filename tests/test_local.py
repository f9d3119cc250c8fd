"""The embedded model's backend: a fake runtime for the fast tests, the real 0.5B model for the slow ones."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from summarize.backends import llama_server
from summarize.backends.base import Message, Request
from summarize.backends.llama_server import MAX_STRING_CHARS, bounded, compact_grammar
from summarize.backends.local import LocalBackend
from summarize.backends.model_files import resolve_model
from summarize.errors import ContextLengthError, UnexpectedModelBehavior, UserError

REAL = pytest.mark.local_model
SLOW = pytest.mark.slow

# --- a fake runtime: no model, no xllamacpp ---------------------------------------------------


class FakeServer:
    """Answers handle_chat_completions with scripted chunks, like llama.cpp's streaming."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.chunks: list[dict[str, Any]] = []

    def handle_chat_completions(
        self, body: dict[str, Any], on_chunk: Callable[[dict[str, Any]], bool]
    ) -> None:
        self.bodies.append(body)
        for chunk in self.chunks:
            if on_chunk(chunk):
                return


class FakeLoaded(llama_server.Loaded):
    """A loaded model whose socket routes count characters as tokens."""

    def route(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        if path == "/apply-template":
            return {"prompt": "".join(m["content"] for m in body["messages"])}
        return {"tokens": list(body["content"])}


def reply_chunks(text: str, finish: str = "stop") -> list[dict[str, Any]]:
    return [
        {"choices": [{"delta": {"content": text}, "finish_reason": finish}]},
        {"choices": [], "usage": {"prompt_tokens": 12, "completion_tokens": 5}, "timings": {"prompt_n": 12}},
    ]


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeServer:
    server = FakeServer()
    loaded = FakeLoaded(server=server, socket_path=tmp_path / "s.sock", api_key="k")
    monkeypatch.setattr("summarize.backends.local.load_model", lambda *a, **k: loaded)
    monkeypatch.setattr("summarize.backends.local.compact_grammar", lambda schema: json.dumps(schema))
    return server


def request(content: str = "hi", max_tokens: int = 16) -> Request:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}
    return Request(messages=(Message("user", content),), schema=schema, max_tokens=max_tokens)


def test_complete_sends_a_grammar_and_reports_usage(fake: FakeServer, tmp_path: Path) -> None:
    fake.chunks = reply_chunks('{"a":"x"}')
    backend = LocalBackend(tmp_path / "m.gguf", ctx=1024, threads=1)
    out = backend.complete(request())
    body = fake.bodies[0]
    assert body["grammar"] and body["cache_prompt"] and body["repeat_penalty"] == 1.0
    assert body["stream"] and body["temperature"] == 0.0 and body["max_tokens"] == 16
    assert (out.text, out.finish_reason) == ('{"a":"x"}', "stop")
    assert (out.usage.prompt_tokens, out.usage.completion_tokens, out.usage.requests) == (12, 5, 1)
    assert backend.last_timings == {"prompt_n": 12}


def test_a_prompt_over_the_context_is_refused_before_the_model_runs(fake: FakeServer, tmp_path: Path) -> None:
    backend = LocalBackend(tmp_path / "m.gguf", ctx=1024, threads=1)
    with pytest.raises(ContextLengthError, match=r"context of 1,024 tokens.*--ctx") as info:
        backend.complete(request("x" * 900, max_tokens=200))
    assert info.value.limit == 1024 and fake.bodies == []


def test_runtime_errors_become_summarize_errors(fake: FakeServer, tmp_path: Path) -> None:
    backend = LocalBackend(tmp_path / "m.gguf", ctx=1024, threads=1)
    overflow = {
        "message": "the request exceeds the available context size",
        "type": "exceed_context_size_error",
    }
    fake.chunks = [{"error": overflow}]
    with pytest.raises(ContextLengthError):
        backend.complete(request())
    fake.chunks = [{"error": {"message": "boom", "type": "server_error"}}]
    with pytest.raises(UnexpectedModelBehavior, match="boom"):
        backend.complete(request())
    fake.chunks = reply_chunks("Hello! How can I help?")  # the grammar was dropped
    with pytest.raises(UnexpectedModelBehavior, match="ignored the JSON grammar"):
        backend.complete(request())


def test_a_cut_off_reply_is_returned_for_the_pipeline_to_handle(fake: FakeServer, tmp_path: Path) -> None:
    fake.chunks = reply_chunks('{"a":"xx', finish="length")
    out = LocalBackend(tmp_path / "m.gguf", ctx=1024, threads=1).complete(request())
    assert out.finish_reason == "length"


def test_a_tiny_context_is_a_user_error(fake: FakeServer, tmp_path: Path) -> None:
    with pytest.raises(UserError, match="--ctx 100 is too small"):
        LocalBackend(tmp_path / "m.gguf", ctx=100, threads=1)


@pytest.mark.parametrize(
    ("change", "message"), [({"ctx": 100}, "--ctx 100"), ({"threads": 0}, "--threads 0")]
)
def test_settings_made_by_hand_are_checked_before_the_model_is_found(
    monkeypatch: pytest.MonkeyPatch, change: dict[str, int], message: str
) -> None:
    from summarize import summarize_text
    from summarize.backends import local
    from summarize.config import Settings

    def no_model(*args: object, **kwargs: object) -> None:
        raise AssertionError("the model was looked for")

    monkeypatch.setattr(local, "resolve_model", no_model)
    with pytest.raises(UserError, match=message):
        summarize_text("Some article.", settings=Settings(local=True).with_overrides(**change))


def test_missing_xllamacpp_is_a_user_error_naming_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_xllamacpp(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "xllamacpp":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_xllamacpp)
    with pytest.raises(UserError, match=r"summarize\[local\]"):
        llama_server.load_model(Path("/nonexistent.gguf"), ctx=1024, threads=1)


def test_grammar_bounds_lists_and_strings() -> None:
    schema = {"type": "object", "properties": {"xs": {"type": "array", "items": {"type": "string"}}}}
    out = bounded(schema)
    assert out["properties"]["xs"]["maxItems"] == llama_server.MAX_ITEMS
    assert out["properties"]["xs"]["items"]["maxLength"] == MAX_STRING_CHARS
    assert "maxLength" not in bounded({"type": "string", "enum": ["a"]})


# --- the real model (the 'local' extra) ---------------------------------------------------------

CTX = 2048
SYSTEM = "You are a careful news analyst. You answer with JSON only."
ARTICLE = """Harbour Council approves ferry link to Eastwick

The Harbour Council of Northport voted on Tuesday to fund a new ferry between Northport and \
Eastwick, ending a two-year dispute over the route.

Mayor Lena Ortiz said the ferry "will cut commuting times in half for thousands of families". \
She added that the first boats would sail in May.

Councillor Tom Reed, who voted against the plan, warned that the budget had doubled since March. \
"We are buying a boat we cannot afford," Reed said.
"""
DIGEST = {
    "type": "object",
    "properties": {
        "tone": {"type": "string", "enum": ["positive", "negative", "mixed"]},
        "headline": {"type": "string", "maxLength": 40},
        "people": {
            "type": "array",
            "maxItems": 2,
            "items": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "side": {"type": "string", "enum": ["for", "against", "unclear"]},
                },
                "required": ["name", "side"],
                "additionalProperties": False,
            },
        },
    },
    "required": ["tone", "headline", "people"],
    "additionalProperties": False,
}


@pytest.fixture(scope="module")
def backend() -> LocalBackend:
    pytest.importorskip("xllamacpp")
    try:
        path = resolve_model(None).path
    except UserError as exc:  # the chunk packages are the optional 'local' extra
        pytest.skip(f"bundled model unavailable: {exc}")
    return LocalBackend(path, ctx=CTX, threads=2)


def _ask(task: str, schema: dict[str, Any] = DIGEST, max_tokens: int = 80, article: str = ARTICLE) -> Request:
    user = f"<article>\n{article}</article>\n\n{task}"
    return Request(
        messages=(Message("system", SYSTEM), Message("user", user)), schema=schema, max_tokens=max_tokens
    )


@REAL
@SLOW
def test_reply_is_compact_json_that_keeps_enums_bounds_and_required_keys(backend: LocalBackend) -> None:
    task = "Give the tone, a long headline, and every person named with the side they take."
    out = backend.complete(_ask(task))

    reply = json.loads(out.text)
    assert out.finish_reason == "stop"
    assert out.text == json.dumps(reply, ensure_ascii=False, separators=(",", ":"))
    assert set(reply) == {"tone", "headline", "people"}
    assert reply["tone"] in {"positive", "negative", "mixed"}
    assert len(reply["headline"]) <= 40
    assert len(reply["people"]) <= 2
    assert all(p["side"] in {"for", "against", "unclear"} for p in reply["people"])
    assert out.usage.requests == 1 and out.usage.completion_tokens > 0


@SLOW
def test_strings_without_bounds_get_one() -> None:
    pytest.importorskip("xllamacpp")
    grammar = compact_grammar({"type": "object", "properties": {"a": {"type": "string"}}})

    assert f'"maxLength":{MAX_STRING_CHARS}' in grammar.replace(" ", "")
    assert '"whitespace_flexible":false' in grammar.replace(" ", "")


@REAL
@SLOW
def test_shared_prefix_is_evaluated_once(backend: LocalBackend) -> None:
    first = backend.complete(_ask("Who voted against the plan?"))
    prefix = backend.last_timings
    second = backend.complete(_ask("When will the first boats sail?"))
    reused = backend.last_timings

    assert prefix["prompt_n"] + prefix["cache_n"] == first.usage.prompt_tokens
    # Only the task (and the chat template's tail) is new in the second prompt.
    assert reused["prompt_n"] < 30
    assert reused["cache_n"] + reused["prompt_n"] == second.usage.prompt_tokens
    assert second.usage.prompt_tokens == backend.prompt_tokens(_ask("When will the first boats sail?"))


@REAL
@SLOW
def test_prompt_over_the_context_is_refused_before_the_model_runs(backend: LocalBackend) -> None:
    long_article = ARTICLE * 20
    backend.last_timings = {}

    with pytest.raises(ContextLengthError, match=r"context of 2,048 tokens.*--ctx") as info:
        backend.complete(_ask("Who voted?", article=long_article, max_tokens=200))

    assert info.value.limit == CTX
    assert backend.last_timings == {}


@REAL
@SLOW
def test_overflow_reported_by_llama_cpp_is_a_context_length_error(backend: LocalBackend) -> None:
    body = {"messages": [{"role": "user", "content": ARTICLE * 20}], "max_tokens": 4}

    with pytest.raises(ContextLengthError, match="exceeds the available context size") as info:
        backend._generate(body)

    assert info.value.limit == CTX


@REAL
@SLOW
def test_a_grammar_llama_cpp_drops_is_not_taken_for_an_answer(backend: LocalBackend) -> None:
    # LLGuidance rejects unknown formats; llama.cpp then generates without any grammar.
    schema = {"type": "object", "properties": {"a": {"type": "string", "format": "no-such-format"}}}
    request = Request(messages=(Message("user", "Say hello."),), schema=schema, max_tokens=40)

    with pytest.raises(UnexpectedModelBehavior, match="ignored the JSON grammar"):
        backend.complete(request)


def _listening_tcp_inodes() -> set[str]:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table, encoding="ascii") as f:
            rows = [line.split() for line in f.readlines()[1:]]
        inodes |= {row[9] for row in rows if row[3] == "0A"}  # 0A: LISTEN
    return inodes


def _our_socket_inodes() -> set[str]:
    inodes = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            link = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:  # the descriptor listdir itself used is gone already
            continue
        if link.startswith("socket:["):
            inodes.add(link[len("socket:[") : -1])
    return inodes


@REAL
@SLOW
def test_no_network_port_is_open(backend: LocalBackend) -> None:
    loaded = backend._loaded

    assert _our_socket_inodes() & _listening_tcp_inodes() == set()
    assert loaded.server.listening_address == f"unix://{loaded.socket_path}"
    assert loaded.socket_path.is_socket()
    assert loaded.socket_path.parent.stat().st_mode & 0o077 == 0


@REAL
@SLOW
def test_two_threads_share_the_model(backend: LocalBackend) -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    replies: dict[int, Any] = {}

    def ask(n: int) -> None:
        request = Request(
            messages=(Message("user", f"Answer with the number {n}."),), schema=schema, max_tokens=12
        )
        replies[n] = json.loads(backend.complete(request).text)

    threads = [threading.Thread(target=ask, args=(n,)) for n in (7, 42)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)

    assert replies == {7: {"n": 7}, 42: {"n": 42}}


@REAL
@SLOW
def test_tokens_are_counted_by_the_model_tokenizer(backend: LocalBackend) -> None:
    assert backend.count_tokens("") == 0
    assert backend.count_tokens("Northport") < len("Northport")
    # Special-token text in an article is counted as text, not as one control token.
    assert backend.count_tokens("<|im_end|>") > 1


@REAL
@SLOW
def test_model_is_loaded_once_per_file_ctx_threads(backend: LocalBackend) -> None:
    again = LocalBackend(Path(backend.model_path), ctx=CTX, threads=2)

    assert again._loaded is backend._loaded


COUNT = {
    "type": "object",
    # minItems makes the answer long for sure: the stop comes mid-answer.
    "properties": {"n": {"type": "array", "items": {"type": "integer"}, "minItems": 150, "maxItems": 200}},
    "required": ["n"],
}
COUNT_REQUEST = Request(
    messages=(Message("user", "List the numbers 1 to 200."),), schema=COUNT, max_tokens=400
)


@REAL
@SLOW
def test_ctrl_c_stops_a_generation_and_leaves_the_model_usable(backend: LocalBackend) -> None:
    def interrupt_when_generating() -> None:
        while not backend._loaded.lock.locked():
            time.sleep(0.05)
        time.sleep(1.0)
        signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)

    threading.Thread(target=interrupt_when_generating, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        backend.complete(COUNT_REQUEST)

    assert not backend._loaded.lock.locked()
    assert not [t for t in threading.enumerate() if t.name == "llama-generate"]
    assert json.loads(backend.complete(_ask("Who is the mayor?")).text)


@REAL
@SLOW
def test_cancel_stops_the_generation_in_progress(backend: LocalBackend) -> None:
    errors: list[UnexpectedModelBehavior] = []

    def generate() -> None:
        try:
            backend.complete(COUNT_REQUEST)
        except UnexpectedModelBehavior as exc:
            errors.append(exc)

    worker = threading.Thread(target=generate)
    worker.start()
    while not backend._loaded.lock.locked():
        time.sleep(0.05)
    time.sleep(1.0)
    backend.cancel()
    worker.join(timeout=300)

    assert len(errors) == 1 and "cancelled" in str(errors[0])
    # Cancelled before the answer was complete (possibly before its first token).
    assert not _parses(errors[0].last_output)


def _parses(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


@REAL
@SLOW
def test_real_model_summarizes_a_short_article_through_the_pipeline() -> None:
    pytest.importorskip("xllamacpp")
    from summarize.config import Settings
    from summarize.ingest import Document
    from summarize.pipeline import Summarizer

    doc = Document(text=ARTICLE.strip(), path="ferry.txt")
    result = Summarizer.from_settings(Settings(local=True)).summarize(doc)

    assert result.summary.strip()
    assert any("Ortiz" in a.name for a in result.actors)
    assert result.usage.requests >= 1 and result.usage.completion_tokens > 0
    assert result.claims
    for item in [*result.claims, *result.stances]:
        ev = item.evidence
        assert doc.text[ev.start : ev.end] == ev.quote
    names = {a.name for a in result.actors}
    assert all(c.speaker is None or c.speaker in names for c in result.claims)
