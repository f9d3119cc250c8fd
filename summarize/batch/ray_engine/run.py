"""The Ray engine's driver: list SRC, run the articles on a pool of actors, journal outcomes.

One run: list SRC with the thread engine's rules (a folder is walked by the same walk) ->
a Ray Dataset of (rel, path, label) rows in blocks of one actor's share of --concurrency
-> `map_batches(Articles)` on `--workers` actors, each with one pipeline, the cluster's
gate as limiter, and threads that run the thread engine's `Worker` -> outcome rows stream
back to this process, the only writer of the journal (results.jsonl for a folder DEST,
JSONL shards for object storage), which also counts, reports progress and stops the run.

A retried batch (its actor died) may deliver an article's outcome twice: the driver keeps
the first and drops the other, so an article has one line per run. Its per-article JSON
may be written twice, atomically, by the same Worker code: one file either way.
"""

from __future__ import annotations

import logging
import math
import os
import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from summarize.backends import Backend
from summarize.batch.config import BatchConfig, Outcome, Reporter, Stats, articles
from summarize.batch.discover import DEFAULT_PATTERNS, Rules
from summarize.batch.driver import Run
from summarize.batch.ray_engine.actors import Articles, Job, job_config, outcome_of
from summarize.batch.ray_engine.gate import GateFlags, start_gate
from summarize.batch.ray_engine.llm import InJob, ProcessorModel
from summarize.batch.ray_engine.places import (
    Article,
    Place,
    default_dest,
    from_found,
    listing,
    open_place,
)
from summarize.batch.ray_engine.shards import ShardLog
from summarize.batch.store import ResultLog
from summarize.config import Settings
from summarize.errors import UserError
from summarize.fsio import is_uri
from summarize.pipeline import Summarizer

log = logging.getLogger(__name__)

Row = dict[str, Any]
TICK = 0.1
"""How long the driver waits for outcome rows before it looks at the signals again."""
EXTRA = "pip install 'summarize[ray]'"


@dataclass(frozen=True)
class RayOptions:
    """Where a Ray run reads and writes, and on which cluster."""

    src: str
    """A folder or an object-store URI."""
    dest: str | None = None
    """A folder or an object-store URI; default `<SRC>.summaries` beside SRC."""
    address: str | None = None
    """A running cluster to join; None starts a local Ray on this machine."""
    workers: int | None = None
    """Actors, each with one pipeline; default one per CPU of the cluster."""
    log_to_driver: bool = False
    """Show the workers' own log lines (--verbose)."""

    @property
    def dest_uri(self) -> str:
        """DEST as given, or its default."""
        return self.dest or default_dest(self.src)


def require_ray() -> Any:
    """The ray module, or the one-line error that names the extra to install."""
    try:
        import ray
        import ray.data  # ray without its data extra lacks pyarrow: fail here, not in a worker
    except ImportError as exc:
        raise UserError(f"--engine ray needs Ray ({exc}). Install it with {EXTRA}") from None
    return ray


def run_on_ray(
    config: BatchConfig,
    settings: Settings,
    options: RayOptions,
    reporter: Reporter | None = None,
    *,
    stop: threading.Event | None = None,
    backend: Backend | None = None,
    in_job: InJob | None = None,
) -> Stats:
    """Summarize every article of SRC into DEST on Ray; resumable; the run's totals (also in
    run.json). BACKEND replaces the one SETTINGS select (tests, benchmarks; it must pickle).
    IN_JOB runs the model inside the job (`ray.data.llm`) instead of calling an endpoint."""
    if config.concurrency < 1:
        raise UserError("--concurrency must be 1 or more. Pass e.g. --concurrency 8")
    require_ray()
    if in_job is not None and backend is None:
        backend = ProcessorModel(in_job.model, settings.context_tokens)
    if config.csv and is_uri(options.dest_uri):
        raise UserError("--format csv writes tables beside results.jsonl. Give a folder for -o")
    summarizer = Summarizer.from_settings(settings, backend=backend)
    src, dest = open_place(options.src), open_place(options.dest_uri)
    items = list(_articles(config, src, dest))
    if reporter is not None:
        reporter.set_total(len(items))
    journal = ResultLog(Path(dest.root)) if dest.local else ShardLog(dest)
    with Run(config, journal, reporter, stop=stop) as run:
        cluster = _Cluster(config, settings, options, src, dest, backend, in_job)
        with ray_session(options):
            extra = cluster.execute(run, items)
    # A folder's absolute path, as the thread engine writes it: `report` re-reads the articles.
    where = str(Path(src.root).resolve()) if src.local else src.uri
    return run.write(summarizer, dest.write_text, dir=where, outdir=dest.uri, engine="ray", **extra)


