"""Request lines noted for the next round while results are being collected, durable one by one.

A caller that turns a collected result into a follow-up request (a re-ask, a repair, the
merge of an article's chunks) stages it before taking the next result: once the next
result is taken the earlier one is never handed out again, so a follow-up kept only in
memory would be lost by a crash. `BatchJob.submit` writes the staged lines into shards
first and then empties the staging file; a crash in between is harmless, because lines
whose custom_id is already in a shard are skipped.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

from .lines import RequestLine, check_custom_id


class Staging:
    """An append-only file of encoded request lines (OpenAI's batch input format)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = -1

    def add(self, line: RequestLine) -> None:
        """Note LINE for the next submit (one write: a kill -9 after it keeps it)."""
        data = line.encode()
        if self._fd < 0:
            self._open()
        os.write(self._fd, data)

    def lines(self) -> Iterator[tuple[str, bytes]]:
        """(custom_id, encoded line) of every staged request, in the order staged."""
        try:
            with open(self.path, "rb") as fh:
                for raw in fh:
                    if raw.endswith(b"\n"):  # a torn last line was never staged
                        yield check_custom_id(json.loads(raw)["custom_id"]), raw
        except FileNotFoundError:
            return

    def clear(self) -> None:
        """Forget the staged lines (after they were written into recorded shards)."""
        self.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def close(self) -> None:
        """Sync and close the file."""
        if self._fd >= 0:
            os.fsync(self._fd)
            os.close(self._fd)
            self._fd = -1

    def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        size = os.fstat(self._fd).st_size
        if size:
            # A crash can tear the last line; cut it off so the next one starts clean.
            with open(self.path, "rb") as fh:
                data = fh.read()
            os.ftruncate(self._fd, data.rfind(b"\n") + 1)
