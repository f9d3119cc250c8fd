"""People's names compared: the one rule every resolver uses to tell one person from two.

`same_person` is the rule; `same_surname` the single place where spelling variants of a
surname (inflection, transliteration) are to be recognised. The parse's grouping
(text/nlp/groups.py), the endpoint's actors (resolve.py) and the cross-article resolver
(output/crossref.py) all ask these functions, so they agree on who is who.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from summarize.text import is_title, split_title
from summarize.text.lexicon import CONNECTORS, FEMALE_HONORIFICS, MALE_HONORIFICS


def tokens(name: str) -> list[str]:
    """The words of NAME, dots as spaces ("G.W." -> "G", "W"), curly apostrophes straight."""
    return re.sub(r"[\u2019`]", "'", name).replace(".", " ").split()


# The same names recur in every article of a batch, and the cross-article resolver asks
# about each many times: the name rules are computed once per name.
@lru_cache(maxsize=1 << 16)
def name_key(name: str) -> str:
    """The comparable form of a name: case, spacing, dots, "the ...", "...'s" ignored."""
    key = " ".join(tokens(name)).casefold()
    key = re.sub(r"^the ", "", key)
    return re.sub(r"'s$", "", key)


def _data(name: str) -> dict[str, str]:
    text = resources.files("summarize.text").joinpath("data").joinpath(name).read_text(encoding="utf-8")
    pairs = (line.split() for line in text.splitlines() if line.strip() and not line.startswith("#"))
    return {name: gender for name, gender in pairs}


@functools.lru_cache(maxsize=1)
def given_names() -> dict[str, str]:
    """Given names (lower case) and their usual gender: m, f or u (text/data/first_names.txt)."""
    return _data("first_names.txt")


@functools.lru_cache(maxsize=1)
def _genders() -> dict[str, str]:
    """The gender of a given name, common words among them ("Bill": given_name_words.txt)."""
    return {**_data("given_name_words.txt"), **given_names()}


_SUFFIXES = frozenset(("jr", "sr", "ii", "iii", "iv"))


@dataclass(frozen=True)
class PersonName:
    """A person's name read apart: given names (initials as one letter), surname, suffix, gender."""

    given: tuple[str, ...]
    surname: str
    suffix: str
    gender: str | None
    """ "f" or "m" from an honorific ("Mrs", "Sir") or a known given name; None when unknown."""


@lru_cache(maxsize=1 << 16)
def person_name(name: str) -> PersonName | None:
    """NAME read as a person's name, titles and honorifics off; None when nothing is left."""
    title, rest = split_title(name_key(name).split())
    if not title:  # "Mr. King": "king" is a title word too, so split_title keeps it all
        while len(rest) > 1 and is_title(rest[0]):
            title, rest = [*title, rest[0]], rest[1:]
    words = [w for w in rest if w not in CONNECTORS]
    suffix = words.pop() if len(words) > 1 and words[-1] in _SUFFIXES else ""
    if not words:
        return None
    honorifics = set(title)
    gender: str | None = None
    if honorifics & FEMALE_HONORIFICS:
        gender = "f"
    elif honorifics & MALE_HONORIFICS:
        gender = "m"
    elif len(words) > 1 and len(words[0]) > 1:
        gender = {"m": "m", "f": "f"}.get(_genders().get(words[0], "u"))
    return PersonName(tuple(words[:-1]), words[-1], suffix, gender)


def _given_agree(a: Sequence[str], b: Sequence[str]) -> bool:
    """Given names agree: one side may lack them (or its middle ones); an initial agrees with
    the names it starts ("G." with "George"), but "H. W." never with "W."."""
    if not a or not b:
        return True
    if len(a) > 1 and len(b) > 1 and len(a) != len(b):
        return False
    return all(x == y or (min(len(x), len(y)) == 1 and x[0] == y[0]) for x, y in zip(a, b, strict=False))


def same_surname(a: str, b: str) -> bool:
    """Whether two surnames (keys) are one: the single place where spelling variants go."""
    return a == b


def same_person(a: str, b: str) -> bool:
    """Whether names A and B can name one person (the one name rule of every resolver).

    The surname must be one; the given names must agree (different given names or initials:
    two people, "George H. W. Bush" and "George W. Bush"); a surname alone agrees with any
    full name of that surname unless the genders differ ("Mrs. Trump" is not Donald Trump).
    """
    pa, pb = person_name(a), person_name(b)
    if pa is None or pb is None or not same_surname(pa.surname, pb.surname):
        return False
    return _agree(pa, pb)


def two_people(names: Iterable[str]) -> bool:
    """Whether NAMES hold two different full names of one surname ("Hillary Clinton", "Bill Clinton")."""
    fulls = [p for p in map(person_name, names) if p is not None and p.given]
    return any(
        same_surname(a.surname, b.surname) and not _agree(a, b)
        for i, a in enumerate(fulls)
        for b in fulls[i + 1 :]
    )


def _agree(pa: PersonName, pb: PersonName) -> bool:
    if pa.gender and pb.gender and pa.gender != pb.gender:
        return False
    if pa.given and pb.given and pa.suffix != pb.suffix:
        return False
    a, b = (*pa.given, pa.surname), (*pb.given, pb.surname)
    shorter, longer = sorted((a, b), key=len)
    if longer[len(longer) - len(shorter) :] == shorter:
        return True  # "Peña Nieto", "Suu Kyi", "Hillary Clinton": the end of the longer name
    return _given_agree(pa.given, pb.given)


def short_form_of(short: str, full: str) -> bool:
    """Whether SHORT names the person FULL by a shorter or title form: "Putin", "President
    Putin", "Russian President Vladimir Putin" for "Vladimir Putin" (same_person decides)."""
    s, f = person_name(short), person_name(full)
    if s is None or f is None or not f.given or name_key(short) == name_key(full):
        return False
    return len(s.given) <= len(f.given) and same_person(short, full)
