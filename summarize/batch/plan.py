"""The dry run: what a batch would send, article by article, without calling or loading a model."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from summarize.batch.config import BatchConfig, articles
from summarize.batch.store import RESULTS, note_done, output_path, read_records
from summarize.batch.worker import one_line
from summarize.config import Settings
from summarize.errors import SummarizeError
from summarize.pipeline import Summarizer


@dataclass(frozen=True)
class Planned:
    """One article as a dry run sees it."""

    rel: str
    chars: int
    prompt_tokens: int
    cached: bool
    problem: str | None = None


def plan(config: BatchConfig, settings: Settings) -> Iterator[Planned]:
    """Each article's first round of requests, estimated offline, and whether it is cached."""
    summarizer = Summarizer.from_settings(settings)
    done: dict[str, str] = {}
    for record in read_records(config.out / RESULTS):
        note_done(done, record)
    for item in articles(config):
        if item.problem:
            yield Planned(item.rel, 0, 0, False, item.problem)
            continue
        try:
            output_path(config.out, item.rel)
            doc = summarizer.load(str(item.path))
        except SummarizeError as exc:
            yield Planned(item.rel, 0, 0, False, one_line(exc))
            continue
        cached = not config.force and done.get(item.rel) == summarizer.cache_key(doc)
        yield Planned(item.rel, len(doc.text), summarizer.first_round_tokens(doc), cached)
