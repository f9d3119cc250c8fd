"""One article of a batch: ingest, check the cache, summarize, write its JSON atomically."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from summarize.batch.config import BatchConfig, Outcome
from summarize.batch.discover import Found
from summarize.batch.store import output_path
from summarize.errors import SummarizeError
from summarize.fsio import atomic_write_text
from summarize.ingest import Document
from summarize.output.render import to_json
from summarize.pipeline import Summarizer
from summarize.schemas import ArticleSummary, Usage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Ready:
    """An article read and not cached: what summarizing it needs."""

    item: Found
    doc: Document
    key: str
    target: Path


class Worker:
    """Everything one article needs; called from worker threads (or Ray actors)."""

    def __init__(self, config: BatchConfig, summarizer: Summarizer, done: dict[str, str]) -> None:
        self.config = config
        self.summarizer = summarizer
        self.done = done
        self.stop = threading.Event()
        """Set by a signal: start nothing new."""
        self.halt = threading.Event()
        """Set when the token budget is spent: start no new model call."""

    def __call__(self, item: Found) -> Outcome:
        """Summarize ITEM unless it is cached, failing or the run is stopping."""
        started = time.monotonic()
        if self.stop.is_set():
            return Outcome(item.rel, "not_started")
        ready = self.prepare(item)
        if isinstance(ready, Outcome):
            return ready
        if self.stop.is_set() or self.halt.is_set():
            return Outcome(item.rel, "not_started")
        try:
            summary = self.summarizer.summarize(ready.doc)
        except SummarizeError as exc:
            return self.failed(ready, exc, exc.usage or Usage(), started)
        except Exception as exc:  # one article's bug must not sink the batch; the log keeps the traceback
            log.exception("unexpected error on %s", item.rel)
            return Outcome(item.rel, "failed", ready.key, error=f"internal error: {one_line(exc)}")
        return self.finish(ready, summary, started)

    def prepare(self, item: Found) -> Ready | Outcome:
        """Read ITEM and check the cache: what summarizing it needs, or its outcome already."""
        if item.problem:
            return Outcome(item.rel, "failed", error=f"{item.rel}: {item.problem}")
        try:
            target = output_path(self.config.out, item.rel)
            doc = self.summarizer.load(str(item.path))
        except SummarizeError as exc:
            return Outcome(item.rel, "failed", error=one_line(exc))
        key = self.summarizer.cache_key(doc)
        if not self.config.force and self.done.get(item.rel) == key and target.exists():
            return Outcome(item.rel, "cached", key=key)
        return Ready(item, doc, key, target)

    def finish(self, ready: Ready, summary: ArticleSummary, started: float) -> Outcome:
        """Write SUMMARY to OUTDIR/<rel>.json (atomically, before its results line): the ok outcome."""
        atomic_write_text(ready.target, to_json(summary))
        result = summary.model_dump(mode="json")
        return Outcome(ready.item.rel, "ok", ready.key, result, usage=summary.usage, seconds=_since(started))

    def failed(self, ready: Ready, exc: BaseException, usage: Usage, started: float) -> Outcome:
        """The failed outcome of READY: EXC on one line, and what the article had cost."""
        return Outcome(
            ready.item.rel, "failed", ready.key, error=one_line(exc), usage=usage, seconds=_since(started)
        )


def _since(t: float) -> float:
    return round(time.monotonic() - t, 3)


def one_line(exc: BaseException) -> str:
    """EXC's message on one line, at most 500 characters."""
    text = str(exc).strip() or type(exc).__name__
    return " ".join(text.split())[:500]
