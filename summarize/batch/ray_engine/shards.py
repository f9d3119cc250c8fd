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

One run writes a DEST at a time, as a folder's flock ensures for results.jsonl: `DestLock` is
an object `DEST/.summarize.lock` naming its holder, rewritten every HEARTBEAT seconds and
taken over only when older than STALE (its run died). An object store has no atomic
create-if-absent through pyarrow, so the lock is written and read back: of two runs starting
within the same instant, the one whose token is not read back gives way.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

from summarize.batch.ray_engine.places import Place
from summarize.batch.store import LOCK, SHARDS, Index, Journal, encode_line, latest_lines, parse_records
from summarize.errors import UserError

FLUSH_LINES = 500
FLUSH_SECONDS = 10.0
_CHUNK = 1 << 20
HEARTBEAT = 30.0
STALE = 300.0
"""Seconds after its last heartbeat when a lock's run is taken for dead."""


class DestLock:
    """The writer lock of an object-store DEST (see the module's docstring)."""

    def __init__(self, place: Place) -> None:
        self.place = place
        self.path = place.path(LOCK)
        self.token = uuid.uuid4().hex
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None

    def acquire(self) -> None:
        """Take the lock, or UserError naming the run that holds it."""
        held = self._read()
        if held is not None and held.get("token") != self.token and _fresh(held):
            raise self._busy(held)
        self._write()
        held = self._read()
        if held is None or held.get("token") != self.token:  # another run wrote after us
            raise self._busy(held or {})
        self._beat = threading.Thread(target=self._keep, name="dest-lock", daemon=True)
        self._beat.start()

    def release(self) -> None:
        """Stop the heartbeat; remove the lock when it is still ours."""
        self._stop.set()
        if self._beat is not None:
            self._beat.join(timeout=5)
            self._beat = None
            held = self._read()
            if held is not None and held.get("token") == self.token:
                with contextlib.suppress(OSError):
                    self.place.delete(self.path)

    def _keep(self) -> None:
        while not self._stop.wait(HEARTBEAT):
            with contextlib.suppress(OSError):  # a missed beat is retried; STALE leaves room
                self._write()

    def _write(self) -> None:
        record = {"token": self.token, "host": socket.gethostname(), "pid": os.getpid(), "beat": time.time()}
        self.place.write_bytes(self.path, json.dumps(record).encode("utf-8"))

    def _read(self) -> dict[str, Any] | None:
        if not self.place.exists(self.path):
            return None
        try:
            with self.place.fs.open_input_stream(self.path) as stream:
                data = json.loads(bytes(stream.read()))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def _busy(self, held: dict[str, Any]) -> UserError:
        who = f"{held.get('host', '?')} (pid {held.get('pid', '?')})"
        return UserError(
            f"another `summarize batch` on {who} is writing to {self.place.uri}. Wait for it to finish "
            f"or use another -o DEST; if that run is gone, its lock {self.place.label(LOCK)} expires "
            f"{STALE:.0f} s after its last heartbeat"
        )


def _fresh(held: dict[str, Any]) -> bool:
    beat = held.get("beat")
    return isinstance(beat, (int, float)) and time.time() - beat < STALE


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
        self._lock = DestLock(place)

    def open(self) -> Index:
        """Take DEST's writer lock; read what earlier runs left: the key of every article whose
        latest line is ok."""
        self._lock.acquire()
        try:
            shards = self.shards()
            number = 1 + max((_run_number(s) for s in shards), default=0)
            self.run = f"{number:06d}-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
            records = parse_records(line for s in shards for line in self._lines(s))
            return self.fold((r for r in records if r is not None), Index())
        except BaseException:
            self._lock.release()
            raise

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
            with contextlib.suppress(FileNotFoundError):  # gone already: nothing of it is lost
                self.place.delete(shard)
        self.lines = kept

    def close(self) -> None:
        """Store what is buffered; release DEST."""
        try:
            self.flush()
        finally:
            self._lock.release()

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
