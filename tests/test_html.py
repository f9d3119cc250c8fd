"""summarize.ingest.html: main text and metadata of a news page."""

from __future__ import annotations

from summarize.ingest.html import extract_html, looks_like_html
from tests.fakes import FIXTURES

PAGE = (FIXTURES / "ingest" / "news_page.html").read_text(encoding="utf-8")


def test_html_is_recognised_by_name_or_by_content() -> None:
    assert looks_like_html("anything", "page.HTML.gz")
    assert looks_like_html("<!-- saved -->\n<!DOCTYPE html><html>", "page.txt")
    assert not looks_like_html("An article about <b>bold</b> moves.", "a.txt")


def test_article_body_and_metadata_are_extracted_without_navigation() -> None:
    article = extract_html(PAGE)
    assert "Councillors in the harbour town of Skelby" in article.text
    assert 'leaving at five," Holm told reporters' in article.text
    assert "\n\n\n" not in article.text
    for noise in ("<", "cookie", "Buy cheap flights", "Fishing quotas", "All rights reserved"):
        assert noise not in article.text
    assert article.title == "Harbour town votes to ban cruise ships"  # " | The Coastal Courier" cut
    assert (article.site, article.author) == ("The Coastal Courier", "Maria Jensen")
    assert article.date == "2024-03-14"


def test_scripts_and_styles_never_reach_the_text() -> None:
    page = PAGE.replace("</head>", "<style>p { color: red }</style><script>track('visit')</script></head>")
    text = extract_html(page).text
    assert "track(" not in text and "color: red" not in text
    assert "Councillors in the harbour town" in text
