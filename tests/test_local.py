"""The embedded model's backend (llama.cpp), with a fake runtime and, once, the real model."""

from __future__ import annotations

from pathlib import Path

import pytest

from summarize.errors import UserError

# --- the real model ------------------------------------------------------------------------

ARTICLE = """Harbour Council approves ferry link to Eastwick

The Harbour Council of Northport voted on Tuesday to fund a new ferry between Northport and \
Eastwick, ending a two-year dispute over the route.

Mayor Lena Ortiz said the ferry "will cut commuting times in half for thousands of families". \
She added that the first boats would sail in May.

Councillor Tom Reed, who voted against the plan, warned that the budget had doubled since March. \
"We are buying a boat we cannot afford," Reed said.
"""


@pytest.mark.local_model
@pytest.mark.slow
def test_real_model_summarizes_a_short_article_through_the_pipeline() -> None:
    pytest.importorskip("llama_cpp")
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


def test_missing_llama_cpp_is_a_user_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    from summarize.backends import local

    real_import = builtins.__import__

    def fake_import(name: str, *args: object, **kwargs: object) -> object:
        if name == "llama_cpp":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(UserError, match=r"pip install 'summarize\[local\]'.*11 minutes"):
        local._import_llama_cpp()


# --- the backend, with a fake llama_cpp -----------------------------------------------------


class FakeLlama:
    """Stands in for llama_cpp.Llama: one token per word, records every chat call."""

    created = 0

    def __init__(self, **kwargs: object) -> None:
        FakeLlama.created += 1
        self.kwargs = kwargs
        self.metadata: dict[str, str] = {}
        self.calls: list[dict[str, object]] = []
        self.chat_handler = None

    def tokenize(self, data: bytes, add_bos: bool = True, special: bool = False) -> list[int]:
        return list(range(len(data.split())))

    def create_chat_completion(self, **kwargs: object) -> dict[str, object]:
        self.calls.append(kwargs)
        return {
            "choices": [{"message": {"content": '{"ok": true}'}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 42, "completion_tokens": 7},
        }


@pytest.fixture
def fake_llama(monkeypatch: pytest.MonkeyPatch) -> type[FakeLlama]:
    import types

    from summarize.backends import local

    module = types.SimpleNamespace(Llama=FakeLlama)
    monkeypatch.setattr(local, "_import_llama_cpp", lambda: module)
    monkeypatch.setattr(local, "_cpu_has_amx", lambda: False)
    monkeypatch.setattr(local, "_LOADED", {})
    FakeLlama.created = 0
    return FakeLlama


def _request(words: int, max_tokens: int = 100) -> object:
    from summarize.backends.base import Message, Request

    return Request(
        messages=(Message("system", "be brief"), Message("user", "word " * words)),
        schema={"type": "object"},
        max_tokens=max_tokens,
    )


def test_model_is_loaded_once_per_file_ctx_threads(tmp_path: Path, fake_llama: type[FakeLlama]) -> None:
    from summarize.backends.local import LocalBackend

    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF")
    a = LocalBackend(gguf, ctx=1024, threads=2)
    b = LocalBackend(gguf, ctx=1024, threads=2)
    LocalBackend(gguf, ctx=2048, threads=2)

    assert a._loaded is b._loaded
    assert fake_llama.created == 2
    assert a._loaded.llama.kwargs["verbose"] is False


def test_complete_constrains_with_the_schema_and_reports_usage(
    tmp_path: Path, fake_llama: type[FakeLlama]
) -> None:
    from summarize.backends.local import LocalBackend

    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF")
    backend = LocalBackend(gguf, ctx=1024, threads=1)

    out = backend.complete(_request(10))  # type: ignore[arg-type]

    call = backend._loaded.llama.calls[0]
    assert call["response_format"] == {"type": "json_object", "schema": {"type": "object"}}
    assert out.text == '{"ok": true}' and out.finish_reason == "stop"
    assert (out.usage.prompt_tokens, out.usage.completion_tokens, out.usage.requests) == (42, 7, 1)
    assert backend.count_tokens("three words here") == 3


def test_prompt_over_the_context_is_refused_before_llama_runs(
    tmp_path: Path, fake_llama: type[FakeLlama]
) -> None:
    from summarize.backends.local import LocalBackend
    from summarize.errors import ContextLengthError

    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF")
    backend = LocalBackend(gguf, ctx=1024, threads=1)

    with pytest.raises(ContextLengthError, match=r"context of 1,024 tokens.*--ctx") as info:
        backend.complete(_request(1000, max_tokens=200))  # type: ignore[arg-type]

    assert info.value.limit == 1024
    assert backend._loaded.llama.calls == []


def test_grammar_bounds_lists_and_strings() -> None:
    from summarize.backends.local import MAX_ITEMS, bounded
    from summarize.schemas import draft_json_schema

    schema = bounded(draft_json_schema())
    assert schema["properties"]["claims"]["maxItems"] == MAX_ITEMS
    quote = schema["$defs"]["DraftClaim"]["properties"]["quote"]
    assert quote["maxLength"] >= 300
    kind = schema["$defs"]["DraftClaim"]["properties"]["kind"]
    assert "maxLength" not in kind
    assert bounded({"type": "string", "maxLength": 5}) == {"type": "string", "maxLength": 5}
