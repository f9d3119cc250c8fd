"""The thread engine: folders of articles, a bounded window, resumable results.

One run: discover files (a generator) -> a bounded window of articles handed to N
worker threads sharing ONE pipeline (its requests bounded by one AIMD limiter) -> each
worker ingests, checks the cache, summarizes and writes OUTDIR/<rel>.json atomically ->
the main thread, the only writer of results.jsonl, appends one line per article.

Why threads: the pipeline is synchronous (tenacity retries, re-asks, grounding), the
openai client is thread-safe and pools connections, and the work per article is
dominated by waiting on the endpoint; benchmarks/batch.py measures threads against an
asyncio.gather baseline (docs/BATCH.md). Worker threads are daemons so an interrupted
run can abandon a hung request and still exit.
"""

from __future__ import annotations

import logging
import queue
import signal
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from types import FrameType
from typing import Any, Protocol

from summarize.backends import Backend
from summarize.batch.config import BatchConfig, Outcome, Reporter, Stats, articles
from summarize.batch.discover import Found
from summarize.batch.store import RUN, ResultLog, tidy, warn_repaired
from summarize.batch.throttle import AIMD
from summarize.batch.worker import Worker, one_line
from summarize.config import Settings
from summarize.errors import UserError
from summarize.fsio import atomic_write_text, dumps
from summarize.pipeline import Summarizer
from summarize.schemas import SCHEMA_VERSION

log = logging.getLogger(__name__)


class _Pool:
    """N daemon threads: tasks in, outcomes out. Daemons so abandoned requests never block exit."""

    def __init__(self, fn: Callable[[Found], Outcome], workers: int) -> None:
        self.tasks: queue.SimpleQueue[Found | None] = queue.SimpleQueue()
        self.results: queue.SimpleQueue[Outcome] = queue.SimpleQueue()
        self._fn = fn
        self._threads = [
            threading.Thread(target=self._loop, name=f"batch-{i}", daemon=True) for i in range(workers)
        ]
        for t in self._threads:
            t.start()

    def _loop(self) -> None:
        while (item := self.tasks.get()) is not None:
            try:
                self.results.put(self._fn(item))
            except BaseException as exc:  # never lose an article's slot in the window
                self.results.put(Outcome(item.rel, "failed", error=f"internal error: {one_line(exc)}"))

    def close(self) -> None:
        for _ in self._threads:
            self.tasks.put(None)


class Signals:
    """SIGINT/SIGTERM set the stop event; a second one abandons in-flight work at once."""

    def __init__(self, stop: threading.Event) -> None:
        self.stop = stop
        self.count = 0
        self._old: dict[int, Any] = {}

    def __enter__(self) -> Signals:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._old[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.count += 1
        self.stop.set()

    def __exit__(self, *exc: object) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)


def run_batch(
    config: BatchConfig,
    settings: Settings,
    reporter: Reporter | None = None,
    *,
    stop: threading.Event | None = None,
    backend: Backend | None = None,
) -> Stats:
    """Summarize every article of CONFIG; resumable; returns the run's totals (also in run.json).

    BACKEND replaces the one SETTINGS select (tests, benchmarks).
    """
    if config.concurrency < 1:
        raise UserError("--concurrency must be 1 or more. Pass e.g. --concurrency 8")
    summarizer = Summarizer.from_settings(settings, backend=backend)
    limiter = AIMD(config.concurrency)
    summarizer.limiter = limiter
    items = articles(config)
    results = ResultLog(config.out)
    index = results.open()
    warn_repaired(index)
    stop = stop or threading.Event()
    halt = threading.Event()
    worker = Worker(config, summarizer, index.done, stop=stop, halt=halt)
    # One loaded local model serves one request at a time: more workers would only queue on its lock.
    workers = 1 if settings.uses_local else config.concurrency
    stats = Stats()
    started = time.monotonic()
    stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
    try:
        with Signals(stop) as signals:
            left = _schedule(items, worker, workers, results, stats, config, reporter, signals, halt)
        if stats.interrupted:
            summarizer.cancel()
        tidy(results, csv_tables=config.csv)
    finally:
        results.close()
    stats.not_started += left
    stats.seconds = round(time.monotonic() - started, 3)
    stats.rate_limited = limiter.rate_limited
    stats.limit_decreases = limiter.decreases
    write_run_json(config, stats, summarizer, stamp)
    return stats


