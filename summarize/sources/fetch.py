"""One fetch run: SOURCES -> new articles saved under ARTICLES, everything else remembered.

Sources are read first (a 304 costs nothing and lists nothing), then every item not yet
known is fetched, checked for duplicates (its URL after redirects, its canonical URL, its
story hash) and saved with its metadata (ingest/provenance.py). Items that failed on
earlier runs are retried. Threads do the waiting; the client's per-host slots decide how
many requests each host sees at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from summarize.errors import InputError
from summarize.fsio import atomic_writer
from summarize.ingest.decode import gunzip, is_gzip
from summarize.ingest.provenance import stamp_page
from summarize.sources.client import Client, ClientOptions, Disallowed, FetchError, Page
from summarize.sources.gate import Stopped
from summarize.sources.listing import Item, Listing, read_listing
from summarize.sources.page import canonical_url, charset_of, is_html, saved_path, story_hash
from summarize.sources.state import FetchState

FEED_TYPES = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, */*;q=0.8"
)
PAGE_TYPES = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"
MAX_SITEMAP_DEPTH = 3


@dataclass
class FetchReport:
    """What one fetch run did."""

    saved: list[str] = field(default_factory=list)
    """Paths (relative to ARTICLES) of the articles saved this run."""
    unchanged: int = 0
    """Items listed again that were saved (or found duplicate) on an earlier run: not fetched."""
    duplicates: int = 0
    not_modified: int = 0
    """Sources that answered 304."""
    skipped: list[tuple[str, str]] = field(default_factory=list)
    """(url, why): robots.txt said no, or the page is not HTML."""
    failed: list[tuple[str, str]] = field(default_factory=list)
    """(url, error): retried on the next run."""
    requests: int = 0
    seconds: float = 0.0
    peak_per_host: int = 0
    interrupted: bool = False

    def line(self) -> str:
        """The run on one line."""
        return (
            f"fetch: {len(self.saved)} new, {self.unchanged} unchanged, {self.duplicates} duplicate, "
            f"{len(self.skipped)} skipped, {len(self.failed)} failed; {self.requests} requests "
            f"({self.not_modified} not modified) in {self.seconds:.1f} s"
        )


@dataclass
class _Source:
    url: str
    depth: int = 0
    page: Page | None = None
    open_items: int = 0
    listed: bool = False


class Fetcher:
    """Fetches SOURCES into ROOT; one instance per run."""

    def __init__(
        self,
        root: Path,
        options: ClientOptions,
        *,
        stop: threading.Event | None = None,
        client: Client | None = None,
    ) -> None:
        self.root = root
        self.stop = stop or threading.Event()
        self.client = client or Client(options, stop=self.stop)
        self.state = FetchState(root)
        self.report = FetchReport()
        self._seen: set[str] = set()
        self._lock = threading.Lock()
        self._reserved: dict[str, str] = {}
        """Story hash or canonical URL -> path, for saves in progress (two threads, one story)."""
        workers = min(32, max(4, options.per_host * 4))
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fetch")
        self._sources: dict[Future[Listing | None], _Source] = {}
        self._items: dict[Future[None], _Source | None] = {}

    def run(self, sources: Iterable[str]) -> FetchReport:
        """Fetch every source and the new items they list; the report of the run."""
        started = time.monotonic()
        self.state.load()
        try:
            for url in dict.fromkeys(sources):
                self._submit_source(_Source(url))
            for item in self.state.failed():
                self._submit_item(item, None)
            self._drain()
        except BaseException:
            self.stop.set()  # Ctrl-C: requests waiting for a slot give up; those in flight finish
            raise
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self.state.compact()
            self.client.close()
        self.report.seconds = round(time.monotonic() - started, 3)
        self.report.requests = self.client.requests
        self.report.peak_per_host = self.client.gate.peak
        self.report.interrupted = self.stop.is_set()
        return self.report

    # -- scheduling (main thread only) --------------------------------------------------------

    def _submit_source(self, source: _Source) -> None:
        known = self.state.known(source.url)
        if known is not None:  # an article URL given as a source, fetched before
            self.report.unchanged += 1
            return
        self._sources[self._pool.submit(self._read_source, source)] = source

    def _submit_item(self, item: Item, source: _Source | None) -> None:
        if item.url in self._seen:
            return
        self._seen.add(item.url)
        if self.state.known(item.url) is not None:
            self.report.unchanged += 1
            return
        if source is not None:
            source.open_items += 1
        self._items[self._pool.submit(self._fetch_item, item)] = source

    def _drain(self) -> None:
        while self._sources or self._items:
            futures: list[Future[Any]] = [*self._sources, *self._items]
            if self.stop.is_set():
                for future in futures:
                    future.cancel()
            done, _ = wait(futures, timeout=0.2, return_when=FIRST_COMPLETED)
            for future in done:
                if future in self._sources:
                    source = self._sources.pop(future)
                    if not future.cancelled():
                        self._listed(source, future.result())
                    continue
                owner = self._items.pop(future)
                if owner is not None:
                    owner.open_items -= 1
                    self._maybe_done(owner)

    def _listed(self, source: _Source, listing: Listing | None) -> None:
        source.listed = True
        if listing is None:
            return
        if listing.kind == "page":
            self._page_source(source)
            return
        for child in listing.sitemaps:
            if source.depth < MAX_SITEMAP_DEPTH:
                self._submit_source(_Source(child, source.depth + 1))
        for item in listing.items:
            self._submit_item(item, source)
        self._maybe_done(source)

    def _page_source(self, source: _Source) -> None:
        """SOURCE was an article page: save what was fetched, no second request."""
        if source.page is None or source.url in self._seen:
            return
        self._seen.add(source.url)
        item = Item(source.url)
        self._items[self._pool.submit(self._save_item, item, source.page)] = None

    def _maybe_done(self, source: _Source) -> None:
        if source.listed and source.open_items == 0 and source.page is not None and not self.stop.is_set():
            self.state.source_done(source.url, source.page.validators)

    # -- work (pool threads) ------------------------------------------------------------------

    def _read_source(self, source: _Source) -> Listing | None:
        try:
            validators = self.state.validators(source.url)
            page = self.client.get(
                source.url, validators, accept=FEED_TYPES, cap=self.client.options.max_source_bytes
            )
        except Stopped:
            return None
        except FetchError as exc:
            with self._lock:
                self.report.failed.append((source.url, str(exc)))
            return None
        if page.not_modified:  # nothing new; the validators we hold stay (a 304 may omit them)
            with self._lock:
                self.report.not_modified += 1
            return Listing("feed")
        source.page = page
        body = page.body
        try:
            if is_gzip(body):  # a sitemap.xml.gz: gzip as the file, not as the transfer
                body = gunzip(body, page.url, max_bytes=self.client.options.max_source_bytes)
            return read_listing(body, page.url)
        except InputError as exc:
            with self._lock:
                self.report.failed.append((source.url, str(exc)))
            return None

    def _fetch_item(self, item: Item) -> None:
        try:
            page = self.client.get(item.url, accept=PAGE_TYPES)
        except Stopped:
            return
        except Disallowed as exc:
            with self._lock:
                self.report.skipped.append((item.url, str(exc)))
            return
        except FetchError as exc:
            self._fail(item, str(exc))
            return
        self._save_item(item, page)

    def _save_item(self, item: Item, page: Page) -> None:
        cap = self.client.options.max_bytes
        if len(page.body) > cap:  # an article URL given as a source was read with the sources' cap
            self._fail(item, f"{item.url}: over the {cap:,}-byte limit")
            return
        if not is_html(page.content_type, page.body):
            with self._lock:
                self.report.skipped.append((item.url, f"{item.url}: not an HTML page ({page.content_type})"))
            return
        canonical = canonical_url(page.body, page.url)
        digest = story_hash(page.body)
        key = canonical or page.url
        with self._lock:
            earlier = (
                self._known_path(page.url) or self._known_path(key) or self.state.by_hash.get(digest)
                or self._reserved.get(digest) or self._reserved.get(key)
            )  # fmt: skip
            if earlier is None:
                path = saved_path(key)
                self._reserved[digest] = self._reserved[key] = path
            else:  # this copy's own text is the story too (a copy without a canonical may follow)
                self._reserved.setdefault(digest, earlier)
        if earlier is not None:
            self.state.duplicate(item, earlier, digest)
            with self._lock:
                self.report.duplicates += 1
            return
        try:
            save_page(self.root / path, page, item, canonical)
        except OSError as exc:
            self._fail(item, f"{item.url}: cannot save {path} ({exc.strerror or exc})")
            return
        self.state.saved(item, path, canonical, digest, page.url, *([canonical] if canonical else []))
        with self._lock:
            self.report.saved.append(path)

    def _known_path(self, url: str) -> str | None:
        fact = self.state.known(url)
        return str(fact["path"]) if fact else None

    def _fail(self, item: Item, error: str) -> None:
        error = self.state.fail(item, error)
        with self._lock:
            self.report.failed.append((item.url, error))


def save_page(target: Path, page: Page, item: Item, canonical: str | None) -> None:
    """Write PAGE to TARGET atomically, stamped with what is known of it (ingest/provenance.py)."""
    meta = {
        "url": page.url, "canonical": canonical, "feed": item.feed, "title": item.title,
        "published": item.published, "site": item.site, "fetched-at": page.fetched_at,
        "etag": page.validators.etag, "last-modified": page.validators.last_modified,
    }  # fmt: skip
    with atomic_writer(target) as fh:
        fh.write(stamp_page(page.body, meta, charset_of(page.content_type)))


def fetch_article(url: str, root: Path, options: ClientOptions | None = None) -> Path:
    """Fetch the one article page at URL (politely, no state kept) into ROOT; its saved path."""
    client = Client(options or ClientOptions())
    try:
        page = client.get(url, accept=PAGE_TYPES)
    except FetchError as exc:
        raise FetchError(f"{exc}. Check the URL, or try again later") from None
    finally:
        client.close()
    if read_listing(page.body, page.url).kind != "page":
        raise InputError(
            f"{url} is a feed or a sitemap. Use `summarize watch {url} -o OUTDIR` for its articles"
        )
    if not is_html(page.content_type, page.body):
        raise InputError(
            f"{url} is not an HTML page ({page.content_type or 'no type'}). Give an article's URL"
        )
    canonical = canonical_url(page.body, page.url)
    target = root / saved_path(canonical or page.url)
    save_page(target, page, Item(url), canonical)
    return target


def fetch(
    sources: Iterable[str],
    root: Path,
    options: ClientOptions | None = None,
    *,
    stop: threading.Event | None = None,
) -> FetchReport:
    """Fetch SOURCES (feeds, sitemaps, article URLs) into the folder ROOT; see the module docstring."""
    return Fetcher(root, options or ClientOptions(), stop=stop).run(sources)
