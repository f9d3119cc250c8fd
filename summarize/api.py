"""The library entry points: summarize_text() and summarize_file()."""

from __future__ import annotations

from pathlib import Path

from summarize.backends import Backend, make_backend
from summarize.config import Settings
from summarize.extract import ExtractOptions, summarize_document
from summarize.ingest import DEFAULT_MAX_BYTES, Document, load_document
from summarize.prompts import Prompts
from summarize.retry import RetryPolicy
from summarize.schemas import ArticleSummary


def options_from(settings: Settings) -> ExtractOptions:
    """Pipeline options from SETTINGS."""
    return ExtractOptions(
        max_reasks=settings.max_reasks,
        max_tokens=settings.max_tokens,
        temperature=settings.temperature,
        retry=RetryPolicy(max_retries=settings.max_retries, budget_seconds=settings.retry_budget),
    )


def summarize_text(
    text: str,
    *,
    backend: Backend | None = None,
    settings: Settings | None = None,
    path: str = "<text>",
    title: str | None = None,
) -> ArticleSummary:
    """Summarize article TEXT as given (no ingestion); BACKEND defaults to what SETTINGS select."""
    doc = Document(text=text, path=path, title=title)
    return _summarize(doc, backend, settings)


def summarize_file(
    path: str | Path,
    *,
    backend: Backend | None = None,
    settings: Settings | None = None,
    raw: bool = False,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> ArticleSummary:
    """Ingest PATH (text, Markdown or HTML) and summarize it; RAW keeps boilerplate."""
    return _summarize(load_document(str(path), raw=raw, max_bytes=max_bytes), backend, settings)


def _summarize(doc: Document, backend: Backend | None, settings: Settings | None) -> ArticleSummary:
    settings = settings or Settings()
    backend = backend or make_backend(settings)
    return summarize_document(
        doc, backend, prompts=Prompts.load(settings.prompts_dir), options=options_from(settings)
    )
