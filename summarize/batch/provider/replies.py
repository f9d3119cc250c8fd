"""What an article's requests got back, kept per article on disk: the only input of its replay.

    FOLDER/replies/<aa>/<article id>.jsonl     one JSON line per result, appended

An article is named by a hash of its path relative to DIR; a request by a hash of its exact
chat-completions body and how many identical requests the conversation asked before it (a
merge asked twice with the same body is two requests). Together they make the custom_id,
so a replay always asks the same ids and a request already in a batch is never submitted
again. A result is appended here before the job counts it as handed out, so a crash in
between hands it out again and the second copy is ignored: lines are told apart by
(custom_id, shard), and a resubmitted request's new result comes from another shard.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from summarize.backends.base import Completion
from summarize.batch.jobs import LineError
from summarize.batch.store import encode_line, repair_torn_tail
from summarize.fsio import sync_folder
from summarize.schemas import Usage

ID_CHARS = 24
LIVE = "live"
"""The shard name of a result got through the live path (--reask live)."""


def article_id(rel: str) -> str:
    """The id of the article at REL (relative to DIR): the first part of its custom_ids."""
    # surrogateescape: a name with a byte that is not UTF-8 hashes as its bytes (same id otherwise).
    return hashlib.sha256(rel.encode("utf-8", "surrogateescape")).hexdigest()[:ID_CHARS]


def canonical(body: Mapping[str, Any]) -> str:
    """BODY as one canonical JSON text (sorted keys): equal bodies, equal texts."""
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def custom_id(article: str, body_text: str, occurrence: int) -> str:
    """The custom_id of the OCCURRENCE-th request (from 0) with canonical body BODY_TEXT of ARTICLE."""
    digest = hashlib.sha256(f"{body_text}\0{occurrence}".encode()).hexdigest()[:ID_CHARS]
    return f"{article}-{digest}"


def article_of(custom_id: str) -> str:
    """The article id a custom_id starts with."""
    return custom_id.partition("-")[0]


@dataclass(frozen=True)
class Reply:
    """One result of one request: a chat.completion body, an error, or a live completion."""

    custom_id: str
    shard: str
    body: dict[str, Any] | None = None
    error: LineError | None = None
    completion: Completion | None = None
    """A live request's completion; its usage counts the failed attempts too."""

    @property
    def ok(self) -> bool:
        """Whether the request got an answer (which may still be unusable)."""
        return self.error is None

    @property
    def usage(self) -> Usage:
        """What this result cost: its tokens, and one request (a failed line is a request too)."""
        if self.completion is not None:
            return self.completion.usage
        raw = (self.body or {}).get("usage") or {}
        return Usage(
            prompt_tokens=int(raw.get("prompt_tokens") or 0),
            completion_tokens=int(raw.get("completion_tokens") or 0),
            requests=1,
        )

    def to_line(self) -> bytes:
        """The JSONL line of this reply."""
        record: dict[str, Any] = {"id": self.custom_id, "shard": self.shard}
        if self.body is not None:
            record["body"] = self.body
        if self.error is not None:
            record["error"] = {
                "code": self.error.code,
                "message": self.error.message,
                "status": self.error.status,
            }
        if self.completion is not None:
            c = self.completion
            record["live"] = {"text": c.text, "finish_reason": c.finish_reason, "usage": c.usage.model_dump()}
        return encode_line(record)

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Reply:
        """The reply a line of the store holds."""
        error = record.get("error")
        live = record.get("live")
        return cls(
            custom_id=str(record["id"]),
            shard=str(record["shard"]),
            body=record.get("body"),
            error=LineError(str(error["code"]), str(error["message"]), error.get("status"))
            if error
            else None,
            completion=(
                Completion(str(live["text"]), live.get("finish_reason"), Usage(**live["usage"]))
                if live
                else None
            ),
        )


class Replies:
    """One article's results, each (custom_id, shard) once, in the order they came."""

    def __init__(self, replies: Iterable[Reply] = ()) -> None:
        self._by_id: dict[str, dict[str, Reply]] = {}
        for reply in replies:
            self.add(reply)

    def add(self, reply: Reply) -> None:
        """Take REPLY; a second copy of a result (handed out again after a crash) is ignored."""
        self._by_id.setdefault(reply.custom_id, {}).setdefault(reply.shard, reply)

    def answer(self, custom_id: str) -> Reply | None:
        """A result of CUSTOM_ID that is an answer, from whichever shard (or the live path)."""
        return next((r for r in self._by_id.get(custom_id, {}).values() if r.ok), None)

    def from_shard(self, custom_id: str, shard: str) -> Reply | None:
        """The result of CUSTOM_ID from SHARD, if it came."""
        return self._by_id.get(custom_id, {}).get(shard)

    def usage(self, asked: Container[str]) -> Usage:
        """What the requests ASKED (custom_ids) cost over every result they got."""
        total = Usage()
        for cid, results in self._by_id.items():
            if cid in asked:
                for reply in results.values():
                    total = total.add(reply.usage)
        return total


class ReplyStore:
    """The replies folder of a job: one append-only file per article."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, article: str) -> Path:
        """The file of ARTICLE's replies (256 subfolders keep any one folder small)."""
        return self.folder / article[:2] / f"{article}.jsonl"

    def add(self, reply: Reply) -> None:
        """Append REPLY to its article's file, durably: the job counts it as handed out next, so
        after a power cut it must be on disk (one write, fsynced, and a new file's folder too)."""
        path = self.path(article_of(reply.custom_id))
        path.parent.mkdir(parents=True, exist_ok=True)
        repair_torn_tail(path)  # a crash can tear the last line: the next one must start clean
        new = not path.exists()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            data = reply.to_line()
            written = os.write(fd, data)
            while written < len(data):  # a regular file takes it whole; be correct anyway
                written += os.write(fd, data[written:])
            os.fsync(fd)
        finally:
            os.close(fd)
        if new:
            sync_folder(path.parent)

    def load(self, article: str) -> Replies:
        """ARTICLE's replies (none yet: empty)."""
        try:
            data = self.path(article).read_bytes()
        except FileNotFoundError:
            return Replies()
        replies = Replies()
        for raw in data.splitlines(keepends=True):
            if raw.endswith(b"\n"):  # a torn last line was never stored
                replies.add(Reply.from_record(json.loads(raw)))
        return replies
