"""Names in their base form: "Лёвы Мартиросяна" -> "Лёва Мартиросян".

natasha normalises a name with its own morphology, which misreads rare given names ("Лёвы"
as a plural) and drops ё. Here each word of a person's name not in the nominative is put
there with pymorphy3 (MIT, its Russian dictionary inside the wheel): among the word's
parses, the name-like ones (Name, Surn, Patr) in the case and number natasha's tagger gave
the token, inflected to the nominative in their own gender ("Петровой" -> "Петрова").
A word pymorphy3 cannot read that way keeps natasha's normal form; the capitalisation and
ё of the written word are kept.
"""

from __future__ import annotations

import functools
from typing import Any

from summarize.text.ru.lexicon import fold
from summarize.text.ru.parse import NamedSpan, Token

_CASES = {"Gen": "gent", "Dat": "datv", "Acc": "accs", "Ins": "ablt", "Loc": "loct", "Nom": "nomn"}
_NAME_TAGS = ("Name", "Surn", "Patr")


@functools.cache
def _morph() -> Any:
    import pymorphy3

    return pymorphy3.MorphAnalyzer(lang="ru")


def like_written(word: str, written: str) -> str:
    """WORD (lower case) with the capitals and ё of WRITTEN where the letters agree."""
    out = []
    for i, ch in enumerate(word):
        w = written[i] if i < len(written) else ""
        if w and fold(w) == fold(ch):
            out.append(w)
        elif i == 0 and written[:1].isupper():
            out.append(ch.upper())
        else:
            out.append(ch)
    return "".join(out)


def _nominative(word: str, case: str) -> str | None:
    """WORD, a name's word in CASE, in the nominative singular: from its name-like parses
    (Name, Surn, Patr) in CASE, else its name-like parses in another case (the tagger may
    give a rare name the case the verb wants), else its nouns and adjectives in CASE."""
    ranked = []
    for p in _morph().parse(word):
        if "plur" in p.tag or p.tag.POS not in ("NOUN", "ADJF") or p.tag.case == "nomn":
            continue
        named = any(t in p.tag for t in _NAME_TAGS)
        if named or p.tag.case == case:
            ranked.append((not named, p.tag.case != case, -p.score, p))
    for *_, p in sorted(ranked, key=lambda r: r[:3]):
        form = p.inflect({"nomn"})
        if form is not None:
            return str(form.word)
    # a given name read only as a plural ("Сулимы"): its dictionary form is the name itself
    given = [p for p in _morph().parse(word) if "Name" in p.tag]
    return str(given[0].normal_form) if given else None


def is_patronymic(word: str) -> bool:
    """Whether WORD can only be a patronymic ("Николаевич"; not "Абрамович", also a surname)."""
    parses = _morph().parse(word)
    return any("Patr" in p.tag for p in parses) and not any("Surn" in p.tag for p in parses)


def person_name(span: NamedSpan, tokens: list[Token]) -> str:
    """The base form of a person's name SPAN: every word in the nominative. The words of a
    name agree in case, so the case is the last word's (a surname declines most surely)."""
    words = [tokens[i] for i in span.tokens]
    case = _CASES.get(words[-1].feats.get("Case", "Nom"), "nomn")
    if case == "nomn":
        return span.text
    normal = span.normal.split()
    out = []
    for n, tok in enumerate(words):
        fixed = _nominative(tok.text, case)
        if fixed is None:
            out.append(normal[n] if len(normal) == len(words) else tok.text)
        else:
            out.append(like_written(fixed, tok.text))
    return _join(out, words)


def plain_name(span: NamedSpan) -> str:
    """The base form of an organisation or place: natasha's normal form, ё as written."""
    if fold(span.normal) == fold(span.text):
        return span.text
    parts = span.normal.split()
    written = span.text.split()
    if len(parts) != len(written):
        return span.normal
    return " ".join(like_written(fold(p), w) for p, w in zip(parts, written, strict=True))


def _join(words: list[str], tokens: list[Token]) -> str:
    """WORDS joined as the tokens were: no space where the text had none ("Н.Кан")."""
    out = words[0]
    for word, before, tok in zip(words[1:], tokens, tokens[1:], strict=False):
        out += ("" if before.end == tok.start else " ") + word
    return out
