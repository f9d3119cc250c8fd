"""Files: crash-safe writes (a reader sees the old file or the new one, never half of one), the
one-line error for an output that cannot be written, JSON text that carries any file name, and
telling a folder from a storage URI.

File names are bytes on POSIX; Python hands a name with a byte that is not UTF-8 over as a str
with a lone surrogate (surrogateescape). `dumps` writes such a character as its JSON escape
(`\\udcff`), which is valid UTF-8 JSON and which `json.loads` reads back to the same str, so
`os.fsencode` gives back the same bytes: names travel through results.jsonl losslessly.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import json
import os
import re
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from summarize.errors import UserError

_SURROGATE = re.compile("[\ud800-\udfff]")
_UMASK_LOCK = threading.Lock()


@functools.cache
def umask() -> int:
    """The process's umask, read without changing it where the system tells it (Linux's
    /proc/self/status); elsewhere set and put back once, on first use, under a lock."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def dumps(value: Any, *, indent: int | None = None) -> str:
    """VALUE as JSON text for a file: non-ASCII kept, compact unless INDENT, and a file name's
    undecodable bytes (lone surrogates) as JSON escapes, so the text always encodes to UTF-8."""
    separators = (",", ":") if indent is None else (",", ": ")
    text = json.dumps(value, ensure_ascii=False, indent=indent, separators=separators)
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def shown(name: str) -> str:
    """NAME as a person sees it: an undecodable byte as `\\xff` (for messages, CSV, HTML)."""
    return os.fsencode(name).decode("utf-8", "backslashreplace") if _SURROGATE.search(name) else name


@contextlib.contextmanager
def atomic_writer(path: Path | str) -> Iterator[IO[bytes]]:
    """A binary file that replaces PATH only when the block ends without error (fsync, rename)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    # A short temp name: the target's own may already be near the file system's 255-byte limit.
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".part", dir=target.parent)
    try:
        os.fchmod(fd, 0o666 & ~umask())  # mkstemp makes 0600; the file gets a new file's mode
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def sync_folder(folder: Path | str) -> None:
    """Make FOLDER's entries durable (a file just created in it survives a power cut)."""
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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


_ADVICE = {
    errno.ENOSPC: "Free some space on that disk, or pass another output folder",
    errno.EDQUOT: "Free some of your disk quota, or pass another output folder",
    errno.EROFS: "That file system is read-only: pass an output folder on a writable one",
    errno.EACCES: "Check the permissions of the folder, or pass another output folder",
    errno.EPERM: "Check the permissions of the folder, or pass another output folder",
    errno.ENAMETOOLONG: "Use a shorter name or a shallower output folder",
}


# What an output folder's file system says when it cannot take a write (rather than a bug's OSError).
WRITE_REFUSALS = frozenset(
    {*_ADVICE, errno.EEXIST, errno.EISDIR, errno.ENOTDIR, errno.EIO, errno.EMLINK, errno.EFBIG}
)


@contextlib.contextmanager
def output_errors(where: Path | str) -> Iterator[None]:
    """Turn the file system's refusal of a write under WHERE (full, read-only, no permission)
    into the one-line UserError `cannot_write`; other OSErrors pass (they are bugs)."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in WRITE_REFUSALS:
            raise
        raise cannot_write(exc.filename or where, exc) from exc


def cannot_write(path: Path | str, exc: Exception) -> UserError:
    """The error for an output PATH that the system refused (an OSError or a SQLite open error):
    what, where, and what to do about that kind of refusal."""
    reason = getattr(exc, "strerror", None) or exc
    code = getattr(exc, "errno", None)
    advice = _ADVICE.get(code) if isinstance(code, int) else None
    return UserError(
        f"cannot write {shown(str(path))} ({reason}). {advice or 'Check the path and its folder'}"
    )


def is_uri(where: str) -> bool:
    """Whether WHERE names object storage (`scheme://...`) rather than a folder."""
    scheme, sep, _ = where.partition("://")
    return bool(sep) and scheme.isalnum() and scheme.lower() != "file"
