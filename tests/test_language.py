"""source.language: detected at ingest, --language overrides; a language with no reader is
refused on the embedded default (file: exit 1, batch: a failed line) before any model loads."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from summarize.backends.base import Completion, Request
from summarize.batch import BatchConfig, run_batch
from summarize.cli import app
from summarize.config import Settings
from summarize.errors import UserError
from summarize.ingest import Document, with_language
from summarize.ingest.language import detect_language
from summarize.pipeline import Summarizer
from summarize.schemas import Usage
from summarize.testing import FakeBackend
from summarize.text.readers import UnsupportedLanguage, has_reader
from tests.fakes import draft_json
from tests.languages import BY_CODE, EN, PL

runner = CliRunner()
UNREAD = next(code for code in ("pl", "be", "fr") if not has_reader(code))


@pytest.mark.parametrize("code", sorted(BY_CODE))
def test_the_language_of_a_news_paragraph_is_detected(code: str) -> None:
    assert detect_language(BY_CODE[code]) == code


def test_a_text_without_words_has_no_language() -> None:
    assert detect_language("12.05.2024 — 10:45 | 3 / 4") is None


def test_language_given_wins_over_detection_and_is_kept() -> None:
    doc = Document(text=EN, path="a.txt")
    assert with_language(doc).language == "en"
    assert with_language(doc, "uk").language == "uk"
    assert with_language(Document(text=EN, path="a.txt", language="ru")).language == "ru"


def test_source_language_is_recorded_and_language_overrides(tmp_path: Path) -> None:
    path = tmp_path / "pl.txt"
    path.write_text(PL, encoding="utf-8")
    for given, expected in ((None, "pl"), ("cs", "cs")):
        fake = FakeBackend()
        fake.enqueue(draft_json(stances=[], claims=[]))
        summarizer = Summarizer.from_settings(Settings(language=given), backend=fake)
        result = summarizer.summarize(summarizer.load(str(path)))
        assert result.source.language == expected


@pytest.mark.parametrize("option", ["--language", "--summary-language"])
def test_a_bad_language_code_is_a_usage_error(option: str, tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text(EN, encoding="utf-8")
    result = runner.invoke(app, ["file", str(path), option, "english"])
    assert result.exit_code == 2
    assert "not an ISO 639-1 language code" in result.output


def test_settings_refuse_a_bad_language_code() -> None:
    with pytest.raises(UserError, match="--summary-language 'xx'"):
        Summarizer.from_settings(Settings(summary_language="xx"), backend=FakeBackend())


def test_help_and_text_never_load_the_detector(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text(EN, encoding="utf-8")
    for argv in (["--help"], ["text", str(path)]):
        code = (
            "import sys; from summarize.cli import app\n"
            f"try: app({argv!r})\nexcept SystemExit: pass\n"
            "print('py3langid' in sys.modules, file=sys.stderr)"
        )
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        assert done.stderr.strip().endswith("False"), done.stderr


# --- the embedded default refuses what it cannot read --------------------------------------


def _no_model(*_: Any) -> Any:
    raise AssertionError("a model was loaded for an article that is refused")


def test_the_embedded_default_refuses_before_loading_a_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("summarize.pipeline.make_backend", _no_model)
    summarizer = Summarizer.from_settings(Settings(local=True, strategy="passes"))
    doc = Document(text=BY_CODE[UNREAD], path="a.txt")
    with pytest.raises(UnsupportedLanguage, match="through an endpoint"):
        summarizer.summarize(doc)
    with pytest.raises(UnsupportedLanguage):
        next(summarizer.conversation(doc))  # the batch-job paths: before their first round
    assert summarizer._backend is None


def test_file_exits_1_with_one_line_naming_the_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("summarize.pipeline.make_backend", _no_model)
    path = tmp_path / "article.txt"
    path.write_text(BY_CODE[UNREAD], encoding="utf-8")
    result = runner.invoke(app, ["file", str(path), "--local", "--strategy", "passes"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: the article is in ")
    assert f"({UNREAD})" in lines[0] and "--base-url" in lines[0]


def _label(request: Request) -> Completion:
    answer = {k: ("neutral" if k == "position" else "gas talks") for k in request.schema["properties"]}
    return Completion(json.dumps(answer), "stop", Usage(prompt_tokens=10, completion_tokens=4, requests=1))


def test_batch_fails_the_unreadable_article_and_goes_on(tmp_path: Path) -> None:
    root, out = tmp_path / "in", tmp_path / "out"
    root.mkdir()
    (root / "en.txt").write_text(EN, encoding="utf-8")
    (root / "other.txt").write_text(BY_CODE[UNREAD], encoding="utf-8")
    fake = FakeBackend()
    fake.enqueue(*[_label] * 20)
    stats = run_batch(
        BatchConfig(root=root, outdir=out), Settings(local=True, strategy="passes"), backend=fake
    )
    records = {r["path"]: r for r in map(json.loads, (out / "results.jsonl").read_text("utf-8").splitlines())}
    assert records["en.txt"]["status"] == "ok"
    assert records["en.txt"]["result"]["source"]["language"] == "en"
    assert records["other.txt"]["status"] == "failed" and records["other.txt"]["result"] is None
    assert f"({UNREAD})" in records["other.txt"]["error"] and "endpoint" in records["other.txt"]["error"]
    assert not (out / "other.txt.json").exists()
    assert stats.failed == 1


def test_an_own_gguf_under_one_pass_reads_every_language() -> None:
    fake = FakeBackend()
    fake.enqueue(draft_json(stances=[], claims=[]))
    settings = Settings(local=True, model_path="mine.gguf", strategy="one-pass")
    result = Summarizer.from_settings(settings, backend=fake).summarize(Document(text=PL, path="pl.txt"))
    assert result.source.language == "pl" and fake.requests


def test_the_cache_key_covers_the_language_and_the_summary_language() -> None:
    base = Summarizer.from_settings(Settings(), backend=FakeBackend())
    english = Summarizer.from_settings(Settings(summary_language="en"), backend=FakeBackend())
    ru = Document(text=PL, path="a.txt", language="ru")
    keys = {
        base.cache_key(ru),
        base.cache_key(Document(text=PL, path="a.txt", language="uk")),
        english.cache_key(ru),
    }
    assert len(keys) == 3
