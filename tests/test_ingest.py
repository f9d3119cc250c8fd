"""Ingestion: decoding, binaries, gzip, HTML, boilerplate, Markdown, raw mode, limits, stdin."""
# ruff: noqa: RUF001  (Cyrillic test sentences)

from __future__ import annotations

import codecs
import gzip
import io
import os
import sys
from pathlib import Path

import pytest

from summarize.errors import InputError
from summarize.ingest import DEFAULT_MAX_BYTES, load_document, parse_document, read_source

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"

RUSSIAN = (
    "Президент России Владимир Путин встретился с белорусским коллегой в Минске. "
    "Стороны обсудили экономическое сотрудничество и цены на газ."
)
FRENCH = (
    "Le président a déclaré que la réforme des retraites était nécessaire. "
    "Les syndicats, très mécontents, prévoient une grève générale à Noël."
)
GERMAN = (
    "Die Bundesregierung hat am Donnerstag beschlossen, die Förderung für Wärmepumpen "
    "zu erhöhen. Kritiker äußerten große Bedenken."
)


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        (RUSSIAN, "cp1251"),
        (RUSSIAN, "koi8-r"),
        (FRENCH, "latin-1"),
        (FRENCH, "cp1252"),
        (GERMAN, "latin-1"),
        (GERMAN, "cp1252"),
        ("Prices rose 5 \u20ac \u2014 \u201csharply\u201d, he said.", "cp1252"),
        (RUSSIAN, "utf-8"),
    ],
)
def test_legacy_and_utf8_encodings_decode(tmp_path: Path, text: str, encoding: str) -> None:
    path = tmp_path / "article.txt"
    path.write_bytes(text.encode(encoding))
    assert load_document(str(path)).text == text


@pytest.mark.parametrize(
    ("bom", "encoding"),
    [
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
    ],
)
def test_byte_order_marks(bom: bytes, encoding: str) -> None:
    doc = parse_document(bom + RUSSIAN.encode(encoding), "a.txt")
    assert doc.text == RUSSIAN


def test_utf16_without_bom_is_recognised() -> None:
    assert parse_document(FRENCH.encode("utf-16-le"), "a.txt").text == FRENCH


def test_newlines_are_normalised() -> None:
    doc = parse_document(b"First paragraph here.\r\nSecond one.\rThird one.", "a.txt")
    assert doc.text == "First paragraph here.\nSecond one.\nThird one."


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "PNG image"),
        (b"\xff\xd8\xff\xe0" + bytes(200), "JPEG image"),
        (b"GIF89a" + bytes(100), "GIF image"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "PDF document"),
        (b"PK\x03\x04" + bytes(100), "ZIP archive"),
    ],
)
def test_binary_files_are_refused(data: bytes, kind: str) -> None:
    with pytest.raises(InputError, match=f"x.bin looks like a binary file \\({kind}") as info:
        parse_document(data, "x.bin")
    assert "\n" not in str(info.value)
    assert str(info.value).endswith("Give a text, Markdown or HTML file")


def test_random_bytes_and_nuls_are_refused() -> None:
    rng = __import__("random").Random(7)
    noise = bytes(rng.randrange(256) for _ in range(4000))
    with pytest.raises(InputError, match="binary file"):
        parse_document(noise, "noise.dat")
    with pytest.raises(InputError, match="NUL"):
        parse_document(b"text\x00with\x00nuls" * 20, "nul.txt")


def test_high_bit_noise_without_nuls_is_refused() -> None:
    noise = os.urandom(4000).replace(b"\x00", b"\x01")
    with pytest.raises(InputError, match="binary file"):
        parse_document(noise, "noise.dat")


@pytest.mark.parametrize("data", [b"", b"   \n\t\r\n  ", codecs.BOM_UTF8 + b"  \n"])
def test_empty_input_is_refused(data: bytes) -> None:
    with pytest.raises(InputError, match="is empty"):
        parse_document(data, "empty.txt")


