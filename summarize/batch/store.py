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
from summarize.fsio import atomic_writer, dumps, shown

log = logging.getLogger(__name__)

RESULTS = "results.jsonl"
SHARDS = "results"
"""An object-storage DEST's journal: RESULTS's lines in shards, `results/<run>-...-<n>.jsonl`."""
RUN = "run.json"
LOCK = ".summarize.lock"
REPORT = "report.html"
"""`summarize report`'s default file in OUTDIR."""
CSV_FILES = ("actors.csv", "stances.csv", "claims.csv")
OWN = frozenset(
    {RESULTS, SHARDS, RUN, LOCK, REPORT, *CSV_FILES}
    # The provider path's job folders, its request files and its runner's outputs
    # (summarize.batch.provider: ProviderOptions.folder, runner_requests, RUNNER_OUT).
    | {"batch-api", "batch-jsonl", "requests", "vllm-out"}
)
"""The tool's own files and folders at the top of OUTDIR. No article's output may be one of
them or lie under one, whatever the case of its letters (a case-insensitive file system
makes `RUN.json` the same file as run.json)."""
_OWN_FOLDED = frozenset(name.casefold() for name in OWN)
RESERVED = tuple(sorted(OWN))


def refuse_own(outdir: Path, target: Path, *, allowed: tuple[str, ...] = ()) -> None:
    """UserError when TARGET, a command's output file, is one of OUTDIR's own files (the journal,
    run.json, a job folder...) other than ALLOWED, or a symbolic link there: writing it would
    lose the batch's state."""
    base = os.path.realpath(outdir)
    where = os.path.realpath(target)
    if os.path.commonpath([base, where]) != base or where == base:
        return
    mine = own_file(os.path.relpath(where, base).replace(os.sep, "/"))
    if mine is not None and mine.casefold() not in {a.casefold() for a in allowed}:
        raise UserError(
            f"{target} is {mine} of the batch in {outdir}, which summarize keeps for itself. "
            "Write to another file"
        )


NAME_MAX = 255
"""The longest file name (in bytes) of the usual file systems (ext4, xfs, btrfs, APFS, NTFS)."""


def own_file(rel_out: str) -> str | None:
    """The tool's own file or folder that REL_OUT (an output's path in OUTDIR, '/'-separated)
    is or lies under, compared case-insensitively; None when it reaches none."""
    first = rel_out.split("/", 1)[0]
    return first if first.casefold() in _OWN_FOLDED else None


def output_rel(rel: str) -> str:
    """`<rel>.json`, the output of the article at REL relative to OUTDIR: the one rule of every
    engine. InputError when REL could leave OUTDIR or reach the tool's own files."""
    out = rel + ".json"
    if rel.startswith("/") or any(part in ("", ".", "..") for part in rel.split("/")):
        raise _outside(rel)
    mine = own_file(out)
    if mine is not None:
        raise InputError(
            f"{shown(rel)}: its output would {'overwrite' if mine == out else 'be written inside'} "
            f"{shown(mine)}, which summarize keeps for itself in the output folder. Rename the file "
            "or its folder"
        )
    return out


def _outside(rel: str) -> InputError:
    return InputError(f"{shown(rel)}: its output would be written outside the output folder. Rename the file")


def output_path(outdir: Path, rel: str) -> Path:
    """OUTDIR/<rel>.json, refusing, before anything is paid for, any REL whose output would land
    outside OUTDIR, on the tool's own files, or where no file can be written (a folder in its
    place, a file where its folder should be, a name too long)."""
    base = os.path.abspath(outdir)
    target = os.path.abspath(os.path.join(base, output_rel(rel)))
    if os.path.commonpath([base, target]) != base or target == base:
        raise _outside(rel)
    real_base = os.path.realpath(base)
    if os.path.commonpath([real_base, os.path.realpath(target)]) != real_base:
        # A symbolic link inside OUTDIR must not carry an output out of it.
        raise InputError(
            f"{shown(rel)}: its output would go through a symbolic link out of the output folder. "
            "Remove the link"
        )
    _check_writable(base, target, rel)
    return Path(target)


def _check_writable(base: str, target: str, rel: str) -> None:
    """InputError when no file can be written at TARGET, found by looking, not by writing."""
    parts = os.path.relpath(target, base).split(os.sep)
    if any(len(os.fsencode(part)) > NAME_MAX for part in parts):
        raise InputError(
            f"{shown(rel)}: its output's name is longer than {NAME_MAX} bytes, more than a file system "
            "takes. Rename the file"
        )
    if os.path.isdir(target):
        raise InputError(
            f"{shown(rel)}: a folder {shown(os.path.relpath(target, base))} is where its output goes. "
            "Rename the file or that folder"
        )
    folder = base
    for part in parts[:-1]:
        folder = os.path.join(folder, part)
        if os.path.lexists(folder) and not os.path.isdir(folder):
            raise InputError(
                f"{shown(rel)}: its output needs the folder {shown(os.path.relpath(folder, base))}, and a "
                "file is there. Rename the file or the other one"
            )


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
        for own in (self.path, self.outdir / LOCK):
            if own.is_symlink():
                # Writing through it would put the journal (or lock) outside OUTDIR.
                raise UserError(
                    f"{own} is a symbolic link; summarize writes its own files in the output folder "
                    "only. Remove the link (move the file it points to into its place if you need it)"
                )
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
        try:
            written = os.write(self._fd, data)
            while written < len(data):  # a regular file takes it whole; be correct anyway
                written += os.write(self._fd, data[written:])
            os.fsync(self._fd)
        except OSError as exc:  # a full disk: a torn line at most, cut off by the next open
            raise OSError(exc.errno, exc.strerror, str(self.path)) from exc
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
    """RECORD as one journal line, newline included (a file name's undecodable bytes escaped:
    summarize.fsio.dumps)."""
    return (dumps(record) + "\n").encode("utf-8")


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


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet read a cell as a formula (OWASP, CSV injection)."""


def cell(value: object) -> object:
    """VALUE as a CSV cell a spreadsheet shows as text: a string that could start a formula gets
    a leading `'`, and a file name's undecodable bytes are shown as `\\xff`."""
    if not isinstance(value, str):
        return value
    value = shown(value)
    return "'" + value if value.startswith(FORMULA_START) else value


def _rows(kind: str, path: str, result: dict[str, Any]) -> Iterator[list[object]]:
    for row in _raw_rows(kind, path, result):
        yield [cell(v) for v in row]


def _raw_rows(kind: str, path: str, result: dict[str, Any]) -> Iterator[list[object]]:
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
        with atomic_writer(outdir / f"{kind}.csv") as raw:  # CSV_FILES
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
