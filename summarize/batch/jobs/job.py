"""A crash-safe, resumable provider batch job: shards -> files -> batches -> results, each once.

    with BatchJob.open(outdir / "batch-api", client, limits=ShardLimits(max_tokens=2_000_000)) as job:
        job.submit(request_lines)              # idempotent by custom_id
        state = job.poll()                     # statuses, downloads, launches what now fits
        for custom_id, body, error in job.collect():
            ...                                # each finished request once, across runs
        job.resubmit()                         # expired / cancelled / failed-batch requests

Every remote step is recorded in the manifest before it starts and after it ends. A rerun
after a crash finds an upload or a batch that was made but not recorded (by file name, or
by the batch metadata {"summarize_job", "shard", "sha256"}) instead of making another.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from summarize.draft.retry import RetryPolicy
from summarize.errors import BatchJobError, UserError

from . import collection, sending
from .folder import lock_folder, remove_strays
from .lines import RequestLine, read_request_ids
from .manifest import TERMINAL_STATUSES, Manifest, Phase, ShardRecord
from .outputs import Finished, Leftover, settle, write_ids
from .remote import Remote
from .shards import (
    Estimator,
    Shard,
    ShardLimits,
    ShardWriter,
    estimate_tokens,
    ids_name,
    read_ids,
)
from .state import BatchView, JobState

if TYPE_CHECKING:
    import openai

log = logging.getLogger(__name__)

# Polls to wait for a finished batch's file ids when its counts say a file must exist: the
# status can change before the files are attached, and settling early would resubmit (and
# pay again for) requests whose results were on their way.
FILE_WAIT_POLLS = 5


class BatchJob:
    """One job folder: its shards, their batches, and what was collected. Open with `BatchJob.open`."""

    def __init__(
        self,
        folder: Path,
        requests_dir: Path,
        manifest: Manifest,
        *,
        remote: Remote | None,
        limits: ShardLimits,
        estimate: Estimator,
        on_step: Callable[[str], None] | None,
        lock_fd: int,
    ) -> None:
        self.folder = folder
        self.requests_dir = requests_dir
        self.manifest = manifest
        self.remote = remote
        self.limits = limits
        self.estimate = estimate
        self._on_step = on_step
        self._lock_fd = lock_fd
        self.index: dict[str, str] = {}
        """custom_id -> the latest shard holding it."""
        self.sent: dict[str, int] = {}
        """custom_id -> shards holding it, for requests in more than one (resubmitted)."""
        for record in manifest.shards:
            self._index(record.name, read_ids(self.path("index", ids_name(record.name))))

    def _index(self, shard: str, ids: Iterable[str]) -> None:
        for cid in ids:
            if cid in self.index:
                self.sent[cid] = self.sent.get(cid, 1) + 1
            self.index[cid] = shard

    @classmethod
    def open(
        cls,
        folder: Path,
        client: openai.OpenAI | None = None,
        *,
        requests_dir: Path | None = None,
        limits: ShardLimits | None = None,
        estimate: Estimator = estimate_tokens,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        on_step: Callable[[str], None] | None = None,
    ) -> BatchJob:
        """Open (or start) the job in FOLDER; CLIENT is needed for the Batch API, not for shards only.

        REQUESTS_DIR holds the shard files (default FOLDER/requests). ON_STEP is called with
        the name of each step as it happens (see STEPS): for progress, and for crash tests.
        """
        folder.mkdir(parents=True, exist_ok=True)
        lock_fd = lock_folder(folder)
        try:
            manifest = Manifest.load(folder)
            if manifest is None:
                manifest = Manifest()
                manifest.save(folder)
            requests = requests_dir or folder / "requests"
            remove_strays(requests, folder / "index", len(manifest.shards))
            return cls(
                folder,
                requests,
                manifest,
                remote=Remote(client, policy, sleep) if client is not None else None,
                limits=limits or ShardLimits(),
                estimate=estimate,
                on_step=on_step,
                lock_fd=lock_fd,
            )
        except BaseException:
            os.close(lock_fd)
            raise

    @property
    def job_id(self) -> str:
        """The id the job's batches carry in their metadata."""
        return self.manifest.job_id

    def path(self, *parts: str) -> Path:
        """A path inside the job folder."""
        return self.folder.joinpath(*parts)

    def shard_path(self, name: str) -> Path:
        """The request file of shard NAME."""
        return self.requests_dir / name

    # --- writing shards -----------------------------------------------------------------

    def write(self, lines: Iterable[RequestLine] = ()) -> list[str]:
        """Write LINES whose custom_id is in no shard yet as new shards; returns their names.

        Shards close at the end of each call: write a round's lines in one call, not one call
        per line.
        """
        pending: set[str] = set()

        def fresh() -> Iterator[tuple[str, bytes, int]]:
            for line in lines:
                if line.custom_id not in self.index and line.custom_id not in pending:
                    pending.add(line.custom_id)
                    yield line.custom_id, line.encode(), self.estimate(line.body)

        return self._pack(fresh(), resubmit_of=[])

    def _pack(self, items: Iterator[tuple[str, bytes, int]], resubmit_of: list[str]) -> list[str]:
        writer = ShardWriter(
            self.requests_dir, self.path("index"), self.limits, len(self.manifest.shards) + 1
        )
        names: list[str] = []
        try:
            for custom_id, data, tokens in items:
                if done := writer.add_encoded(custom_id, data, tokens):
                    names.append(self._record(done, resubmit_of))
            if done := writer.close():
                names.append(self._record(done, resubmit_of))
        except BaseException:
            writer.abort()
            raise
        return names

    def _record(self, shard: Shard, resubmit_of: list[str]) -> str:
        self.notify("shard-written")
        record = ShardRecord(
            name=shard.name, lines=shard.lines, bytes=shard.bytes, tokens=shard.tokens, sha256=shard.sha256
        )
        record.resubmit_of = list(resubmit_of)
        record.step("written", "written")
        self.manifest.shards.append(record)
        self.save()
        self._index(shard.name, shard.ids)
        self.notify("shard-recorded")
        return shard.name

    # --- the remote steps ---------------------------------------------------------------

    def submit(self, lines: Iterable[RequestLine] = ()) -> list[str]:
        """Write new lines as shards, then send what fits under the enqueued-token cap; returns new shards."""
        names = self.write(lines)
        self.launch()
        return names

    def launch(self) -> list[str]:
        """Finish any remote step a crash interrupted, then upload and create batches for queued
        shards, in order, while their tokens fit under the cap; returns the ids of batches made now."""
        return sending.launch(self, self._remote())

    def poll(self) -> JobState:
        """Refresh open batches, download and settle finished ones, send what now fits; the new state."""
        if self.remote is None:
            return self.state()
        for record in self.manifest.shards:
            if record.phase != "created":
                continue
            if record.status not in TERMINAL_STATUSES or _files_missing(record):
                self._refresh(self.remote, record)
            if record.status in TERMINAL_STATUSES:
                self._finish(self.remote, record)
        self.launch()
        return self.state()

    def wait(
        self,
        interval: float,
        sleep: Callable[[float], None] = time.sleep,
        progress: Callable[[JobState], None] | None = None,
    ) -> JobState:
        """Poll every INTERVAL seconds until every batch finished; PROGRESS sees each state."""
        state = self.poll()
        while not state.done:
            if progress:
                progress(state)
            sleep(interval)
            state = self.poll()
        return state

    def _refresh(self, remote: Remote, record: ShardRecord) -> None:
        if record.batch_id is None:
            raise BatchJobError(f"shard {record.name} has no batch id. Report this as a bug")
        batch = remote.retrieve(record.batch_id)
        self.notify("polled")
        before = record.model_dump()
        record.update(batch)
        if record.status != before["status"]:
            record.step(None, f"status {record.status}")
        if record.model_dump() != before:  # an unchanged batch costs no manifest write
            self.save()

    def _finish(self, remote: Remote, record: ShardRecord) -> None:
        """Download the output and error files (each recorded once), then settle the batch."""
        if _files_missing(record) and record.file_waits < FILE_WAIT_POLLS:
            record.file_waits += 1
            log.info("batch %s is %s but its files are not attached yet", record.batch_id, record.status)
            self.save()
            return
        for kind in ("output", "error"):
            file_id = record.output_file_id if kind == "output" else record.error_file_id
            if file_id is None or getattr(record, kind) is not None:
                continue
            relative = f"outputs/{record.name.removesuffix('.jsonl')}.{kind}.jsonl"
            remote.download(file_id, self.path(relative))
            self.notify("downloaded")
            setattr(record, kind, relative)
            record.step(None, f"downloaded {kind} {file_id}")
            self.save()
        self._settle(record)

    def _settle(self, record: ShardRecord) -> None:
        files = [(rel, self.path(rel)) for rel in (record.output, record.error) if rel is not None]
        ids = read_ids(self.path("index", ids_name(record.name)))
        record.settled, leftover = settle(ids, files, self.manifest.note_unmatched)
        write_ids(self.path("index", collection.leftover_name(record.name)), leftover)
        self.advance(record, "finished", f"finished {record.status}")

    def cancel(self) -> list[str]:
        """Cancel the job's open batches and withhold queued shards; returns the batch ids cancelled."""
        return sending.cancel(self, self.remote)

    # --- results ------------------------------------------------------------------------

    def collect(self) -> Iterator[Finished]:
        """Every finished request not handed out before, once: (custom_id, body | None, error | None).

        A result counts as handed out when the caller asks for the next one (or the loop ends),
        so a crash while the caller holds a result hands that one result out again, never loses it.
        """
        return collection.collect(self)

    def pending_resubmit(self) -> list[Leftover]:
        """Requests that never ran (expired, cancelled, failed or withheld batches), not yet resubmitted."""
        return collection.leftovers(self)

    def resubmit(self, custom_ids: Iterable[str] | None = None) -> list[str]:
        """Copy requests into new shards: the pending ones, or CUSTOM_IDS (each in a finished batch)."""
        wanted = collection.resubmittable(self, custom_ids)
        by_shard: dict[str, set[str]] = {}
        for cid in wanted:
            by_shard.setdefault(self.index[cid], set()).add(cid)

        def copied() -> Iterator[tuple[str, bytes, int]]:
            for shard, ids in by_shard.items():
                for cid, raw in read_request_ids(self.shard_path(shard)):
                    if cid in ids:
                        yield cid, raw, self.estimate(_body(raw))

        return self._pack(copied(), resubmit_of=sorted(by_shard))

    def add_output(self, path: Path) -> str:
        """Take an output file of a runner of your own (vLLM's run_batch) into the job; returns its name."""
        return collection.add_external(self, path)

    def state(self) -> JobState:
        """The job as last seen (no remote call)."""
        views = tuple(BatchView.of(r) for r in self.manifest.shards)
        return JobState(self.job_id, views, self.manifest.unmatched_count)

    # --- housekeeping -------------------------------------------------------------------

    def close(self) -> None:
        """Release the job folder."""
        if self._lock_fd >= 0:
            os.close(self._lock_fd)
            self._lock_fd = -1

    def __enter__(self) -> BatchJob:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _remote(self) -> Remote:
        if self.remote is None:
            raise UserError("this step needs the endpoint's Batch API. Give --base-url (or OPENAI_API_KEY)")
        return self.remote

    def advance(self, record: ShardRecord, phase: Phase, note: str) -> None:
        """Move RECORD to PHASE, log NOTE, and write the manifest."""
        record.step(phase, note)
        self.save()

    def save(self) -> None:
        """Write the manifest (atomically)."""
        self.manifest.save(self.folder)

    def notify(self, step: str) -> None:
        """Tell the ON_STEP callback that STEP just happened."""
        if self._on_step is not None:
            self._on_step(step)


STEPS = (
    "shard-written",
    "shard-recorded",
    "before-upload",
    "after-upload",
    "before-create",
    "after-create",
    "polled",
    "downloaded",
    "collected",
)
"""The steps ON_STEP is called with, in the order a shard goes through them."""


def _files_missing(record: ShardRecord) -> bool:
    """The batch's counts promise an output or error file that it does not name yet."""
    counts = record.counts
    if counts is None or record.status == "failed":
        return False
    return (counts.completed > 0 and record.output_file_id is None) or (
        counts.failed > 0 and record.error_file_id is None
    )


def _body(raw: bytes) -> Mapping[str, Any]:
    body = json.loads(raw).get("body")
    return body if isinstance(body, Mapping) else {}
