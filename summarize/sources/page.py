"""A fetched article page: its canonical URL, a hash of its story, and where it is saved.

The path is `<host>/<slug>.html`, the slug made from the canonical URL (or the final URL
after redirects) plus 8 hex of its hash: the same story reached twice lands on the same
file, so a run killed half way and run again rewrites that file rather than adding a second.
The story hash is over the page's visible text (tags, scripts, styles and comments dropped,
whitespace collapsed): the same story under two URLs usually differs only in its links and
head tags, and this costs a regex pass, not an extraction.
"""

from __future__ import annotations

import hashlib
import html
import re
from urllib.parse import urljoin, urlsplit

_CANONICAL = re.compile(rb"<link\b[^>]*>", re.I)
_ATTR = re.compile(rb"""([a-zA-Z-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")
_HIDDEN = re.compile(rb"<(script|style|noscript|head)\b.*?</\1\s*>|<!--.*?-->", re.I | re.S)
_TAGS = re.compile(rb"<[^>]*>")
_SLUG = re.compile(r"[^a-z0-9]+")
_HTML_START = re.compile(rb"\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body)\b", re.I | re.S)
SLUG_CHARS = 80
HTML_TYPES = ("text/html", "application/xhtml+xml")


def canonical_url(body: bytes, base: str) -> str | None:
    """The page's `<link rel="canonical" href>`, made absolute against BASE; None without one."""
    for tag in _CANONICAL.findall(body[:262144]):
        attrs = {
            m.group(1).lower(): (m.group(2) or m.group(3) or m.group(4) or b"") for m in _ATTR.finditer(tag)
        }
        if b"canonical" in attrs.get(b"rel", b"").lower().split() and attrs.get(b"href"):
            href = html.unescape(attrs[b"href"].decode("utf-8", "replace")).strip()
            absolute = urljoin(base, href)
            if urlsplit(absolute).scheme in ("http", "https"):
                return absolute
    return None


def story_hash(body: bytes) -> str:
    """SHA-256 of the page's visible text, whitespace collapsed (see the module docstring)."""
    text = _TAGS.sub(b" ", _HIDDEN.sub(b" ", body))
    words = html.unescape(text.decode("utf-8", "replace")).split()
    return hashlib.sha256(" ".join(words).encode("utf-8")).hexdigest()


def saved_path(url: str) -> str:
    """`<host>/<slug>.html` for URL (relative to the articles folder, `/`-separated)."""
    parts = urlsplit(url)
    host = _SLUG.sub("-", (parts.hostname or "unknown").lower()).strip("-") or "unknown"
    if parts.port:
        host += f"-{parts.port}"
    path = parts.path.rstrip("/")
    tail = path.rsplit("/", 2)[-2:] if path else ["index"]
    stem = _SLUG.sub("-", "-".join(tail).lower()).strip("-")
    stem = re.sub(r"-?(html?|php|aspx?)$", "", stem)[:SLUG_CHARS].strip("-") or "page"
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:8]
    return f"{host}/{stem}-{digest}.html"


def is_html(content_type: str, body: bytes) -> bool:
    """Whether a response is an HTML page (by its type, or by its first bytes when untyped)."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind in HTML_TYPES:
        return True
    if kind and kind not in ("text/plain", "application/octet-stream"):
        return False
    return bool(
        re.match(rb"\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body)\b", body[:2048], re.I | re.S)
    )


def charset_of(content_type: str) -> str | None:
    """The charset parameter of a Content-Type header."""
    found = re.search(r"charset\s*=\s*\"?([A-Za-z0-9_.:-]+)", content_type, re.I)
    return found.group(1) if found else None