def test_gzip_html_page_is_decompressed(tmp_path: Path) -> None:
    path = tmp_path / "page.html.gz"
    path.write_bytes(gzip.compress((FIXTURES / "news_page.html").read_bytes()))
    doc = load_document(str(path))
    assert doc.kind == "html"
    assert "Councillors in the harbour town of Skelby" in doc.text


def test_gzip_bomb_is_refused() -> None:
    bomb = gzip.compress(b"a" * (2 * 1024 * 1024))
    with pytest.raises(InputError, match="decompresses to over the 1,048,576-byte limit"):
        parse_document(bomb, "bomb.txt.gz", max_bytes=1024 * 1024)


def test_corrupt_gzip_is_refused() -> None:
    with pytest.raises(InputError, match="corrupt"):
        parse_document(b"\x1f\x8b\x08\x00garbage-not-deflate", "x.gz")


def test_html_keeps_article_and_drops_page_furniture() -> None:
    doc = load_document(str(FIXTURES / "news_page.html"))
    assert doc.kind == "html"
    for sentence in (
        "Councillors in the harbour town of Skelby voted on Wednesday",
        "The mayor, Anne Holm, said",
        "we are against one thousand people",
        "The ban takes effect in 2026",
    ):
        assert sentence in doc.text
    for junk in (
        "cookies",
        "Buy cheap flights",
        "Related articles",
        "Fishing quotas",
        "All rights reserved",
        "newsletter",
        "Share this article",
        "Weather",
    ):
        assert junk not in doc.text
    assert doc.title == "Harbour town votes to ban cruise ships"
    assert doc.author == "Maria Jensen"
    assert doc.date == "2024-03-14"
    assert doc.site == "The Coastal Courier"


def test_html_is_sniffed_without_extension() -> None:
    doc = parse_document((FIXTURES / "news_page.html").read_bytes(), "-")
    assert doc.kind == "html"


def test_html_in_a_legacy_encoding_uses_its_meta_charset() -> None:
    page = (
        '<html><head><meta charset="windows-1251"><title>Новости</title></head><body>'
        f"<article><p>{RUSSIAN}</p><p>{RUSSIAN}</p></article></body></html>"
    )
    doc = parse_document(page.encode("cp1251"), "ru.html")
    assert RUSSIAN in doc.text


def test_seed_like_text_loses_share_line_disclaimer_and_headlines() -> None:
    doc = load_document(str(FIXTURES / "seed_like.txt"))
    assert doc.text.startswith("Energy\nWind farm approved after three-year dispute\n")
    assert doc.text.endswith(
        '"This is a good day for the climate and for the region," the regional energy minister said.'
    )
    assert doc.title == "Wind farm approved after three-year dispute"
    removed = "\n".join(doc.removed)
    for junk in (
        "Share this article:",
        "not necessarily those",
        "Transport2 days ago",
        "New night trains",
        "'We are not there yet'",
    ):
        assert junk in removed
        assert junk not in doc.text


def test_raw_mode_keeps_everything_but_normalises_newlines() -> None:
    data = (FIXTURES / "seed_like.txt").read_bytes().replace(b"\n", b"\r\n")
    doc = parse_document(data, "seed_like.txt", raw=True)
    assert doc.text == (FIXTURES / "seed_like.txt").read_text(encoding="utf-8")
    assert doc.removed == []


def test_leading_navigation_and_cookie_notice_are_removed() -> None:
    text = (
        "Skip to main content\nHome\nNews\nSport\nBusiness\n"
        "We use cookies to personalise content. Read our privacy policy or accept all.\n"
        "Dam project delayed again\n"
        "The dam on the upper river will open a year later than planned, the ministry said on "
        "Friday, blaming supply problems and a shortage of engineers.\n"
    )
    doc = parse_document(text.encode(), "a.txt")
    assert doc.text.startswith("Dam project delayed again\nThe dam on the upper river")
    assert doc.title == "Dam project delayed again"
    assert "Skip to main content" in doc.removed[0]


