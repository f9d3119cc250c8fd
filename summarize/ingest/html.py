"""HTML pages -> main article text and metadata, with trafilatura (imported lazily).

Settings chosen by benchmarks/html_extraction.py (docs/INGEST.md has the table):
`fast=True` skips trafilatura's readability/jusText fallbacks, which on news pages more
often add navigation than recover missed paragraphs; `favor_recall=True` keeps short
paragraphs and lists of the body; comments are never article text. When that yields
under 500 characters, the full cascade (with fallbacks) runs and the longer text wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_HTML_SNIFF = re.compile(
    r"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|meta|title)\b", re.I | re.S
)
_HTML_EXTENSIONS = (".html", ".htm", ".xhtml", ".shtml", ".html.gz", ".htm.gz")
_BLANK_RUNS = re.compile(r"\n{3,}")
SHORT_RESULT_CHARS = 500


@dataclass(frozen=True)
class HtmlArticle:
    """What extraction found in one page; any field may be missing."""

    text: str
    title: str | None = None
    author: str | None = None
    date: str | None = None
    site: str | None = None


def looks_like_html(text: str, path: str) -> bool:
    """True for .html/.htm files and for any text that starts like an HTML document."""
    if path.lower().endswith(_HTML_EXTENSIONS):
        return True
    return bool(_HTML_SNIFF.match(text[:2000]))


def extract_html(html: str, *, url: str | None = None) -> HtmlArticle:
    """Extract the main text (paragraphs separated by newlines) and metadata of a page."""
    import trafilatura  # lazily: `summarize --help` must not pay for lxml and friends

    doc = trafilatura.bare_extraction(
        html,
        url=url,
        fast=True,
        favor_recall=True,
        include_comments=False,
        include_tables=True,
        with_metadata=True,
    )
    text = _tidy(getattr(doc, "text", None) or "")
    if len(text) < SHORT_RESULT_CHARS:
        # Recall mode sometimes settles on a teaser block; the full cascade with its
        # readability and jusText fallbacks then finds the real body.
        second = trafilatura.extract(html, url=url, include_comments=False, include_tables=True)
        if second and len(second) > len(text):
            text = _tidy(second)
    if doc is None:
        return HtmlArticle(text=text)
    site = _clean(getattr(doc, "sitename", None))
    return HtmlArticle(
        text=text,
        title=_strip_site(_clean(getattr(doc, "title", None)), site),
        author=_clean(getattr(doc, "author", None)),
        date=_clean(getattr(doc, "date", None)),
        site=site,
    )


def _tidy(text: str) -> str:
    lines = [line.strip() for line in text.split("\n")]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()


def _strip_site(title: str | None, site: str | None) -> str | None:
    """'Headline | Site' -> 'Headline' when the suffix is the site name."""
    if not title or not site:
        return title
    for sep in (" | ", " - ", " \u2013 ", " \u2014 ", " :: ", " \u00b7 "):
        head, found, tail = title.rpartition(sep)
        if found and head and tail.strip().lower() == site.lower():
            return head.strip()
    return title


def _clean(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    value = " ".join(value.split())
    return value or None
