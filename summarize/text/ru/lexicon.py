"""The Russian reader's word lists, read from the data files next to it (data/*.txt).

Each file says where its words came from in its first lines (`#` comments). Everything is
lower case with ё written as е, the form natasha's lemmatiser gives; the code matches
lemmas and lower-cased text against these sets and holds no vocabulary of its own.
"""

from __future__ import annotations

import functools
from importlib import resources

from summarize.text.nlp.types import Polarity


def fold(text: str) -> str:
    """TEXT lower-cased with ё as е: the form lemmas and the lists are compared in."""
    return text.casefold().replace("ё", "е")


@functools.cache
def _lines(name: str) -> tuple[str, ...]:
    raw = resources.files("summarize.text.ru").joinpath("data").joinpath(name).read_text(encoding="utf-8")
    return tuple(fold(line.strip()) for line in raw.splitlines() if line.strip() and not line.startswith("#"))


def cue_verbs() -> frozenset[str]:
    """Lemmas of verbs of saying and believing ("заявить", "считать")."""
    return frozenset(_lines("cues.txt"))


def according_phrases() -> tuple[str, ...]:
    """Phrases that name the source of their sentence ("по словам"), longest first."""
    return tuple(sorted(_lines("according.txt"), key=len, reverse=True))


def hedges() -> tuple[str, ...]:
    """Words and phrases that mark a claim unconfirmed ("якобы")."""
    return _lines("hedges.txt")


def roles() -> frozenset[str]:
    """Lemmas of role nouns ("президент", "пресс-секретарь")."""
    return frozenset(_lines("roles.txt"))


def organizations() -> frozenset[str]:
    """Base forms of institutions the NER calls places ("кремль", "евросоюз")."""
    return frozenset(_lines("organizations.txt"))


def not_actors() -> frozenset[str]:
    """Base forms of names that are no one in particular ("сми")."""
    return frozenset(_lines("not_actors.txt"))


def stop_words() -> frozenset[str]:
    """Function words the summary does not count."""
    return frozenset(w for line in _lines("stopwords.txt") for w in line.split())


@functools.cache
def stance_verbs() -> dict[tuple[str, str | None], Polarity]:
    """(lemma, preposition or None) -> the side the verb takes on its own."""
    out: dict[tuple[str, str | None], Polarity] = {}
    for line in _lines("stances.txt"):
        verb, polarity = line.split("\t")
        lemma, _, prep = verb.partition(" ")
        out[(lemma, prep or None)] = "support" if polarity == "support" else "oppose"
    return out


@functools.cache
def pronouns() -> dict[str, str]:
    """Subject pronoun -> "masc", "fem" or "plur"."""
    out: dict[str, str] = {}
    for line in _lines("pronouns.txt"):
        word, number = line.split("\t")
        out[word] = number
    return out
