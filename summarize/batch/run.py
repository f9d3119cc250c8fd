"""The thread engine: N worker threads sharing ONE pipeline, a bounded window of articles.

One run: discover files (a generator) -> a bounded window of articles handed to N
worker threads sharing ONE pipeline (its requests bounded by one AIMD limiter) -> each
worker ingests, checks the cache, summarizes and writes OUTDIR/<rel>.json atomically ->
the run driver (`driver.Run`, in the main thread) journals each outcome.

Why threads: the pipeline is synchronous (tenacity retries, re-asks, grounding), the
openai client is thread-safe and pools connections, and the work per article is
dominated by waiting on the endpoint; benchmarks/batch.py measures threads against an
asyncio.gather baseline (docs/BATCH.md). Worker threads are daemons so an interrupted
run can abandon a hung request and still exit.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator

from summarize.backends import Backend
from summarize.batch.config import BatchConfig, Outcome, Reporter, Stats, articles
from summarize.batch.discover import Found
from summarize.batch.driver import Run
from summarize.batch.store import ResultLog
from summarize.batch.throttle import AIMD
from summarize.batch.worker import Worker, one_line
from summarize.config import Settings
from summarize.errors import UserError
from summarize.pipeline import Summarizer

TICK = 0.1
"""How long the pool waits for an outcome before it lets the driver look at the signals."""


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
    limiter = AIMD(config.concurrency)
    summarizer = Summarizer.from_settings(settings, backend=backend, limiter=limiter)
    items = articles(config)
    # One loaded local model serves one request at a time: more workers would only queue on its lock.
    workers = 1 if settings.uses_local else config.concurrency
    with Run(config, ResultLog(config.out), reporter, stop=stop) as run:
        worker = Worker(config, summarizer, run.index.done, stop=run.stop, halt=run.halt)
        run.drive(threads(run.items(items), worker, workers))
        if run.stats.interrupted:
            summarizer.cancel()
    run.stats.rate_limited = limiter.rate_limited
    run.stats.limit_decreases = limiter.decreases
    return run.write(summarizer)


def threads(items: Iterator[Found], worker: Worker, workers: int) -> Iterator[Outcome | None]:
    """The thread transport: ITEMS through WORKER on WORKERS daemon threads, a bounded window in
    flight (none drawn once the run stops or halts); each outcome as it finishes, None while none."""
    pool = _Pool(worker, workers)
    window = workers * 2  # a queued article ready for every worker that frees up
    in_flight, exhausted = 0, False
    try:
        while True:
            stopping = worker.stop.is_set() or worker.halt.is_set()
            while not stopping and not exhausted and in_flight < window:
                item = next(items, None)
                if item is None:
                    exhausted = True
                    break
                pool.tasks.put(item)
                in_flight += 1
            if in_flight == 0 and (exhausted or stopping):
                return
            try:
                outcome = pool.results.get(timeout=TICK)
            except queue.Empty:
                yield None
                continue
            in_flight -= 1
            yield outcome
    finally:
        pool.close()


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
