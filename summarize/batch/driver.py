"""The run driver: the one owner of a batch run's journal, signals, token budget, progress
and run.json, whatever engine turns its articles into outcomes.

An engine is a transport: `run(items) -> Iterator[Outcome | None]`, where None says that
nothing finished yet (so the driver, in the main thread, can watch signals and redraw).
The thread engine's pool, the Ray engine's dataset and the provider job's rounds are
transports; `Run` journals each outcome once, counts it, stops new work when the token
budget is spent, gives in-flight work the grace time after Ctrl-C/SIGTERM (a second
signal abandons it at once), and writes run.json at the end.

    with Run(config, ResultLog(config.out), reporter, stop=stop) as run:
        worker = Worker(config, summarizer, run.index.done, stop=run.stop, halt=run.halt)
        run.drive(transport(run.items(articles(config)), worker))
    run.write(summarizer)
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timezone
from types import FrameType, TracebackType
from typing import Any, Protocol

from summarize.batch.config import BatchConfig, Outcome, Reporter, Stats
from summarize.batch.store import RUN, Index, tidy, warn_repaired
from summarize.fsio import atomic_write_text, dumps
from summarize.pipeline import Summarizer
from summarize.schemas import SCHEMA_VERSION

log = logging.getLogger(__name__)

REDRAW_SECONDS = 0.5


class Journal(Protocol):
    """Where the driver appends one line per finished article (results.jsonl, or shards)."""

    @property
    def needs_compaction(self) -> bool:
        """Whether some article has more than one line."""
        ...

    def open(self) -> Index:
        """Lock, repair, and read what earlier runs left."""
        ...

    def append(self, record: dict[str, Any]) -> None:
        """Add RECORD durably."""
        ...

    def compact(self) -> None:
        """Keep only the latest line of each path."""
        ...

    def close(self) -> None:
        """Store what is buffered; release the lock."""
        ...


class Flag(Protocol):
    """A signal the driver gives and a transport obeys (a threading.Event, or a flag the
    whole cluster sees)."""

    def set(self) -> None:
        """Give the signal."""
        ...

    def is_set(self) -> bool:
        """Whether the signal was given."""
        ...


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


class Items:
    """The run's articles as a transport draws them, counted; thread-safe, so the driver can
    count what is left while a transport's thread still holds the iterator."""

    def __init__(self, items: Iterable[Any]) -> None:
        self._items = iter(items)
        self._lock = threading.Lock()
        self._closed = False
        self.drawn = 0

    def __iter__(self) -> Items:
        return self

    def __next__(self) -> Any:
        with self._lock:
            if self._closed:
                raise StopIteration
            item = next(self._items)
            self.drawn += 1
            return item

    def drain(self) -> None:
        """Count the articles never drawn; none is drawn after."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self.drawn += sum(1 for _ in self._items)


class Run:
    """One batch run: its journal, its totals and the flags its transport obeys."""

    def __init__(
        self,
        config: BatchConfig,
        journal: Journal,
        reporter: Reporter | None = None,
        *,
        stop: threading.Event | None = None,
        budget: bool = True,
    ) -> None:
        self.config = config
        self.journal = journal
        self.reporter = reporter
        self.stop = stop or threading.Event()
        """Set by a signal: start nothing new."""
        self.halt: Flag = threading.Event()
        """Set when the token budget is spent: start no new model call."""
        self.budget = budget
        """Whether the driver applies --max-tokens-total (a provider job applies it before sending)."""
        self.stats = Stats()
        self.stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
        self.started = time.monotonic()
        self.index = Index()
        self._items = Items(())
        self._shown = 0.0

    def __enter__(self) -> Run:
        self.index = self.journal.open()
        warn_repaired(self.index)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if kind is None:
                tidy(self.journal, csv_tables=self.config.csv)
        finally:
            self.journal.close()

    def signals(self) -> Signals:
        """The run's signal handlers (while they are installed, a signal sets `stop`)."""
        return Signals(self.stop)

    def items(self, items: Iterable[Any]) -> Items:
        """ITEMS, counted as the transport draws them (so the driver knows what was not started)."""
        self._items = Items(items)
        return self._items

    def drive(
        self,
        outcomes: Iterator[Outcome | None],
        *,
        on_stop: Callable[[], None] | None = None,
        in_flight: Callable[[], int] | None = None,
        on_tick: Callable[[], None] | None = None,
    ) -> None:
        """Journal OUTCOMES as they come, once per article; on a signal, ON_STOP tells the
        transport to start nothing new, and after the grace time (or a second signal) what is
        still in flight is abandoned: it was not recorded, the next run redoes it. IN_FLIGHT
        asks the transport what is in flight, for the progress (default: drawn, not finished);
        ON_TICK runs on every turn of the loop (the Ray gate's flags are kept set)."""
        stats, seen, deadline = self.stats, set[str](), None
        asked = float("-inf")
        try:
            with self.signals() as signals:
                for outcome in outcomes:
                    if on_tick is not None:
                        on_tick()
                    if self.stop.is_set() and deadline is None:
                        stats.interrupted = True
                        if on_stop is not None:
                            on_stop()
                        deadline = time.monotonic() + self.config.grace_seconds
                    if outcome is not None and outcome.rel not in seen:  # a retried batch repeats
                        seen.add(outcome.rel)
                        self.record(outcome)
                    if in_flight is None:
                        stats.in_flight = self._items.drawn - len(seen)
                    elif time.monotonic() - asked >= REDRAW_SECONDS:
                        asked = time.monotonic()
                        stats.in_flight = in_flight()
                    self.show(force=outcome is not None)
                    if deadline is not None and (time.monotonic() > deadline or signals.count > 1):
                        break
        finally:
            close = getattr(outcomes, "close", None)
            if close is not None:
                close()
        if stats.interrupted or stats.budget_reached:
            self._items.drain()
        stats.not_started += self._items.drawn - len(seen)
        stats.in_flight = 0
        self.show(force=True)

    def record(self, outcome: Outcome) -> dict[str, Any] | None:
        """Count OUTCOME, journal it unless nothing happened (its line), and halt new work once
        the token budget is spent."""
        stats = self.stats
        stats.record(outcome)
        if outcome.status in ("not_started", "cached"):
            return None
        line = result_line(outcome)
        self.journal.append(line)
        budget = self.config.max_tokens_total
        if self.budget and budget is not None and stats.tokens >= budget and not stats.budget_reached:
            stats.budget_reached = True
            self.halt.set()
            log.warning("token budget of %d reached: no new articles are started", budget)
        return line

    def show(self, *, force: bool = False) -> None:
        """Redraw the progress on news, or when REDRAW_SECONDS went by."""
        now = time.monotonic()
        if self.reporter is not None and (force or now - self._shown > REDRAW_SECONDS):
            self._shown = now
            self.reporter.update(self.stats)

    def write(
        self, summarizer: Summarizer, put: Callable[[str, str], None] | None = None, **extra: Any
    ) -> Stats:
        """Write run.json (through PUT(name, text) for a place that is not OUTDIR); EXTRA adds
        or replaces keys. The run's totals."""
        self.stats.seconds = round(time.monotonic() - self.started, 3)
        text = run_json(self.config, self.stats, summarizer, self.stamp, **extra)
        if put is None:
            atomic_write_text(self.config.out / RUN, text)
        else:
            put(RUN, text)
        return self.stats


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
