"""Bytes -> str: gzip, byte-order marks, UTF-8, legacy encodings, and refusing binaries.

The order matters: a BOM or a UTF-16 NUL pattern must be seen before the NUL-byte test
that refuses binaries, and gzip is opened before anything looks at the content.
"""

from __future__ import annotations

import codecs
import logging
import re
import unicodedata
import zlib

from summarize.errors import InputError

# Magic numbers of formats people drop into a folder of articles by mistake.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"%PDF-", "PDF document"),
    (b"PK\x03\x04", "ZIP archive or Office document"),
    (b"PK\x05\x06", "ZIP archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "legacy Office document"),
    (b"{\\rtf", "RTF document"),
    (b"BZh", "bzip2 archive"),
    (b"\xfd7zXZ\x00", "xz archive"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip archive"),
    (b"Rar!\x1a\x07", "RAR archive"),
    (b"\x28\xb5\x2f\xfd", "zstd archive"),
    (b"\x7fELF", "executable"),
    (b"SQLite format 3\x00", "SQLite database"),
    (b"OggS", "Ogg media file"),
    (b"ID3", "MP3 audio"),
    (b"fLaC", "FLAC audio"),
    (b"\x1aE\xdf\xa3", "Matroska/WebM video"),
    (b"wOFF", "web font"),
    (b"wOF2", "web font"),
)

_BOMS: tuple[tuple[bytes, str], ...] = (
    # UTF-32 first: its LE BOM starts with the UTF-16 LE BOM.
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

_GZIP_MAGIC = b"\x1f\x8b"
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{2,40})""", re.I)
# Share of control or unassigned characters above which decoded "text" is noise.
_MAX_JUNK_RATIO = 0.02
# Mostly-UTF-8 text is kept with U+FFFD marks up to one broken sequence per this many characters.
_MAX_BAD_UTF8_PER = 200

log = logging.getLogger(__name__)


def _binary_kind(data: bytes) -> str | None:
    """Name the binary format of DATA from its magic number, if it has a known one."""
    head = data[:16]
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] in (b"WEBP", b"WAVE", b"AVI "):
        return {b"WEBP": "WebP image", b"WAVE": "WAV audio", b"AVI ": "AVI video"}[head[8:12]]
    if head[4:8] == b"ftyp":
        return "MP4/QuickTime media file"
    return None


def refuse_binary(path: str, kind: str) -> InputError:
    """The one error for every file that is not text."""
    return InputError(
        f"{path} looks like a binary file ({kind}), not an article. Give a text, Markdown or HTML file"
    )


def is_gzip(data: bytes) -> bool:
    """Whether DATA starts like a gzip file."""
    return data.startswith(_GZIP_MAGIC)


def gunzip(data: bytes, path: str, *, max_bytes: int) -> bytes:
    """Decompress a gzip file, refusing output over MAX_BYTES (zip-bomb safe)."""
    inflater = zlib.decompressobj(wbits=31)
    try:
        out = inflater.decompress(data, max_bytes + 1)
    except zlib.error:
        raise InputError(
            f"{path} looks gzip-compressed but is corrupt. Decompress it yourself and check it"
        ) from None
    if len(out) > max_bytes or inflater.unconsumed_tail:
        raise InputError(
            f"{path} decompresses to over the {max_bytes:,}-byte limit. Split the file or raise --max-bytes"
        )
    return out


def _utf16_without_bom(data: bytes) -> str | None:
    """Guess UTF-16 without a BOM from NULs in every other byte (ASCII-heavy text)."""
    sample = data[:4096]
    if len(sample) < 8:
        return None
    pairs = len(sample) // 2
    even_nuls = sample[0::2].count(0)
    odd_nuls = sample[1::2].count(0)
    if odd_nuls > 0.4 * pairs and even_nuls < 0.05 * pairs:
        return "utf-16-le"
    if even_nuls > 0.4 * pairs and odd_nuls < 0.05 * pairs:
        return "utf-16-be"
    return None


def _declared_charset(data: bytes) -> str | None:
    """The charset an HTML page declares in a <meta> tag, if Python knows it."""
    match = _META_CHARSET.search(data[:4096])
    if not match:
        return None
    name = match.group(1).decode("ascii", "replace")
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


# Tie-break among equally plausible legacy encodings: the ones news files are really in.
_PREFERRED = ("cp1252", "iso8859_1", "cp1251", "koi8_r", "iso8859_15", "cp1250", "iso8859_2")


def _detect(data: bytes) -> str | None:
    """Decode legacy-encoded bytes with charset-normalizer; None when nothing fits."""
    import charset_normalizer  # lazily: only legacy files pay for it

    matches = list(charset_normalizer.from_bytes(data))
    if not matches:
        return None
    least_chaos = min(m.chaos for m in matches)
    calm = [m for m in matches if m.chaos <= least_chaos + 0.01]
    most_coherent = max(m.coherence for m in calm)
    plausible = [m for m in calm if m.coherence >= most_coherent - 0.02]

    def rank(match: charset_normalizer.CharsetMatch) -> int:
        names = [match.encoding, *match.could_be_from_charset]
        return min((_PREFERRED.index(n) for n in names if n in _PREFERRED), default=len(_PREFERRED))

    best = min(plausible, key=rank)
    encoding = next((n for n in _PREFERRED if n in best.could_be_from_charset), best.encoding)
    return data.decode(encoding, errors="replace")


_CONTROL_BYTES = bytes(b for b in range(32) if b not in b"\t\n\r\f\x1b")


def _control_byte_ratio(data: bytes) -> float:
    """Share of C0 control bytes, which no single-byte or UTF-8 text contains."""
    sample = data[:20000]
    if not sample:
        return 0.0
    return sum(sample.count(b) for b in _CONTROL_BYTES) / len(sample)


def _junk_ratio(text: str) -> float:
    """Share of characters that no article contains: controls, unassigned, private use."""
    sample = text[:20000]
    if not sample:
        return 0.0
    junk = 0
    for ch in sample:
        if ch in "\t\n\r\f":
            continue
        if unicodedata.category(ch) in ("Cc", "Cn", "Co", "Cs"):
            junk += 1
    return junk / len(sample)


def decode_bytes(data: bytes, path: str) -> str:
    """Decode DATA to text, or raise InputError when it is binary or undecodable."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _checked(_strict(data[len(bom) :], encoding, path), path)
    kind = _binary_kind(data)
    if kind:
        raise refuse_binary(path, kind)
    utf16 = _utf16_without_bom(data)
    if utf16:
        return _checked(_strict(data, utf16, path), path)
    if data[:8192].count(0) > 0:
        # Text files do not contain NUL bytes; a stray one means a binary or a broken export.
        raise refuse_binary(path, "contains NUL bytes")
    if _control_byte_ratio(data) > _MAX_JUNK_RATIO:
        raise refuse_binary(path, "mostly non-text bytes")
    try:
        return _checked(data.decode("utf-8"), path)
    except UnicodeDecodeError:
        pass
    declared = _declared_charset(data)
    if declared and declared not in ("utf-8", "utf_8"):
        try:
            return _checked(data.decode(declared), path)
        except UnicodeDecodeError:
            pass
    mostly = _mostly_utf8(data, path)
    if mostly is not None:
        return _checked(mostly, path)
    text = _detect(data)
    if text is None:
        raise InputError(
            f"{path} is neither UTF-8 nor a text encoding that could be recognised. Convert it to UTF-8"
        )
    return _checked(text, path)


def _mostly_utf8(data: bytes, path: str) -> str | None:
    """UTF-8 with a few broken bytes (a bad copy-paste or a cut file): keep it, marking them.

    Accepted when the text has real UTF-8 multi-byte characters and at most one invalid
    byte per 200 characters; each one becomes U+FFFD and a warning says how many.
    """
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    multibyte = sum(1 for ch in text if ord(ch) > 127) - bad
    if multibyte < 1 or bad > max(1, len(text) // _MAX_BAD_UTF8_PER):
        return None
    log.warning("%s: %d invalid UTF-8 byte(s) replaced by U+FFFD", path, bad)
    return text


def _strict(data: bytes, encoding: str, path: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        raise InputError(
            f"{path} looks like {encoding} text but is not valid {encoding}. Re-save it as UTF-8"
        ) from None


def _checked(text: str, path: str) -> str:
    """Refuse decoded text that is mostly control characters (a binary that decoded)."""
    if _junk_ratio(text) > _MAX_JUNK_RATIO:
        raise refuse_binary(path, "mostly non-text bytes")
    return text


def normalize_newlines(text: str) -> str:
    """CRLF and lone CR become LF; the only change raw mode makes after decoding."""
    return text.replace("\r\n", "\n").replace("\r", "\n")
