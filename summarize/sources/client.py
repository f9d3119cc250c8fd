"""One polite HTTP client for every request a fetch makes (feeds, sitemaps, pages, robots.txt).

httpx (already installed with openai): a pooled, thread-safe client with keep-alive, gzip
and separate connect/read timeouts; the stdlib's urllib opens a new connection for every
request and leaves gzip to the caller (docs/FEEDS.md has the measurement). Redirects are
followed here, hop by hop, so that each hop goes through robots.txt and its host's slots;
the body is streamed so a page over the size cap is dropped without being held in memory.
"""

from __future__ import annotations

import email.utils
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import urljoin, urlsplit

import httpx

from summarize import __version__
from summarize.errors import InputError
from summarize.sources.gate import HostGate
from summarize.sources.robots import Robots

USER_AGENT = f"summarize/{__version__} (+https://github.com/summarize/summarize; news digests)"
"""Names the tool, its version and where to read about it, as site operators expect."""
MAX_REDIRECTS = 5
MAX_RETRY_AFTER = 120.0
"""A longer Retry-After fails the item now; the next run retries it."""
RETRIES = 2
"""Further attempts after a 429/503 (each after its Retry-After) or a broken connection."""


class FetchError(InputError):
    """One URL could not be fetched; the message says why (one line)."""


class Disallowed(FetchError):
    """robots.txt forbids the URL to our User-Agent."""


@dataclass(frozen=True)
class Validators:
    """What a server said about a version of a URL, sent back to ask "changed since?"."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class Page:
    """A fetched URL: 200 with its body, or 304 (not modified) with none."""

    url: str
    """The final URL after redirects."""
    status: int
    body: bytes
    content_type: str
    validators: Validators
    fetched_at: str

    @property
    def not_modified(self) -> bool:
        """Whether the server answered 304: the version we have is current."""
        return self.status == 304


@dataclass(frozen=True)
class ClientOptions:
    """How hard a fetch may push one host, and how long it waits."""

    per_host: int = 2
    delay: float = 1.0
    max_bytes: int = 5 * 1024 * 1024
    """Of an article page (what ingestion would accept)."""
    max_source_bytes: int = 50 * 1024 * 1024
    """Of a feed or sitemap (the sitemap protocol allows 50 MB uncompressed)."""
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    user_agent: str = USER_AGENT


class Client:
    """GET with politeness: robots.txt, per-host slots and delay, conditional GET, Retry-After."""

    def __init__(
        self,
        options: ClientOptions,
        *,
        stop: threading.Event | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.options = options
        self.stop = stop or threading.Event()
        self.gate = HostGate(options.per_host, options.delay)
        timeout = httpx.Timeout(options.read_timeout, connect=options.connect_timeout)
        self._http = httpx.Client(
            headers={"User-Agent": options.user_agent, "Accept-Encoding": "gzip, deflate"},
            timeout=timeout,
            follow_redirects=False,
            transport=transport,
            trust_env=False,
        )
        self.robots = Robots(self._raw_get, options.user_agent)
        self.requests = 0
        self._count = threading.Lock()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def get(
        self, url: str, validators: Validators | None = None, *, accept: str = "*/*", cap: int | None = None
    ) -> Page:
        """Fetch URL politely; with VALIDATORS a 304 Page when unchanged; a body over CAP bytes
        (default: max_bytes) fails. FetchError on failure."""
        for _ in range(MAX_REDIRECTS + 1):
            if not self.robots.allowed(url):
                raise Disallowed(f"{url}: disallowed by robots.txt")
            delay = self.robots.crawl_delay(url)
            if delay:
                self.gate.set_delay(_host(url), delay)
            page = self._raw_get(url, validators, accept, cap)
            if page.status in (301, 302, 303, 307, 308):
                url = page.url
                validators = None  # validators belong to the URL that gave them
                continue
            if page.status in (200, 304):
                return page
            raise FetchError(f"{url}: HTTP {page.status}")
        raise FetchError(f"{url}: more than {MAX_REDIRECTS} redirects")

    def _raw_get(
        self, url: str, validators: Validators | None = None, accept: str = "*/*", cap: int | None = None
    ) -> Page:
        """One GET through HOST's slots, retried after Retry-After; a redirect is a Page whose
        url is the Location."""
        headers = {"Accept": accept}
        if validators and validators.etag:
            headers["If-None-Match"] = validators.etag
        if validators and validators.last_modified:
            headers["If-Modified-Since"] = validators.last_modified
        host = _host(url)
        for attempt in range(RETRIES + 1):
            with self.gate.slot(host, self.stop):
                with self._count:
                    self.requests += 1
                try:
                    page, wait = self._once(url, headers, cap or self.options.max_bytes)
                except httpx.TimeoutException:
                    raise FetchError(f"{url}: timed out") from None
                except httpx.HTTPError as exc:
                    if attempt == RETRIES:
                        raise FetchError(f"{url}: {_reason(exc)}") from None
                    continue
            if wait is None or attempt == RETRIES:
                return page
            if wait > MAX_RETRY_AFTER:
                raise FetchError(f"{url}: HTTP {page.status}, retry after {wait:.0f} s; the next run retries")
            self.gate.pause(host, wait)
        return page

    def _once(self, url: str, headers: dict[str, str], cap: int) -> tuple[Page, float | None]:
        """One request: the Page, and how long to wait before asking again (429/503), if at all."""
        stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
        with self._http.stream("GET", url, headers=headers) as response:
            status = response.status_code
            if status in (301, 302, 303, 307, 308):
                location = response.headers.get("location")
                if not location:
                    raise FetchError(f"{url}: HTTP {status} without a Location")
                return Page(urljoin(url, location), status, b"", "", Validators(), stamp), None
            if status in (429, 503):
                return Page(url, status, b"", "", Validators(), stamp), _retry_after(response)
            body = _body(url, response, cap) if status == 200 else b""
            validators = Validators(response.headers.get("etag"), response.headers.get("last-modified"))
            content_type = response.headers.get("content-type", "")
            return Page(str(response.url), status, body, content_type, validators, stamp), None


def _host(url: str) -> str:
    return (urlsplit(url).netloc or "").lower()


def _retry_after(response: httpx.Response) -> float:
    """Seconds from a Retry-After header (delta or HTTP date); 1 s when missing or unreadable."""
    value = response.headers.get("retry-after", "").strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return 1.0
    return max(0.0, when.timestamp() - time.time())


def _reason(exc: httpx.HTTPError) -> str:
    return " ".join((str(exc) or type(exc).__name__).split())[:200]


def _body(url: str, response: httpx.Response, cap: int) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise FetchError(f"{url}: {int(declared):,} bytes, over the {cap:,}-byte limit")
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():  # decompressed: the cap holds for what gzip expands to
        size += len(chunk)
        if size > cap:
            raise FetchError(f"{url}: over the {cap:,}-byte limit")
        chunks.append(chunk)
    return b"".join(chunks)
