"""The job as a replay sees it: which shard holds a request, and whether that shard has ended."""

from __future__ import annotations

from summarize.batch.jobs import BatchJob
from summarize.batch.jobs.collection import journal_name
from summarize.batch.jobs.manifest import ENDED, ShardRecord


class JobLookup:
    """Answers the replay's questions (`replay.JobView`) from the job's index and manifest."""

    def __init__(self, job: BatchJob) -> None:
        self.job = job
        self._records: dict[str, ShardRecord] = {}

    def shard_of(self, custom_id: str) -> str | None:
        """The latest shard holding the request, or None if it is in none."""
        return self.job.index.get(custom_id)

    def closed(self, shard: str) -> str | None:
        """Why no more results can come from SHARD, or None while its batch runs (or, for a
        runner of your own, until its output is collected)."""
        record = self._record(shard)
        return f"batch {record.end_reason()}" if record.phase in ENDED else None

    def attempts(self, custom_id: str) -> int:
        """Shards the request has been in."""
        return self.job.sent.get(custom_id, 1)

    def _record(self, shard: str) -> ShardRecord:
        if len(self._records) != len(self.job.manifest.shards):
            self._records = {r.name: r for r in self.job.manifest.shards}
        return self._records[shard]


def waiting_tokens(job: BatchJob) -> int:
    """Estimated prompt tokens of requests sent and not yet answered (for --max-tokens-total)."""
    total = 0
    for record in job.manifest.shards:
        if record.phase in ENDED or record.lines == 0:
            continue
        total += record.tokens * max(0, record.lines - handed(job, record.name)) // record.lines
    return total


def handed(job: BatchJob, shard: str) -> int:
    """Results of SHARD handed out so far (its collection journal's lines)."""
    try:
        with open(job.path("journal", journal_name(shard)), "rb") as fh:
            return sum(1 for _ in fh)
    except FileNotFoundError:
        return 0
