"""Ingestion: bytes -> the clean article text the model sees, plus metadata.

Evidence offsets index into `Document.text`, so everything that changes the text
(decoding, HTML extraction, boilerplate removal) happens here and only here.
Pipeline: read (size limit) -> gunzip -> decode -> newlines -> HTML | Markdown | text
-> boilerplate removal (unless raw). docs/INGEST.md describes each step.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from summarize.config import DEFAULTS
from summarize.errors import InputError
from summarize.ingest.boilerplate import guess_title, strip_boilerplate
from summarize.ingest.decode import decode_bytes, gunzip, is_gzip, normalize_newlines
from summarize.ingest.provenance import read_stamp
from summarize.ingest.sniff import non_article_reason

DEFAULT_MAX_BYTES = DEFAULTS.max_bytes
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
_YAML_PAIR = re.compile(r"^([A-Za-z_][\w-]*)\s*:\s*(.*?)\s*$")
_MD_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$")
_MARKDOWN_EXTENSIONS = (".md", ".markdown", ".mdown", ".mkd")


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
    kind: str = "text"  # "text", "markdown" or "html": how the input was read
    language: str | None = None
    """ISO 639-1 code of the article's language ("en", "ru", "uk"); None when not known."""
    url: str | None = None
    """Where the article was published, when known (a fetched page, front matter, a sidecar)."""

    @property
    def sha256(self) -> str:
        """SHA-256 of the clean text (the cache key of batch runs builds on it)."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def read_source(path: str, *, max_bytes: int = DEFAULT_MAX_BYTES, label: str | None = None) -> bytes:
    """Read the raw bytes of PATH ('-' for stdin), refusing what is not a readable file.

    Errors name the file LABEL (default PATH): a batch may read a file by another name
    than the one its results carry.
    """
    name = label or path
    if path == "-":
        return read_capped(lambda: contextlib.nullcontext(sys.stdin.buffer), name, max_bytes)
    p = Path(path)
    if not p.exists():
        if p.is_symlink():
            raise _link_error(path, name)
        raise InputError(f"{name}: no such file. Check the path")
    if p.is_dir():
        raise InputError(f"{name} is a directory. Use `summarize batch {name}` for folders")
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise unreadable(name, exc) from None
    if size > max_bytes:
        limit = f"over the {max_bytes:,}-byte limit. Split the file or raise --max-bytes"
        raise InputError(f"{name} is {size:,} bytes, {limit}")
    return read_capped(lambda: p.open("rb"), name, max_bytes)


def read_capped(
    opener: Callable[[], AbstractContextManager[Any]], name: str, max_bytes: int, *, denied: str = ""
) -> bytes:
    """At most MAX_BYTES from the binary stream OPENER opens (a file, stdin, an object in a
    bucket), refused as an InputError naming NAME when it cannot be read or holds more.
    DENIED says what to do about a refused permission."""
    try:
        with opener() as stream:
            data = bytes(stream.read(max_bytes + 1))
    except OSError as exc:
        raise unreadable(name, exc, denied) from None
    if len(data) > max_bytes:
        raise InputError(f"{name} is over the {max_bytes:,}-byte limit. Split it or raise --max-bytes")
    return data


def unreadable(name: str, exc: OSError, denied: str = "") -> InputError:
    """The InputError for a file NAME that could not be read."""
    if isinstance(exc, FileNotFoundError):
        return InputError(f"{name}: no such file. Check the path")
    if isinstance(exc, PermissionError):
        return InputError(f"{name}: permission denied. {denied or 'Make the file readable'}")
    return InputError(f"{name}: cannot read ({exc.strerror or exc}). Check the file")


def _link_error(path: str, name: str) -> InputError:
    """A symbolic link that leads nowhere: broken, or a loop of links."""
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return InputError(f"{name} is a loop of symbolic links. Fix or remove the link")
    return InputError(f"{name} is a broken symbolic link to {os.readlink(path)}. Fix or remove the link")


def decode_source(data: bytes, path: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """Raw bytes -> text with LF newlines: gunzip, BOM/UTF-8/legacy decoding, binary refusal."""
    if is_gzip(data):
        data = gunzip(data, path, max_bytes=max_bytes)
    if not data.strip():
        raise InputError(f"{path} is empty. Give an article with some text")
    text = normalize_newlines(decode_bytes(data, path))
    if not text.strip():
        raise InputError(f"{path} is empty. Give an article with some text")
    return text


def parse_document(
    data: bytes, path: str, *, raw: bool = False, max_bytes: int = DEFAULT_MAX_BYTES
) -> Document:
    """Turn raw bytes into a Document; raw=True keeps the decoded text as is."""
    text = decode_source(data, path, max_bytes=max_bytes)
    if raw:
        return Document(text=text, path=path, title=guess_title(text))
    from summarize.ingest.html import looks_like_html  # cheap; trafilatura is imported only inside

    if looks_like_html(text, _logical_name(path)):
        return _from_html(text, path)
    if _logical_name(path).lower().endswith(_MARKDOWN_EXTENSIONS) or _FRONT_MATTER.match(text):
        return _from_markdown(text, path)
    return _from_text(text, path)


def with_language(doc: Document, language: str | None = None) -> Document:
    """DOC with its language: LANGUAGE when given (--language), else the one DOC has, else the
    one detected in its title and text (ingest/language.py; None when it cannot be told)."""
    if language is not None:
        return doc if doc.language == language else replace(doc, language=language)
    if doc.language is not None:
        return doc
    from summarize.ingest.language import detect_language  # loads the detector on first use

    return replace(doc, language=detect_language(f"{doc.title or ''}\n{doc.text}"))


def load_document(
    path: str, *, raw: bool = False, max_bytes: int = DEFAULT_MAX_BYTES, label: str | None = None
) -> Document:
    """Read and clean one article file ('-' for stdin); LABEL (default PATH) is its name in the
    Document and in errors."""
    data = read_source(path, max_bytes=max_bytes, label=label)
    return parse_document(data, label or path, raw=raw, max_bytes=max_bytes)


def _logical_name(path: str) -> str:
    """PATH without a trailing .gz, so `page.html.gz` is read as HTML."""
    return path[:-3] if path.lower().endswith(".gz") else path


def _from_text(text: str, path: str, meta: dict[str, str | None] | None = None) -> Document:
    meta = meta or {}
    _require_article(text, path)
    cleaned = strip_boilerplate(text)
    body = _require_text(cleaned.text, path)
    return Document(
        text=body,
        path=path,
        title=meta.get("title") or guess_title(body),
        author=meta.get("author"),
        date=meta.get("date"),
        site=meta.get("site"),
        removed=cleaned.removed,
    )


def _from_markdown(text: str, path: str) -> Document:
    meta: dict[str, str | None] = {}
    removed: list[str] = []
    match = _FRONT_MATTER.match(text)
    if match:
        meta = parse_front_matter(match.group(1))
        removed.append(match.group(0).strip())
        text = text[match.end() :]
    if not meta.get("title"):
        first = next((line for line in text.split("\n") if line.strip()), "")
        heading = _MD_HEADING.match(first.strip())
        meta["title"] = heading.group(1) if heading else None
    doc = _from_text(text, path, meta)
    return replace(doc, removed=removed + doc.removed, kind="markdown")


def _from_html(text: str, path: str) -> Document:
    from summarize.ingest.html import extract_html

    # No non-article check here: the extractor already chose the page's main text, and a
    # real article page may hold a table or a code listing (two of the 164 benchmark pages
    # were refused that way); --raw would only send the page's HTML source.
    article = extract_html(text)
    cleaned = strip_boilerplate(article.text)
    body = _require_text(cleaned.text, path)
    fetched = read_stamp(text)  # what `summarize fetch` knew of the page (its feed's title, date)
    return Document(
        text=body,
        path=path,
        title=fetched.get("title") or article.title or guess_title(body),
        author=article.author,
        date=fetched.get("published") or article.date,
        site=article.site or fetched.get("site"),
        removed=cleaned.removed,
        kind="html",
        url=fetched.get("canonical") or fetched.get("url"),
    )


def _require_article(text: str, path: str) -> None:
    reason = non_article_reason(text)
    if reason:
        raise InputError(
            f"{path} does not look like a news article ({reason}). "
            "Give an article's text, or pass --raw to send it as is"
        )


def _require_text(text: str, path: str) -> str:
    if not text.strip():
        raise InputError(
            f"no article text found in {path} after removing boilerplate. Use --raw to keep it as is"
        )
    return text


def parse_front_matter(block: str) -> dict[str, str | None]:
    """title/author/date/site from simple `key: value` YAML front matter (no YAML library)."""
    keys = {
        "title": "title",
        "author": "author",
        "authors": "author",
        "byline": "author",
        "date": "date",
        "published": "date",
        "pubdate": "date",
        "site": "site",
        "source": "site",
        "publisher": "site",
        "site_name": "site",
    }
    meta: dict[str, str | None] = {}
    lines = block.split("\n")
    for n, line in enumerate(lines):
        pair = _YAML_PAIR.match(line)
        if not pair or pair.group(1).lower() not in keys:
            continue
        field_name = keys[pair.group(1).lower()]
        value = pair.group(2)
        if not value and n + 1 < len(lines) and lines[n + 1].lstrip().startswith("- "):
            value = lines[n + 1].lstrip()[2:]  # the first item of a YAML list
        value = value.strip().strip("[]").strip().strip("\"'").strip()
        if value and field_name not in meta:
            meta[field_name] = value
    return meta