def test_ad_slots_inside_the_body_are_removed() -> None:
    text = (
        "The first paragraph of the story is long enough to read like an article.\n"
        "Advertisement\n"
        "The second paragraph follows the advertisement slot and also reads like prose.\n"
    )
    doc = parse_document(text.encode(), "a.txt")
    assert "Advertisement" not in doc.text
    assert doc.removed == ["Advertisement"]


def test_real_short_paragraphs_at_the_end_are_kept() -> None:
    text = (
        "The minister resigned on Monday after weeks of pressure over the contracts.\n"
        "Her deputy will take over until an election.\n"
        "It is not clear when that will be.\n"
        '"We will see," he said.\n'
    )
    doc = parse_document(text.encode(), "a.txt")
    assert doc.text == text.strip()
    assert doc.removed == []


def test_only_boilerplate_is_an_error() -> None:
    text = "Share this article:\n-\nWorld2 days ago\nSome other headline\n© 2024 All rights reserved"
    with pytest.raises(InputError, match=r"no article text found in page.txt.*--raw"):
        parse_document(text.encode(), "page.txt")


def test_markdown_front_matter_becomes_metadata() -> None:
    doc = load_document(str(FIXTURES / "front_matter.md"))
    assert doc.kind == "markdown"
    assert doc.text.startswith("# Library reopens after flood repairs\n\nThe city library")
    assert "---" not in doc.text
    assert (doc.title, doc.author, doc.date) == (
        "Library reopens after flood repairs",
        "Tom Berg",
        "2024-05-02",
    )


def test_markdown_heading_is_the_title_without_front_matter() -> None:
    doc = parse_document(b"# Big news\n\nSomething happened today in the city.\n", "n.md")
    assert doc.title == "Big news"
    assert doc.text.startswith("# Big news")


def test_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(b"word " * 300)
    with pytest.raises(InputError, match=r"over the 1,000-byte limit.*--max-bytes"):
        load_document(str(path), max_bytes=1000)
    assert DEFAULT_MAX_BYTES == 5 * 1024 * 1024


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_source(str(tmp_path / "nope.txt"))
    with pytest.raises(InputError, match="is a directory"):
        read_source(str(tmp_path))


class _Stdin:
    def __init__(self, data: bytes) -> None:
        self.buffer = io.BytesIO(data)


def test_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", _Stdin(FRENCH.encode("cp1252")))
    assert load_document("-").text == FRENCH


def test_stdin_size_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", _Stdin(b"x" * 2000))
    with pytest.raises(InputError, match="- is over the 1,000-byte limit"):
        read_source("-", max_bytes=1000)


def test_text_is_deterministic() -> None:
    data = (FIXTURES / "news_page.html").read_bytes()
    assert parse_document(data, "a.html").text == parse_document(data, "a.html").text


def test_html_title_loses_the_site_name_suffix() -> None:
    body = "<p>" + " ".join(["The river rose two metres overnight, officials said."] * 8) + "</p>"
    page = (
        "<html><head><title>Floods close the old bridge | Valley News</title>"
        '<meta property="og:site_name" content="Valley News"></head>'
        f"<body><article>{body}{body}</article></body></html>"
    )
    doc = parse_document(page.encode(), "p.html")
    assert (doc.title, doc.site) == ("Floods close the old bridge", "Valley News")


def test_html_article_with_a_code_listing_is_not_refused_as_code() -> None:
    code = "\n".join(f"def step_{i}(x):\n    return x + {i}" for i in range(30))
    page = (
        "<html><head><title>Kernel news</title></head><body><article><h1>Kernel news</h1>"
        "<p>The kernel developers merged a new scheduler this week, the maintainer said.</p>"
        f"<pre>{code}</pre></article></body></html>"
    ).encode()
    doc = parse_document(page, "news.html")
    assert "new scheduler" in doc.text
