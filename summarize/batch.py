"""Folders of articles: walk, schedule, resume, write results atomically.

One run: discover files (a generator) -> a bounded window of articles handed to N
worker threads sharing ONE backend (wrapped in an AIMD throttle) -> each worker
ingests, checks the cache, summarizes and writes OUTDIR/<rel>.json atomically -> the
main thread, the only writer of results.jsonl, appends one line per article.

Why threads: the pipeline is synchronous (tenacity retries, re-asks, grounding), the
openai client is thread-safe and pools connections, and the work per article is
dominated by waiting on the endpoint; benchmarks/batch.py measures threads against an
asyncio.gather baseline (docs/BATCH.md). Worker threads are daemons so an interrupted
run can abandon a hung request and still exit.
"""

from __future__ import annotations

import hashlib
import logging
import queue
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from types import FrameType
from typing import IO, Any, Literal, Protocol

from summarize.backends.base import Backend, Completion, Request
from summarize.config import Settings
from summarize.discover import DEFAULT_PATTERNS, Found, Rules, from_list, walk
from summarize.errors import SummarizeError, UserError
from summarize.fsio import atomic_write_text
from summarize.ingest import DEFAULT_MAX_BYTES
from summarize.schemas import SCHEMA_VERSION, Usage
from summarize.store import RESULTS, RUN, ResultLog, output_path, write_csv_tables

log = logging.getLogger(__name__)

Status = Literal["ok", "failed", "cached", "not_started"]
# How long in-flight articles may finish after Ctrl-C / SIGTERM before they are abandoned.
GRACE_SECONDS = 5.0
MAX_LISTED_FAILURES = 20


@dataclass(frozen=True)
class BatchConfig:
    """What to summarize, where to write it, and how hard to push."""

    root: Path
    outdir: Path | None = None
    patterns: tuple[str, ...] = ()
    """File patterns; empty means DEFAULT_PATTERNS."""
    excludes: tuple[str, ...] = ()
    from_file: IO[str] | None = None
    concurrency: int = 8
    force: bool = False
    raw: bool = False
    max_bytes: int = DEFAULT_MAX_BYTES
    csv: bool = False
    max_tokens_total: int | None = None
    price_in: float | None = None
    price_out: float | None = None
    grace_seconds: float = GRACE_SECONDS

    @property
    def out(self) -> Path:
        """OUTDIR: as given, or a sibling `<DIR name>.summaries` that the walk never enters."""
        if self.outdir is not None:
            return self.outdir
        root = self.root.resolve()
        return root.parent / f"{root.name}.summaries"


@dataclass(frozen=True)
class Outcome:
    """What became of one article."""

    rel: str
    status: Status
    key: str | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    usage: Usage = field(default_factory=Usage)
    seconds: float = 0.0


@dataclass
class Stats:
    """Running totals of a batch, shown by the progress bar and returned at the end."""

    ok: int = 0
    failed: int = 0
    cached: int = 0
    in_flight: int = 0
    not_started: int = 0
    total: int | None = None
    usage: Usage = field(default_factory=Usage)
    ok_usage: Usage = field(default_factory=Usage)
    failures: list[tuple[str, str]] = field(default_factory=list)
    interrupted: bool = False
    budget_reached: bool = False
    seconds: float = 0.0
    rate_limited: int = 0
    limit_decreases: int = 0
    failed_with_requests: int = 0

    @property
    def processed(self) -> int:
        """Articles finished this run, cached ones included."""
        return self.ok + self.failed + self.cached

    @property
    def tokens(self) -> int:
        """Prompt plus completion tokens spent this run."""
        return self.usage.prompt_tokens + self.usage.completion_tokens

    @property
    def retries(self) -> int:
        """Requests beyond one per summarized article: transport retries, re-asks, repairs, and
        the extra passes of the bundled local model (three requests an article)."""
        return max(0, self.usage.requests - self.ok - self.failed_with_requests)

    @property
    def exit_code(self) -> int:
        """130 interrupted, 1 when an article failed or the token budget stopped the run, else 0."""
        if self.interrupted:
            return 130
        return 1 if self.failed or self.budget_reached else 0

    def cost(self, price_in: float | None, price_out: float | None) -> float | None:
        """Estimated cost from per-million-token prices, when given."""
        if price_in is None and price_out is None:
            return None
        return (
            self.usage.prompt_tokens * (price_in or 0.0) + self.usage.completion_tokens * (price_out or 0.0)
        ) / 1_000_000


class Reporter(Protocol):
    """Receives progress; the CLI's is a rich progress bar."""

    def update(self, stats: Stats) -> None:
        """Totals changed."""
        ...


