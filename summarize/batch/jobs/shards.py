"""Request lines packed into JSONL shard files within the provider's limits.

A shard holds at most 50,000 lines and 200 MB (OpenAI's and Azure's limits per batch input
file) and at most `max_tokens` estimated prompt tokens, because providers cap the tokens a
model may have enqueued across all open batches (2,000,000 for a small model on a low tier):
a shard larger than that cap could never start. The same lines in the same order give the
same shard files byte for byte, and a shard appears under its name only when complete
(written to a temporary file, fsynced, renamed), next to the list of its custom_ids.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from summarize.backends.openai_compat import CHARS_PER_TOKEN
from summarize.errors import UserError
from summarize.fsio import atomic_writer

MAX_LINES = 50_000
# 200 MB as OpenAI counts it or as 2**20 bytes: the smaller reading, so both accept the file.
MAX_BYTES = 200_000_000
SHARD_NAME = re.compile(r"^requests-(\d{5,})\.jsonl$")

Estimator = Callable[[Mapping[str, Any]], int]


def shard_name(number: int) -> str:
    """The file name of shard NUMBER (1-based): requests-00001.jsonl."""
    return f"requests-{number:05d}.jsonl"


def estimate_tokens(body: Mapping[str, Any]) -> int:
    """Prompt tokens of a chat request, offline: its messages and schema at ~4 characters a token."""
    chars = 0
    for message in body.get("messages") or ():
        content = message.get("content") if isinstance(message, Mapping) else None
        chars += len(content) if isinstance(content, str) else len(json.dumps(content))
    for key in ("response_format", "tools"):
        if body.get(key) is not None:
            # The server turns the schema into prompt text or a grammar; count it like text.
            chars += len(json.dumps(body[key]))
    return chars // CHARS_PER_TOKEN + 1


@dataclass(frozen=True)
class ShardLimits:
    """How much one shard may hold."""

    max_lines: int = MAX_LINES
    max_bytes: int = MAX_BYTES
    max_tokens: int | None = None
    """Estimated prompt tokens per shard (and in flight): the provider's enqueued-token cap."""

    def __post_init__(self) -> None:
        if not 0 < self.max_lines <= MAX_LINES or not 0 < self.max_bytes <= MAX_BYTES:
            raise UserError(
                f"shard limits must be 1..{MAX_LINES} lines and 1..{MAX_BYTES} bytes. Lower the limits"
            )
        if self.max_tokens is not None and self.max_tokens <= 0:
            raise UserError("--max-enqueued-tokens must be a positive number of tokens")


@dataclass(frozen=True)
class Shard:
    """A complete shard file: what it holds and its SHA-256."""

    name: str
    lines: int
    bytes: int
    tokens: int
    sha256: str
    ids: tuple[str, ...] = field(default=(), repr=False, compare=False)


class ShardWriter:
    """Packs request lines into consecutive shard files; `add_encoded` and `close` return finished shards."""

    def __init__(self, directory: Path, index_dir: Path, limits: ShardLimits, first_number: int) -> None:
        self.directory = directory
        self.index_dir = index_dir
        self.limits = limits
        self._number = first_number
        self._stack: contextlib.ExitStack | None = None
        self._files: tuple[IO[bytes], IO[bytes]] | None = None
        """The open shard and its index of custom_ids."""
        self._hash = hashlib.sha256()
        self._ids: list[str] = []
        self._lines = self._bytes = self._tokens = 0

    def add_encoded(self, custom_id: str, data: bytes, tokens: int) -> Shard | None:
        """Write an encoded request line (copied verbatim when a request is resubmitted); returns
        the shard it closed when the line did not fit in it."""
        self._check_fits_alone(custom_id, len(data), tokens)
        done = None
        if self._files is not None and not self._fits(len(data), tokens):
            done = self.close()
        fh, ids = self._files or self._open()
        fh.write(data)
        ids.write((json.dumps(custom_id, ensure_ascii=False) + "\n").encode("utf-8"))
        self._hash.update(data)
        self._ids.append(custom_id)
        self._lines += 1
        self._bytes += len(data)
        self._tokens += tokens
        return done

    def close(self) -> Shard | None:
        """Finish the open shard (fsync, rename into place); None when none is open."""
        if self._stack is None:
            return None
        self._stack.close()
        shard = Shard(
            shard_name(self._number),
            self._lines,
            self._bytes,
            self._tokens,
            self._hash.hexdigest(),
            tuple(self._ids),
        )
        self._reset()
        self._number += 1
        return shard

    def abort(self) -> None:
        """Drop the open shard: its temporary files are removed, nothing appears."""
        if self._stack is not None:
            with contextlib.suppress(_Abort):
                self._stack.__exit__(_Abort, _Abort(), None)
        self._reset()

    def _open(self) -> tuple[IO[bytes], IO[bytes]]:
        stack = contextlib.ExitStack()
        name = shard_name(self._number)
        # The index is entered first so it is renamed last: an index never names a missing shard.
        ids = stack.enter_context(atomic_writer(self.index_dir / ids_name(name)))
        fh = stack.enter_context(atomic_writer(self.directory / name))
        self._stack, self._files = stack, (fh, ids)
        return self._files

    def _reset(self) -> None:
        self._stack = None
        self._files = None
        self._hash = hashlib.sha256()
        self._ids = []
        self._lines = self._bytes = self._tokens = 0

    def _fits(self, size: int, tokens: int) -> bool:
        limits = self.limits
        if self._lines + 1 > limits.max_lines or self._bytes + size > limits.max_bytes:
            return False
        return limits.max_tokens is None or self._tokens + tokens <= limits.max_tokens

    def _check_fits_alone(self, custom_id: str, size: int, tokens: int) -> None:
        if size > self.limits.max_bytes:
            raise UserError(
                f"request {custom_id} is {size} bytes, over the {self.limits.max_bytes} a shard may hold"
            )
        if self.limits.max_tokens is not None and tokens > self.limits.max_tokens:
            raise UserError(
                f"request {custom_id} needs ~{tokens} tokens, over --max-enqueued-tokens "
                f"{self.limits.max_tokens}. Raise --max-enqueued-tokens or lower --context-tokens"
            )


class _Abort(Exception):
    """Raised into an open shard's writers so they discard their temporary files."""


def ids_name(shard: str) -> str:
    """The index file listing the custom_ids of SHARD, one JSON string a line."""
    return shard.removesuffix(".jsonl") + ".ids"


def read_ids(path: Path) -> list[str]:
    """The custom_ids of an index file, in shard order."""
    with open(path, "rb") as fh:
        return [json.loads(raw) for raw in fh if raw.strip()]
