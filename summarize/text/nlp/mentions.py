"""Name mentions of a parsed article and their grouping into one group per real-world entity.

1. mentions  spaCy entities (PERSON, ORG, GPE, LOC, NORP, FAC), proper-noun runs spaCy
             missed, and datelines ("NORPORT —"); cleaned of "the", "'s" and titles, cut
             at line breaks. A mention on a heading (a line in capitals, a title-case first
             line) counts only as far as it matches a name of the body, or when it is a
             country, a dateline or the first cell of a table row: headings are never
             actors by themselves.
2. groups    one group per real-world entity: the same name, a surname or title form of
             one full name (the nearest full name when two people share a surname), an
             organisation's shorter form or acronym, a country's short form ("US").
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from summarize.text import CONNECTORS
from summarize.text.nlp import lexicon as lx
from summarize.text.nlp.types import ActorType, Span

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

_ENTITY_LABELS = frozenset(("PERSON", "ORG", "GPE", "LOC", "NORP", "FAC"))
SUBJECTS = frozenset(("nsubj", "nsubjpass", "csubj"))
# Inside a person's or a place's name: the shared connectors without the words that only
# join organisation names ("Department for Education"), plus Arabic particles.
NAME_CONNECTORS = (CONNECTORS - lx.words("for the and")) | lx.words("ibn el")
_DROP_LEFT = lx.words("the a an")
_POSSESSIVE = frozenset(("'s", "'", "\u2019s", "\u2019", "s"))
_MAX_NAME_TOKENS = 7
_TEXT_KEY = "summarize_text"
_SMALL_WORDS = lx.words("a an the and or of to in on at for by with from as is are be vs")
# Datelines: "BRUSSELS 1996-08-22", "NORPORT —", "WASHINGTON, Dec. 8 (UPI) —" (group 1);
# "New York (AFP)" and a dash (group 2).
_DATELINE = re.compile(
    r"^(?:([A-Z][A-Z.'\u2019 -]{2,}?)(?:,\s*[A-Z][\w. ]+?)?\s*(?:\(\w+\)\s*)?"
    r"(?:[\u2014\u2013-]|\s\d{4}-\d\d-\d\d)"
    r"|([A-Z][\w.'\u2019]+(?: [A-Z][\w.'\u2019]+)?)\s*\((?:AP|AFP|Reuters|UPI|CNN|dpa)\)\s*[\u2014\u2013-])"
)


@dataclass
class Mention:
    """One occurrence of a name: character span, token span [first, last), label."""

    start: int
    end: int
    first: int
    last: int
    text: str
    label: str
    title: str = ""
    heading: bool = False


@dataclass
class Group:
    mentions: list[Mention]
    type: ActorType | None = None
    acts: bool = False
    role: str | None = None

    @property
    def first(self) -> int:
        return min(m.start for m in self.mentions)

    def labels(self) -> Counter[str]:
        return Counter(m.label for m in self.mentions)

    @property
    def best(self) -> Mention:
        """The mention with the fullest name, preferring normal case over capitals lines."""
        proper = [m for m in self.mentions if not m.heading] or self.mentions
        return max(
            proper, key=lambda m: (not m.text.isupper(), len(name_words(m.text)), len(m.text), -m.start)
        )

    @property
    def name(self) -> str:
        return self.best.text


def text_of(doc: Doc) -> str:
    """DOC's text, computed once: spaCy rebuilds `Doc.text` from the tokens on every access."""
    cached = doc.user_data.get(_TEXT_KEY)
    if not isinstance(cached, str):
        cached = doc.user_data[_TEXT_KEY] = doc.text
    return cached


def key(text: str) -> str:
    """Comparable form of a name: case, quotes, spacing, "the", "'s" and country short forms folded."""
    k = re.sub(r"\s+", " ", text.replace("\u2019", "'").casefold()).strip()
    k = re.sub(r"^the ", "", k)
    k = re.sub(r" ?'s?$", "", k)
    return lx.COUNTRY_ALIASES.get(k, k)


def name_words(text: str) -> list[str]:
    return key(text).replace(".", " ").split()


def _heading_lines(text: str) -> list[Span]:
    """Lines written in capitals (headings, CoNLL headlines), and a title-case first line
    ("Sanders Told A Female Reporter Not To 'Moan'"), where every word looks like a name."""
    out = []
    for n, line in enumerate(re.finditer(r"[^\n]+", text)):
        letters = [c for c in line.group() if c.isalpha()]
        capitals = len(letters) >= 3 and sum(c.isupper() for c in letters) >= 0.9 * len(letters)
        if capitals or (n == 0 and _title_case(line.group())):
            out.append(Span(line.start(), line.end()))
    return out


def _title_case(line: str) -> bool:
    words = [w for w in re.findall(r"[A-Za-z][\w'\u2019-]*", line) if w.lower() not in _SMALL_WORDS]
    return len(words) >= 4 and sum(w[0].isupper() for w in words) >= 0.8 * len(words)