def cache_key(text: str, model: str, prompts_fingerprint: str) -> str:
    """Same article text, model, prompts and schema version -> same key -> no new model call."""
    h = hashlib.sha256()
    for part in (text, model, prompts_fingerprint, SCHEMA_VERSION):
        h.update(part.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()


def model_name(settings: Settings) -> str:
    """The name the backend will report, known without loading a local model."""
    if settings.uses_local:
        from summarize.model_files import DEFAULT_MODEL

        return Path(settings.model_path).stem if settings.model_path else DEFAULT_MODEL.name
    from summarize.backends.openai_compat import _default_model

    return settings.model or _default_model(settings)


def articles(config: BatchConfig) -> Iterator[Found]:
    """The articles of the run, streamed: from --from-file's list, or a walk of DIR."""
    if config.from_file is not None:
        return from_list(config.root, config.from_file)
    if not config.root.is_dir():
        raise UserError(f"{config.root} is not a folder. Pass the folder that holds the articles")
    out = config.out.resolve()
    rules = Rules(patterns=config.patterns or DEFAULT_PATTERNS, excludes=config.excludes, prune=(out,))
    return walk(config.root, rules)


class _LazyBackend:
    """Builds the real backend on the first request: a fully cached rerun never loads a model."""

    def __init__(self, settings: Settings, name: str) -> None:
        self.settings = settings
        self.model_name = name
        self._backend: Backend | None = None
        self._lock = threading.Lock()

    def get(self) -> Backend:
        with self._lock:
            if self._backend is None:
                from summarize.backends import make_backend

                self._backend = make_backend(self.settings)
            return self._backend

    # The pipeline asks for these only when an article needs a model call, so reading them
    # may load the model.
    @property
    def context_tokens(self) -> int | None:
        return self.get().context_tokens

    @context_tokens.setter
    def context_tokens(self, value: int | None) -> None:
        self.get().context_tokens = value

    @property
    def draft_strategy(self) -> str:
        return self.get().draft_strategy

    def count_tokens(self, text: str) -> int:
        return self.get().count_tokens(text)

    def complete(self, request: Request) -> Completion:
        return self.get().complete(request)


class _Worker:
    """Everything one article needs; called from worker threads."""

    def __init__(self, config: BatchConfig, settings: Settings, done: dict[str, str]) -> None:
        from summarize.api import options_from
        from summarize.prompts import Prompts
        from summarize.throttle import Throttle

        self.config = config
        self.outdir = config.out
        self.prompts = Prompts.load(settings.prompts_dir)
        self.options = options_from(settings)
        self.model = model_name(settings)
        self.fingerprint = self.prompts.fingerprint
        self.throttle = Throttle(_LazyBackend(settings, self.model), config.concurrency)
        self.done = done
        self.stop = threading.Event()
        """Set by a signal: start nothing new."""
        self.halt = threading.Event()
        """Set when the token budget is spent: start no new model call."""

    def __call__(self, item: Found) -> Outcome:
        from summarize.extract import summarize_document
        from summarize.ingest import load_document

        started = time.monotonic()
        if self.stop.is_set():
            return Outcome(item.rel, "not_started")
        if item.problem:
            return Outcome(item.rel, "failed", error=f"{item.rel}: {item.problem}")
        try:
            target = output_path(self.outdir, item.rel)
            doc = load_document(str(item.path), raw=self.config.raw, max_bytes=self.config.max_bytes)
        except (SummarizeError, ValueError) as exc:
            return Outcome(item.rel, "failed", error=_one_line(exc))
        key = cache_key(doc.text, self.model, self.fingerprint)
        if not self.config.force and self.done.get(item.rel) == key and target.exists():
            return Outcome(item.rel, "cached", key=key)
        if self.stop.is_set() or self.halt.is_set():
            return Outcome(item.rel, "not_started")
        try:
            summary = summarize_document(doc, self.throttle, prompts=self.prompts, options=self.options)
        except SummarizeError as exc:
            usage = exc.usage or Usage()
            return Outcome(
                item.rel, "failed", key, error=_one_line(exc), usage=usage, seconds=_since(started)
            )
        except Exception as exc:  # one article's bug must not sink the batch
            log.exception("unexpected error on %s", item.rel)
            return Outcome(item.rel, "failed", key, error=f"internal error: {_one_line(exc)}")
        from summarize.render import to_json

        atomic_write_text(target, to_json(summary))
        result = summary.model_dump(mode="json")
        return Outcome(item.rel, "ok", key, result, usage=summary.usage, seconds=_since(started))


def _since(t: float) -> float:
    return round(time.monotonic() - t, 3)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return " ".join(text.split())[:500]


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
                self.results.put(Outcome(item.rel, "failed", error=f"internal error: {_one_line(exc)}"))

    def close(self) -> None:
        for _ in self._threads:
            self.tasks.put(None)


class _Signals:
    """SIGINT/SIGTERM set the stop event; a second one abandons in-flight work at once."""

    def __init__(self, stop: threading.Event) -> None:
        self.stop = stop
        self.count = 0
        self._old: dict[int, Any] = {}

    def __enter__(self) -> _Signals:
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
) -> Stats:
    """Summarize every article of CONFIG; resumable; returns the run's totals (also in run.json)."""
    if config.concurrency < 1:
        raise UserError("--concurrency must be 1 or more. Pass e.g. --concurrency 8")
    items = articles(config)
    log_ = ResultLog(config.out)
    index = log_.open()
    if index.repaired_bytes:
        log.warning(
            "results.jsonl: removed a torn last line (%d bytes) left by a crash", index.repaired_bytes
        )
    worker = _Worker(config, settings, index.done)
    if stop is not None:
        worker.stop = stop
    # One loaded local model serves one request at a time: more workers would only queue on its lock.
    workers = 1 if settings.uses_local else config.concurrency
    stats = Stats()
    started = time.monotonic()
    stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
    try:
        with _Signals(worker.stop) as signals:
            left = _schedule(items, worker, workers, log_, stats, config, reporter, signals)
        if log_.needs_compaction:
            log_.compact()
        if config.csv:
            write_csv_tables(config.out)
    finally:
        log_.close()
    stats.not_started += left
    stats.seconds = round(time.monotonic() - started, 3)
    stats.rate_limited = worker.throttle.rate_limited
    stats.limit_decreases = worker.throttle.decreases
    _write_run_json(config, stats, worker.model, stamp)
    return stats


