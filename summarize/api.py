"""The library entry points: summarize_text() and summarize_file()."""

from __future__ import annotations

from pathlib import Path

from summarize.backends import Backend
from summarize.config import Settings
from summarize.ingest import Document
from summarize.pipeline import Summarizer
from summarize.schemas import ArticleSummary


def summarize_text(
    text: str,
    *,
    backend: Backend | None = None,
    settings: Settings | None = None,
    path: str = "<text>",
    title: str | None = None,
) -> ArticleSummary:
    """Summarize article TEXT as given (no ingestion).

    SETTINGS default to the environment's (OPENAI_BASE_URL, OPENAI_API_KEY, ...; none set:
    the embedded model); BACKEND replaces the model they select (a fake in tests).
    """
    doc = Document(text=text, path=path, title=title)
    return Summarizer.from_settings(settings, backend=backend).summarize(doc)


def summarize_file(
    path: str | Path, *, backend: Backend | None = None, settings: Settings | None = None
) -> ArticleSummary:
    """Ingest PATH (text, Markdown or HTML; settings.raw keeps boilerplate) and summarize it."""
    return Summarizer.from_settings(settings, backend=backend).summarize_file(str(path))