def _trim_headings(mentions: list[Mention], doc: Doc) -> list[Mention]:
    """Keep a heading's name only as far as it matches a name of the body: "Ted Cruz Refuses"
    becomes "Ted Cruz", "Sanders Told A Female Reporter" becomes "Sanders"."""
    known = {key(m.text) for m in mentions if not m.heading}
    known |= {name_words(m.text)[-1] for m in mentions if not m.heading and name_words(m.text)}
    out: list[Mention] = []
    for m in mentions:
        if (
            not m.heading
            or key(m.text) in known
            or key(m.text) in lx.COUNTRIES
            or m.label == "DATELINE"
            or _table_row(doc, m)
        ):
            out.append(m)
            continue
        for last in range(m.last - 1, m.first, -1):
            end = doc[last - 1].idx + len(doc[last - 1].text)
            if key(text_of(doc)[m.start : end]) in known:
                out.append(
                    Mention(m.start, end, m.first, last, text_of(doc)[m.start : end], m.label, m.title, True)
                )
                break
        else:
            if m.label == "PERSON" and m.last - m.first == 2 and person_shape(m.text):
                out.append(Mention(m.start, m.end, m.first, m.last, m.text, m.label, m.title, False))
    return out


def _clean(doc: Doc, first: int, last: int, label: str, headings: Sequence[Span]) -> list[Mention]:
    """The mention(s) in tokens [first, last): cut at line breaks, without "the", "'s", titles."""
    out: list[Mention] = []
    pieces: list[list[Token]] = [[]]
    for token in doc[first:last]:
        if token.is_space or "\n" in token.text:
            pieces.append([])
        else:
            pieces[-1].append(token)
    for piece in pieces:
        title: list[str] = []
        while piece and (
            piece[0].lower_ in _DROP_LEFT or piece[0].is_punct or piece[0].lower_ in _POSSESSIVE
        ):
            piece = piece[1:]
        while (
            len(piece) > 1 and label in ("PERSON", "PROPN", "ORG") and _is_title_or_demonym(piece[0], label)
        ):
            if is_title(piece[0]):
                title.append(piece[0].text)
            piece = piece[1:]
        while piece and (piece[-1].lower_ in _POSSESSIVE or (piece[-1].is_punct and piece[-1].text != ".")):
            piece = piece[:-1]
        if not piece or len(piece) > _MAX_NAME_TOKENS or not any(c.isalpha() for c in piece[0].text):
            continue
        start, end = piece[0].idx, piece[-1].idx + len(piece[-1].text)
        text = text_of(doc)[start:end]
        title = title or _title_before(doc, piece[0].i)
        in_heading = any(s.start <= start < s.end for s in headings)
        out.append(Mention(start, end, piece[0].i, piece[-1].i + 1, text, label, " ".join(title), in_heading))
    return out


def _is_title_or_demonym(token: Token, label: str) -> bool:
    """A word before a person's name that is not part of it: "President", "Frenchman"."""
    if (
        token.text[:1].isupper()
        and token.lower_.endswith(("man", "woman"))
        and token.lower_ in lx.DEMONYM_NOUNS
    ):
        return True  # "Frenchman Cedric Pioline", even when spaCy calls the whole an ORG
    if label == "ORG":
        return False  # "Russian Weather Service", "General Motors": the words belong to the name
    return is_title(token) or (token.lower_ in lx.DEMONYM_NOUNS and token.text[:1].isupper())


def is_title(token: Token) -> bool:
    return token.text[:1].isupper() and token.lower_.rstrip(".") in lx.TITLE_WORDS


def _title_before(doc: Doc, i: int) -> list[str]:
    """Capitalised title words right before token I ("President" in "President Putin")."""
    words: list[str] = []
    j = i - 1
    while j >= 0 and is_title(doc[j]):
        words.insert(0, doc[j].text)
        j -= 1
    return words


def _entity_mentions(doc: Doc, headings: Sequence[Span]) -> list[Mention]:
    out: list[Mention] = []
    for ent in doc.ents:
        if ent.label_ in _ENTITY_LABELS:
            out.extend(_clean(doc, ent.start, ent.end, ent.label_, headings))
    return out


def _propn_runs(doc: Doc) -> Iterable[tuple[int, int]]:
    """Token ranges of capitalised proper-noun runs ("Pete Sampras", "Leicestershire")."""
    i = 0
    while i < len(doc):
        if not _proper(doc[i]):
            i += 1
            continue
        j = i + 1
        while j < len(doc) and (
            _proper(doc[j]) or (doc[j].lower_ in NAME_CONNECTORS and j + 1 < len(doc) and _proper(doc[j + 1]))
        ):
            j += 1
        yield i, j
        i = j


def _proper(token: Token) -> bool:
    return token.tag_ in ("NNP", "NNPS") and token.text[:1].isupper() and not token.is_space


