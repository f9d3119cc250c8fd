"""Test data and helpers shared by the test modules: a valid draft for fixtures/article.txt,
and the real pipeline around a fake backend with retries that never wait."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from summarize.backends import Backend
from summarize.config import Settings
from summarize.ingest import Document
from summarize.pipeline import Summarizer
from summarize.schemas import ArticleSummary

FIXTURES = Path(__file__).parent / "fixtures"
ARTICLE_PATH = FIXTURES / "article.txt"
ARTICLE = ARTICLE_PATH.read_text(encoding="utf-8").strip()


def draft(**overrides: Any) -> dict[str, Any]:
    """A valid model draft for the fixture article (quotes copied verbatim)."""
    data: dict[str, Any] = {
        "summary": "Norport's council approved a tram line between the harbour and the university. "
        "The mayor welcomed it while the opposition leader warned about costs.",
        "actors": [
            {"name": "Helena Brandt", "type": "person", "role": "Mayor", "aliases": ["Brandt"]},
            {
                "name": "Tomas Ekberg",
                "type": "person",
                "role": "opposition leader",
                "aliases": ["Ekberg"],
            },
            {"name": "Norport city council", "type": "organization", "role": None, "aliases": []},
        ],
        "stances": [
            {
                "actor": "Helena Brandt",
                "topic": "the tram line",
                "position": "support",
                "target": None,
                "quote": "a victory for every commuter who has waited in traffic on the coast road",
            },
            {
                "actor": "Tomas Ekberg",
                "topic": "the tram line",
                "position": "oppose",
                "target": "Norport city council",
                "quote": "The council is signing a blank cheque,",
            },
        ],
        "claims": [
            {
                "speaker": "Tomas Ekberg",
                "text": "The project will cost far more than planned.",
                "kind": "indirect",
                "cue": "warned",
                "hedged": False,
                "quote": "warned that the project would cost far more than planned",
            },
            {
                "speaker": None,
                "text": "Shop owners fear the works will keep customers away.",
                "kind": "reporter_assertion",
                "cue": None,
                "hedged": True,
                "quote": "Local shop owners reportedly fear that the works will keep customers away",
            },
        ],
    }
    data.update(overrides)
    return data


def draft_json(**overrides: Any) -> str:
    """The draft as the model's reply text."""
    return json.dumps(draft(**overrides), ensure_ascii=False)


def make_articles(root: Path, n: int, *, sub: bool = True) -> list[str]:
    """N small distinct articles, half of them in a subfolder; returns their relative paths."""
    rels = []
    for i in range(n):
        rel = f"sub/art{i:03d}.txt" if sub and i % 2 else f"art{i:03d}.txt"
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            f"Council number {i} approves plan\n\nThe council of town {i} approved a plan on Monday. "
            f"The mayor said the plan number {i} would help commuters.\n",
            encoding="utf-8",
        )
        rels.append(rel)
    return sorted(rels)


class Sleeps:
    """A retry sleep that records what it was asked to wait instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def pipeline(backend: Backend | None = None, *, sleep: Sleeps | None = None, **settings: Any) -> Summarizer:
    """The pipeline for SETTINGS (keyword overrides of the defaults) around BACKEND; retries
    never wait (their waits go to SLEEP)."""
    resolved = Settings().with_overrides(**settings)
    summarizer = Summarizer.from_settings(resolved, backend=backend)
    summarizer.retry = dataclasses.replace(summarizer.retry, sleep=sleep or Sleeps())
    return summarizer


def summarize_document(
    doc: Document, backend: Backend, *, sleep: Sleeps | None = None, **settings: Any
) -> ArticleSummary:
    """Summarize DOC with BACKEND through the real pipeline, retries not waiting."""
    return pipeline(backend, sleep=sleep, **settings).summarize(doc)
