"""results.jsonl for object storage: JSONL shards under DEST/results/, written by the driver alone.

An object store cannot append, so the journal is a series of shards, each one upload:
`DEST/results/<run number>-<UTC start>-<token>-<n>.jsonl`, in results.jsonl's line format.
A run takes the number after the highest it finds, so names sort in the order they were
written (no clock decides), and a reader takes the latest line of each path, as for
results.jsonl. Only the driver writes shards; the
workers only upload per-article JSON. A shard is written every FLUSH_LINES lines or
FLUSH_SECONDS, and at the end: a driver killed in between loses at most those lines
(their articles are done again by the next run, never recorded twice).

After a complete run with more lines than articles, `compact` writes one shard with the
latest line of each path, then deletes the shards it replaced (a crash in between leaves
duplicates that readers resolve the same way).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

from summarize.batch.ray_engine.places import Place
from summarize.batch.store import SHARDS, Index, Journal, encode_line, latest_lines, parse_records

FLUSH_LINES = 500
FLUSH_SECONDS = 10.0
_CHUNK = 1 << 20


class ShardLog(Journal):
    """The journal of an object-store DEST: `open`, `append`, `compact`, `close` as ResultLog's."""

    def __init__(self, place: Place) -> None:
        super().__init__()
        self.place = place
        self.folder = place.path(SHARDS)
        self.run = ""
        self.written = 0
        self._buffer: list[bytes] = []
        self._flushed = time.monotonic()

    def open(self) -> Index:
        """Read what earlier runs left: the key of every article whose latest line is ok."""
        shards = self.shards()
        number = 1 + max((_run_number(s) for s in shards), default=0)
        self.run = f"{number:06d}-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
        records = parse_records(line for s in shards for line in self._lines(s))
        return self.fold((r for r in records if r is not None), Index())

    def append(self, record: dict[str, Any]) -> None:
        """Add RECORD; it reaches storage with the next shard."""
        self._buffer.append(encode_line(record))
        self.count(record)
        if len(self._buffer) >= FLUSH_LINES or time.monotonic() - self._flushed >= FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        """Upload the lines not yet stored as one new shard."""
        if self._buffer:
            self.place.write_bytes(self._next_name(), b"".join(self._buffer))
            self._buffer.clear()
        self._flushed = time.monotonic()

    def compact(self) -> None:
        """Replace every shard by one holding the latest line of each path."""
        self.flush()
        shards = self.shards()
        kept = 0
        lines = latest_lines(lambda: (line for s in shards for line in self._lines(s)))
        with self.place.open_output(self._next_name()) as out:  # streamed: a multipart upload
            for line in lines:
                out.write(line)
                kept += 1
        for shard in shards:
            self.place.delete(shard)
        self.lines = kept

    def close(self) -> None:
        """Store what is buffered."""
        self.flush()

    def shards(self) -> list[str]:
        """The shard paths, oldest first."""
        return [p for p, _ in self.place.files(self.folder, recursive=False) if p.endswith(".jsonl")]

    def _next_name(self) -> str:
        if not self.run:
            raise RuntimeError("ShardLog.open() first")
        self.written += 1
        return f"{self.folder}/{self.run}-{self.written:05d}.jsonl"

    def _lines(self, path: str) -> Iterator[bytes]:
        """The complete lines of one shard, streamed."""
        rest = b""
        with self.place.fs.open_input_stream(path) as stream:
            while chunk := bytes(stream.read(_CHUNK)):
                parts = (rest + chunk).split(b"\n")
                rest = parts.pop()
                yield from (p + b"\n" for p in parts)


def _run_number(path: str) -> int:
    head = path.rpartition("/")[2].partition("-")[0]
    return int(head) if head.isdigit() else 0
