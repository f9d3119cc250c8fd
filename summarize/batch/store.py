"""The output folder of a batch: per-article JSON, results.jsonl, run.json, CSV tables.

results.jsonl is the journal a rerun resumes from. Each line is written with a
single `os.write` on an O_APPEND descriptor and fsynced, by one writer only. A crash
can leave at most a torn last line; `ResultLog.open` cuts it off. Lines for the same
article pile up when it fails and later succeeds, or is redone (--force, changed
content); `compact()` rewrites the file atomically keeping the latest line per path, so
after a complete run there is exactly one line, and one `ok` line, per article.
"""

from __future__ import annotations

import csv
import fcntl
import json
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from summarize.errors import InputError, UserError
from summarize.fsio import atomic_writer

log = logging.getLogger(__name__)

RESULTS = "results.jsonl"
SHARDS = "results"
"""An object-storage DEST's journal: RESULTS's lines in shards, `results/<run>-...-<n>.jsonl`."""
RUN = "run.json"
LOCK = ".summarize.lock"
RESERVED = (RESULTS, RUN, "actors.csv", "stances.csv", "claims.csv")


def output_path(outdir: Path, rel: str) -> Path:
    """OUTDIR/<rel>.json, refusing any REL that would land outside OUTDIR or on a reserved file."""
    base = os.path.abspath(outdir)
    target = os.path.abspath(os.path.join(base, rel + ".json"))
    if os.path.commonpath([base, target]) != base or target == base:
        raise InputError(f"{rel}: its output would be written outside the output folder. Rename the file")
    real_base = os.path.realpath(base)
    if os.path.commonpath([real_base, os.path.realpath(target)]) != real_base:
        # A symbolic link inside OUTDIR must not carry an output out of it.
        raise InputError(
            f"{rel}: its output would go through a symbolic link out of the output folder. Remove the link"
        )
    if os.path.relpath(target, base) in RESERVED:
        raise InputError(
            f"{rel}: its output would overwrite {os.path.relpath(target, base)}. Rename the file"
        )
    return Path(target)


def note_done(done: dict[str, str], record: dict[str, Any]) -> None:
    """Fold one results.jsonl line into DONE (path -> key of articles whose latest line is ok)."""
    path = str(record.get("path"))
    if record.get("status") == "ok" and record.get("key"):
        done[path] = str(record["key"])
    else:
        done.pop(path, None)


@dataclass
class Index:
    """What earlier runs left in results.jsonl: the key of every article that succeeded."""

    done: dict[str, str] = field(default_factory=dict)
    """path -> cache key, for articles whose latest line is `ok`."""
    lines: int = 0
    paths: int = 0
    repaired_bytes: int = 0


def warn_repaired(index: Index) -> None:
    """Log that opening the journal cut a torn last line, when it did."""
    if index.repaired_bytes:
        log.warning(
            "results.jsonl: removed a torn last line (%d bytes) left by a crash", index.repaired_bytes
        )


class Journal:
    """What results.jsonl and the Ray engine's shards share: a count of lines and of the
    paths they name, kept as earlier lines are read and new ones appended."""

    def __init__(self) -> None:
        self.lines = 0
        self.paths: set[str] = set()

    def count(self, record: dict[str, Any]) -> None:
        """Count one line, read or appended."""
        self.lines += 1
        self.paths.add(str(record.get("path")))

    def fold(self, records: Iterable[dict[str, Any]], index: Index) -> Index:
        """Count what earlier runs left (RECORDS) and fold it into INDEX."""
        for record in records:
            self.count(record)
            note_done(index.done, record)
        index.lines, index.paths = self.lines, len(self.paths)
        return index

    @property
    def needs_compaction(self) -> bool:
        """Whether some article has more than one line."""
        return self.lines > len(self.paths)


