"""The API key is never printed, logged, written or put in an exception message.

A distinctive canary key goes through faulty runs (401 that echoes the key back, 500,
malformed bodies), for `file` and `batch`, with --verbose; then every artefact is scanned.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from summarize.backends.openai_compat import OpenAICompatBackend
from summarize.cli import app
from summarize.config import Settings, resolve
from summarize.errors import SummarizeError
from summarize.ingest import Document
from summarize.testing import FakeOpenAIServer, Reply, echo_responder
from tests.fakes import ARTICLE, ARTICLE_PATH, summarize_document

KEY = "sk-canary-7f3a9c2e5b1d4e8f9a0b"
ECHOED_401 = Reply(401, {"error": {"message": f"Incorrect API key provided: {KEY}.", "code": "invalid_key"}})


def faulty(body: dict[str, Any]) -> Reply:
    """Answers by article: one gets a key-echoing 401, one a 500, one a malformed body."""
    text = str(body.get("messages"))
    if "number 1 " in text:
        return ECHOED_401
    if "number 2 " in text:
        return Reply(500, {"error": {"message": "internal error"}}, headers={"retry-after": "0"})
    if "number 3 " in text:
        return Reply(200, '{"choices": [', headers={"retry-after": "0"})
    return echo_responder(body)


@pytest.fixture
def srv() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(responder=faulty) as server:
        yield server


def make_articles(root: Path) -> None:
    root.mkdir(parents=True)
    for i in range(5):
        (root / f"a{i}.txt").write_text(
            f"Story number {i} \n\nThe council met on Monday. The story number {i} was told.\n",
            encoding="utf-8",
        )


def assert_no_key(*texts: str, folder: Path | None = None) -> None:
    for text in texts:
        assert KEY not in text
    if folder is not None:
        files = [p for p in folder.rglob("*") if p.is_file()]
        assert files
        for path in files:
            assert KEY.encode() not in path.read_bytes(), path


def assert_key_was_sent(server: FakeOpenAIServer) -> None:
    sent = {v for h in server.headers_seen for k, v in h.items() if k.lower() == "authorization"}
    assert sent == {f"Bearer {KEY}"}


def test_settings_and_backend_never_show_the_key() -> None:
    settings = resolve({"base_url": "http://127.0.0.1:9/v1", "model": "m"}, env={"OPENAI_API_KEY": KEY})
    assert settings.api_key == KEY
    assert KEY not in repr(settings) and KEY not in str(settings)
    backend = OpenAICompatBackend.from_settings(settings)
    assert KEY not in repr(backend) and KEY not in repr(vars(backend))


def test_exception_messages_and_logs_never_hold_the_key(
    srv: FakeOpenAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("openai", "httpx2", "httpcore2", "summarize"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    settings = Settings(base_url=srv.base_url, model="m", api_key=KEY)
    seen: list[str] = []
    for n in (1, 2, 3):
        doc = Document(text=f"Story number {n} \n\nThe council met.", path=f"a{n}.txt")
        with pytest.raises(SummarizeError) as info:
            summarize_document(doc, OpenAICompatBackend.from_settings(settings), max_retries=1)
        exc = info.value
        seen += [str(exc), repr(exc), repr(exc.args), repr(vars(exc))]
    assert_key_was_sent(srv)
    assert_no_key(*seen, caplog.text)


def test_file_with_verbose_never_shows_the_key(
    srv: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    runner = CliRunner()
    outputs = []
    for n in (1, 2, 3):
        article = tmp_path / f"a{n}.txt"
        article.write_text(f"Story number {n} \n\n{ARTICLE}", encoding="utf-8")
        args = ["file", str(article), "--base-url", srv.base_url, "--model", "m", "--max-retries", "1"]
        result = runner.invoke(app, [*args, "--verbose", "-o", str(tmp_path / f"out{n}.json")])
        assert result.exit_code == 1
        outputs.append(result.output)
    ok = runner.invoke(app, ["file", str(ARTICLE_PATH), "--base-url", srv.base_url, "--model", "m"])
    assert ok.exit_code == 0, ok.output
    assert_key_was_sent(srv)
    assert "Incorrect API key provided: [API key]" in outputs[0]
    assert_no_key(*outputs, ok.output, folder=tmp_path)


@pytest.mark.slow
def test_batch_subprocess_never_writes_the_key(srv: FakeOpenAIServer, tmp_path: Path) -> None:
    root, out = tmp_path / "in", tmp_path / "out"
    make_articles(root)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SUMMARIZE_"))}
    env["OPENAI_API_KEY"] = KEY
    cmd = [sys.executable, "-m", "summarize", "batch", str(root), "-o", str(out), "--verbose"]
    cmd += ["--base-url", srv.base_url, "--model", "m", "--max-retries", "1", "--format", "csv"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert "3 failed" in proc.stderr
    assert_key_was_sent(srv)
    assert_no_key(proc.stdout, proc.stderr, folder=out)
    assert {p.name for p in out.iterdir()} >= {"results.jsonl", "run.json", "claims.csv", "a0.txt.json"}
