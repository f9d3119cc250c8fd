"""What a fetch remembers between runs, in ARTICLES/.fetch/state.jsonl.

One JSON line per fact, the last line about a URL winning: a source's validators (ETag,
Last-Modified) for the next conditional GET; an article saved (its path, canonical URL and
story hash), a duplicate of a saved one, or failed (with what its feed said, so a retry
needs no feed). Lines are appended as facts happen, so a run killed at any point keeps
every fact but the one being written (a torn last line is skipped on reading); the end of a
run rewrites the file compacted, atomically. The folder's name starts with a dot, so batch
discovery never walks into it.

The order of facts is what makes a kill harmless: a page is saved (atomically) before its
line, and a source's validators are written only after every item it listed has its line,
so a source answered 304 never hides an item that was not yet fetched.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any

from summarize.fsio import atomic_writer
from summarize.sources.client import Validators
from summarize.sources.listing import Item

STATE = Path(".fetch") / "state.jsonl"
MAX_ATTEMPTS = 5
"""Runs an item may fail before it is given up (a page gone for good is not asked forever)."""


class FetchState:
    """Sources' validators and articles' fates, loaded from and appended to the state file."""

    def __init__(self, root: Path) -> None:
        self.path = root / STATE
        self.sources: dict[str, dict[str, Any]] = {}
        self.articles: dict[str, dict[str, Any]] = {}
        self.by_hash: dict[str, str] = {}
        """Story hash -> the saved article's path."""
        self.lock = threading.Lock()
        self._log: IO[str] | None = None

    def load(self) -> FetchState:
        """Read the state file (none yet: an empty state)."""
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return self
        for line in lines:
            try:
                fact = json.loads(line)
            except ValueError:
                continue  # a line torn by a kill
            if isinstance(fact, dict):
                self._apply(fact)
        return self

    def _apply(self, fact: dict[str, Any]) -> None:
        url = fact.get("url")
        if not isinstance(url, str):
            return
        if fact.get("t") == "source":
            self.sources[url] = fact
        elif fact.get("t") == "article":
            self.articles[url] = fact
            if fact.get("status") in ("saved", "duplicate") and fact.get("hash"):
                self.by_hash.setdefault(fact["hash"], fact["path"])

    def validators(self, url: str) -> Validators | None:
        """What the source at URL answered last time, for a conditional GET."""
        fact = self.sources.get(url)
        if not fact:
            return None
        return Validators(fact.get("etag"), fact.get("last_modified"))

    def known(self, url: str) -> dict[str, Any] | None:
        """The saved, duplicate or given-up fact of URL; None when it was never fetched or it
        failed (and will be retried)."""
        fact = self.articles.get(url)
        return fact if fact and fact.get("status") in ("saved", "duplicate", "gave-up") else None

    def failed(self) -> list[Item]:
        """Items that failed on an earlier run: retried on this one."""
        out = []
        for url, fact in self.articles.items():
            if fact.get("status") == "failed":
                item = fact.get("item") or {}
                meta = [item.get(k) for k in ("title", "published", "feed", "site")]
                out.append(Item(url, *meta))
        return out

    def source_done(self, url: str, validators: Validators) -> None:
        """Remember the source's validators (every item it listed has its fact already)."""
        self._record(
            {"t": "source", "url": url, "etag": validators.etag, "last_modified": validators.last_modified}
        )

    def saved(self, item: Item, path: str, canonical: str | None, digest: str, *aliases: str) -> None:
        """ITEM is saved at PATH; ALIASES (its final and canonical URLs) are known from now on."""
        fact = {"t": "article", "status": "saved", "path": path, "canonical": canonical, "hash": digest}
        for url in dict.fromkeys((item.url, *aliases)):
            self._record({**fact, "url": url})

    def duplicate(self, item: Item, of: str, digest: str) -> None:
        """ITEM (whose story hash is DIGEST) is the story saved at OF."""
        self._record({"t": "article", "status": "duplicate", "url": item.url, "path": of, "hash": digest})

    def fail(self, item: Item, error: str) -> str:
        """ITEM failed: the next run retries it, unless this was its last attempt. The error,
        saying so in that case."""
        before = self.articles.get(item.url) or {}
        attempts = int(before.get("attempts") or 0) + 1 if before.get("status") == "failed" else 1
        status = "failed" if attempts < MAX_ATTEMPTS else "gave-up"
        if status == "gave-up":
            error = f"{error} (failed {attempts} runs: given up)"
        fact = {"t": "article", "status": status, "url": item.url, "error": error, "attempts": attempts}
        self._record({**fact, "item": asdict(item)})
        return error

    def _record(self, fact: dict[str, Any]) -> None:
        with self.lock:
            self._apply(fact)
            if self._log is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._log = self.path.open("a", encoding="utf-8")
                if self._log.tell() and not _ends_line(self.path):
                    self._log.write("\n")  # end a line torn by a kill before adding to it
            # Flushed, not fsynced: a killed process loses nothing the OS has; `compact` fsyncs.
            self._log.write(json.dumps(fact, ensure_ascii=False) + "\n")
            self._log.flush()

    def compact(self) -> None:
        """Rewrite the state file with one line per URL, atomically; close the log."""
        with self.lock:
            if self._log is not None:
                self._log.close()
                self._log = None
            if not self.sources and not self.articles:
                return
            with atomic_writer(self.path) as fh:
                for fact in (*self.sources.values(), *self.articles.values()):
                    fh.write((json.dumps(fact, ensure_ascii=False) + "\n").encode("utf-8"))


def _ends_line(path: Path) -> bool:
    with path.open("rb") as fh:
        fh.seek(-1, 2)
        return fh.read(1) == b"\n"
