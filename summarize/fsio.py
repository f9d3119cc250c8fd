"""Crash-safe file writes: a reader sees the old file or the new one, never half of one."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO


@contextlib.contextmanager
def atomic_writer(path: Path | str) -> Iterator[IO[bytes]]:
    """A binary file that replaces PATH only when the block ends without error (fsync, rename)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: Path | str, text: str) -> None:
    """Write TEXT (UTF-8) to PATH atomically."""
    with atomic_writer(path) as fh:
        fh.write(text.encode("utf-8"))


def is_uri(where: str) -> bool:
    """Whether WHERE names object storage (`scheme://...`) rather than a folder."""
    scheme, sep, _ = where.partition("://")
    return bool(sep) and scheme.isalnum() and scheme.lower() != "file"
