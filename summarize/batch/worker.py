"""One article of a batch: ingest, check the cache, summarize, write its JSON atomically.

The same `Worker` runs in the thread engine's threads and in the Ray engine's actors; only
where the article is read from (a `load` function) and where its JSON goes (a `Sink`)
change.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

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


class Flag(Protocol):
    """What a worker asks of its stop and halt signals (a threading.Event, or a cluster-wide flag)."""

    def is_set(self) -> bool:
        """Whether the signal was given."""
        ...


class Sink(Protocol):
    """Where per-article JSON goes: a folder, or object storage."""

    def target(self, rel: str) -> str:
        """Where REL's JSON goes; InputError when REL cannot be placed safely."""
        ...

    def exists(self, target: str) -> bool:
        """Whether TARGET was written (a cached article needs its JSON)."""
        ...

    def write(self, target: str, text: str) -> None:
        """Write TEXT to TARGET so a reader sees all of it or none."""
        ...


class FolderSink:
    """OUTDIR/<rel>.json, written atomically (temp file, fsync, rename)."""

    def __init__(self, out: Path) -> None:
        self.out = out

    def target(self, rel: str) -> str:
        """OUTDIR/<rel>.json, refused when it would leave OUTDIR."""
        return str(output_path(self.out, rel))

    def exists(self, target: str) -> bool:
        """Whether the file is there."""
        return os.path.exists(target)

    def write(self, target: str, text: str) -> None:
        """Replace the file atomically."""
        atomic_write_text(target, text)


class Worker:
    """Everything one article needs; called from worker threads (or Ray actors)."""

    def __init__(
        self,
        config: BatchConfig,
        summarizer: Summarizer,
        done: dict[str, str],
        *,
        sink: Sink | None = None,
        stop: Flag | None = None,
        halt: Flag | None = None,
    ) -> None:
        self.config = config
        self.summarizer = summarizer
        self.done = done
        self.sink = sink or FolderSink(config.out)
        self.stop: Flag = stop or threading.Event()
        """Set by a signal: start nothing new."""
        self.halt: Flag = halt or threading.Event()
        """Set when the token budget is spent: start no new model call."""

    def __call__(self, item: Found) -> Outcome:
        """Summarize the file ITEM names unless it is cached, failing or the run is stopping."""
        return self.process(item.rel, lambda: self.summarizer.load(str(item.path)), item.problem)

    def process(self, rel: str, load: Callable[[], Document], problem: str | None = None) -> Outcome:
        """Summarize the article REL that LOAD reads (PROBLEM: why it cannot be read)."""
        ready = self.prepare(rel, load, problem)
        if isinstance(ready, Outcome):
            return ready
        try:
            summary = self.summarizer.summarize(ready.doc)
        except SummarizeError as exc:
            return self.failed(ready, exc)
        except Exception as exc:  # one article's bug must not sink the batch; the log keeps the traceback
            log.exception("unexpected error on %s", rel)
            return Outcome(rel, "failed", ready.key, error=f"internal error: {one_line(exc)}")
        return self.finish(ready, summary)

    def prepare(self, rel: str, load: Callable[[], Document], problem: str | None = None) -> Ready | Outcome:
        """Read REL and decide: an Outcome when no model call is to be made (stopping,
        unreadable, cached), else what summarizing it needs."""
        started = time.monotonic()
        if self.stop.is_set():
            return Outcome(rel, "not_started")
        if problem:
            return Outcome(rel, "failed", error=f"{rel}: {problem}")
        try:
            target = self.sink.target(rel)
            doc = load()
        except SummarizeError as exc:
            return Outcome(rel, "failed", error=one_line(exc))
        key = self.summarizer.cache_key(doc)
        if not self.config.force and self.done.get(rel) == key and self.sink.exists(target):
            return Outcome(rel, "cached", key=key)
        if self.stop.is_set() or self.halt.is_set():
            return Outcome(rel, "not_started")
        return Ready(rel, doc, key, target, started)

    def finish(self, ready: Ready, summary: ArticleSummary) -> Outcome:
        """Write the article's JSON; its ok Outcome."""
        self.sink.write(ready.target, to_json(summary))
        result = summary.model_dump(mode="json")
        return Outcome(ready.rel, "ok", ready.key, result, usage=summary.usage, seconds=_since(ready.started))

    def failed(self, ready: Ready, exc: SummarizeError) -> Outcome:
        """The failed Outcome of an article whose summary could not be made."""
        usage, seconds = exc.usage or Usage(), _since(ready.started)
        return Outcome(ready.rel, "failed", ready.key, error=one_line(exc), usage=usage, seconds=seconds)


@dataclass(frozen=True)
class Ready:
    """An article read, not cached, about to be summarized."""

    rel: str
    doc: Document
    key: str
    target: str
    started: float


def _since(t: float) -> float:
    return round(time.monotonic() - t, 3)


def one_line(exc: BaseException) -> str:
    """EXC's message on one line, at most 500 characters."""
    text = str(exc).strip() or type(exc).__name__
    return " ".join(text.split())[:500]
