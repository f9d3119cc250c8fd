"""Commands on one article: file, text, schema."""

from __future__ import annotations

import sys
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO

import typer

from summarize.cli.app import app, edge, write_output
from summarize.cli.options import Verbose, with_settings
from summarize.config import Settings

if TYPE_CHECKING:
    from summarize.ingest import Document
    from summarize.pipeline import Summarizer
    from summarize.schemas import ArticleSummary


class Format(str, Enum):
    json = "json"
    markdown = "markdown"
    html = "html"


@app.command("file")
@with_settings()
def file_cmd(
    path: Annotated[
        str, typer.Argument(help="Article file (.txt, .md, .html, .htm), - for stdin, or an article's URL.")
    ],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write here, not stdout.")] = None,
    fmt: Annotated[
        Format, typer.Option("--format", help="json, markdown, or html (the report of one article).")
    ] = Format.json,
    verbose: Verbose = False,
    *,
    settings: Callable[[], Settings],
) -> None:
    """Summarize one article and print its ArticleSummary JSON.

    \b
    Examples:
      summarize file article.txt                      # embedded local model, offline
      summarize file page.html --format markdown
      summarize file page.html --format html -o page.report.html
      summarize file https://example.org/news/story.html   # fetched politely (robots.txt)
      OPENAI_API_KEY=sk-... summarize file article.txt --model gpt-4o-mini
      summarize file article.txt --base-url http://localhost:11434/v1 --model llama3.1
    """
    with edge(verbose):
        import logging

        from summarize.pipeline import Summarizer

        summarizer = Summarizer.from_settings(settings())
        doc = _load_url(summarizer, path) if _is_url(path) else summarizer.load(path)
        for block in doc.removed:
            logging.getLogger("summarize.ingest").info("removed boilerplate: %.120r", block)
        ticker = _ticker(summarizer)
        try:
            result = summarizer.summarize(doc)
        finally:
            if ticker is not None:
                ticker.clear()
        write_output(_rendered(result, fmt, doc.text), output)


def _ticker(summarizer: Summarizer) -> Ticker | None:
    """A progress line for an endpoint's streamed replies, when stderr is a terminal."""
    if not sys.stderr.isatty() or summarizer.settings.uses_local:
        return None
    from summarize.backends.openai_compat import OpenAICompatBackend

    backend = summarizer.backend
    if not isinstance(backend, OpenAICompatBackend):
        return None
    backend.progress = ticker = Ticker(sys.stderr)
    return ticker


class Ticker:
    """One stderr line a person can watch while a reply streams: tokens so far and tokens/s."""

    def __init__(self, stream: TextIO, *, every: float = 0.25) -> None:
        self._stream = stream
        self._every = every
        self._first = 0.0
        self._shown = 0.0
        self._width = 0

    def __call__(self, tokens: int, seconds: float) -> None:
        """Seen a chunk: TOKENS of this reply so far, SECONDS since its request was sent."""
        if tokens == 1:
            self._first = seconds
        if seconds - self._shown < self._every and tokens > 1:
            return
        self._shown = seconds
        rate = (tokens - 1) / (seconds - self._first) if seconds > self._first else 0.0
        line = f"  receiving: {tokens} tokens, {rate:.1f} tokens/s, {seconds:.0f} s"
        self._stream.write("\r" + line.ljust(self._width))
        self._stream.flush()
        self._width = len(line)

    def clear(self) -> None:
        """Remove the line (before the result or an error is printed)."""
        if self._width:
            self._stream.write("\r" + " " * self._width + "\r")
            self._stream.flush()
            self._width = 0


def _is_url(path: str) -> bool:
    return path.startswith(("http://", "https://"))


def _load_url(summarizer: Summarizer, url: str) -> Document:
    """Fetch the page at URL (robots.txt, User-Agent, size cap) and ingest it as a saved file is."""
    import tempfile

    from summarize.sources.client import ClientOptions
    from summarize.sources.fetch import fetch_article

    max_bytes = summarizer.settings.max_bytes
    with tempfile.TemporaryDirectory(prefix="summarize-") as folder:
        saved = fetch_article(url, Path(folder), ClientOptions(max_bytes=max_bytes))
        return summarizer.load(str(saved), label=url)


def _rendered(result: ArticleSummary, fmt: Format, text: str) -> str:
    if fmt is Format.html:
        from summarize.output.report import article_report

        return article_report(result, text)
    from summarize.output.render import to_json, to_markdown

    return to_markdown(result) if fmt is Format.markdown else to_json(result)


@app.command("text")
@with_settings(model=False)
def text_cmd(
    path: Annotated[str, typer.Argument(help="Article file, or - for stdin.")],
    verbose: Verbose = False,
    *,
    settings: Callable[[], Settings],
) -> None:
    """Print the clean article text the model would see; evidence offsets index into it."""
    with edge(verbose):
        from summarize.ingest import load_document

        resolved = settings()
        doc = load_document(path, raw=resolved.raw, max_bytes=resolved.max_bytes)
        if verbose:
            for block in doc.removed:
                typer.echo(f"removed: {block[:120]!r}", err=True)
        sys.stdout.write(doc.text if doc.text.endswith("\n") else doc.text + "\n")


@app.command("schema")
def schema_cmd(
    draft: Annotated[bool, typer.Option("--draft", help="The shape the model fills instead.")] = False,
) -> None:
    """Print the JSON Schema of ArticleSummary (the output of `file` and `batch`)."""
    import json

    from summarize.schemas import ArticleSummary, draft_json_schema

    schema = draft_json_schema() if draft else ArticleSummary.model_json_schema()
    sys.stdout.write(json.dumps(schema, indent=2, ensure_ascii=False) + "\n")
