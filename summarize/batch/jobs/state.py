"""What a job looks like from outside: per batch its status and counts, and what is left."""

from __future__ import annotations

from dataclasses import dataclass

from .manifest import ENDED, IN_FLIGHT, Settled, ShardRecord


@dataclass(frozen=True)
class BatchView:
    """One shard and its batch, as last seen."""

    shard: str
    lines: int
    tokens: int
    phase: str
    """written (queued), uploading, uploaded, creating, created, finished, withheld."""
    batch_id: str | None
    status: str | None
    """The provider's status: validating, in_progress, finalizing, completed, failed, expired,
    cancelling, cancelled (None before the batch exists)."""
    total: int
    completed: int
    failed: int
    settled: Settled | None

    @classmethod
    def of(cls, record: ShardRecord) -> BatchView:
        """The view of a manifest record."""
        counts = record.counts
        return cls(
            shard=record.name,
            lines=record.lines,
            tokens=record.tokens,
            phase=record.phase,
            batch_id=record.batch_id,
            status=record.status,
            total=counts.total if counts else 0,
            completed=counts.completed if counts else 0,
            failed=counts.failed if counts else 0,
            settled=record.settled,
        )


@dataclass(frozen=True)
class JobState:
    """A snapshot of the whole job."""

    job_id: str
    batches: tuple[BatchView, ...]
    unmatched: int
    """Output lines that named no request of the job (reported, never handed out)."""

    @property
    def queued(self) -> int:
        """Shards written but not yet sent (waiting for room under the enqueued-token cap)."""
        return sum(1 for b in self.batches if b.phase == "written")

    @property
    def open(self) -> int:
        """Batches the provider is still working on."""
        return sum(1 for b in self.batches if b.phase in IN_FLIGHT)

    @property
    def lines(self) -> int:
        """Request lines in all shards (a resubmitted request counts once per shard)."""
        return sum(b.lines for b in self.batches)

    @property
    def waiting_lines(self) -> int:
        """Requests in shards queued or in flight: what is left to come back."""
        return sum(b.lines for b in self.batches if b.phase not in ENDED)

    @property
    def finished_lines(self) -> int:
        """Requests with a result (a response or an error) in a finished batch."""
        return sum(b.settled.ok + b.settled.errors for b in self.batches if b.settled)

    @property
    def not_run(self) -> int:
        """Requests of finished or withheld batches that never ran (before any resubmission)."""
        withheld = sum(b.lines for b in self.batches if b.phase == "withheld")
        return withheld + sum(b.settled.not_run for b in self.batches if b.settled)

    @property
    def done(self) -> bool:
        """Nothing queued and nothing in flight: every batch finished or was withheld."""
        return all(b.phase in ENDED for b in self.batches)
