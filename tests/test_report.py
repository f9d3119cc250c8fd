"""`summarize report` and `file --format html`: one self-contained file, strict CSP, escaped data."""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from summarize.cli import app
from summarize.output.report import FIELDS, write_report
from summarize.testing import FakeOpenAIServer
from tests.newsroom import (
    ARTICLES,
    HOSTILE_PATH,
    MODEL,
    PWN,
    Newsroom,
    Page,
    newsroom,
    responder,
    write_articles,
)


def sha(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


@pytest.fixture(scope="module")
def room(tmp_path_factory: pytest.TempPathFactory) -> Newsroom:
    return newsroom(tmp_path_factory.mktemp("report"))


@pytest.fixture(scope="module")
def html(room: Newsroom) -> str:
    out = room.outdir / "report.html"
    write_report(room.outdir, out)
    return out.read_text(encoding="utf-8")


def test_one_file_with_a_strict_content_security_policy(html: str) -> None:
    page = Page(html)
    (app_script,) = [text for attrs, text in page.scripts if "type" not in attrs]
    (style,) = page.styles
    policy = dict(p.strip().split(" ", 1) for p in page.csp().split(";"))
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == sha(app_script)
    assert policy["style-src"] == sha(style)
    assert policy["img-src"] == "data:" and policy["base-uri"] == "'none'"
    assert "unsafe" not in page.csp()
    # Nothing from elsewhere: no src at all, and the only hrefs are in-page or data:.
    assert not [a for _, a in page.tags if "src" in a]
    assert {a["href"] for _, a in page.tags if "href" in a} == {"data:,", "#main"}
    assert not [a for _, a in page.tags if any(k.startswith("on") for k in a)]
    assert not re.search(r"https?://", app_script + style)
    assert (
        "innerHTML" not in app_script and "insertAdjacentHTML" not in app_script and "eval(" not in app_script
    )


def test_hostile_strings_never_become_markup(html: str) -> None:
    page = Page(html)
    tags = {t for t, _ in page.tags}
    assert not tags & {"img", "textarea", "iframe", "object", "embed", "form", "b", "i"}
    assert [t for t, a in page.tags if t == "a"] == ["a"]  # the skip link
    assert "<script>window.__pwned" not in html and "</textarea>" not in html and "<!--" not in html
    assert f"\\u003cscript>{PWN}\\u003c/script>" in html
    scripts = [a for t, a in page.tags if t == "script"]
    assert all(a.get("type") in (None, "application/json") for a in scripts)
    data = page.json_block("report-data")
    hostile = next(a for a in data["articles"] if a[0] == HOSTILE_PATH)
    assert hostile[1] == f"<script>{PWN}</script> Council meeting {{{{data}}}}"  # kept as text


def test_the_data_holds_the_results_and_offsets_index_the_texts(room: Newsroom, html: str) -> None:
    page = Page(html)
    data = page.json_block("report-data")
    assert data["fields"] == {k: list(v) for k, v in FIELDS.items()}
    col = {name: i for i, name in enumerate(FIELDS["article"])}
    results = {r["source"]["path"].split("/news/", 1)[1]: r for r in room.results()}
    assert sorted(a[col["path"]] for a in data["articles"]) == sorted(results)
    checked = 0
    for i, article in enumerate(data["articles"]):
        text = page.json_block(f"text-{i}")
        units = text.encode("utf-16-le")
        result = results[article[col["path"]]]
        assert len(article[col["claims"]]) == len(result["claims"])
        for item in article[col["claims"]] + article[col["stances"]]:
            quote, start, end = item[-3:]
            # JavaScript slices strings in UTF-16 units; the astral 📉 shifts later offsets.
            assert units[2 * start : 2 * end].decode("utf-16-le") == quote
            checked += 1
    assert checked == sum(len(r["claims"]) + len(r["stances"]) for r in results.values())
    putin = next(a for a in data["actors"] if a[0] == "Vladimir Putin")
    assert putin[FIELDS["actor"].index("articles")] == 2


def test_sources_that_moved_are_shown_without_text(tmp_path: Path) -> None:
    room = newsroom(tmp_path)
    moved = tmp_path / "elsewhere"
    shutil.move(room.articles, moved)
    out = tmp_path / "r.html"
    stats = write_report(room.outdir, out)
    assert stats.without_text == 6
    assert "--articles DIR" in stats.describe(out)
    page = Page(out.read_text(encoding="utf-8"))
    data = page.json_block("report-data")
    has_text = FIELDS["article"].index("hasText")
    note = FIELDS["article"].index("note")
    assert {a[has_text] for a in data["articles"]} == {0}
    assert all("is not there" in a[note] for a in data["articles"])
    assert not [a for _, a in page.tags if (a.get("id") or "").startswith("text-")]
    stance = data["articles"][0][FIELDS["article"].index("stances")][0]
    assert stance[-2:] == [-1, -1]  # no offsets without the text they index
    assert write_report(room.outdir, out, articles_dir=moved).without_text == 0


def test_changed_source_is_not_highlighted(tmp_path: Path) -> None:
    room = newsroom(tmp_path)
    write_articles(
        room.articles, {"uk/labour-smith.md": ARTICLES["uk/labour-smith.md"].replace("MP", "M.P.")}
    )
    out = tmp_path / "r.html"
    assert write_report(room.outdir, out).without_text_paths == ("uk/labour-smith.md",)
    data = Page(out.read_text(encoding="utf-8")).json_block("report-data")
    (row,) = [a for a in data["articles"] if a[0] == "uk/labour-smith.md"]
    assert "changed since" in row[FIELDS["article"].index("note")]


def test_cli_report(room: Newsroom, tmp_path: Path) -> None:
    out = tmp_path / "out.html"
    done = CliRunner().invoke(app, ["report", str(room.outdir), "-o", str(out)])
    assert done.exit_code == 0, done.output
    assert f"{out}: 6 articles" in done.stderr and "1 failed article" in done.stderr
    assert out.read_text(encoding="utf-8").startswith("<!doctype html>")
    bad = CliRunner().invoke(app, ["report", str(room.articles)])
    assert bad.exit_code == 1 and bad.stderr.startswith("Error: ") and "results.jsonl" in bad.stderr


def test_cli_report_to_a_folder_is_one_error_line(room: Newsroom, tmp_path: Path) -> None:
    folder = tmp_path / "out.html"
    folder.mkdir()
    result = CliRunner().invoke(app, ["report", str(room.outdir), "-o", str(folder)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: cannot write {folder} (")
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert list(folder.iterdir()) == [] and not list(tmp_path.glob(".out.html.*"))


def test_file_format_html_is_the_report_of_one_article(tmp_path: Path) -> None:
    write_articles(tmp_path, {"a.md": ARTICLES["world/putin-sanctions.md"]})
    out = tmp_path / "a.html"
    with FakeOpenAIServer(responder=responder) as server:
        args = ["file", str(tmp_path / "a.md"), "--format", "html", "-o", str(out)]
        done = CliRunner().invoke(app, [*args, "--base-url", server.base_url, "--model", MODEL])
    assert done.exit_code == 0, done.output
    page = Page(out.read_text(encoding="utf-8"))
    data = page.json_block("report-data")
    assert len(data["articles"]) == 1
    assert page.json_block("text-0").startswith("Russian President Vladimir Putin")
