"""What a SOURCE lists: feed entries (RSS 2.0, RSS 1.0, Atom by feedparser; JSON Feed by a
small reader here), sitemap URLs (urlset, sitemap index, Google News sitemaps), or the page
itself when SOURCE is an article.

Which it is comes from the body, not the URL or the Content-Type (servers mislabel feeds):
JSON with a jsonfeed.org `version` is a JSON Feed; XML whose root is `urlset` or
`sitemapindex` is a sitemap; anything feedparser recognises as a feed is one; the rest is a page.
"""

from __future__ import annotations

import calendar
import json
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urljoin
from xml.etree import ElementTree

_XML_ROOT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(urlset|sitemapindex)\b")
_FEED_ROOT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(rss|feed|RDF)\b")


@dataclass(frozen=True)
class Item:
    """One article a source lists."""

    url: str
    title: str | None = None
    published: str | None = None
    """ISO 8601 (UTC) when the source gives a date."""
    feed: str | None = None
    """The feed or sitemap that listed it."""
    site: str | None = None
    """The feed's own title (the outlet's name), when it has one."""


@dataclass(frozen=True)
class Listing:
    """What one fetched source holds."""

    kind: str
    """"feed", "sitemap", "sitemap-index" or "page"."""
    items: list[Item] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)
    """Child sitemaps of a sitemap index."""


def read_listing(body: bytes, url: str) -> Listing:
    """What BODY, fetched from URL, lists."""
    head = body[:4096].lstrip()
    if head[:1] in (b"{", b"["):
        feed = _json_feed(body, url)
        if feed is not None:
            return feed
    root = _XML_ROOT.search(head)
    if root:
        return _sitemap(body, url, index=root.group(1) == b"sitemapindex")
    if _FEED_ROOT.search(head):
        return _feed(body, url)
    return Listing("page", [Item(url, feed=None)])


def _feed(body: bytes, url: str) -> Listing:
    import feedparser  # lazily: only fetches need it

    parsed = feedparser.parse(body, response_headers={"content-location": url})
    site = _text(parsed.feed.get("title"))
    items = []
    for entry in parsed.entries:
        link = entry.get("link") or _guid_link(entry.get("id"))
        if not link:
            continue
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        items.append(Item(urljoin(url, link), _text(entry.get("title")), _iso(stamp), feed=url, site=site))
    return Listing("feed", items)


def _guid_link(guid: object) -> str | None:
    """An RSS guid that is a permalink (a URL) stands in for a missing link."""
    return guid if isinstance(guid, str) and guid.startswith(("http://", "https://")) else None


def _json_feed(body: bytes, url: str) -> Listing | None:
    """A JSON Feed (https://jsonfeed.org/version/1.1), or None when BODY is other JSON."""
    try:
        doc = json.loads(body)
    except ValueError:
        return None
    if not isinstance(doc, dict) or not str(doc.get("version", "")).startswith("https://jsonfeed.org/"):
        return None
    site = _text(doc.get("title"))
    items = []
    for entry in doc.get("items") or []:
        if not isinstance(entry, dict):
            continue
        link = entry.get("url") or entry.get("external_url") or _guid_link(entry.get("id"))
        if not isinstance(link, str) or not link:
            continue
        published = _iso_text(entry.get("date_published") or entry.get("date_modified"))
        items.append(Item(urljoin(url, link), _text(entry.get("title")), published, feed=url, site=site))
    return Listing("feed", items)


def _sitemap(body: bytes, url: str, *, index: bool) -> Listing:
    """<urlset> (with Google News <news:news> titles and dates) or <sitemapindex>."""
    try:
        root = ElementTree.fromstring(body)  # expat refuses entity expansion bombs (3.7.1+)
    except ElementTree.ParseError as exc:
        from summarize.sources.client import FetchError

        raise FetchError(f"{url}: not a readable sitemap ({exc})") from None
    entries = [el for el in root if _local(el.tag) in ("url", "sitemap")]
    if index:
        return Listing(
            "sitemap-index", sitemaps=[urljoin(url, loc) for el in entries if (loc := _child(el, "loc"))]
        )
    items = []
    for el in entries:
        loc = _child(el, "loc")
        if not loc:
            continue
        news = next((c for c in el if _local(c.tag) == "news"), None)
        title = _child(news, "title") if news is not None else None
        date = (_child(news, "publication_date") if news is not None else None) or _child(el, "lastmod")
        items.append(Item(urljoin(url, loc), title, _iso_text(date), feed=url))
    return Listing("sitemap", items)


def _local(tag: object) -> str:
    return str(tag).rpartition("}")[2]


def _child(el: ElementTree.Element, name: str) -> str | None:
    for child in el:
        if _local(child.tag) == name:
            return _text(child.text)
    return None


def _text(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    value = " ".join(value.split())
    return value or None


def _iso(stamp: time.struct_time | None) -> str | None:
    """feedparser's UTC struct_time -> ISO 8601."""
    if not stamp:
        return None
    return datetime.fromtimestamp(calendar.timegm(stamp), timezone.utc).isoformat(timespec="seconds")


def _iso_text(value: object) -> str | None:
    """An RFC 3339 / W3C date as it was written, normalised to ISO 8601 when it parses."""
    text = _text(value)
    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    if when.tzinfo is None:
        return when.isoformat(timespec="seconds") if "T" in text else text
    return when.astimezone(timezone.utc).isoformat(timespec="seconds")
