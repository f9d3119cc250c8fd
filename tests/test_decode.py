"""summarize.ingest.decode: bytes -> text, or a clear refusal."""

from __future__ import annotations

import codecs
import gzip

import pytest

from summarize.errors import InputError
from summarize.ingest.decode import decode_bytes, gunzip, is_gzip, normalize_newlines

TEXT = "Минск и Москва договорились. Café, naïve, “quotes”."


@pytest.mark.parametrize(
    "data",
    [
        TEXT.encode("utf-8"),
        codecs.BOM_UTF8 + TEXT.encode("utf-8"),
        codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"),
        codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"),
        codecs.BOM_UTF32_LE + TEXT.encode("utf-32-le"),
    ],
)
def test_unicode_with_and_without_bom(data: bytes) -> None:
    assert decode_bytes(data, "a.txt") == TEXT


def test_legacy_cyrillic_is_detected() -> None:
    text = "Президент Беларуси заявил, что страна не будет втянута в войну. " * 4
    assert decode_bytes(text.encode("cp1251"), "a.txt") == text


def test_declared_html_charset_wins() -> None:
    page = '<html><head><meta charset="iso-8859-1"></head><body>Caf\u00e9 au lait</body></html>'
    assert "Café" in decode_bytes(page.encode("latin-1"), "a.html")


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"%PDF-1.7\n" + b"\x00" * 40, "PDF"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "PNG"),
        (b"hello\x00world" * 10, "NUL bytes"),
    ],
)
def test_binary_is_refused_with_what_it_looks_like(data: bytes, kind: str) -> None:
    with pytest.raises(InputError, match=kind):
        decode_bytes(data, "x.txt")


def test_a_few_broken_utf8_bytes_are_kept_and_marked() -> None:
    data = ("Añadir " * 100).encode("utf-8") + b"\xff" + b" fin"
    text = decode_bytes(data, "a.txt")
    assert text.count("\ufffd") == 1 and text.endswith(" fin")


def test_gzip_is_recognised_and_bounded() -> None:
    packed = gzip.compress(b"x" * 1000)
    assert is_gzip(packed) and not is_gzip(b"plain")
    assert gunzip(packed, "a.gz", max_bytes=1000) == b"x" * 1000
    with pytest.raises(InputError, match="over the 999-byte limit"):
        gunzip(packed, "a.gz", max_bytes=999)
    with pytest.raises(InputError, match="corrupt"):
        gunzip(packed[:10] + b"garbage", "a.gz", max_bytes=1000)


def test_newlines_become_lf() -> None:
    assert normalize_newlines("a\r\nb\rc\nd") == "a\nb\nc\nd"