def _articles(config: BatchConfig, src: Place, dest: Place) -> Iterator[Article]:
    """A folder's articles exactly as the thread engine finds them (walk or --from-file, DEST
    pruned); an object store's listed by the same rules."""
    if src.local:
        outdir = Path(dest.root) if dest.local else config.outdir
        return from_found(articles(replace(config, root=src.folder, outdir=outdir)))
    if config.from_file is not None:
        raise UserError("--from-file lists files of a folder. Give a folder as SRC, or a --glob")
    return listing(src, dest, Rules(config.patterns or DEFAULT_PATTERNS, config.excludes))


@contextmanager
def ray_session(options: RayOptions) -> Iterator[None]:
    """Ray for one run: the caller's when already connected; else the cluster at --address,
    or a new local one (no dashboard, no usage report), shut down afterwards."""
    import ray

    _quiet_ray_data(options.log_to_driver)
    if ray.is_initialized():
        yield
        return
    level = logging.WARNING if options.log_to_driver else logging.ERROR
    try:
        quiet: dict[str, Any] = {"log_to_driver": options.log_to_driver, "logging_level": level}
        if options.address:
            ray.init(address=options.address, **quiet)
        else:
            # A Ray we start reports no usage statistics unless the environment asks for it.
            os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
            ray.init(address="local", include_dashboard=False, **quiet)
    except (ConnectionError, ValueError, RuntimeError) as exc:
        where = f"the Ray cluster at {options.address}" if options.address else "a local Ray"
        raise UserError(f"cannot start or join {where} ({exc}). Check --address or RAY_ADDRESS") from None
    try:
        yield
    finally:
        ray.shutdown()


def _quiet_ray_data(verbose: bool) -> None:
    """Ray Data tells the console about every dataset it runs; the driver shows its own
    progress. Its log file in the Ray session folder keeps everything."""
    if verbose:
        return
    for handler in logging.getLogger("ray.data").handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setLevel(logging.ERROR)


@dataclass(frozen=True)
class _Cluster:
    """The transport of one run: the gate, the dataset, and the outcome rows it streams back."""

    config: BatchConfig
    settings: Settings
    options: RayOptions
    src: Place
    dest: Place
    backend: Backend | None
    in_job: InJob | None

    def execute(self, run: Run, items: list[Article]) -> dict[str, Any]:
        """Run ITEMS on the cluster under RUN's driver; what run.json says about it."""
        import ray

        cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
        workers, threads = self._shape(len(items), cpus)
        gate = start_gate(self.config.concurrency, self.settings.timeout, workers * threads)
        flags = GateFlags(gate)
        config, done = job_config(self.config), ray.put(run.index.done)
        job = Job(config, self.settings, done, self.src, self.dest, gate, threads, self.backend)
        try:
            run.halt = flags.view("halt")
            rows: list[Row] = [
                {"rel": a.rel, "path": a.path, "label": a.label, "problem": a.problem}
                for a in run.items(items)
            ]
            outcomes = _fed(self._rows(rows, job, workers, threads, cpus)) if rows else iter(())
            run.drive(
                outcomes,
                on_stop=flags.view("stop").set,
                in_flight=lambda: int(flags.status()["in_flight"]),
                on_tick=flags.keep,  # a gate restarted empty gets the stop and halt flags again
            )
            status = ray.get(gate.status.remote())
        finally:
            ray.kill(gate)
        run.stats.rate_limited, run.stats.limit_decreases = status["rate_limited"], status["decreases"]
        address = str(ray.get_runtime_context().gcs_address)
        return {"workers": workers, "threads_per_worker": threads, "ray_address": address}

    def _rows(self, rows: list[Row], job: Job, workers: int, threads: int, cpus: int) -> Iterator[list[Row]]:
        """Outcome rows as the cluster makes them: live actors, or rounds of the in-job model."""
        if self.in_job is not None:
            return self.in_job.batches(rows, job, workers)
        return _live(rows, job, workers, threads, cpus)

    def _shape(self, articles: int, cpus: int) -> tuple[int, int]:
        """(actors, threads per actor): one actor per CPU of the cluster (CPUS) unless told, never
        more than needed; each with its share of --concurrency (one thread: an embedded model
        answers one at a time)."""
        workers = max(1, self.options.workers or cpus)
        threads = 1 if self.settings.uses_local else math.ceil(self.config.concurrency / workers)
        return max(1, min(workers, math.ceil(articles / threads))), threads


