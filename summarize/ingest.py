"""Ingestion: bytes -> the clean article text the model sees, plus metadata.

Evidence offsets index into `Document.text`, so everything that changes the text
(decoding, HTML extraction, boilerplate removal) happens here and only here.
"""

from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass, field
from pathlib import Path

from summarize.errors import InputError

DEFAULT_MAX_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class Document:
    """One article ready for the model."""

    text: str
    path: str
    title: str | None = None
    author: str | None = None
    date: str | None = None
    site: str | None = None
    removed: list[str] = field(default_factory=list)

    @property
    def sha256(self) -> str:
        """SHA-256 of the clean text (the cache key of batch runs builds on it)."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def read_source(path: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """Read the raw bytes of PATH ('-' for stdin), refusing what is not a readable file."""
    if path == "-":
        data = sys.stdin.buffer.read(max_bytes + 1)
    else:
        p = Path(path)
        if not p.exists():
            raise InputError(f"{path}: no such file. Check the path")
        if p.is_dir():
            raise InputError(f"{path} is a directory. Use `summarize batch {path}` for folders")
        try:
            size = p.stat().st_size
            if size > max_bytes:
                raise InputError(
                    f"{path} is {size:,} bytes, over the {max_bytes:,}-byte limit. "
                    "Split the file or raise --max-bytes"
                )
            data = p.read_bytes()
        except PermissionError:
            raise InputError(f"{path}: permission denied. Make the file readable") from None
        except OSError as exc:
            raise InputError(f"{path}: cannot read ({exc.strerror}). Check the file") from None
    if len(data) > max_bytes:
        raise InputError(f"{path} is over the {max_bytes:,}-byte limit. Split it or raise --max-bytes")
    return data


def parse_document(data: bytes, path: str, *, raw: bool = False) -> Document:
    """Turn raw bytes into a Document."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{path} is not UTF-8 text. Convert it to UTF-8") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise InputError(f"{path} is empty. Give an article with some text")
    return Document(text=text, path=path)


def load_document(path: str, *, raw: bool = False, max_bytes: int = DEFAULT_MAX_BYTES) -> Document:
    """Read and clean one article file ('-' for stdin)."""
    return parse_document(read_source(path, max_bytes=max_bytes), path, raw=raw)
