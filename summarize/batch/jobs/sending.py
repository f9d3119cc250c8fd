"""Sending shards (upload, create) and cancelling batches, each remote step recorded around it.

The manifest is written before a step ("uploading", "creating") and after it ("uploaded",
"created"). A record found in the before-state after a crash means the step may have
happened: the file is looked for by its name, the batch by its metadata, and only when
neither exists is the step done again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from summarize.errors import BatchJobError, ModelHTTPError

from .manifest import MID_STEP, OPEN_STATUSES, ShardRecord
from .remote import Remote

if TYPE_CHECKING:
    from openai.types import Batch

    from .job import BatchJob


def launch(job: BatchJob, remote: Remote) -> list[str]:
    """Finish interrupted steps, then send queued shards in order while they fit; the new batch ids."""
    made = [_send(job, remote, r) for r in job.manifest.shards if r.phase in MID_STEP]
    room = _room(job)
    for record in job.manifest.shards:
        if record.phase != "written":
            continue
        if room is not None and record.tokens > room:
            break  # keep the order: a later, smaller shard does not overtake
        made.append(_send(job, remote, record))
        room = None if room is None else room - record.tokens
    return made


def _room(job: BatchJob) -> int | None:
    """Estimated tokens that may still be enqueued (None: no cap)."""
    if job.limits.max_tokens is None:
        return None
    return job.limits.max_tokens - sum(r.tokens for r in job.manifest.shards if r.open)


def _send(job: BatchJob, remote: Remote, record: ShardRecord) -> str:
    if record.phase in ("written", "uploading"):
        _upload(job, remote, record)
    return _create(job, remote, record)


def _upload(job: BatchJob, remote: Remote, record: ShardRecord) -> None:
    filename = f"{job.job_id}-{record.name}"
    since = job.manifest.created_at
    if record.phase == "uploading" and (found := remote.find_file(filename, record.bytes, since)):
        record.file_id = found
        job.advance(record, "uploaded", f"found upload {found}")
        return
    job.advance(record, "uploading", "uploading")
    job.notify("before-upload")
    try:
        record.file_id = remote.upload(job.shard_path(record.name), filename, since)
    except ModelHTTPError as exc:
        if not exc.transient:  # refused, so nothing was stored
            job.advance(record, "written", f"upload refused: {exc}")
        raise
    job.notify("after-upload")
    job.advance(record, "uploaded", f"uploaded {record.file_id}")


def metadata(job: BatchJob, record: ShardRecord) -> dict[str, str]:
    """What the batch of RECORD carries, so a rerun can find it (OpenAI: values <= 512 chars)."""
    return {"summarize_job": job.job_id, "shard": record.name, "sha256": record.sha256}


def _create(job: BatchJob, remote: Remote, record: ShardRecord) -> str:
    since = job.manifest.created_at
    if record.phase == "creating" and (found := remote.find_batch(metadata(job, record), since)):
        return _created(job, record, found, "found")
    if record.file_id is None:
        raise BatchJobError(f"shard {record.name} has no uploaded file. Report this as a bug")
    job.advance(record, "creating", "creating")
    job.notify("before-create")
    try:
        batch = remote.create_batch(record.file_id, metadata(job, record), since)
    except ModelHTTPError as exc:
        if not exc.transient:  # refused, so no batch was made
            job.advance(record, "uploaded", f"create refused: {exc}")
        raise
    job.notify("after-create")
    return _created(job, record, batch, "created")


def _created(job: BatchJob, record: ShardRecord, batch: Batch, how: str) -> str:
    record.batch_id = batch.id
    record.update(batch)
    job.advance(record, "created", f"{how} {batch.id}")
    return batch.id


def cancel(job: BatchJob, remote: Remote | None) -> list[str]:
    """Cancel the open batches and withhold the shards not sent yet; the batch ids cancelled."""
    cancelled: list[str] = []
    for record in job.manifest.shards:
        # A batch may exist with its id unrecorded: cancel it rather than orphan it.
        if record.phase == "creating" and remote is not None:
            _adopt(job, remote, record)
        if record.phase == "written" or record.phase in MID_STEP:
            job.advance(record, "withheld", "withheld: job cancelled")
        elif record.phase == "created" and record.status in OPEN_STATUSES - {"cancelling"}:
            if remote is None:
                raise BatchJobError(
                    "cancelling batches needs the endpoint. Give --base-url (or OPENAI_API_KEY)"
                )
            cancelled += _cancel_one(job, remote, record)
    return cancelled


def _adopt(job: BatchJob, remote: Remote, record: ShardRecord) -> None:
    if found := remote.find_batch(metadata(job, record), job.manifest.created_at):
        _created(job, record, found, "found")


def _cancel_one(job: BatchJob, remote: Remote, record: ShardRecord) -> list[str]:
    if record.batch_id is None:
        return []
    try:
        batch = remote.cancel(record.batch_id)
    except ModelHTTPError as exc:
        if exc.transient:
            raise
        record.step(None, f"cancel refused: {exc}")  # it finished meanwhile, say
        job.save()
        return []
    record.update(batch)
    record.step(None, f"status {record.status}")
    job.save()
    return [record.batch_id]
