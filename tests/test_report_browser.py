"""The report in a real browser: Debian's Chromium driven by Playwright.

Skipped only when Chromium is absent on a developer's machine; under CI (.ci/run installs
it) a missing browser is a failure. Every test fails on a console error, a dialog, or a
request that leaves the file; screenshots go to the test's tmp_path.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from summarize.cli import app
from summarize.output.report import FIELDS, write_report
from summarize.testing import FakeOpenAIServer
from tests.newsroom import ARTICLES, MODEL, Newsroom, Page, newsroom, responder, write_articles

pytestmark = pytest.mark.slow  # a real browser process
CHROMIUM = Path(os.environ.get("SUMMARIZE_CHROMIUM", "/usr/bin/chromium"))
FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"no Chromium at {CHROMIUM}: .ci/run installs it (apt-get install chromium)")
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), args=FLAGS, viewport={"width": 1360, "height": 900}
        )
        yield context
        context.close()


@dataclass
class Tab:
    """An open report, with everything that went wrong in it."""

    page: Any
    problems: list[str] = field(default_factory=list)

    def clean(self) -> None:
        assert self.problems == []
        assert self.page.evaluate("() => window.__pwned") is None

    def view(self, name: str) -> None:
        self.page.click(f"[role=tab][data-view={name}]")

    def set_filter(self, selector: str, value: str) -> None:
        if self.page.eval_on_selector(selector, "e => e.tagName") == "SELECT":
            self.page.select_option(selector, value)
        else:
            self.page.fill(selector, value)
            self.page.dispatch_event(selector, "change")

    def count(self, selector: str) -> int:
        return int(self.page.locator(selector).count())


@pytest.fixture
def open_report(browser: Any) -> Iterator[Callable[[Path], Tab]]:
    tabs: list[Tab] = []

    def open_(path: Path) -> Tab:
        page = browser.new_page()
        tab = Tab(page)
        page.on(
            "console",
            lambda m: (
                tab.problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning") else None
            ),
        )
        page.on("pageerror", lambda e: tab.problems.append(f"page error: {e}"))
        page.on("dialog", lambda d: (tab.problems.append(f"dialog: {d.message}"), d.dismiss()))
        page.on(
            "request",
            lambda r: (
                None if r.url.startswith(("file:", "data:")) else tab.problems.append(f"request: {r.url}")
            ),
        )
        page.goto(path.as_uri())
        page.wait_for_selector("body[data-ready=true]", timeout=10_000)
        tabs.append(tab)
        return tab

    yield open_
    for tab in tabs:
        tab.page.close()


@pytest.fixture(scope="module")
def room(tmp_path_factory: pytest.TempPathFactory) -> Newsroom:
    return newsroom(tmp_path_factory.mktemp("browser"))


@pytest.fixture(scope="module")
def report(room: Newsroom) -> Path:
    out = room.outdir / "report.html"
    write_report(room.outdir, out)
    return out


def data_of(report: Path) -> dict[str, Any]:
    page = Page(report.read_text(encoding="utf-8"))
    data: dict[str, Any] = page.json_block("report-data")
    data["texts"] = {
        int(a["id"][5:]): json.loads(t) for a, t in page.scripts if (a.get("id") or "").startswith("text-")
    }
    return data


def open_article(tab: Tab, title: str) -> None:
    tab.view("articles")
    tab.page.get_by_role("button", name=title, exact=True).click()
    tab.page.wait_for_selector("#doc-title")


# --- what the tests ask ----------------------------------------------------------------------------


def test_every_highlight_is_its_quote(
    open_report: Callable[[Path], Tab], report: Path, tmp_path: Path
) -> None:
    tab = open_report(report)
    data = data_of(report)
    col = {name: i for i, name in enumerate(FIELDS["article"])}
    checked = 0
    for n, article in enumerate(data["articles"]):
        open_article(tab, article[col["title"]] or article[col["path"]])
        assert tab.page.text_content(".doc-text") == data["texts"][n]  # nothing added, nothing lost
        marks = tab.page.eval_on_selector_all(
            "mark.hl", "ms => ms.map(m => [m.dataset.items, m.textContent])"
        )
        shown: dict[str, str] = {}
        for keys, text in marks:
            for key in keys.split():
                shown[key] = shown.get(key, "") + text
        expected = {f"c{i}": c[-3] for i, c in enumerate(article[col["claims"]])}
        expected |= {f"s{i}": s[-3] for i, s in enumerate(article[col["stances"]])}
        assert shown == expected
        checked += len(expected)
        if n == 0:
            tab.page.screenshot(path=tmp_path / "article.png", full_page=True)
    assert checked > 20
    tab.clean()


def test_a_matrix_cell_shows_its_evidence(
    open_report: Callable[[Path], Tab], report: Path, tmp_path: Path
) -> None:
    tab = open_report(report)
    tab.view("matrix")
    cell = tab.page.locator("button.cell[aria-label^='John Smith on the budget']")
    assert cell.text_content() == "\u22121"
    cell.click()
    drawer = tab.page.locator("#drawer")
    assert drawer.is_visible()
    assert "fails working families" in drawer.text_content()
    assert "Labour MP attacks budget" in drawer.text_content()
    tab.page.screenshot(path=tmp_path / "matrix.png")
    tab.page.keyboard.press("Escape")
    assert not drawer.is_visible()
    assert tab.page.evaluate("() => document.activeElement.getAttribute('aria-label')").startswith(
        "John Smith"
    )
    # A cell of several positions lists each, and "Open in article" lands on the highlight.
    tab.page.locator("button.cell[aria-label^='European Union on sanctions on Russia']").click()
    assert "1 support, 1 neutral" in tab.page.locator("button.cell.pos-split").first.get_attribute(
        "aria-label"
    )
    tab.page.locator("#drawer button.open-article").first.click()
    focused = tab.page.evaluate("() => [document.activeElement.tagName, document.activeElement.textContent]")
    assert focused == ["MARK", "The EU said it would review the measures in June"]
    assert tab.page.locator("#tooltip").is_visible()
    tab.clean()


def test_filters_and_search_change_what_is_shown(
    open_report: Callable[[Path], Tab], report: Path, tmp_path: Path
) -> None:
    tab = open_report(report)
    tab.view("articles")
    rows = "table.articles tbody tr"
    assert tab.count(rows) == 6
    tab.set_filter("#f-site", "Daily Ledger")
    assert tab.count(rows) == 2
    assert "2 articles of 6" in tab.page.text_content("#f-count")
    tab.page.click("#f-clear")
    tab.set_filter("#f-from", "2024-03-06")
    assert tab.count(rows) == 3  # the dates 6, 7 and 8 March; one article has no date
    tab.page.click("#f-clear")
    tab.view("claims")
    tab.set_filter("#f-actor", "Jane Smith")
    assert tab.page.eval_on_selector_all(".speaker h3 .actor-link", "bs => bs.map(b => b.textContent)") == [
        "Jane Smith"
    ]
    tab.page.click("#f-clear")
    tab.view("matrix")
    tab.set_filter("#f-topic", "the budget")
    tab.set_filter("#f-position", "oppose")
    heads = tab.page.eval_on_selector_all(
        "table.matrix tbody th .actor-link", "bs => bs.map(b => b.textContent)"
    )
    assert sorted(heads) == ["John Smith", "Smith"]
    tab.page.click("#f-clear")
    tab.view("claims")
    tab.page.fill("#q", "aggression")
    tab.page.wait_for_function("() => document.querySelectorAll('li.claim').length === 1")
    assert "economic aggression" in tab.page.text_content("li.claim blockquote")
    tab.page.screenshot(path=tmp_path / "search.png")
    tab.page.click("#f-clear")
    assert tab.count("li.claim") > 1 and tab.page.input_value("#q") == ""
    tab.set_filter("#f-actor", "Nobody At All")
    assert tab.page.get_attribute("#f-actor", "aria-invalid") == "true"
    tab.clean()


def test_hostile_article_runs_nothing_and_breaks_no_layout(
    open_report: Callable[[Path], Tab], report: Path, tmp_path: Path
) -> None:
    tab = open_report(report)
    for view in ("actors", "claims", "articles", "matrix"):
        tab.view(view)
    tab.page.locator("button.cell").first.click()
    tab.page.keyboard.press("Escape")
    open_article(tab, "<script>window.__pwned = 1</script> Council meeting {{data}}")
    for mark in tab.page.locator("mark.hl").all():
        mark.hover()
    tab.page.keyboard.press("j")
    tab.page.screenshot(path=tmp_path / "hostile.png", full_page=True)
    text = tab.page.text_content(".doc-text") or ""
    assert "<script>window.__pwned = 1</script>" in text and '<img src=x onerror="' in text
    found = tab.page.evaluate(
        "() => ({img: document.querySelectorAll('img, iframe, textarea, object, embed').length,"
        " links: document.querySelectorAll('a').length, scripts: document.querySelectorAll('script').length,"
        " overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth})"
    )
    assert found == {"img": 0, "links": 1, "scripts": 1 + 1 + 6, "overflow": 0}
    title = tab.page.locator("#doc-title").bounding_box()
    side = tab.page.locator(".doc-side").bounding_box()
    body = tab.page.locator(".doc-text").bounding_box()
    assert title and side and body and side["x"] > body["x"] + body["width"] - 1  # side panel beside the text
    assert tab.page.locator(".top").is_visible() and tab.count("[role=tab]") == 4
    tab.clean()


def test_keyboard_navigation(open_report: Callable[[Path], Tab], report: Path) -> None:
    tab = open_report(report)
    key = tab.page.keyboard.press
    selected = "() => document.querySelector('[role=tab][aria-selected=true]').dataset.view"
    active = "() => document.activeElement"
    key("2")
    assert tab.page.evaluate(selected) == "matrix"
    tab.page.focus("button.cell[tabindex='0']")
    first = tab.page.evaluate(f"{active}.getAttribute('aria-label')")
    key("ArrowDown")
    second = tab.page.evaluate(f"{active}.getAttribute('aria-label')")
    assert second != first and tab.page.evaluate(f"{active}.classList.contains('cell')")
    key("Enter")
    assert tab.page.locator("#drawer").is_visible()
    key("Escape")
    key("/")
    assert tab.page.evaluate(f"{active}.id") == "q"
    key("Escape")
    key("4")
    tab.page.get_by_role("button", name="Putin warns Europe over new sanctions").click()
    key("j")
    assert tab.page.evaluate(f"{active}.tagName") == "MARK"
    assert "Vladimir Putin" in (tab.page.text_content("#tooltip") or "")
    assert tab.page.locator("#tooltip").is_visible()
    before = tab.page.text_content("#doc-title")
    key("]")
    assert tab.page.text_content("#doc-title") != before
    key("[")
    assert tab.page.text_content("#doc-title") == before
    key("?")
    assert tab.page.locator("#help").is_visible()
    key("Escape")
    assert not tab.page.locator("#help").is_visible()
    tab.page.focus("[role=tab][aria-selected=true]")
    key("ArrowRight")
    assert tab.page.evaluate(selected) == "actors"  # wraps from the last tab to the first
    tab.clean()


def test_text_unavailable_lists_the_quotes(open_report: Callable[[Path], Tab], tmp_path: Path) -> None:
    room = newsroom(tmp_path)
    shutil.move(room.articles, tmp_path / "gone")
    out = tmp_path / "r.html"
    write_report(room.outdir, out)
    tab = open_report(out)
    open_article(tab, "Labour MP attacks budget")
    assert "The article text is not available" in (tab.page.text_content(".notice") or "")
    assert tab.count("mark") == 0
    assert "fails working families" in (tab.page.text_content("ol.quotes") or "")
    assert "6 without text" in (tab.page.text_content("#report-meta") or "")
    tab.page.screenshot(path=tmp_path / "unavailable.png", full_page=True)
    tab.clean()


def test_single_article_report_opens_on_its_text(open_report: Callable[[Path], Tab], tmp_path: Path) -> None:
    write_articles(tmp_path, {"a.md": ARTICLES["world/putin-sanctions.md"]})
    out = tmp_path / "a.html"
    with FakeOpenAIServer(responder=responder) as server:
        args = ["file", str(tmp_path / "a.md"), "--format", "html", "-o", str(out)]
        assert (
            CliRunner().invoke(app, [*args, "--base-url", server.base_url, "--model", MODEL]).exit_code == 0
        )
    tab = open_report(out)
    assert tab.page.text_content("#report-title") == "Putin warns Europe over new sanctions"
    assert tab.count("mark.hl") >= 6 and tab.count(".doc-nav .back") == 0
    assert re.search(r"Dropped \(1\)", tab.page.text_content(".doc-side") or "")
    tab.page.screenshot(path=tmp_path / "single.png", full_page=True)
    tab.clean()


def test_fetched_articles_show_url_and_published_and_sort_and_filter_by_them(
    open_report: Callable[[Path], Tab], tmp_path: Path
) -> None:
    from summarize.config import Settings
    from summarize.sources.client import ClientOptions
    from summarize.testing import echo_responder
    from summarize.testing.newssite import EPOCH, NewsSite, story_text
    from summarize.watch import Watcher, WatchOptions

    report = tmp_path / "report.html"
    with NewsSite() as site, FakeOpenAIServer(responder=echo_responder) as model:
        site.add("harbour", "Harbour reopens after the storm", story_text("harbour"), EPOCH + 7200)
        site.add("budget", "Parliament passes the budget", story_text("budget"), EPOCH)
        site.add("rail", "Rail strike called off", story_text("rail"), EPOCH + 3600)
        options = WatchOptions(
            sources=(site.url("/feed.rss"),),
            outdir=tmp_path / "d",
            client=ClientOptions(delay=0.0),
            report=report,
        )
        assert Watcher(options, Settings(base_url=model.base_url, model=MODEL)).cycle().exit_code == 0
        base = site.base
    tab = open_report(report)
    tab.view("articles")
    titles = "table.articles tbody tr .article-link"
    assert tab.page.locator(titles).all_text_contents() == [
        "Harbour reopens after the storm", "Rail strike called off", "Parliament passes the budget",
    ]  # fmt: skip
    urls = tab.page.locator("table.articles tbody tr .url").all_text_contents()
    assert urls[0] == f"{base}/news/harbour.html"
    assert tab.page.locator("table.articles thead th").nth(2).text_content() == "Published"
    assert tab.page.locator("table.articles tbody tr td.nowrap").first.text_content() == "2026-11-30 02:53"
    assert tab.count("table.articles a") == 0  # a URL is text, never a link
    tab.page.screenshot(path=tmp_path / "articles-url.png", full_page=True)
    tab.page.select_option("#a-sort", "oldest")
    assert tab.page.locator(titles).first.text_content() == "Parliament passes the budget"
    tab.page.select_option("#a-sort", "url")
    assert tab.page.locator(titles).all_text_contents()[0] == "Parliament passes the budget"  # /news/budget
    tab.page.fill("#f-url", "/news/RAIL")
    tab.page.wait_for_function("() => document.querySelectorAll('table.articles tbody tr').length === 1")
    assert tab.page.locator(titles).all_text_contents() == ["Rail strike called off"]
    assert "1" in (tab.page.text_content("#f-count") or "")
    tab.page.screenshot(path=tmp_path / "articles-url-filter.png", full_page=True)
    tab.page.click("#f-clear")
    assert tab.count("table.articles tbody tr") == 3
    assert tab.page.input_value("#f-url") == ""
    open_article(tab, "Rail strike called off")
    assert tab.page.locator(".doc-head .url").text_content() == f"{base}/news/rail.html"
    tab.clean()
