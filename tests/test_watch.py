"""summarize watch: fetch, batch, export and report, cycle after cycle, against a loopback
news site and a loopback model."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from summarize.cli import app
from summarize.config import Settings
from summarize.ingest import Document
from summarize.pipeline import Summarizer
from summarize.sources.client import ClientOptions
from summarize.testing import FakeOpenAIServer, echo_responder
from summarize.testing.newssite import NewsSite, story_text
from summarize.watch import Watcher, WatchOptions, default_articles

MODEL = "fake-model"
FAST = ClientOptions(delay=0.0, read_timeout=2.0, connect_timeout=2.0)


@pytest.fixture
def site() -> Iterator[NewsSite]:
    with NewsSite() as s:
        s.add("storm", "Storm hits the coast", story_text("storm"))
        s.add("budget", "Parliament passes the budget", story_text("budget"))
        yield s


@pytest.fixture
def model() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(responder=echo_responder) as srv:
        yield srv


def watcher(site: NewsSite, model: FakeOpenAIServer, out: Path) -> Watcher:
    options = WatchOptions(
        sources=(site.url("/feed.rss"), site.url("/atom.xml")),
        outdir=out,
        client=FAST,
        sqlite=out.parent / "news.db",
        report=out.parent / "report.html",
    )
    return Watcher(options, Settings(base_url=model.base_url, model=MODEL))


def ok_lines(out: Path) -> list[dict[str, object]]:
    lines = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    return [line for line in lines if line["status"] == "ok"]


def db_rows(db: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(db) as conn:
        return sorted(conn.execute("select path, url, date from articles").fetchall())


def test_first_cycle_summarizes_exports_and_reports_every_article(
    site: NewsSite, model: FakeOpenAIServer, tmp_path: Path
) -> None:
    out = tmp_path / "digests"
    cycle = watcher(site, model, out).cycle()
    assert cycle.exit_code == 0 and cycle.stats is not None and cycle.stats.ok == 2
    results = {line["path"]: line["result"] for line in ok_lines(out)}
    assert len(results) == 2
    urls = sorted(r["source"]["url"] for r in results.values())  # type: ignore[index]
    assert urls == [site.url("/news/budget.html"), site.url("/news/storm.html")]
    rows = db_rows(tmp_path / "news.db")
    assert [r[1] for r in rows] == sorted(urls, key=lambda u: "budget" not in u)
    assert all(r[2] and r[2].startswith("2026-") for r in rows)
    report = (tmp_path / "report.html").read_text()
    assert site.url("/news/storm.html") in report
    assert "new, " in cycle.line() and "2 summarized" in cycle.line()
    assert default_articles(out) == tmp_path / "digests.articles"
    assert (
        sorted(p.parent.name for p in (tmp_path / "digests.articles").glob("*/*.html"))
        == ["127-0-0-1-" + site.base.rsplit(":", 1)[1]] * 2
    )


def test_second_cycle_on_an_unchanged_site_costs_no_model_request_and_no_download(
    site: NewsSite, model: FakeOpenAIServer, tmp_path: Path
) -> None:
    out = tmp_path / "digests"
    watcher(site, model, out).cycle()
    asked, site.hits = len(model.requests), type(site.hits)()
    db_before = (tmp_path / "news.db").stat().st_mtime_ns
    cycle = watcher(site, model, out).cycle()
    assert len(model.requests) == asked
    assert site.article_hits() == 0 and cycle.fetched.not_modified == 2
    assert cycle.stats is None  # nothing new, the last cycle clean: the batch is not even walked
    assert (tmp_path / "news.db").stat().st_mtime_ns == db_before


def test_one_new_item_is_summarized_journaled_exported_and_reported_once(
    site: NewsSite, model: FakeOpenAIServer, tmp_path: Path
) -> None:
    out = tmp_path / "digests"
    watcher(site, model, out).cycle()
    asked = len(model.requests)
    site.add("port", "Port strike ends after a week", story_text("port"))
    cycle = watcher(site, model, out).cycle()
    # After a clean cycle the batch is given the new article only: the two earlier ones are not re-read.
    assert cycle.stats is not None and (cycle.stats.ok, cycle.stats.cached) == (1, 0)
    assert len(model.requests) == asked + 1  # one article, one request (a one-pass endpoint)
    lines = ok_lines(out)
    assert len(lines) == 3 and sum("port" in str(line["path"]) for line in lines) == 1
    assert [r[1] for r in db_rows(tmp_path / "news.db")].count(site.url("/news/port.html")) == 1
    assert len(db_rows(tmp_path / "news.db")) == 3
    report = (tmp_path / "report.html").read_text()
    assert all(title in report for title in ("Port strike ends", "Storm hits", "Parliament passes"))


def test_a_failed_article_keeps_the_batch_running_next_cycle(site: NewsSite, tmp_path: Path) -> None:
    with FakeOpenAIServer() as broken:  # answers nothing but errors
        from summarize.testing import Reply

        broken.enqueue(*[Reply(status=400, body={"error": {"message": "bad"}})] * 10)
        first = watcher(site, broken, tmp_path / "digests").cycle()
    assert first.exit_code == 1 and first.stats is not None and first.stats.failed == 2
    with FakeOpenAIServer(responder=echo_responder) as model:
        second = watcher(site, model, tmp_path / "digests").cycle()
    assert second.stats is not None and second.stats.ok == 2 and second.exit_code == 0


def test_the_articles_folder_cannot_be_outdir(
    site: NewsSite, model: FakeOpenAIServer, tmp_path: Path
) -> None:
    from summarize.errors import UserError

    options = WatchOptions(sources=(site.url("/feed.rss"),), outdir=tmp_path, articles=tmp_path)
    with pytest.raises(UserError, match="articles folder"):
        Watcher(options, Settings(base_url=model.base_url, model=MODEL))


def test_metadata_is_part_of_the_cache_key() -> None:
    summarizer = Summarizer.from_settings(Settings(base_url="http://127.0.0.1:9/v1", model=MODEL))
    doc = Document(text="Same text.", path="a.html", url="http://a/1")
    assert summarizer.cache_key(doc) != summarizer.cache_key(
        Document(text="Same text.", path="a.html", url="http://a/2")
    )
    assert summarizer.cache_key(doc) != summarizer.cache_key(
        Document(text="Same text.", path="a.html", url="http://a/1", title="T")
    )


def test_watch_once_and_file_url_on_the_command_line(
    site: NewsSite, model: FakeOpenAIServer, tmp_path: Path
) -> None:
    runner = CliRunner()
    env = {"OPENAI_BASE_URL": model.base_url, "SUMMARIZE_MODEL": MODEL}
    args = [
        "watch",
        site.url("/feed.json"),
        "-o",
        str(tmp_path / "d"),
        "--once",
        "--delay",
        "0",
        "--sqlite",
        str(tmp_path / "n.db"),
    ]
    result = runner.invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    assert "cycle 1: 2 new" in result.output and "2 summarized" in result.output
    result = runner.invoke(app, ["file", site.url("/news/storm.html")], env=env)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["source"]["url"] == site.url("/news/storm.html")
    assert summary["source"]["path"] == site.url("/news/storm.html")
    result = runner.invoke(app, ["file", site.url("/gone.html")], env=env)
    assert result.exit_code == 1 and "HTTP 404" in result.output
    bad = runner.invoke(app, ["watch", "feeds.txt", "-o", str(tmp_path / "d"), "--once"], env=env)
    assert bad.exit_code == 2


def test_fetch_on_the_command_line(site: NewsSite, tmp_path: Path) -> None:
    urls = tmp_path / "sources.txt"
    urls.write_text(f"# feeds\n{site.url('/sitemap.xml')}\n\n{site.url('/feed.rdf')}  # RSS 1.0\n")
    result = CliRunner().invoke(
        app, ["fetch", "--urls", str(urls), "-o", str(tmp_path / "a"), "--delay", "0"]
    )
    assert result.exit_code == 0, result.output
    assert "fetch: 2 new" in result.output
    assert len(list((tmp_path / "a").glob("*/*.html"))) == 2


def test_a_cycle_whose_every_source_fails_reports_and_goes_on(
    model: FakeOpenAIServer, tmp_path: Path
) -> None:
    with NewsSite() as site:
        options = WatchOptions(sources=(site.url("/gone.html"),), outdir=tmp_path / "d", client=FAST)
        cycle = Watcher(options, Settings(base_url=model.base_url, model=MODEL)).cycle()
    assert cycle.exit_code == 1 and cycle.stats is None and "1 failed" in cycle.line()
