"""A finished batch as the export and the report read it: its results and its article texts.

An ArticleSummary holds offsets into the clean article text, not the text. The text is
recovered by re-ingesting the source file with the run's own options (run.json) and is
trusted only when its sha256 equals `source.sha256`: highlighting at the offsets of a
different text would mark the wrong words, which is worse than marking none.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from pydantic import ValidationError

from summarize.batch.store import RESULTS, RUN, SHARDS, read_records
from summarize.errors import SummarizeError, UserError
from summarize.fsio import shown
from summarize.ingest import DEFAULT_MAX_BYTES, Document, load_document
from summarize.ingest.decode import normalize_newlines
from summarize.schemas import ArticleSummary

log = logging.getLogger(__name__)

TextStatus = Literal["ok", "missing", "unreadable", "changed"]


@dataclass(frozen=True)
class Article:
    """One summarized article of a batch."""

    path: str
    """Path relative to the batch's source folder, as in results.jsonl, as a person reads it
    (a byte that is not UTF-8 shown as `\\xe9`: SQLite and HTML take UTF-8 only)."""
    summary: ArticleSummary
    name: str | None = None
    """The path as the file system names it, when it differs from PATH."""


@dataclass(frozen=True)
class Text:
    """The recovered clean text of an article, or why there is none."""

    status: TextStatus
    text: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Sources:
    """Where and how to re-read the article files: the batch's folder and ingestion options."""

    root: Path | None
    raw: bool = False
    max_bytes: int = DEFAULT_MAX_BYTES

    def text_of(self, article: Article) -> Text:
        """Re-ingest ARTICLE's source; the text only when it is the one the offsets index into."""
        if self.root is None:
            return Text("missing", note="the batch's run.json does not say where the articles are")
        rel = PurePosixPath(article.name or article.path)
        if rel.is_absolute() or ".." in rel.parts:
            return Text("missing", note="the article's path is not inside the source folder")
        path = self.root / rel
        if not path.is_file():
            return Text("missing", note=f"the source file {path} is not there")
        sha = article.summary.source.sha256
        quick = _as_is(path, sha, self.max_bytes)
        if quick is not None:
            return Text("ok", quick)
        try:
            doc = load_document(str(path), raw=self.raw, max_bytes=self.max_bytes)
        except SummarizeError as exc:
            return Text("unreadable", note=f"the source file cannot be read again: {exc}")
        if doc.sha256 != sha:
            return Text("changed", note="the source file has changed since it was summarized")
        return Text("ok", doc.text)


def _as_is(path: Path, sha256: str, max_bytes: int) -> str | None:
    """The file's own text when it already is the clean text, else None.

    Most plain-text articles have nothing to clean, and the sha256 proves it: this skips
    ingestion (decoding checks, boilerplate rules, HTML extraction), ~50x faster over a batch.
    """
    try:
        if path.stat().st_size > max_bytes:
            return None
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    text = normalize_newlines(text.removeprefix("\ufeff"))
    for candidate in (text, text.strip()):
        if Document(candidate, str(path)).sha256 == sha256:
            return candidate
    return None


@dataclass(frozen=True)
class Batch:
    """The `ok` articles of a batch output folder (latest line per path), sorted by path."""

    outdir: Path
    articles: list[Article]
    sources: Sources
    failed: int = 0
    """Articles whose latest line is `failed`: they have no summary to show."""
    skipped: tuple[str, ...] = ()
    """Paths whose `ok` line holds no valid ArticleSummary (edited or from another version)."""

    @property
    def unreadable(self) -> int:
        """How many `ok` lines were skipped as not a valid result."""
        return len(self.skipped)


def read_batch(outdir: Path, *, articles_dir: Path | None = None) -> Batch:
    """Read OUTDIR/results.jsonl and run.json; ARTICLES_DIR overrides run.json's source folder."""
    latest: dict[str, dict[str, Any]] = {}
    for journal in _journals(outdir):
        for record in read_records(journal):
            latest[str(record["path"])] = record
    articles: list[Article] = []
    skipped: list[str] = []
    failed = 0
    for path in sorted(latest):
        record = latest[path]
        if record.get("status") != "ok":
            failed += 1
            continue
        try:
            summary = ArticleSummary.model_validate(record.get("result"))
        except ValidationError as exc:
            skipped.append(f"{shown(path)} ({_first_error(exc)})")
            continue
        articles.append(_readable(path, summary))
    if skipped:
        log.warning(
            "%s: %d `ok` line(s) hold no valid result and are left out: %s. Rerun the batch with --force "
            "to redo them",
            outdir,
            len(skipped),
            "; ".join(skipped),
        )
    return Batch(outdir, articles, _sources(outdir, articles_dir), failed, tuple(skipped))


