"""Where a fetched page came from, written into the page itself as `summarize:*` meta tags.

`summarize fetch` saves each article as the page it fetched, with one block of tags right
after `<head>`:

    <meta name="summarize:url" content="https://example.org/news/a?utm=x">
    <meta name="summarize:canonical" content="https://example.org/news/a">
    <meta name="summarize:title" content="Storm hits the coast">
    <meta name="summarize:published" content="2026-12-01T10:00:00+00:00">
    ...

Why in the page and not in a sidecar file: the page stays one file that batch discovery
(`*.html`) finds, that a user can move or copy alone, and whose bytes change when its
metadata does. Values are ASCII (non-ASCII as character references), so the block is
correct in a page of any ASCII-compatible encoding. A page's own `summarize:*` tags are
removed before the block is written, so a page cannot claim another URL.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping

PREFIX = "summarize:"
FIELDS = (
    "url", "canonical", "feed", "title", "published", "site", "fetched-at", "etag", "last-modified",
)  # fmt: skip
_TAG = re.compile(r'<meta name="summarize:([a-z-]+)" content="([^"<>]*)">')
_ANY_TAG = re.compile(rb"<meta\b[^>]*\bname\s*=\s*[\"']?summarize:[^>]*>", re.I)
_HEAD = re.compile(rb"<head\b[^>]*>", re.I)
_HTML = re.compile(rb"<html\b[^>]*>", re.I)
_CHARSET = re.compile(rb"<meta[^>]{0,200}?charset\s*=[^>]*>", re.I)


def stamp_page(body: bytes, meta: Mapping[str, str | None], charset: str | None = None) -> bytes:
    """BODY with the META tags after `<head>` (and a `<meta charset>` naming CHARSET, the HTTP
    header's, when the page declares none: the saved file no longer has that header)."""
    body = _ANY_TAG.sub(b"", body)
    lines = [
        f'<meta name="{PREFIX}{name}" content="{html.escape(value, quote=True)}">'
        for name in FIELDS
        if (value := meta.get(name))
    ]
    declared = _CHARSET.search(body[:4096])
    if charset and not declared:
        lines.insert(0, f'<meta charset="{html.escape(charset, quote=True)}">')
    block = ("\n" + "\n".join(lines) + "\n").encode("ascii", "xmlcharrefreplace")
    # After the page's own charset tag, which readers look for in the first few KB only.
    for anchor in (_CHARSET, _HEAD, _HTML) if declared else (_HEAD, _HTML):
        found = anchor.search(body[:65536])
        if found:
            return body[: found.end()] + block + body[found.end() :]
    return b"<head>" + block + b"</head>\n" + body


def read_stamp(text: str) -> dict[str, str]:
    """The `summarize:*` values of a saved page (empty for any other page); the first of each wins."""
    if PREFIX not in text[:131072]:
        return {}
    found: dict[str, str] = {}
    for name, value in _TAG.findall(text[:131072]):
        if name in FIELDS and name not in found:
            found[name] = html.unescape(value)
    return found
