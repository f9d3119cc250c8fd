"""One article of a batch: ingest, check the cache, summarize, write its JSON atomically.

The same `Worker` runs in the thread engine's threads, in the Ray engine's actors and in
the provider path's replay; only where the article is read from (a `load` function) and
where its JSON goes (a `Sink`) change.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from pydantic import ValidationError

from summarize.batch.config import BatchConfig, Outcome
from summarize.batch.discover import Found
from summarize.batch.store import output_path
from summarize.errors import SummarizeError
from summarize.fsio import atomic_write_text, cannot_write
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

    def read(self, target: str) -> str | None:
        """The text at TARGET, None when there is none (a cached article needs its JSON)."""
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

    def read(self, target: str) -> str | None:
        """The file's text, None when it is missing or unreadable."""
        try:
            with open(target, "rb") as fh:
                return fh.read().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    def write(self, target: str, text: str) -> None:
        """Replace the file atomically."""
        atomic_write_text(target, text)


@dataclass(frozen=True)
class Ready:
    """An article read and not cached: what summarizing it needs."""

    item: Found
    doc: Document
    key: str
    target: str
    """Where its JSON goes (the sink's name for it)."""


Load = Callable[[], Document]
"""Reads one article (by default the file its Found names)."""


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
        self.sink: Sink = sink or FolderSink(config.out)
        self.stop: Flag = stop or threading.Event()
        """Set by a signal: start nothing new."""
        self.halt: Flag = halt or threading.Event()
        """Set when the token budget is spent: start no new model call."""

    def __call__(self, item: Found, load: Load | None = None) -> Outcome:
        """Summarize ITEM (read by LOAD) unless it is cached, failing or the run is stopping."""
        started = time.monotonic()
        if self.stop.is_set():
            return Outcome(item.rel, "not_started")
        ready = self.prepare(item, load)
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

    def prepare(self, item: Found, load: Load | None = None) -> Ready | Outcome:
        """Read ITEM (by LOAD, default its file) and check the cache: what summarizing it
        needs, or its outcome already."""
        ready = self.read(item, load)
        if isinstance(ready, Ready) and self.cached(ready):
            return Outcome(item.rel, "cached", key=ready.key)
        return ready

    def read(self, item: Found, load: Load | None = None) -> Ready | Outcome:
        """Read ITEM (by LOAD, default its file): what summarizing it needs, or its failed outcome."""
        if item.problem:
            return Outcome(item.rel, "failed", error=f"{item.rel}: {item.problem}")
        try:
            target = self.sink.target(item.rel)
            doc = load() if load is not None else self.summarizer.load(str(item.path))
        except SummarizeError as exc:
            return Outcome(item.rel, "failed", error=one_line(exc))
        return Ready(item, doc, self.summarizer.cache_key(doc), target)

    def cached(self, ready: Ready) -> bool:
        """Whether READY succeeded before with this key (content, metadata, model, prompts and
        the options that shape requests) and its JSON is still there and a valid result of
        this text (the dry run asks the same)."""
        done = self.done.get(ready.item.rel) == ready.key
        return not self.config.force and done and self._valid_json(ready)

    def _valid_json(self, ready: Ready) -> bool:
        text = self.sink.read(ready.target)
        if text is None:
            return False
        try:  # json.loads, not pydantic's parser: it reads a name's escaped bytes (fsio.dumps) back
            summary = ArticleSummary.model_validate(json.loads(text))
        except (ValueError, ValidationError):
            log.warning("%s: its JSON is not a valid result: summarizing it again", ready.item.rel)
            return False
        return summary.source.sha256 == ready.doc.sha256

    def finish(self, ready: Ready, summary: ArticleSummary, started: float) -> Outcome:
        """Write SUMMARY to its target (atomically, before its results line): the ok outcome,
        or a failed one that still counts what the article cost when the write is refused."""
        try:
            self.sink.write(ready.target, to_json(summary))
        except OSError as exc:
            return self.failed(ready, cannot_write(ready.target, exc), summary.usage, started)
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
