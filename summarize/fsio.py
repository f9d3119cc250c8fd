"""Files: crash-safe writes (a reader sees the old file or the new one, never half of one), the
one-line error for an output that cannot be written, and telling a folder from a storage URI."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from summarize.errors import UserError

# The process's umask, read once at import (reading it means setting it: not safe later, in threads).
_UMASK = os.umask(0o022)
os.umask(_UMASK)


@contextlib.contextmanager
def atomic_writer(path: Path | str) -> Iterator[IO[bytes]]:
    """A binary file that replaces PATH only when the block ends without error (fsync, rename)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp makes 0600; the file gets a new file's mode
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


def write_output_text(path: Path, text: str) -> None:
    """Write a command's output file atomically; UserError, one line, when PATH cannot take it."""
    try:
        atomic_write_text(path, text)
    except OSError as exc:
        raise cannot_write(path, exc) from exc


def cannot_write(path: Path, exc: Exception) -> UserError:
    """The error for an output PATH that the system refused (an OSError or a SQLite open error)."""
    reason = getattr(exc, "strerror", None) or exc
    return UserError(f"cannot write {path} ({reason}). Check the path and its folder")


def is_uri(where: str) -> bool:
    """Whether WHERE names object storage (`scheme://...`) rather than a folder."""
    scheme, sep, _ = where.partition("://")
    return bool(sep) and scheme.isalnum() and scheme.lower() != "file"
