"""The job folder: one process at a time, and no files a crash left half-recorded.

FOLDER/manifest.json            the job (summarize.batch.jobs.manifest)
FOLDER/requests/*.jsonl         the shards (or a folder of the caller's choice)
FOLDER/index/<shard>.ids        custom_ids of a shard; <shard>.leftover: those that never ran
FOLDER/outputs/                 downloaded output and error files, outside output files
FOLDER/journal/<shard>.done     custom_ids already handed out by collect()
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

from summarize.errors import BatchJobError

from .shards import SHARD_NAME

LOCK = ".lock"


def lock_folder(folder: Path) -> int:
    """Take the job folder's lock (released when the returned descriptor closes)."""
    fd = os.open(folder / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise BatchJobError(
            f"another summarize run is using the batch job in {folder}. Wait for it to finish"
        ) from None
    return fd


def remove_strays(requests: Path, index: Path, recorded: int) -> None:
    """Delete shard files a crash left after writing them and before recording them.

    They were never uploaded (a shard is recorded before its upload starts), and a runner
    started on requests/*.jsonl must not see them.
    """
    for folder in (requests, index):
        if not folder.is_dir():
            continue
        for entry in folder.iterdir():
            stem = entry.name.removesuffix(".ids").removesuffix(".leftover") + ".jsonl"
            match = SHARD_NAME.match(entry.name) or SHARD_NAME.match(stem)
            stray_tmp = entry.name.startswith(".requests-") and entry.name.endswith(".tmp")
            if stray_tmp or (match and int(match.group(1)) > recorded):
                with contextlib.suppress(FileNotFoundError):
                    entry.unlink()
