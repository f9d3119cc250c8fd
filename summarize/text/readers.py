"""Which reader does the program's share of a digest for an article's language.

A reader is a module (one folder a language, as spaCy keeps `spacy/lang/xx/`) with two
functions behind one interface:

- `analyze(text) -> Analysis`: sentences, actors, attributions, stance cues (nlp/types.py);
- `extractive_summary(text, analysis, n, *, title) -> list[Span]`: the summary's sentences.

English is `summarize.text.nlp` (spaCy). A language with no reader is refused for that
article by the drafter that needs one (the embedded default); an endpoint reads every
language itself. Readers are imported on first use, so an English run never loads another
language's models.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING, Protocol, cast

from summarize.errors import InputError

if TYPE_CHECKING:
    from summarize.text.nlp.types import Analysis, Span

DEFAULT_LANGUAGE = "en"
READERS: dict[str, str] = {"en": "summarize.text.nlp", "ru": "summarize.text.ru"}
"""ISO 639-1 code -> the module that reads it."""


class Reader(Protocol):
    """What a language's reader module provides."""

    def analyze(self, text: str) -> Analysis:
        """Sentences, actors, attributions and stance cues of TEXT."""
        ...

    def extractive_summary(self, text: str, analysis: Analysis, n: int, *, title: str | None) -> list[Span]:
        """N sentences of TEXT that summarize it, in text order."""
        ...


class UnsupportedLanguage(InputError):
    """The embedded default has no reader for the article's language."""

    def __init__(self, language: str) -> None:
        super().__init__(
            f"the article is in {language_name(language)} ({language}), which the embedded model "
            "cannot read. Summarize it through an endpoint: pass --base-url and --model "
            "(or set OPENAI_API_KEY)"
        )
        self.language = language


def has_reader(language: str | None) -> bool:
    """Whether the embedded default can read LANGUAGE (None: not known, read as English)."""
    return (language or DEFAULT_LANGUAGE) in READERS


def reader_for(language: str | None) -> Reader:
    """The reader of LANGUAGE (None: English); UnsupportedLanguage when there is none."""
    code = language or DEFAULT_LANGUAGE
    if code not in READERS:
        raise UnsupportedLanguage(code)
    module: ModuleType = importlib.import_module(READERS[code])
    return cast("Reader", module)


_NAMES = {
    "en": "English",
    "ru": "Russian",
    "uk": "Ukrainian",
    "be": "Belarusian",
    "pl": "Polish",
    "fr": "French",
    "de": "German",
}


def language_name(code: str) -> str:
    """The English name of the ISO 639-1 CODE, or the code itself when it is not listed."""
    return _NAMES.get(code, code)
