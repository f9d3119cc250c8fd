"""The languages the program can name: ISO 639-1 codes and their English names (data/languages.tsv)."""

from __future__ import annotations

import functools
from pathlib import Path

_DATA = Path(__file__).with_name("data") / "languages.tsv"


@functools.cache
def _languages() -> dict[str, str]:
    rows = (line.split("\t", 1) for line in _DATA.read_text(encoding="utf-8").splitlines())
    return {row[0]: row[1] for row in rows if len(row) == 2 and not row[0].startswith("#")}


def is_language_code(code: str) -> bool:
    """Whether CODE is an ISO 639-1 code ("en", "ru", "uk"), lower case."""
    return code in _languages()


def language_name(code: str) -> str:
    """The English name of the ISO 639-1 CODE, or the code itself when it is not known."""
    return _languages().get(code, code)
