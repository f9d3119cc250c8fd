"""robots.txt, read once per host and run with the stdlib parser.

A missing robots.txt (404, or any 4xx but 401/403) allows everything; 401/403 forbid
everything (the convention Google and urllib.robotparser follow); a robots.txt that cannot
be read (5xx, network) fails the URL now, without recording it, so the next run tries again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

if TYPE_CHECKING:
    from summarize.sources.client import Page

Get = Callable[[str], "Page"]


class Robots:
    """Per-host robots.txt rules for one User-Agent."""

    def __init__(self, get: Get, user_agent: str) -> None:
        self._get = get
        self._agent = user_agent.split("/", 1)[0]  # rules name the product token ("summarize")
        self._parsers: dict[str, RobotFileParser | Exception] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def allowed(self, url: str) -> bool:
        """Whether robots.txt lets us fetch URL."""
        return self._parser(url).can_fetch(self._agent, url)

    def crawl_delay(self, url: str) -> float:
        """The Crawl-delay robots.txt asks of us on URL's host (0 when none)."""
        delay = self._parser(url).crawl_delay(self._agent)
        try:
            return float(delay) if delay is not None else 0.0
        except ValueError:
            return 0.0

    def _parser(self, url: str) -> RobotFileParser:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        with self._lock:
            lock = self._locks.setdefault(origin, threading.Lock())
        with lock:
            parser = self._parsers.get(origin)
            if parser is None:
                try:
                    parser = self._read(origin + "/robots.txt")
                except Exception as exc:  # a host whose robots.txt fails costs one attempt a run
                    parser = exc
                self._parsers[origin] = parser
        if isinstance(parser, Exception):
            raise parser
        return parser

    def _read(self, robots_url: str) -> RobotFileParser:
        from summarize.sources.client import FetchError

        parser = RobotFileParser(robots_url)
        page = self._get(robots_url)
        if page.status in (401, 403):
            parser.parse(["User-agent: *", "Disallow: /"])
        elif page.status >= 500 or page.status in (429, 503):
            raise FetchError(f"{robots_url}: HTTP {page.status}; the next run tries again")
        elif page.status == 200:
            parser.parse(page.body.decode("utf-8", "replace").splitlines())
        else:
            parser.parse([])  # 3xx followed nowhere, 404, other 4xx: no rules
        return parser