def _schedule(
    items: Iterator[Found],
    worker: _Worker,
    workers: int,
    results: ResultLog,
    stats: Stats,
    config: BatchConfig,
    reporter: Reporter | None,
    signals: _Signals,
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
                _record(outcome, results, stats, config, worker.halt)
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


def _record(
    outcome: Outcome, results: ResultLog, stats: Stats, config: BatchConfig, halt: threading.Event
) -> None:
    stats.usage = stats.usage.add(outcome.usage)
    if outcome.status == "not_started":
        stats.not_started += 1
        return
    if outcome.status == "cached":
        stats.cached += 1
        return
    if outcome.status == "ok":
        stats.ok += 1
    else:
        stats.failed += 1
        if outcome.usage.requests:
            stats.failed_with_requests += 1
        if len(stats.failures) < MAX_LISTED_FAILURES:
            stats.failures.append((outcome.rel, outcome.error or "unknown error"))
    results.append(
        {
            "path": outcome.rel,
            "status": outcome.status,
            "result": outcome.result,
            "error": outcome.error,
            "key": outcome.key,
            "usage": outcome.usage.model_dump(),
            "seconds": outcome.seconds,
        }
    )
    budget = config.max_tokens_total
    if budget is not None and stats.tokens >= budget and not stats.budget_reached:
        stats.budget_reached = True
        halt.set()
        log.warning("token budget of %d reached: no new articles are started", budget)


def _write_run_json(config: BatchConfig, stats: Stats, model: str, started: str) -> None:
    import json

    summary = {
        "started": started,
        "seconds": stats.seconds,
        # Absolute, with the ingestion options: `summarize report` and `export` re-read the
        # articles from here to recover the exact text the evidence offsets index into.
        "dir": str(config.root.resolve()),
        "outdir": str(config.out),
        "raw": config.raw,
        "max_bytes": config.max_bytes,
        "model": model,
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
        "estimated_cost": stats.cost(config.price_in, config.price_out),
        "failures": [{"path": p, "error": e} for p, e in stats.failures],
        "exit_code": stats.exit_code,
    }
    atomic_write_text(config.out / RUN, json.dumps(summary, indent=2, ensure_ascii=False) + "\n")


# --- dry run -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Planned:
    """One article as a dry run sees it."""

    rel: str
    chars: int
    prompt_tokens: int
    cached: bool
    problem: str | None = None


def plan(config: BatchConfig, settings: Settings) -> Iterator[Planned]:
    """What a run would send, article by article, without calling or loading any model.

    Prompt tokens are estimated like the endpoint backend does, over the rendered messages.
    """
    from summarize.backends.openai_compat import CHARS_PER_TOKEN
    from summarize.extract import base_messages
    from summarize.ingest import load_document
    from summarize.prompts import Prompts
    from summarize.schemas import draft_json_schema
    from summarize.store import note_done, read_records

    prompts = Prompts.load(settings.prompts_dir)
    model = model_name(settings)
    schema = draft_json_schema()
    done: dict[str, str] = {}
    for record in read_records(config.out / RESULTS):
        note_done(done, record)
    for item in articles(config):
        if item.problem:
            yield Planned(item.rel, 0, 0, False, item.problem)
            continue
        try:
            output_path(config.out, item.rel)
            doc = load_document(str(item.path), raw=config.raw, max_bytes=config.max_bytes)
        except (SummarizeError, ValueError) as exc:
            yield Planned(item.rel, 0, 0, False, _one_line(exc))
            continue
        chars = sum(len(m.content) for m in base_messages(doc, prompts, schema))
        key = cache_key(doc.text, model, prompts.fingerprint)
        tokens = chars // CHARS_PER_TOKEN + 1
        yield Planned(item.rel, len(doc.text), tokens, not config.force and done.get(item.rel) == key)


def count_articles(config: BatchConfig) -> int | None:
    """A second, cheap walk that only counts (for the progress bar's total); None for a list."""
    if config.from_file is not None:
        return None
    try:
        return sum(1 for _ in articles(config))
    except (OSError, SummarizeError):
        return None
