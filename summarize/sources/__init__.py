"""Sources of articles, a step before ingest/: feeds, sitemaps and article URLs -> saved pages.

`fetch` (fetch.py) runs one polite crawl: `client` (httpx, per-host slots from `gate`,
`robots` rules, conditional GET, Retry-After, size cap) fetches; `listing` reads what a
source lists (RSS, Atom, JSON Feed, sitemaps); `page` finds a page's canonical URL, story
hash and saved path; `state` remembers validators and every item's fate between runs. The
saved page carries its metadata as `summarize:*` meta tags (ingest/provenance.py), so that
ingestion fills `source.url`, `title`, `date` and `site`. docs/FEEDS.md has the details.
"""

from __future__ import annotations

from summarize.sources.client import USER_AGENT, ClientOptions, FetchError
from summarize.sources.fetch import Fetcher, FetchReport, fetch, fetch_article

__all__ = ["USER_AGENT", "ClientOptions", "FetchError", "FetchReport", "Fetcher", "fetch", "fetch_article"]