def _propn_mentions(doc: Doc, headings: Sequence[Span], taken: set[int]) -> list[Mention]:
    """Proper-noun runs spaCy's NER left out, when they look like names and not headings."""
    out: list[Mention] = []
    for first, last in _propn_runs(doc):
        if any(i in taken for i in range(first, last)):
            continue
        for m in _clean(doc, first, last, "PROPN", headings):
            words = name_words(m.text)
            if not words or all(w in lx.CALENDAR or w in lx.TITLE_WORDS for w in words):
                continue
            opener = bool(doc[m.first].is_sent_start) and m.last - m.first == 1 and not m.heading
            if opener and head_of(doc, m).dep_ not in SUBJECTS:
                continue  # a capitalised sentence opener is a name only if it acts ("Pate told")
            out.append(m)
    return out


def _dateline_mentions(doc: Doc, headings: Sequence[Span]) -> list[Mention]:
    """The place of a dateline ("BRUSSELS 1996-08-22", "NORPORT —", "DALLAS (AP) —")."""
    out: list[Mention] = []
    for line in re.finditer(r"[^\n]+", text_of(doc)):
        m = _DATELINE.match(line.group())
        if not m or not re.search(r"[a-z]|\d{4}-\d\d-\d\d", line.group()[m.end() :] + m.group()):
            continue  # "SOCCER - JAPAN GET LUCKY WIN" is a headline in capitals, not a dateline
        group = 1 if m.group(1) else 2
        start, end = line.start() + m.start(group), line.start() + m.end(group)
        span = doc.char_span(start, len(text_of(doc)[:end].rstrip()), alignment_mode="expand")
        if span is not None:
            out.extend(_clean(doc, span.start, span.end, "DATELINE", headings))
    return out


def find_mentions(doc: Doc) -> list[Mention]:
    """All name mentions of DOC, in text order, without overlaps (entities win)."""
    headings = _heading_lines(text_of(doc))
    mentions = _dateline_mentions(doc, headings)
    taken = {i for m in mentions for i in range(m.first, m.last)}
    for m in _entity_mentions(doc, headings):
        if not any(i in taken for i in range(m.first, m.last)):
            mentions.append(m)
            taken.update(range(m.first, m.last))
    mentions.extend(_propn_mentions(doc, headings, taken))
    return sorted(_trim_headings(_split_conjoined(mentions), doc), key=lambda m: m.start)


def capital_ok(group: Group, doc: Doc) -> bool:
    """A name seen only on capitals lines: a country, a dateline place, or a row of a table
    ("ATLANTA 75 50 .600"), whose names are clubs or firms."""
    if key(group.name) in lx.COUNTRIES or any(x.label == "DATELINE" for x in group.mentions):
        return True
    return any(_table_row(doc, m) for m in group.mentions)


def _table_row(doc: Doc, m: Mention) -> bool:
    """Whether M opens a verbless line and a number follows it."""
    nxt = doc[m.last] if m.last < len(doc) else None
    line_start = text_of(doc).rfind("\n", 0, m.start) + 1
    return nxt is not None and nxt.like_num and m.start == line_start and not line_has_verb(doc, m.start)


def head_of(doc: Doc, m: Mention) -> Token:
    """The syntactic head of a mention (the token whose head lies outside it)."""
    for token in doc[m.first : m.last]:
        if not (m.first <= token.head.i < m.last) or token.head.i == token.i:
            return token
    return doc[m.last - 1]


def person_shape(name: str) -> bool:
    """A given name or initials first: "Natalia Voronova", "G. Thorpe", "D.A. Weibring"."""
    words = name.split()
    if len(words) < 2 or org_head(name) or key(name) in lx.COUNTRIES:
        return False
    rest = all(w[:1].isupper() or w.lower() in NAME_CONNECTORS for w in words[1:])
    if re.fullmatch(r"(?:[A-Z]\.){1,3}", words[0]):
        return rest
    return words[0].lower() in lx.first_names() and rest and not words[0].isupper()


def line_has_verb(doc: Doc, at: int) -> bool:
    start = text_of(doc).rfind("\n", 0, at) + 1
    end = text_of(doc).find("\n", at)
    line = doc.char_span(start, len(text_of(doc)) if end < 0 else end, alignment_mode="expand")
    return line is not None and any(t.pos_ == "VERB" for t in line)


def _split_conjoined(mentions: list[Mention]) -> list[Mention]:
    """ "Putin & Lukashenko" tagged as one organisation is two people named elsewhere."""
    known = {key(m.text) for m in mentions}
    out: list[Mention] = []
    for m in mentions:
        parts = re.split(r"\s+(?:&|and)\s+", m.text)
        if len(parts) == 2 and all(key(p) in known for p in parts):
            offset = m.start
            for part in parts:
                at = m.text.index(part, offset - m.start) + m.start
                out.append(Mention(at, at + len(part), m.first, m.last, part, "PERSON", "", m.heading))
                offset = at + len(part)
        else:
            out.append(m)
    return out


def org_head(name: str) -> bool:
    words = name_words(name)
    return bool(words) and (words[-1] in lx.ORG_HEADS or key(name) in lx.GOVERNMENT_SEATS)
