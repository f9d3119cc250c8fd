"""The job manifest: every shard, its remote file and batch, and how far each one got.

It is rewritten atomically before and after every remote step, so after a crash it says
which step may have happened without being recorded ("uploading", "creating"); the job
then looks for the file or batch instead of making a second one. Per-request state is
kept out of it (shard index files, collection journals) so it stays small at any scale.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field, ValidationError

from summarize.errors import BatchJobError
from summarize.fsio import atomic_write_text

if TYPE_CHECKING:
    from openai.types import Batch

MANIFEST = "manifest.json"
Phase = Literal["written", "uploading", "uploaded", "creating", "created", "finished", "withheld"]
MID_STEP: frozenset[Phase] = frozenset({"uploading", "uploaded", "creating"})
"""Phases between queued and created: a crash here may have made a file or batch not yet recorded."""
IN_FLIGHT: frozenset[Phase] = frozenset({"uploading", "uploaded", "creating", "created"})
"""Phases of a shard handed to the provider whose batch has not finished (as far as the job knows)."""
ENDED: frozenset[Phase] = frozenset({"finished", "withheld"})
"""Phases after which no more results come from the shard's batch."""
OPEN_STATUSES = frozenset({"validating", "in_progress", "finalizing", "cancelling"})
TERMINAL_STATUSES = frozenset({"completed", "failed", "expired", "cancelled"})
MAX_EXAMPLES = 20
MAX_BATCH_ERRORS = 20


class Counts(BaseModel):
    """The provider's request counts of a batch."""

    total: int = 0
    completed: int = 0
    failed: int = 0


class Settled(BaseModel):
    """What the downloaded files of a finished batch hold, counted once."""

    ok: int = 0
    errors: int = 0
    """Requests that ran and failed (an HTTP error in the error file): handed out by collect."""
    not_run: int = 0
    """Requests that never ran (expired, cancelled, failed batch, missing): to resubmit."""
    unmatched: int = 0
    """Lines naming no request of this shard: reported, never handed out."""


class ShardRecord(BaseModel):
    """One shard file and the remote batch made from it."""

    name: str
    lines: int
    bytes: int
    tokens: int
    sha256: str
    resubmit_of: list[str] = Field(default_factory=list)
    phase: Phase = "written"
    file_id: str | None = None
    batch_id: str | None = None
    status: str | None = None
    counts: Counts | None = None
    output_file_id: str | None = None
    error_file_id: str | None = None
    output: str | None = None
    """Downloaded output file, relative to the job folder."""
    error: str | None = None
    """Downloaded error file, relative to the job folder."""
    batch_errors: list[dict[str, Any]] = Field(default_factory=list)
    settled: Settled | None = None
    collected: bool = False
    file_waits: int = 0
    """Polls spent waiting for the files a finished batch's counts promise."""
    steps: list[tuple[str, float]] = Field(default_factory=list)
    """(step, unix time) of every recorded step: the audit trail of this shard."""

    @property
    def open(self) -> bool:
        """A batch the provider is still working on (its tokens count against the enqueued cap)."""
        if self.phase in MID_STEP:
            return True
        return self.phase == "created" and self.status not in TERMINAL_STATUSES

    def end_reason(self) -> str:
        """Why no more results come from this shard (one that finished or was withheld): "expired",
        "failed: <code> <message>", ..."""
        if self.phase == "withheld":
            return "withheld"
        if self.status == "failed" and self.batch_errors:
            first = self.batch_errors[0]
            return f"failed: {first.get('code') or ''} {first.get('message') or ''}".strip()
        if self.status == "completed":
            return "completed, but missing from the output and error files"
        return str(self.status)

    def step(self, phase: Phase | None, note: str) -> None:
        """Move to PHASE (if given) and log NOTE."""
        if phase is not None:
            self.phase = phase
        self.steps.append((note, round(time.time(), 3)))

    def update(self, batch: Batch) -> None:
        """Copy what the provider says about the batch: status, counts, files, errors."""
        self.status = batch.status
        counts = batch.request_counts
        if counts is not None:
            self.counts = Counts(total=counts.total, completed=counts.completed, failed=counts.failed)
        self.output_file_id = batch.output_file_id or self.output_file_id
        self.error_file_id = batch.error_file_id or self.error_file_id
        if batch.errors is not None and batch.errors.data:
            self.batch_errors = [
                e.model_dump(exclude_none=True) for e in batch.errors.data[:MAX_BATCH_ERRORS]
            ]


class ExternalRecord(BaseModel):
    """An output file from a runner of our own (vLLM's run_batch), copied into the job."""

    name: str
    source: str
    sha256: str
    settled: Settled | None = None
    collected: bool = False


class Unmatched(BaseModel):
    """A line of an output file that names no request of the job."""

    file: str
    line: int
    reason: str
    text: str = ""


class Variant(BaseModel):
    """How the job's request bodies are built: structured-output mode and completion-limit key.

    Kept with the job so that every run builds the same bodies (custom_ids hash them); a new
    variant is added when the server rejects the current one (as the live backend steps down).
    """

    mode: str
    limit_key: str = "max_tokens"
    reason: str = ""


class Manifest(BaseModel):
    """Everything a rerun needs to continue the job without submitting anything twice."""

    format: Literal[1] = 1
    job_id: str = Field(default_factory=lambda: f"sumjob-{uuid.uuid4().hex[:16]}")
    created_at: float = Field(default_factory=time.time)
    shards: list[ShardRecord] = Field(default_factory=list)
    externals: list[ExternalRecord] = Field(default_factory=list)
    unmatched: list[Unmatched] = Field(default_factory=list)
    """The first lines that named no request (examples; `unmatched_count` has them all)."""
    unmatched_count: int = 0
    model: str | None = None
    """The model the job's requests name (the round driver's: a run for another model is refused)."""
    variants: list[Variant] = Field(default_factory=list)
    """Request-body variants in the order they were used; the last is current (the round driver's)."""
    tokens_used: int = 0
    """Prompt plus completion tokens of the results collected so far (for --max-tokens-total)."""

    @classmethod
    def load(cls, folder: Path) -> Manifest | None:
        """The manifest in FOLDER, or None when there is no job there yet."""
        path = folder / MANIFEST
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        try:
            return cls.model_validate_json(text)
        except ValidationError as exc:
            raise BatchJobError(
                f"the batch job manifest {path} is damaged ({exc.error_count()} problems). Restore it "
                "from a backup; moving it away would submit every request again"
            ) from None

    def save(self, folder: Path) -> None:
        """Write the manifest atomically (a crash leaves the old one or the new one)."""
        atomic_write_text(folder / MANIFEST, self.model_dump_json(indent=1))

    def shard(self, name: str) -> ShardRecord:
        """The record of shard NAME."""
        for record in self.shards:
            if record.name == name:
                return record
        raise KeyError(name)

    def note_unmatched(self, item: Unmatched) -> None:
        """Count a line that names no request; keep the first few as examples."""
        self.unmatched_count += 1
        if len(self.unmatched) < MAX_EXAMPLES:
            self.unmatched.append(item)