def _readable(path: str, summary: ArticleSummary) -> Article:
    """The Article of PATH, its names shown readably when the file's name is not UTF-8."""
    if shown(path) == path and shown(summary.source.path) == summary.source.path:
        return Article(path, summary)
    source = summary.source.model_copy(update={"path": shown(summary.source.path)})
    return Article(shown(path), summary.model_copy(update={"source": source}), name=path)


def _first_error(exc: ValidationError) -> str:
    """The first problem of EXC as `field.path: message`."""
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "result"
    return f"{where}: {first['msg']}"


def _journals(outdir: Path) -> list[Path]:
    """OUTDIR's results.jsonl, or the shards an object-storage DEST keeps instead (copied to a
    folder), oldest first: their names start with the run's number."""
    results = outdir / RESULTS
    if results.is_file():
        return [results]
    shards = sorted((outdir / SHARDS).glob("*.jsonl"))
    if not shards:
        raise UserError(
            f"{outdir} has no {RESULTS}. Pass the output folder of `summarize batch DIR -o OUTDIR`"
        )
    return shards


def _sources(outdir: Path, articles_dir: Path | None) -> Sources:
    run = _run_json(outdir)
    raw = bool(run.get("raw", False))
    max_bytes = run.get("max_bytes")
    limit = max_bytes if isinstance(max_bytes, int) and max_bytes > 0 else DEFAULT_MAX_BYTES
    if articles_dir is not None:
        if not articles_dir.is_dir():
            raise UserError(f"{articles_dir} is not a folder. Pass the folder the batch read (--articles)")
        return Sources(articles_dir, raw, limit)
    given = run.get("dir")
    if not isinstance(given, str) or not given:
        return Sources(None, raw, limit)
    root = Path(given)
    if not root.is_absolute():
        # run.json of earlier versions kept DIR as typed: relative to where batch ran, most
        # often the folder OUTDIR sits in.
        root = next((p for p in (Path.cwd() / root, outdir.parent / root) if p.is_dir()), root)
    return Sources(root, raw, limit)


def _run_json(outdir: Path) -> dict[str, Any]:
    try:
        data = json.loads((outdir / RUN).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def texts(batch: Batch) -> Iterator[tuple[Article, Text]]:
    """Every article of BATCH with its recovered text, in order."""
    for article in batch.articles:
        yield article, batch.sources.text_of(article)


_ISO_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
_DAY_FORMATS = ("%d %B %Y", "%d %b %Y", "%B %d, %Y", "%b %d, %Y", "%B %d %Y", "%d/%m/%Y", "%Y/%m/%d")


def iso_day(value: str | None) -> str | None:
    """The calendar day of a page's date as YYYY-MM-DD, or None when it cannot be read."""
    if not value or not value.strip():
        return None
    value = value.strip()
    found = _ISO_DAY.match(value)
    if found:
        try:
            return date(*map(int, found.groups())).isoformat()
        except ValueError:
            return None
    for fmt in _DAY_FORMATS:
        try:
            return datetime.strptime(value, fmt).date().isoformat()
        except ValueError:
            continue
    try:
        return parsedate_to_datetime(value).date().isoformat()
    except (TypeError, ValueError, IndexError):
        return None


def missing_note(failed: int, without_text: Sequence[str]) -> str:
    """What an export or a report leaves out, and what to do about it ('' when nothing)."""
    note = f" {failed} failed article(s) left out: rerun the batch to retry them." if failed else ""
    if without_text:
        some = ", ".join(without_text[:3]) + (", ..." if len(without_text) > 3 else "")
        note += (
            f" No text for {len(without_text)} article(s) ({some}): the source files moved or changed "
            "since the batch; pass --articles DIR."
        )
    return note
