"""The Ray Data transform: one actor holds one pipeline (one client) and a few threads.

`Articles` is the callable class given to `Dataset.map_batches`. Ray Data starts it as a
pool of actors (`ActorPoolStrategy`), restarts an actor whose process dies and retries its
batches there. Each actor builds its `Summarizer` through the one pipeline builder, with
the cluster's gate as its limiter, and runs each article through the thread engine's own
`Worker`: read, cache check, summarize, per-article JSON written atomically. What goes
back to the driver is one outcome row per article; only the driver journals them.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from summarize.backends import Backend
from summarize.batch.config import BatchConfig, Outcome
from summarize.batch.discover import Found
from summarize.batch.ray_engine.gate import GateFlags, RemoteLimiter
from summarize.batch.ray_engine.places import ObjectSink, Place
from summarize.batch.worker import FolderSink, Sink, Worker, one_line
from summarize.config import Settings
from summarize.ingest import Document
from summarize.pipeline import Summarizer
from summarize.schemas import Usage

# One outcome row: the Outcome's fields, its result as JSON text (results differ in shape,
# which Arrow columns do not like), its usage spread over three integer columns.
OUTCOME_COLUMNS = (
    ("rel", "string"),
    ("status", "string"),
    ("key", "string"),
    ("result", "string"),
    ("error", "string"),
    ("prompt_tokens", "int64"),
    ("completion_tokens", "int64"),
    ("requests", "int64"),
    ("seconds", "float64"),
)


@dataclass(frozen=True)
class Job:
    """What every actor of a run needs; pickled once per actor."""

    config: BatchConfig
    settings: Settings
    done: Any
    """An ObjectRef of the driver's path -> key of articles already done in DEST."""
    source: Place
    dest: Place
    gate: Any
    threads: int
    backend: Backend | None = None
    """Replaces the backend the settings select (tests, benchmarks); must pickle."""


class Articles:
    """A batch of articles in (rel, path, label), their outcome rows out."""

    def __init__(self, job: Job) -> None:
        import ray

        holder = ray.get_runtime_context().get_actor_id() or f"pid-{os.getpid()}"
        # Ray restarts a dead actor under the same id: whatever its last life held is gone.
        ray.get(job.gate.forget.remote(holder))
        limiter = RemoteLimiter(job.gate, holder)
        summarizer = Summarizer.from_settings(job.settings, backend=job.backend, limiter=limiter)
        flags = GateFlags(job.gate)
        self.job = job
        self.worker = Worker(
            job.config,
            summarizer,
            ray.get(job.done),
            sink=sink_for(job.dest),
            stop=flags.view("stop"),
            halt=flags.view("halt"),
        )
        self.pool = ThreadPoolExecutor(job.threads, thread_name_prefix="article")

    def __call__(self, batch: Any) -> Any:
        """Every article of BATCH (a pyarrow Table) at once, on this actor's threads."""
        return outcomes_table(list(self.pool.map(self._one, batch.to_pylist())))

    def _one(self, row: dict[str, Any]) -> Outcome:
        try:
            return self.worker(found(row), lambda: self._load(row))
        except BaseException as exc:  # like the thread pool: an article never vanishes
            return Outcome(row["rel"], "failed", error=f"internal error: {one_line(exc)}")

    def _load(self, row: dict[str, Any]) -> Document:
        summarizer = self.worker.summarizer
        if self.job.source.local:
            return summarizer.load(row["path"], label=row["label"])
        data = self.job.source.read_bytes(row["path"], row["label"], summarizer.settings.max_bytes)
        return summarizer.parse(data, row["label"])


def found(row: dict[str, Any]) -> Found:
    """The Worker's view of an input row (the actor reads it through its own load)."""
    return Found(row["rel"], Path(row["path"]), row["problem"])


def sink_for(dest: Place) -> Sink:
    """Where per-article JSON goes for DEST."""
    return FolderSink(Path(dest.root)) if dest.local else ObjectSink(dest)


def outcome_row(outcome: Outcome) -> dict[str, Any]:
    """OUTCOME as one row of the transform's output."""
    result = outcome.result
    return {
        "rel": outcome.rel,
        "status": outcome.status,
        "key": outcome.key,
        "result": None if result is None else json.dumps(result, ensure_ascii=False),
        "error": outcome.error,
        **outcome.usage.model_dump(),
        "seconds": outcome.seconds,
    }


def outcome_of(row: dict[str, Any]) -> Outcome:
    """The Outcome an output row carries."""
    usage = Usage(**{k: row[k] for k in ("prompt_tokens", "completion_tokens", "requests")})
    result = None if row["result"] is None else json.loads(row["result"])
    return Outcome(row["rel"], row["status"], row["key"], result, row["error"], usage, row["seconds"])


def outcomes_table(outcomes: list[Outcome]) -> Any:
    """OUTCOMES as a pyarrow Table with fixed column types (None-only columns included)."""
    import pyarrow as pa

    schema = pa.schema([(name, getattr(pa, kind)()) for name, kind in OUTCOME_COLUMNS])
    return pa.Table.from_pylist([outcome_row(o) for o in outcomes], schema=schema)


def job_config(config: BatchConfig) -> BatchConfig:
    """CONFIG as the actors get it: without the open --from-file handle, which does not pickle."""
    return replace(config, from_file=None)
