"""summarize.api and the package's public names."""

from __future__ import annotations

from pathlib import Path

import summarize
from summarize import Settings, summarize_file, summarize_text
from summarize.testing import FakeBackend, FakeOpenAIServer, echo_responder
from tests.fakes import ARTICLE, ARTICLE_PATH, draft_json


def test_summarize_text_with_an_injected_backend_drafts_in_one_pass() -> None:
    fake = FakeBackend()
    fake.enqueue(draft_json())
    result = summarize_text(ARTICLE, backend=fake, title="Tram")
    assert len(fake.requests) == 1 and result.source.title == "Tram"
    assert result.claims and result.source.path == "<text>"


def test_summarize_file_ingests_with_the_settings(tmp_path: Path) -> None:
    page = tmp_path / "a.txt"
    page.write_text(ARTICLE + "\n\nShare this article:\n", encoding="utf-8")
    with FakeOpenAIServer(responder=echo_responder) as server:
        settings = Settings(base_url=server.base_url, model="m")
        clean = summarize_file(page, settings=settings)
        raw = summarize_file(page, settings=Settings(base_url=server.base_url, model="m", raw=True))
    assert clean.source.sha256 != raw.source.sha256  # the share line was removed, or kept with raw


def test_without_settings_the_environment_decides(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    with FakeOpenAIServer(responder=echo_responder) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("SUMMARIZE_MODEL", "env-model")
        result = summarize_file(ARTICLE_PATH)
    assert result.model == "env-model" and server.requests


def test_public_names_are_lazy_and_complete() -> None:
    for name in summarize.__all__:
        assert getattr(summarize, name) is not None
