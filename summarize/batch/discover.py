"""Find the article files of a batch: a streaming, deterministic, loop-proof walk.

The walk is a generator that sorts one directory at a time, so 100,000 files are
never listed at once and the order is the same on every run. A problem with one
entry (a broken link, an unreadable folder) becomes an item with a `problem`, which
the batch reports as a failed article instead of crashing.
"""

from __future__ import annotations

import errno
import fnmatch
import logging
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

log = logging.getLogger(__name__)

DEFAULT_PATTERNS: tuple[str, ...] = ("*.txt", "*.md", "*.html", "*.htm", "*.html.gz", "*.htm.gz")


@dataclass(frozen=True)
class Found:
    """One article to process: its path relative to the batch root, and what is wrong with it, if anything."""

    rel: str
    path: Path
    problem: str | None = None


@dataclass(frozen=True)
class Rules:
    """Which files a walk yields."""

    patterns: Sequence[str] = DEFAULT_PATTERNS
    excludes: Sequence[str] = ()
    prune: Sequence[Path] = ()
    """Directories never entered (resolved paths), e.g. the output folder."""

    def wants(self, rel: str) -> bool:
        """Whether the file at REL matches a pattern and no exclude."""
        return _matches(rel, self.patterns) and not _matches(rel, self.excludes)

    def keeps(self, rel: str) -> bool:
        """Whether a listing that is not a walk (object storage) yields REL: what `walk` would
        yield, folder by folder: no hidden part, no excluded folder, a wanted file."""
        parts = rel.split("/")
        if any(not p or p.startswith(".") for p in parts):
            return False
        folders = ("/".join(parts[: n + 1]) for n in range(len(parts) - 1))
        return not any(_matches(f, self.excludes) for f in folders) and self.wants(rel)


def _matches(rel: str, patterns: Iterable[str]) -> bool:
    """Case-insensitive: a pattern with a slash matches the relative path, otherwise the name."""
    name = rel.rsplit("/", 1)[-1].lower()
    low = rel.lower()
    for pattern in patterns:
        p = pattern.lower()
        if "/" in p:
            if fnmatch.fnmatchcase(low, p) or PurePosixPath(low).match(p):
                return True
        elif fnmatch.fnmatchcase(name, p):
            return True
    return False


def walk(root: Path, rules: Rules | None = None) -> Iterator[Found]:
    """Yield the article files under ROOT, depth first, each folder's entries in sorted order.

    Hidden files and folders (a leading dot) are skipped; symbolic links are followed
    but a folder reached twice (a loop, or two links to one place) is walked once.
    """
    rules = rules or Rules()
    pruned = {_identity(p) for p in rules.prune if p.exists()}
    seen: set[tuple[int, int]] = set()
    yield from _walk_dir(root, "", rules, pruned, seen)


def _identity(path: Path) -> tuple[int, int]:
    st = path.stat()
    return (st.st_dev, st.st_ino)


def _walk_dir(
    folder: Path, prefix: str, rules: Rules, pruned: set[tuple[int, int]], seen: set[tuple[int, int]]
) -> Iterator[Found]:
    try:
        ident = _identity(folder)
    except OSError:
        return
    if ident in seen or ident in pruned:
        return
    seen.add(ident)
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        if not prefix:
            raise
        yield Found(
            prefix.rstrip("/"), folder, f"cannot list this folder ({exc.strerror}). Check its permissions"
        )
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        rel = prefix + entry.name
        if _matches(rel, rules.excludes):
            continue
        try:
            is_dir = entry.is_dir(follow_symlinks=True)
        except OSError:
            is_dir = False
        if is_dir:
            yield from _walk_dir(Path(entry.path), rel + "/", rules, pruned, seen)
            continue
        if not rules.wants(rel):
            continue
        problem = _file_problem(entry)
        yield Found(rel, Path(entry.path), problem)


def _file_problem(entry: os.DirEntry[str]) -> str | None:
    try:
        if entry.is_file(follow_symlinks=True):
            return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "a loop of symbolic links. Fix or remove the link"
        return f"cannot read ({exc.strerror}). Check the file"
    if entry.is_symlink():
        target = os.readlink(entry.path)
        return f"broken symbolic link to {target}. Fix or remove the link"
    return "not a regular file. Remove it or exclude it with --exclude"


def from_list(root: Path, lines: Iterable[str]) -> Iterator[Found]:
    """Yield the articles named one per line (relative to ROOT), in the order given.

    Blank lines are ignored, and so is a later line that names an article already listed
    (`a.txt`, `./a.txt`): it would be summarized, and paid for, twice. An absolute path or
    one with `..` is yielded with a problem: outputs are written under OUTDIR at the same
    relative path, and such a path could escape it.
    """
    seen: set[str] = set()
    for line in lines:
        rel = line.rstrip("\r\n")
        if not rel.strip():
            continue
        found = checked(root, rel)
        if found.rel in seen:
            log.warning("--from-file: %s is listed more than once: summarized once", found.rel)
            continue
        seen.add(found.rel)
        yield found


def checked(root: Path, rel: str) -> Found:
    """A Found for REL under ROOT, with a problem when REL is not a safe relative path to a file."""
    pure = PurePosixPath(rel.replace("\\", "/"))
    if pure.is_absolute() or ".." in pure.parts:
        return Found(rel, root, "path is absolute or goes up with '..'. List paths relative to DIR")
    if not pure.parts:
        return Found(rel, root, "names DIR itself, not an article. List the files inside DIR")
    norm = str(pure)
    path = root / norm
    if path.is_symlink() and not path.exists():
        return Found(norm, path, f"broken symbolic link to {os.readlink(path)}. Fix or remove the link")
    return Found(norm, path)