class ResultLog(Journal):
    """The append-only journal OUTDIR/results.jsonl, with a lock so one run writes at a time."""

    def __init__(self, outdir: Path) -> None:
        super().__init__()
        self.outdir = outdir
        self.path = outdir / RESULTS
        self._fd = -1
        self._lock_fd = -1

    def open(self) -> Index:
        """Lock OUTDIR, repair a torn last line, read what is done, open for appending."""
        self.outdir.mkdir(parents=True, exist_ok=True)
        self._lock_fd = os.open(self.outdir / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(self._lock_fd)
            self._lock_fd = -1
            raise UserError(
                f"another `summarize batch` is writing to {self.outdir}. Wait for it to finish "
                "or use another -o OUTDIR"
            ) from None
        index = self.fold(read_records(self.path), Index(repaired_bytes=repair_torn_tail(self.path)))
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        return index

    def append(self, record: dict[str, Any]) -> None:
        """Write RECORD as one line, in one write, and make it durable."""
        data = encode_line(record)
        written = os.write(self._fd, data)
        while written < len(data):  # a regular file takes it whole; be correct anyway
            written += os.write(self._fd, data[written:])
        os.fsync(self._fd)
        self.count(record)

    def compact(self) -> None:
        """Rewrite results.jsonl atomically, keeping only the latest line of each path."""
        kept = 0
        with atomic_writer(self.path) as out:
            for line in latest_lines(lambda: _complete_lines(self.path)):
                out.write(line)
                kept += 1
        os.close(self._fd)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self.lines = kept

    def close(self) -> None:
        """Close the journal and release the folder lock."""
        for fd in (self._fd, self._lock_fd):
            if fd >= 0:
                os.close(fd)
        self._fd = self._lock_fd = -1


def repair_torn_tail(path: Path) -> int:
    """Cut a last line that a crash left without its newline; return the bytes removed."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return 0
    if size == 0:
        return 0
    with path.open("rb+") as fh:
        pos = size
        block = 65536
        while pos > 0:
            start = max(0, pos - block)
            fh.seek(start)
            chunk = fh.read(pos - start)
            if pos == size and chunk.endswith(b"\n"):
                return 0
            cut = chunk.rfind(b"\n")
            if cut >= 0:
                keep = start + cut + 1
                break
            pos = start
        else:
            keep = 0
        fh.truncate(keep)
        fh.flush()
        os.fsync(fh.fileno())
    return size - keep


def _complete_lines(path: Path) -> Iterator[bytes]:
    """The newline-terminated lines of PATH (a line that does not parse is skipped by readers)."""
    try:
        fh = path.open("rb")
    except FileNotFoundError:
        return
    with fh:
        for line in fh:
            if line.endswith(b"\n"):
                yield line


def read_records(path: Path) -> Iterator[dict[str, Any]]:
    """Each parsable JSON line of PATH, streamed (one line in memory at a time)."""
    for record in parse_records(_complete_lines(path)):
        if record is not None:
            yield record


def parse_records(lines: Iterable[bytes]) -> Iterator[dict[str, Any] | None]:
    """The record of each line, None for a line that is not one (so positions stay lines)."""
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            yield None
            continue
        yield record if isinstance(record, dict) and "path" in record else None


def encode_line(record: dict[str, Any]) -> bytes:
    """RECORD as one journal line, newline included."""
    return (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def latest_lines(lines: Callable[[], Iterable[bytes]]) -> Iterator[bytes]:
    """The lines LINES() yields, keeping only the latest of each path (two streaming passes,
    so only an index, not the lines, is held in memory); lines that are not records go."""
    last: dict[str, int] = {}
    for n, record in enumerate(parse_records(lines())):
        if record is not None:
            last[str(record.get("path"))] = n
    keep = set(last.values())
    del last
    for n, line in enumerate(lines()):
        if n in keep:
            yield line


def tidy(results: Any, *, csv_tables: bool) -> None:
    """The end of a run: one line per article in the journal (results.jsonl, or an object
    store's shards), and the CSV tables beside results.jsonl if asked."""
    if results.needs_compaction:
        results.compact()
    if csv_tables and isinstance(results, ResultLog):
        write_csv_tables(results.outdir)


# --- tidy tables ---------------------------------------------------------------------------

CSV_COLUMNS: dict[str, tuple[str, ...]] = {
    "actors": ("path", "name", "type", "role", "aliases"),
    "stances": ("path", "actor", "topic", "position", "target", "quote", "start", "end"),
    "claims": ("path", "speaker", "text", "kind", "cue", "hedged", "quote", "start", "end"),
}


def _rows(kind: str, path: str, result: dict[str, Any]) -> Iterator[list[object]]:
    for item in result.get(kind) or []:
        if kind == "actors":
            yield [
                path,
                item.get("name"),
                item.get("type"),
                item.get("role"),
                "; ".join(item.get("aliases") or []),
            ]
            continue
        ev = item.get("evidence") or {}
        fields = CSV_COLUMNS[kind][1:-3]
        yield [path, *(item.get(f) for f in fields), ev.get("quote"), ev.get("start"), ev.get("end")]


def write_csv_tables(outdir: Path) -> None:
    """actors.csv, stances.csv, claims.csv from the `ok` lines of results.jsonl (one row per item)."""
    for kind, columns in CSV_COLUMNS.items():
        with atomic_writer(outdir / f"{kind}.csv") as raw:
            text = _TextOut(raw)
            writer = csv.writer(text)
            writer.writerow(columns)
            for record in read_records(outdir / RESULTS):
                if record.get("status") == "ok" and isinstance(record.get("result"), dict):
                    writer.writerows(_rows(kind, str(record["path"]), record["result"]))


class _TextOut:
    """Just enough of a text file for csv.writer over a binary handle."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw

    def write(self, s: str) -> int:
        return self.raw.write(s.encode("utf-8"))