def _live(rows: list[Row], job: Job, workers: int, threads: int, cpus: int) -> Iterator[list[Row]]:
    """ROWS in blocks of THREADS articles (one batch each) through WORKERS `Articles` actors
    on a cluster of CPUS CPUs."""
    import ray
    import ray.data

    ray.data.DataContext.get_current().enable_progress_bars = False  # the driver shows its own
    pool = ray.data.ActorPoolStrategy(
        size=workers,
        # A second batch starts while the first waits on its slowest article.
        max_concurrent_calls_per_actor=2,
        max_tasks_in_flight_per_actor=3,
        enable_true_multi_threading=True,
    )
    dataset = ray.data.from_items(rows, override_num_blocks=math.ceil(len(rows) / threads)).map_batches(
        Articles,
        fn_constructor_kwargs={"job": job},
        batch_size=None,
        batch_format="pyarrow",
        compute=pool,
        num_cpus=min(1.0, cpus / workers),  # any --workers fits the cluster
    )
    batches = iter(dataset.iter_batches(batch_size=None, batch_format="pyarrow"))
    try:
        for batch in batches:
            yield batch.to_pylist()
    finally:
        close = getattr(batches, "close", None)
        if close is not None:
            close()  # stops the job and its actors when the driver stops early


def _fed(source: Iterator[list[Row]]) -> Iterator[Outcome | None]:
    """The outcomes of SOURCE's rows, moved from the cluster by a thread of their own so the
    driver can watch signals and deadlines while the cluster works (None: nothing new yet)."""
    feed = _Feed(source)
    try:
        while True:
            try:
                rows = feed.rows.get(timeout=TICK)
            except queue.Empty:
                yield None
                continue
            if rows is None:
                return
            if isinstance(rows, BaseException):
                raise _job_failed(rows)
            yield from (outcome_of(row) for row in rows)
    finally:
        feed.abandoned.set()  # what is still in flight was not recorded: the next run redoes it


class _Feed:
    """Outcome rows moved from the cluster by a thread of their own, so the driver can watch
    signals and deadlines while the cluster works."""

    def __init__(self, source: Iterator[list[Row]]) -> None:
        self.rows: queue.SimpleQueue[list[Row] | BaseException | None] = queue.SimpleQueue()
        self.abandoned = threading.Event()
        threading.Thread(target=self._pump, args=(source,), name="ray-feed", daemon=True).start()

    def _pump(self, source: Iterator[list[Row]]) -> None:
        try:
            for rows in source:
                if self.abandoned.is_set():
                    break
                self.rows.put(rows)
        except BaseException as exc:
            self.rows.put(exc)
            return
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()
        self.rows.put(None)


def _job_failed(exc: BaseException) -> UserError:
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
    log.info("the Ray job failed", exc_info=exc)
    return UserError(f"the Ray job failed ({first}). Rerun to resume; --verbose shows Ray's logs")
