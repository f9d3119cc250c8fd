"""Reading what came back: settling a finished batch's files, and the collection journal.

Settling counts a finished batch's output and error lines once, when they are downloaded,
and lists the requests that never ran (expired, cancelled, failed batch, or simply absent
from both files) so they can go into a later batch. The journal records which results were
handed to the caller, so each one is handed out once across any number of runs.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Container, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from summarize.fsio import atomic_writer

from .lines import BadLine, LineError, read_output_lines
from .manifest import Settled, Unmatched

SYNC_EVERY = 1000


@dataclass(frozen=True)
class Finished:
    """One finished request: its chat.completion body, or why there is none."""

    custom_id: str
    body: dict[str, Any] | None
    error: LineError | None
    shard: str
    """The shard the request was in (a resubmitted request is in a later shard)."""

    def __iter__(self) -> Iterator[Any]:
        """Unpacks as (custom_id, body, error)."""
        return iter((self.custom_id, self.body, self.error))


@dataclass(frozen=True)
class Leftover:
    """A request that never ran and is not in any later shard: it needs resubmitting."""

    custom_id: str
    shard: str
    reason: str
    attempts: int = 1
    """Shards the request has been in: bound resubmission with it (a failed batch may fail again)."""


def settle(
    ids: list[str], files: Iterable[tuple[str, Path]], note: Callable[[Unmatched], None]
) -> tuple[Settled, list[str]]:
    """Count the lines of a finished batch's FILES against its shard's IDS; the requests left over.

    The left-over requests never ran (expired, cancelled, failed batch) or are in neither file.
    """
    settled, seen = tally(files, set(ids), note)
    leftover = [cid for cid in ids if cid not in seen]
    settled.not_run = len(leftover)
    return settled, leftover


def tally(
    files: Iterable[tuple[str, Path]], known: Container[str], note: Callable[[Unmatched], None]
) -> tuple[Settled, set[str]]:
    """Count the lines of FILES ((label, path)); returns the counts and the custom_ids with a result.

    A line that is not a line at all, or names a request not in KNOWN, goes to NOTE; a second
    line for the same request is ignored (the first one counts); a line that never ran is
    left out of the result (it is a leftover).
    """
    seen: set[str] = set()
    settled = Settled()
    for label, path in files:
        for number, item in read_output_lines(path):
            if isinstance(item, BadLine):
                settled.unmatched += 1
                note(Unmatched(file=label, line=number, reason=item.reason, text=item.text))
            elif item.custom_id not in known:
                settled.unmatched += 1
                note(Unmatched(file=label, line=number, reason=f"unknown custom_id {item.custom_id!r}"))
            elif item.custom_id in seen or (item.error is not None and item.error.not_run):
                continue
            else:
                seen.add(item.custom_id)
                if item.error is None:
                    settled.ok += 1
                else:
                    settled.errors += 1
    return settled, seen


def write_ids(path: Path, ids: Iterable[str]) -> None:
    """Write a list of custom_ids atomically, one JSON string a line."""
    with atomic_writer(path) as fh:
        for cid in ids:
            fh.write((json.dumps(cid, ensure_ascii=False) + "\n").encode("utf-8"))


class Journal:
    """The custom_ids of one shard already handed out: an append-only file, one JSON string a line.

    A crash can tear the last line; opening cuts it off, so that one result is handed out
    again rather than lost.
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.done: set[str] = set()
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        self._unsynced = 0
        self._load()

    def _load(self) -> None:
        with open(self.path, "rb") as fh:
            data = fh.read()
        complete = data.rfind(b"\n") + 1
        if complete < len(data):
            os.ftruncate(self._fd, complete)
        for raw in data[:complete].splitlines():
            if raw.strip():
                self.done.add(json.loads(raw))

    def __contains__(self, custom_id: object) -> bool:
        return custom_id in self.done

    def add(self, custom_id: str) -> None:
        """Record CUSTOM_ID as handed out (one write: a kill -9 after it keeps it)."""
        os.write(self._fd, (json.dumps(custom_id, ensure_ascii=False) + "\n").encode("utf-8"))
        self.done.add(custom_id)
        self._unsynced += 1
        if self._unsynced >= SYNC_EVERY:
            self.sync()

    def sync(self) -> None:
        """Make the recorded lines survive a power cut too."""
        os.fsync(self._fd)
        self._unsynced = 0

    def close(self) -> None:
        """Sync and close."""
        if self._fd >= 0:
            self.sync()
            os.close(self._fd)
            self._fd = -1