def _schedule(
    items: Iterator[Found],
    worker: Worker,
    workers: int,
    results: ResultLog,
    stats: Stats,
    config: BatchConfig,
    reporter: Reporter | None,
    signals: Signals,
    halt: threading.Event,
) -> int:
    """Keep a bounded window of articles in flight; return how many were left undone."""
    pool = _Pool(worker, workers)
    window = workers * 2  # a queued article ready for every worker that frees up
    exhausted = False
    deadline: float | None = None
    last_report = 0.0
    try:
        while True:
            stopping = worker.stop.is_set() or stats.budget_reached
            if worker.stop.is_set() and not stats.interrupted:
                stats.interrupted = True
                deadline = time.monotonic() + config.grace_seconds
            while not stopping and not exhausted and stats.in_flight < window:
                item = next(items, None)
                if item is None:
                    exhausted = True
                    break
                pool.tasks.put(item)
                stats.in_flight += 1
            if stats.in_flight == 0 and (exhausted or stopping):
                break
            if deadline is not None and (time.monotonic() > deadline or signals.count > 1):
                break  # abandon what is still in flight: it was not recorded, the next run redoes it
            try:
                outcome = pool.results.get(timeout=0.1)
            except queue.Empty:
                outcome = None
            if outcome is not None:
                stats.in_flight -= 1
                record_outcome(outcome, results, stats, config, halt)
            now = time.monotonic()
            if reporter is not None and (outcome is not None or now - last_report > 0.5):
                last_report = now
                reporter.update(stats)
    finally:
        pool.close()
    left = stats.in_flight
    stats.in_flight = 0
    if stats.interrupted or stats.budget_reached:
        left += sum(1 for _ in items)
    if reporter is not None:
        reporter.update(stats)
    return left


class Journal(Protocol):
    """Where the driver of a run appends one line per finished article (results.jsonl, shards)."""

    def append(self, record: dict[str, Any]) -> None:
        """Add RECORD durably."""
        ...


class Settable(Protocol):
    """A signal the driver gives (a threading.Event, or a flag the whole cluster sees)."""

    def set(self) -> None:
        """Give the signal."""
        ...


def record_outcome(
    outcome: Outcome, journal: Journal, stats: Stats, config: BatchConfig, halt: Settable
) -> None:
    """Count OUTCOME, journal it unless nothing happened, and HALT once the token budget is spent."""
    stats.record(outcome)
    if outcome.status in ("not_started", "cached"):
        return
    journal.append(result_line(outcome))
    budget = config.max_tokens_total
    if budget is not None and stats.tokens >= budget and not stats.budget_reached:
        stats.budget_reached = True
        halt.set()
        log.warning("token budget of %d reached: no new articles are started", budget)


def result_line(outcome: Outcome) -> dict[str, Any]:
    """The results.jsonl line of OUTCOME (the contract's keys first)."""
    return {
        "path": outcome.rel,
        "status": outcome.status,
        "result": outcome.result,
        "error": outcome.error,
        "key": outcome.key,
        "usage": outcome.usage.model_dump(),
        "seconds": outcome.seconds,
    }


def write_run_json(
    config: BatchConfig, stats: Stats, summarizer: Summarizer, started: str, **extra: Any
) -> None:
    """OUTDIR/run.json: what was run, with which settings, and the totals."""
    atomic_write_text(config.out / RUN, run_json(config, stats, summarizer, started, **extra))


def run_json(config: BatchConfig, stats: Stats, summarizer: Summarizer, started: str, **extra: Any) -> str:
    """The text of run.json; EXTRA adds keys or replaces them (another engine's dir, outdir)."""
    settings = summarizer.settings
    summary = {
        "started": started,
        "seconds": stats.seconds,
        # Absolute: `summarize report` and `export` re-read the articles from here (with raw and
        # max_bytes) to recover the exact text the evidence offsets index into.
        "dir": str(config.root.resolve()),
        "outdir": str(config.out),
        "model": summarizer.model,
        "strategy": summarizer.drafter.name,
        "raw": settings.raw,
        "max_bytes": settings.max_bytes,
        "schema_version": SCHEMA_VERSION,
        "concurrency": config.concurrency,
        "ok": stats.ok,
        "failed": stats.failed,
        "cached": stats.cached,
        "not_started": stats.not_started,
        "interrupted": stats.interrupted,
        "budget_reached": stats.budget_reached,
        "usage": stats.usage.model_dump(),
        "retries": stats.retries,
        "rate_limited": stats.rate_limited,
        "estimated_cost": stats.cost(*config.prices),
        "price_factor": config.price_factor,
        "failures": [{"path": p, "error": e} for p, e in stats.failures],
        "exit_code": stats.exit_code,
        **extra,
    }
    return dumps(summary, indent=2) + "\n"  # a failed file's name may hold undecodable bytes
