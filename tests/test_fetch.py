"""summarize fetch against a loopback news site: formats, politeness, dedupe, state."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from summarize.ingest import load_document
from summarize.ingest.provenance import read_stamp, stamp_page
from summarize.sources.client import USER_AGENT, ClientOptions
from summarize.sources.fetch import Fetcher, FetchReport, fetch_article
from summarize.sources.listing import read_listing
from summarize.sources.page import canonical_url, saved_path, story_hash
from summarize.sources.state import MAX_ATTEMPTS, STATE, FetchState
from summarize.testing.newssite import NewsSite, story_text

FAST = ClientOptions(delay=0.0, read_timeout=1.0, connect_timeout=1.0)
FEEDS = ("/feed.rss", "/feed.rdf", "/atom.xml", "/feed.json", "/sitemap.xml")


@pytest.fixture
def site() -> Iterator[NewsSite]:
    with NewsSite() as s:
        s.add("storm", "Storm hits the coast", story_text("storm"))
        s.add("budget", "Parliament passes the budget", story_text("budget"))
        yield s


def run(site: NewsSite, root: Path, *paths: str, options: ClientOptions = FAST) -> FetchReport:
    return Fetcher(root, options).run([site.url(p) for p in paths])


@pytest.mark.parametrize("feed", FEEDS)
def test_every_feed_format_lists_the_articles_with_their_metadata(
    site: NewsSite, tmp_path: Path, feed: str
) -> None:
    report = run(site, tmp_path, feed)
    assert len(report.saved) == 2 and not report.failed
    docs = {d.title: d for d in (load_document(str(tmp_path / p)) for p in report.saved)}
    storm = docs["Storm hits the coast"]
    assert storm.url == site.url("/news/storm.html")
    assert storm.date is not None and storm.date.startswith("2026-")
    assert storm.site == "Loopback News"
    assert "residents described" in storm.text
    assert "summarize:" not in storm.text


def test_second_run_on_an_unchanged_site_downloads_no_article(site: NewsSite, tmp_path: Path) -> None:
    run(site, tmp_path, *FEEDS)
    site.hits.clear()
    report = run(site, tmp_path, *FEEDS)
    assert report.saved == [] and report.not_modified == len(FEEDS)
    assert site.article_hits() == 0


def test_a_new_item_is_the_only_article_fetched(site: NewsSite, tmp_path: Path) -> None:
    run(site, tmp_path, "/feed.rss")
    site.add("port", "Port strike ends", story_text("port"))
    site.hits.clear()
    report = run(site, tmp_path, "/feed.rss")
    assert [Path(p).name.split("-")[1] for p in report.saved] == ["port"]
    assert site.article_hits() == 1 and report.unchanged == 2


def test_user_agent_names_summarize_and_its_version(tmp_path: Path) -> None:
    from summarize import __version__

    assert USER_AGENT.startswith(f"summarize/{__version__} (+http")


def test_trouble_pages_are_skipped_reported_or_timed_out_and_the_rest_is_saved(tmp_path: Path) -> None:
    with NewsSite(trouble=True, slow=3.0) as site:
        site.add("storm", "Storm hits the coast", story_text("storm"))
        site.add("budget", "Parliament passes the budget", story_text("budget"))
        report = run(site, tmp_path, "/feed.rss")
        failed = {url.rsplit("/", 1)[1]: error for url, error in report.failed}
        assert set(failed) == {"gone.html", "slow.html", "big.html"}
        assert "404" in failed["gone.html"] and "timed out" in failed["slow.html"]
        assert "limit" in failed["big.html"]
        assert [why for _, why in report.skipped] == [
            f"{site.url('/private/secret.html')}: disallowed by robots.txt"
        ]
        assert site.hits["/private/secret.html"] == 0
        # Two stories saved, the busy page after its 429; the redirect, the AMP copy and the
        # copy without a canonical link are the storm story again.
        assert len(report.saved) == 3 and report.duplicates == 3
        assert site.hits["/busy.html"] == 2
        first, second = site.times["/busy.html"]
        assert second - first >= 1.0  # Retry-After: 1 honoured
        states = {f["url"].rsplit("/", 1)[1]: f for f in FetchState(tmp_path).load().articles.values()}
        assert states["copy.html"]["status"] == "duplicate" and states["moved.html"]["status"] == "duplicate"
        assert states["gone.html"]["status"] == "failed"


def test_failed_items_are_retried_on_the_next_run_and_saved_ones_never_again(tmp_path: Path) -> None:
    with NewsSite(trouble=True, slow=3.0) as site:
        site.add("storm", "Storm hits the coast", story_text("storm"))
        run(site, tmp_path, "/feed.rss")
        site.hits.clear()
        site.slow = 0.0
        report = run(site, tmp_path, "/feed.rss")
        # The feed is unchanged (304) yet the failed items are asked again; the slow page now answers.
        assert report.not_modified == 1
        assert {"/gone.html", "/slow.html", "/big.html"} <= set(site.hits)
        assert site.hits["/news/storm.html"] == 0 and site.hits["/busy.html"] == 0
        assert any(p.endswith(".html") and "slow" in p for p in report.saved)


def test_requests_in_flight_per_host_never_pass_the_limit(tmp_path: Path) -> None:
    with NewsSite(latency=0.05) as site:
        for n in range(24):
            site.add(f"story-{n}", f"Story number {n}", story_text(f"topic{n}"))
        report = run(site, tmp_path, "/feed.json", options=ClientOptions(per_host=3, delay=0.0))
        assert len(report.saved) == 24
        assert site.peak == 3  # reached, never passed


def test_the_same_story_under_two_urls_is_saved_once(site: NewsSite, tmp_path: Path) -> None:
    report = run(site, tmp_path, "/news/storm.html", "/amp/storm.html", "/copy.html")
    assert len(report.saved) == 1 and report.duplicates == 2
    assert list(tmp_path.glob("*/*.html")) == [tmp_path / report.saved[0]]


def test_a_kill_leaves_a_torn_state_line_that_the_next_run_survives(site: NewsSite, tmp_path: Path) -> None:
    run(site, tmp_path, "/feed.rss")
    state = tmp_path / STATE
    state.write_text(state.read_text() + '{"t": "article", "url": "http://x', encoding="utf-8")
    site.add("port", "Port strike ends", story_text("port"))
    report = run(site, tmp_path, "/feed.rss")
    assert len(report.saved) == 1
    lines = [json.loads(line) for line in state.read_text().splitlines()]
    assert {f["url"] for f in lines if f.get("status") == "saved"} >= {site.url("/news/port.html")}


def test_an_article_url_as_source_is_saved_and_not_fetched_again(site: NewsSite, tmp_path: Path) -> None:
    assert len(run(site, tmp_path, "/news/storm.html").saved) == 1
    site.hits.clear()
    report = run(site, tmp_path, "/news/storm.html")
    assert report.unchanged == 1 and sum(site.hits.values()) == 0


def test_fetch_article_saves_one_page_and_refuses_a_feed(site: NewsSite, tmp_path: Path) -> None:
    saved = fetch_article(site.url("/moved.html"), tmp_path, FAST)
    assert load_document(str(saved)).url == site.url("/news/storm.html")
    from summarize.errors import InputError

    with pytest.raises(InputError, match="feed or a sitemap"):
        fetch_article(site.url("/feed.rss"), tmp_path, FAST)


def test_stamp_cannot_be_spoofed_and_survives_other_encodings() -> None:
    page = '<html><head><meta charset="windows-1251"><meta name="summarize:url" content="http://evil/">'
    page += "<title>\u041d\u043e\u0432\u043e\u0441\u0442\u0438</title></head><body><p>x</p></body></html>"
    stamped = stamp_page(
        page.encode("cp1251"),
        {"url": "http://good/", "title": "\u041d\u043e\u0432\u043e\u0441\u0442\u0438 & <b>"},
    )
    text = stamped.decode("cp1251")
    assert read_stamp(text) == {
        "url": "http://good/",
        "title": "\u041d\u043e\u0432\u043e\u0441\u0442\u0438 & <b>",
    }
    assert text.index("charset") < text.index("summarize:url")


def test_page_helpers() -> None:
    body = b'<html><head><link href="/a/b.html" rel="canonical"></head>'
    body += b'<body><p>Hi <a href="/x">there</a></p></body>'
    assert canonical_url(body, "http://h:8/c?x=1") == "http://h:8/a/b.html"
    assert story_hash(body) == story_hash(body.replace(b'href="/x"', b'href="/y"'))
    assert story_hash(body) != story_hash(body.replace(b"Hi", b"Bye"))
    assert saved_path("http://News.Example:8080/world/2026/storm.html?x=1").startswith(
        "news-example-8080/2026-storm-"
    )
    assert read_listing(b"<html><body>x</body></html>", "http://h/").kind == "page"


def test_redirects_are_bounded(site: NewsSite, tmp_path: Path) -> None:
    report = run(site, tmp_path, "/loop.html")
    assert report.saved == [] and "more than 5 redirects" in report.failed[0][1]
    assert site.hits["/loop.html"] == 6  # the first request and 5 hops, then it gives up


def test_last_modified_alone_answers_304(site: NewsSite, tmp_path: Path) -> None:
    run(site, tmp_path, "/atom.xml")
    state = FetchState(tmp_path).load()
    for fact in state.sources.values():
        fact["etag"] = None  # a server that sends only Last-Modified
    state.compact()
    site.hits.clear()
    report = run(site, tmp_path, "/atom.xml")
    assert report.not_modified == 1 and site.article_hits() == 0


def test_a_gzip_sitemap_file_is_read(site: NewsSite, tmp_path: Path) -> None:
    assert len(run(site, tmp_path, "/sitemap.xml.gz").saved) == 2


def test_an_article_source_over_the_page_cap_fails(site: NewsSite, tmp_path: Path) -> None:
    report = run(site, tmp_path, "/big.html")  # read with the sources' 50 MiB cap, refused as a page
    assert report.saved == [] and "byte limit" in report.failed[0][1]


def test_an_item_failing_run_after_run_is_given_up(tmp_path: Path) -> None:
    with NewsSite(trouble=True, slow=0.0) as site:
        site.add("storm", "Storm hits the coast", story_text("storm"))
        for n in range(1, MAX_ATTEMPTS + 1):
            report = run(site, tmp_path, "/feed.rss")
            gone = [error for url, error in report.failed if url.endswith("/gone.html")]
            assert len(gone) == 1 and ("given up" in gone[0]) == (n == MAX_ATTEMPTS)
        assert site.hits["/gone.html"] == MAX_ATTEMPTS
        report = run(site, tmp_path, "/feed.rss")
        assert site.hits["/gone.html"] == MAX_ATTEMPTS and report.failed == []
