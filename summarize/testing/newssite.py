"""A loopback news site for fetch and watch tests and benchmarks: feeds in every format,
pages, robots.txt, validators answering 304, and the pages a crawler must cope with.

    with NewsSite() as site:
        site.add("storm", "Storm hits the coast", "The storm ...")
        site.url("/feed.rss")

Paths: /feed.rss (RSS 2.0), /feed.rdf (RSS 1.0), /atom.xml, /feed.json (JSON Feed),
/sitemap.xml (an index of /sitemap-news.xml, a Google News sitemap); /news/<slug>.html each
article (with `<link rel="canonical">`); /robots.txt disallows /private/. Trouble on demand
(`trouble=True` adds them to every feed): /private/secret.html (disallowed), /gone.html
(404), /slow.html (answers after `slow` seconds), /moved.html (301 to an article),
/amp/<slug>.html (the first article again, canonical to it), /copy.html (the first
article's story again, no canonical), /big.html (over 5 MiB), /busy.html (429 with
Retry-After: 1 the first time); /loop.html redirects to itself and /sitemap.xml.gz is the news
sitemap as a gzip file (listed nowhere). Feeds and
pages carry an ETag and Last-Modified and answer 304 to either (If-None-Match first). The
server counts requests per path and the most in flight at once.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass
from email.utils import formatdate
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

BIG = 5 * 1024 * 1024 + 4096
EPOCH = 1_796_000_000  # a fixed Last-Modified base: pages do not change while a test runs


@dataclass(frozen=True)
class Story:
    """One article of the site."""

    slug: str
    title: str
    body: str
    published: int
    """Unix time."""


class NewsSite:
    """The site; a context manager that serves it on 127.0.0.1."""

    def __init__(self, *, trouble: bool = False, latency: float = 0.0, slow: float = 3.0) -> None:
        self.stories: list[Story] = []
        self.trouble = trouble
        self.latency = latency
        """Seconds every answer waits (so requests overlap and in-flight counts mean something)."""
        self.slow = slow
        self.hits: Counter[str] = Counter()
        self.in_flight = 0
        self.peak = 0
        self.times: dict[str, list[float]] = {}
        """Path -> monotonic arrival times (the Retry-After test reads the gap)."""
        self._lock = threading.Lock()
        self._busy_once = False
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> NewsSite:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def base(self) -> str:
        """http://127.0.0.1:PORT"""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, path: str) -> str:
        """The absolute URL of PATH on the site."""
        return self.base + path

    def add(self, slug: str, title: str, body: str, published: int | None = None) -> Story:
        """Publish a story (it appears in every feed, newest first)."""
        story = Story(slug, title, body, published or EPOCH + len(self.stories) * 3600)
        with self._lock:
            self.stories.append(story)
        return story

    def article_hits(self) -> int:
        """Requests for article pages (anything but feeds, sitemaps and robots.txt)."""
        feeds = {"/feed.rss", "/feed.rdf", "/atom.xml", "/feed.json", "/sitemap.xml", "/sitemap-news.xml"}
        return sum(n for path, n in self.hits.items() if path not in feeds and path != "/robots.txt")

    # -- content ----------------------------------------------------------------------------

    def _links(self) -> list[tuple[str, str, int]]:
        """(url, title, published) of every listed item, newest first."""
        items = [(self.url(f"/news/{s.slug}.html"), s.title, s.published) for s in reversed(self.stories)]
        if self.trouble and self.stories:
            first = self.stories[0]
            for path in ("/private/secret.html", "/gone.html", "/slow.html", "/moved.html", "/big.html",
                         "/busy.html", "/copy.html", f"/amp/{first.slug}.html"):  # fmt: skip
                items.append((self.url(path), f"Trouble {path}", EPOCH))
        return items

    def _page(self, story: Story, *, canonical: bool = True, extra: str = "") -> str:
        link = f'<link rel="canonical" href="{self.url(f"/news/{story.slug}.html")}">' if canonical else ""
        paragraphs = "".join(f"<p>{escape(p)}</p>\n" for p in story.body.split("\n\n"))
        return (
            f'<!doctype html><html><head><meta charset="utf-8"><title>{escape(story.title)} | Loopback News'
            f'</title>{link}<meta property="og:site_name" content="Loopback News"></head><body>'
            f'<nav><a href="/">Home</a> <a href="/world">World</a></nav>{extra}<article>'
            f"<h1>{escape(story.title)}</h1>\n{paragraphs}</article><footer>(c) Loopback News</footer>"
            "</body></html>"
        )

    def _rss(self) -> str:
        items = "".join(
            f"<item><title>{escape(t)}</title><link>{escape(u)}</link><guid>{escape(u)}</guid>"
            f"<pubDate>{formatdate(p, usegmt=True)}</pubDate></item>"
            for u, t, p in self._links()
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Loopback News</title>'
            f"<link>{self.base}/</link><description>News</description>{items}</channel></rss>"
        )

    def _rdf(self) -> str:
        items = "".join(
            f'<item rdf:about="{escape(u)}"><title>{escape(t)}</title><link>{escape(u)}</link>'
            f"<dc:date>{_iso(p)}</dc:date></item>"
            for u, t, p in self._links()
        )
        return (
            '<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f'<channel rdf:about="{self.base}/"><title>Loopback News</title><link>{self.base}/</link>'
            f"<description>News</description></channel>{items}</rdf:RDF>"
        )

    def _atom(self) -> str:
        entries = "".join(
            f'<entry><title>{escape(t)}</title><link href="{escape(u)}"/><id>{escape(u)}</id>'
            f"<updated>{_iso(p)}</updated><published>{_iso(p)}</published></entry>"
            for u, t, p in self._links()
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>Loopback News</title><id>{self.base}/</id><updated>{_iso(EPOCH)}</updated>"
            f"{entries}</feed>"
        )

    def _json_feed(self) -> str:
        items = [{"id": u, "url": u, "title": t, "date_published": _iso(p)} for u, t, p in self._links()]
        feed = {"version": "https://jsonfeed.org/version/1.1", "title": "Loopback News", "items": items}
        return json.dumps(feed)

    def _sitemap_index(self) -> str:
        return (
            '<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<sitemap><loc>{self.base}/sitemap-news.xml</loc></sitemap></sitemapindex>"
        )

    def _news_sitemap(self) -> str:
        urls = "".join(
            f"<url><loc>{escape(u)}</loc><news:news><news:publication><news:name>Loopback News</news:name>"
            f"<news:language>en</news:language></news:publication><news:publication_date>{_iso(p)}"
            f"</news:publication_date><news:title>{escape(t)}</news:title></news:news></url>"
            for u, t, p in self._links()
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{urls}</urlset>'
        )

    def _content(self, path: str) -> tuple[int, str, str | bytes, dict[str, str]]:
        """(status, content type, body, extra headers) for PATH."""
        feeds = {
            "/feed.rss": ("application/rss+xml", self._rss),
            "/feed.rdf": ("application/rdf+xml", self._rdf),
            "/atom.xml": ("application/atom+xml", self._atom),
            "/feed.json": ("application/feed+json", self._json_feed),
            "/sitemap.xml": ("application/xml", self._sitemap_index),
            "/sitemap-news.xml": ("application/xml", self._news_sitemap),
        }
        html = "text/html; charset=utf-8"
        if path in feeds:
            kind, make = feeds[path]
            return 200, kind, make(), {}
        if path == "/robots.txt":
            return 200, "text/plain", "User-agent: *\nDisallow: /private/\n", {}
        by_slug = {s.slug: s for s in self.stories}
        if path.startswith("/news/") and path.endswith(".html") and path[6:-5] in by_slug:
            return 200, html, self._page(by_slug[path[6:-5]]), {}
        first = self.stories[0] if self.stories else None
        if path.startswith("/amp/") and first is not None:
            return 200, html, self._page(first, extra='<div class="amp-ad"></div>'), {}
        if path == "/copy.html" and first is not None:
            return 200, html, self._page(first, canonical=False), {}
        if path == "/sitemap.xml.gz":
            return 200, "application/gzip", gzip.compress(self._news_sitemap().encode("utf-8")), {}
        if path == "/loop.html":
            return 302, html, "", {"Location": "/loop.html?again"}
        if path == "/moved.html" and first is not None:
            return 301, html, "", {"Location": f"/news/{first.slug}.html"}
        if path == "/slow.html":
            time.sleep(self.slow)
            return 200, html, "<html><body><p>Late.</p></body></html>", {}
        if path == "/big.html":
            return 200, html, b"<html><body><p>" + b"x" * BIG + b"</p></body></html>", {}
        if path == "/busy.html":
            with self._lock:
                first_time, self._busy_once = not self._busy_once, True
            if first_time:
                return 429, "text/plain", "slow down", {"Retry-After": "1"}
            return 200, html, self._page(Story("busy", "Busy day at the port", _filler("port"), EPOCH)), {}
        return 404, "text/plain", "not found", {}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # keep-alive answers would wait 40 ms on delayed ACKs

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                with site._lock:
                    site.hits[path] += 1
                    site.times.setdefault(path, []).append(time.monotonic())
                    site.in_flight += 1
                    site.peak = max(site.peak, site.in_flight)
                try:
                    time.sleep(site.latency)
                    self._answer(path)
                finally:
                    with site._lock:
                        site.in_flight -= 1

            def _answer(self, path: str) -> None:
                status, kind, body, headers = site._content(path)
                payload = body.encode("utf-8") if isinstance(body, str) else body
                if status == 200:
                    etag = '"' + hashlib.sha256(payload).hexdigest()[:16] + '"'
                    modified = formatdate(EPOCH, usegmt=True)
                    headers = {**headers, "ETag": etag, "Last-Modified": modified}
                    # If-None-Match, when sent, decides alone (RFC 9110 13.2.2).
                    asked = self.headers.get("If-None-Match")
                    since = self.headers.get("If-Modified-Since")
                    if (asked == etag) if asked else since == modified:
                        status, payload = 304, b""
                if (
                    status == 200
                    and "gzip" in self.headers.get("Accept-Encoding", "")
                    and kind != "text/plain"
                ):
                    payload = gzip.compress(payload, 1)
                    headers["Content-Encoding"] = "gzip"
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(payload)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                try:
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client dropped a page it did not want

        return Handler


def _iso(stamp: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(stamp))


def _filler(topic: str) -> str:
    """A few paragraphs about TOPIC, long enough to read as an article."""
    return "\n\n".join(
        f"Officials said on day {n} that the {topic} situation was changing, and residents described "
        f"what they had seen in the {topic} area during the morning hours of day {n}. "
        f'"We are watching the {topic} closely," a spokesperson told reporters on day {n}.'
        for n in range(1, 5)
    )


def story_text(topic: str) -> str:
    """Body text for a test story about TOPIC."""
    return _filler(topic)
