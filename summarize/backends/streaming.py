"""Reading a streamed reply: when it is complete, when it runs away, what it cost.

Every structured-output mode asks for one JSON value, so a reply is complete when its
top-level value closes (`JsonClosure`, an incremental scanner over strings, escapes and
nesting): the reader stops there and the caller closes the stream, which is how a server
learns to stop generating. What a model writes after the close (whitespace to max_tokens,
a second copy, prose) costs nothing. A reply that keeps repeating itself (`repeats`) is
stopped too and handed on as it is: the drafter re-asks an invalid reply as it always has.

This module knows chunks, not HTTP: `read_chunks` takes an iterator of the SDK's
ChatCompletionChunk objects, so it is tested without a server.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

# After the close, a few more chunks may carry the finish reason and the usage (OpenAI and
# llama.cpp send both right away); a server padding with whitespace gets no more than this.
GRACE_CHUNKS = 4
# A reply whose last REPEAT_WINDOW characters are one unit of at most REPEAT_PERIOD
# characters said over and over (at least three times) has run away.
REPEAT_PERIOD = 200
REPEAT_WINDOW = 3 * REPEAT_PERIOD
# Looking for repetition costs ~REPEAT_PERIOD slice compares: do it once per this many new
# characters, not once per token.
REPEAT_EVERY = 128
RUNAWAY = "repetition"
"""The finish reason of a reply stopped because it repeated itself."""


class JsonClosure:
    """Finds where the first top-level JSON object or array of a text closes, fed piece by piece.

    Text before the first `{` or `[` (a code fence, a word of prose) is skipped, as
    `strip_fences` skips it when the reply is parsed.
    """

    def __init__(self) -> None:
        self.depth = 0
        self.started = False
        self.closed = False
        self._in_string = False
        self._escaped = False

    def feed(self, piece: str) -> int | None:
        """Scan PIECE; the index just past the closing bracket when the value closes in it."""
        if self.closed:
            return 0
        for i, ch in enumerate(piece):
            if self._in_string:
                if self._escaped:
                    self._escaped = False
                elif ch == "\\":
                    self._escaped = True
                elif ch == '"':
                    self._in_string = False
            elif ch in "{[":
                self.started = True
                self.depth += 1
            elif not self.started:
                continue
            elif ch == '"':
                self._in_string = True
            elif ch in "}]":
                self.depth -= 1
                if self.depth == 0:
                    self.closed = True
                    return i + 1
        return None


def repeats(text: str, *, period: int = REPEAT_PERIOD, window: int = REPEAT_WINDOW) -> bool:
    """Whether TEXT ends in one unit of at most PERIOD characters repeated over WINDOW characters."""
    if len(text) < window:
        return False
    tail = text[-window:]
    # tail[p:] == tail[:-p] says the tail has period p; window >= 3 * period: three times or more.
    return any(tail[p:] == tail[:-p] for p in range(1, period + 1))


@dataclass
class Streamed:
    """What a streamed reply said, why it ended, and how much of it was read."""

    text: str = ""
    finish_reason: str | None = None
    usage: Any = None
    """The server's usage object (the final chunk's, with stream_options), when it sent one."""
    chunks: int = 0
    """Chunks that carried reply text (about one token each)."""
    stopped_early: bool = False
    """Reading stopped before the server ended the stream (closed JSON, or a runaway)."""
    refusal: str = ""
    seconds: float = 0.0


Progress = Callable[[int, float], None]
"""Called as a reply streams in: chunks received so far, seconds since the request started."""


def read_chunks(
    chunks: Iterable[Any],
    *,
    tools: bool = False,
    progress: Progress | None = None,
    started: float | None = None,
) -> Streamed:
    """Read CHUNKS (ChatCompletionChunk) until the reply's JSON closes, it runs away, or the stream ends.

    With TOOLS the reply is the first tool call's arguments, else the message content.
    """
    started = time.monotonic() if started is None else started
    out = Streamed()
    closure = JsonClosure()
    parts: list[str] = []
    grace = 0
    unscanned = 0
    server_finish: str | None = None
    for chunk in chunks:
        if getattr(chunk, "usage", None):
            out.usage = chunk.usage
        piece = ""
        for choice in getattr(chunk, "choices", None) or []:
            piece += _piece(choice.delta, tools)
            out.refusal += getattr(choice.delta, "refusal", None) or ""
            server_finish = choice.finish_reason or server_finish
        if piece:
            out.chunks += 1
            if progress is not None:
                progress(out.chunks, time.monotonic() - started)
        if closure.closed:
            if out.usage is not None:
                break  # the server's own last words: usage (and the finish reason) are in
            grace += 1
            if piece.strip() or grace >= GRACE_CHUNKS:
                out.stopped_early = True
                break
            continue
        end = closure.feed(piece)
        parts.append(piece if end is None else piece[:end])
        if end is not None or not piece:
            continue
        unscanned += len(piece)
        if unscanned >= REPEAT_EVERY:
            unscanned = 0
            if repeats("".join(parts)[-REPEAT_WINDOW:]):
                server_finish, out.stopped_early = RUNAWAY, True
                break
    out.text = "".join(parts)
    # A value that closed is whole, even when it closed on the last token allowed ("length").
    out.finish_reason = "stop" if closure.closed else server_finish
    out.seconds = time.monotonic() - started
    return out


def _piece(delta: Any, tools: bool) -> str:
    if delta is None:
        return ""
    if tools:
        calls = getattr(delta, "tool_calls", None) or []
        first = [c for c in calls if (getattr(c, "index", 0) or 0) == 0]
        return "".join((c.function.arguments or "") for c in first if c.function is not None)
    return getattr(delta, "content", None) or ""
