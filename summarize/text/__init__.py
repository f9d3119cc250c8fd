"""The text toolkit: the one place that knows how news English is written.

Sentences and words as spans (`spans`), and the word lists every stage shares
(`lexicon`): titles and honorifics, reporting verbs, hedges, quote characters. Drafting,
actor resolution, grounding, chunking, evaluation and the fakes all use these; none keeps
a list or a sentence rule of its own.
"""

from __future__ import annotations

from summarize.text.lexicon import (
    CONNECTORS,
    DASHES,
    DOUBLE_QUOTES,
    HEDGES,
    HONORIFICS,
    INVISIBLE,
    NAME_STOPWORDS,
    PERSON_TITLES,
    PRONOUNS,
    REPORTER,
    REPORTING_VERBS,
    SINGLE_QUOTES,
    TITLES,
    has_quote,
    is_demonym,
    is_title,
)
from summarize.text.spans import Span, sentence_ends, sentence_spans, sentences, words

__all__ = [
    "CONNECTORS",
    "DASHES",
    "DOUBLE_QUOTES",
    "HEDGES",
    "HONORIFICS",
    "INVISIBLE",
    "NAME_STOPWORDS",
    "PERSON_TITLES",
    "PRONOUNS",
    "REPORTER",
    "REPORTING_VERBS",
    "SINGLE_QUOTES",
    "TITLES",
    "Span",
    "has_quote",
    "is_demonym",
    "is_hedged",
    "is_title",
    "sentence_ends",
    "sentence_spans",
    "sentences",
    "split_title",
    "words",
]


def is_hedged(text: str) -> bool:
    """Whether TEXT carries a hedge cue (allegedly, reportedly, according to, claimed...)."""
    return HEDGES.search(text) is not None


def split_title(words_: list[str]) -> tuple[list[str], list[str]]:
    """(["Russian", "President"], ["Vladimir", "Putin"]) from "Russian President Vladimir Putin".

    The title is everything up to the last title word, when at least one word follows it.
    """
    last = max((i for i, w in enumerate(words_) if is_title(w)), default=-1)
    if 0 <= last < len(words_) - 1:
        return words_[: last + 1], words_[last + 1 :]
    return [], words_
