"""The dry run: what a batch would send, article by article, without calling or loading a model."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from summarize.batch.config import BatchConfig, Outcome, articles
from summarize.batch.store import RESULTS, note_done, read_records

if TYPE_CHECKING:
    from summarize.config import Settings


@dataclass(frozen=True)
class Planned:
    """One article as a dry run sees it."""

    rel: str
    chars: int
    prompt_tokens: int
    cached: bool
    problem: str | None = None


def plan(config: BatchConfig, settings: Settings) -> Iterator[Planned]:
    """Each article's first round of requests, estimated offline, and whether it is cached:
    read and checked by the run's own `Worker`, so the dry run and the run agree."""
    # Imported here: `summarize.batch` exports `plan`, and the pipeline is slow to load.
    from summarize.batch.worker import Worker
    from summarize.pipeline import Summarizer

    summarizer = Summarizer.from_settings(settings)
    done: dict[str, str] = {}
    for record in read_records(config.out / RESULTS):
        note_done(done, record)
    worker = Worker(config, summarizer, done)
    for item in articles(config):
        if item.problem:
            yield Planned(item.rel, 0, 0, False, item.problem)
            continue
        ready = worker.read(item)
        if isinstance(ready, Outcome):
            yield Planned(item.rel, 0, 0, False, ready.error)
            continue
        doc = ready.doc
        yield Planned(item.rel, len(doc.text), summarizer.first_round_tokens(doc), worker.cached(ready))
