"""Where a Ray run reads and writes: a folder, or object storage through pyarrow's file systems.

A `Place` is a root in a `pyarrow.fs.FileSystem`, the same file systems Ray Data reads and
writes with: `s3://`, `gs://`, `hdfs://`, ... come from `pyarrow.fs.FileSystem.from_uri`
(credentials and endpoints from the usual environment: `AWS_*`, `GOOGLE_*`); a scheme
pyarrow does not know goes through fsspec (`az://` with adlfs installed, ...). Places are
picklable, so the driver hands them to the actors.

Nothing here imports pyarrow at import time. `is_uri` lives in `summarize.fsio`, so the
command line can ask it without loading the Ray engine.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from summarize.batch.config import BatchConfig
from summarize.batch.discover import Found, Rules
from summarize.batch.store import output_rel
from summarize.errors import UserError
from summarize.fsio import atomic_writer, is_uri
from summarize.ingest import read_capped


def default_dest(src: str) -> str:
    """DEST when -o is not given: `<SRC>.summaries` beside SRC, as for the thread engine."""
    if is_uri(src):
        return src.rstrip("/") + ".summaries"
    return str(BatchConfig(root=Path(src)).out)


@dataclass(frozen=True)
class Place:
    """A folder or an object-store prefix: the URI as given, its file system and root path."""

    uri: str
    fs: Any
    """A pyarrow.fs.FileSystem."""
    root: str
    local: bool

    @property
    def folder(self) -> Path:
        """A local place as the person gave it (relative or not): the walk names articles by it."""
        return Path(self.uri.removeprefix("file://"))

    def path(self, rel: str) -> str:
        """The file system path of REL under the root."""
        return f"{self.root}/{rel}" if rel else self.root

    def label(self, rel: str) -> str:
        """How REL is named to a person: the URI as given, then REL."""
        return f"{self.uri.rstrip('/')}/{rel}"

    def exists(self, path: str) -> bool:
        """Whether a file is at PATH."""
        import pyarrow.fs as pafs

        return bool(self.fs.get_file_info(path).type == pafs.FileType.File)

    def write_bytes(self, path: str, data: bytes) -> None:
        """Put DATA at PATH whole: atomically in a folder; one upload, visible only when
        complete, in object storage."""
        if self.local:
            with atomic_writer(path) as fh:
                fh.write(data)
            return
        with self.open_output(path) as out:
            out.write(data)

    def open_output(self, path: str) -> Any:
        """A stream that becomes the object at PATH when closed (object storage only)."""
        try:
            return self.fs.open_output_stream(path)
        except FileNotFoundError:  # a file system with real folders (HDFS, a mounted one)
            self.fs.create_dir(path.rpartition("/")[0], recursive=True)
            return self.fs.open_output_stream(path)

    def write_text(self, rel: str, text: str) -> None:
        """Put TEXT (UTF-8) at REL under the root."""
        self.write_bytes(self.path(rel), text.encode("utf-8"))

    def read_bytes(self, path: str, label: str, max_bytes: int) -> bytes:
        """The bytes at PATH, refused like a local file's when missing, unreadable or too big."""
        stream = functools.partial(self.fs.open_input_stream, path)
        return read_capped(stream, label, max_bytes, denied="Check the credentials")

    def files(self, folder: str, *, recursive: bool) -> list[tuple[str, int]]:
        """(path, size) of the files under FOLDER (a path), sorted; none when it is missing."""
        import pyarrow.fs as pafs

        selector = pafs.FileSelector(folder, recursive=recursive, allow_not_found=True)
        infos = self.fs.get_file_info(selector)
        return sorted((i.path, i.size or 0) for i in infos if i.type == pafs.FileType.File)

    def delete(self, path: str) -> None:
        """Remove the file at PATH."""
        self.fs.delete_file(path)


def open_place(where: str) -> Place:
    """The Place WHERE names: a folder (made absolute: actors have their own working
    directories) or an object-store URI."""
    import pyarrow.fs as pafs

    if not is_uri(where):
        local = where.removeprefix("file://")
        return Place(where, pafs.LocalFileSystem(), os.path.abspath(local), local=True)
    try:
        fs, root = pafs.FileSystem.from_uri(where)
    except (ValueError, OSError) as exc:
        if "unrecognized" not in str(exc).lower() and "scheme" not in str(exc).lower():
            raise UserError(f"cannot open {where} ({exc}). Check the URI and the credentials") from None
        fs, root = _fsspec(where)
    return Place(where, fs, root.rstrip("/"), local=False)


def _fsspec(where: str) -> tuple[Any, str]:
    """A scheme pyarrow does not know, through fsspec (its implementation must be installed)."""
    import pyarrow.fs as pafs

    scheme = where.partition("://")[0]
    try:
        import fsspec

        impl = fsspec.filesystem(scheme)
    except (ImportError, ValueError) as exc:
        raise UserError(
            f"no file system for {scheme}:// ({exc}). Install fsspec and its {scheme} implementation"
        ) from None
    return pafs.PyFileSystem(pafs.FSSpecHandler(impl)), impl._strip_protocol(where)


@dataclass(frozen=True)
class Article:
    """One article of a Ray run: its relative path, where to read it, its name in results, and
    what is wrong with it when it cannot be read (the worker reports it as failed)."""

    rel: str
    path: str
    label: str
    problem: str | None = None


def listing(src: Place, dest: Place, rules: Rules) -> Iterator[Article]:
    """The articles of SRC, an object store, in a stable order: listed and filtered by the
    thread engine's rules, without DEST when DEST is inside. (A folder is walked by
    `summarize.batch.config.articles`, as the thread engine walks it.)
    """
    inside = dest.root + "/" if dest.root.startswith(src.root + "/") else None
    for path, _size in src.files(src.root, recursive=True):
        rel = path[len(src.root) + 1 :]
        if (inside is None or not path.startswith(inside)) and rules.keeps(rel):
            yield Article(rel, path, src.label(rel))


def from_found(found: Iterable[Found]) -> Iterator[Article]:
    """Articles from a walk or a --from-file list of a folder: read by absolute path (actors
    have their own working directories), named as the thread engine names them."""
    for f in found:
        yield Article(f.rel, os.path.abspath(f.path), str(f.path), f.problem)


class ObjectSink:
    """Per-article JSON in object storage: DEST/<rel>.json, one upload each."""

    def __init__(self, place: Place) -> None:
        self.place = place

    def target(self, rel: str) -> str:
        """DEST/<rel>.json, refused by the thread engine's rule (summarize.batch.store.output_rel)."""
        return self.place.path(output_rel(rel))

    def read(self, target: str) -> str | None:
        """The object's text, None when it is missing or unreadable."""
        if not self.place.exists(target):
            return None
        try:
            with self.place.fs.open_input_stream(target) as stream:
                return bytes(stream.read()).decode("utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    def write(self, target: str, text: str) -> None:
        """Upload TEXT; readers see the object only once it is whole."""
        self.place.write_bytes(target, text.encode("utf-8"))
