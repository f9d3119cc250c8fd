"""Handing out results once, finding what needs resubmitting, and taking in outside output files."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from summarize.errors import UserError
from summarize.fsio import atomic_writer

from .lines import BadLine, read_output_lines
from .manifest import IN_FLIGHT, ExternalRecord, ShardRecord
from .outputs import Finished, Journal, Leftover, tally
from .shards import ids_name, read_ids

if TYPE_CHECKING:
    from .job import BatchJob


class _Journals:
    """The open collection journals of a job, one per shard, opened when first needed."""

    def __init__(self, job: BatchJob) -> None:
        self.job = job
        self.open: dict[str, Journal] = {}

    def get(self, shard: str) -> Journal:
        if shard not in self.open:
            self.open[shard] = Journal(self.job.path("journal", journal_name(shard)))
        return self.open[shard]

    def close(self) -> None:
        for journal in self.open.values():
            journal.close()
        self.open.clear()


def collect(job: BatchJob) -> Iterator[Finished]:
    """Results of finished batches, then of outside output files, each handed out once."""
    journals = _Journals(job)
    try:
        for record in job.manifest.shards:
            if record.phase == "finished" and not record.collected:
                yield from _from_batch(job, record, journals)
                record.collected = True
                job.save()
        for external in job.manifest.externals:
            if not external.collected:
                yield from _from_external(job, external, journals)
                external.collected = True
                job.save()
    finally:
        journals.close()


def _from_batch(job: BatchJob, record: ShardRecord, journals: _Journals) -> Iterator[Finished]:
    ids = set(read_ids(job.path("index", ids_name(record.name))))
    journal = journals.get(record.name)
    for relative in (record.output, record.error):
        if relative is None:
            continue
        for _, item in read_output_lines(job.path(relative)):
            if isinstance(item, BadLine) or item.custom_id not in ids or item.custom_id in journal:
                continue  # unmatched lines were reported when the batch was settled
            if item.error is not None and item.error.not_run:
                continue  # a leftover: see pending_resubmit()
            yield Finished(item.custom_id, item.body, item.error, record.name)
            journal.add(item.custom_id)
            job.notify("collected")


def _from_external(job: BatchJob, external: ExternalRecord, journals: _Journals) -> Iterator[Finished]:
    for _, item in read_output_lines(job.path("outputs", external.name)):
        shard = None if isinstance(item, BadLine) else job.index.get(item.custom_id)
        if shard is None or isinstance(item, BadLine):
            continue  # reported when the file was added
        journal = journals.get(shard)
        if item.custom_id in journal:
            continue
        yield Finished(item.custom_id, item.body, item.error, shard)
        journal.add(item.custom_id)
        job.notify("collected")


def leftovers(job: BatchJob) -> list[Leftover]:
    """Requests of finished or withheld batches that never ran and are in no later shard."""
    found: list[Leftover] = []
    for record in job.manifest.shards:
        if record.phase == "withheld":
            ids = read_ids(job.path("index", ids_name(record.name)))
        elif record.phase == "finished" and record.settled is not None and record.settled.not_run:
            ids = read_ids(job.path("index", leftover_name(record.name)))
        else:
            continue
        reason = record.end_reason()
        found.extend(
            Leftover(cid, record.name, reason, job.sent.get(cid, 1))
            for cid in ids
            if job.index.get(cid) == record.name
        )
    return found


def resubmittable(job: BatchJob, custom_ids: Iterable[str] | None) -> list[str]:
    """The pending leftovers, or CUSTOM_IDS checked: known, and not in a batch still running."""
    if custom_ids is None:
        return [left.custom_id for left in leftovers(job)]
    chosen: list[str] = []
    for cid in dict.fromkeys(custom_ids):
        shard = job.index.get(cid)
        if shard is None:
            raise UserError(f"custom_id {cid!r} is in no shard of this job, so it cannot be resubmitted")
        if job.manifest.shard(shard).phase in IN_FLIGHT:
            raise UserError(f"custom_id {cid!r} is still in batch {shard}. Wait for it to finish")
        chosen.append(cid)
    return chosen


def add_external(job: BatchJob, source: Path) -> str:
    """Copy an outside output file into the job (once per content) and count its lines."""
    digest = _sha256(source)
    for external in job.manifest.externals:
        if external.sha256 == digest:
            return external.name
    name = f"external-{len(job.manifest.externals) + 1:05d}.jsonl"
    target = job.path("outputs", name)
    with open(source, "rb") as src, atomic_writer(target) as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
    settled, _ = tally([(name, target)], job.index, job.manifest.note_unmatched)
    job.manifest.externals.append(
        ExternalRecord(name=name, source=str(source), sha256=digest, settled=settled)
    )
    job.save()
    return name


def leftover_name(shard: str) -> str:
    """The index file listing the requests of SHARD that never ran."""
    return shard.removesuffix(".jsonl") + ".leftover"


def journal_name(shard: str) -> str:
    """The collection journal of SHARD: the custom_ids of its results handed out so far."""
    return shard.removesuffix(".jsonl") + ".done"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
