"""Actors of a Russian article from natasha's names: grouped, named in the nominative, typed.

1. mentions  natasha's PER/ORG/LOC spans; a span with no capital letter or made only of
             function words is not a name;
2. groups    a person's mentions are one actor when their surnames agree (in the base form,
             or one is the other with a case ending: "Райкконена" / "Райкконен") and their
             given names do not disagree ("Александр Лукашенко" and "Виктор Лукашенко" stay
             two); a lone word joins the nearest person before it whose surname or given
             name it is; organisations and places by their folded base form;
3. names     a person's fullest mention, given name and surname in the nominative
             (patronymic kept as an alias); aliases are the forms as written;
4. types     PER person, ORG organization; a LOC is an actor (country: a place standing for
             its government, factRuEval's LocOrg) only when it is a subject somewhere
             ("Москва заявила"), otherwise a place;
5. roles     the role noun a name is in apposition to ("глава МИД РФ Сергей Лавров",
             "Дмитрий Песков, пресс-секретарь президента"), its words before the name or up
             to the next comma.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from summarize.text.nlp.types import ActorCandidate, ActorType, Span
from summarize.text.ru.lexicon import fold, not_actors, organizations, roles
from summarize.text.ru.names import is_patronymic, person_name, plain_name
from summarize.text.ru.parse import NamedSpan, Parse, Token

_FUNCTION_POS = frozenset({"ADP", "CCONJ", "SCONJ", "PRON", "PART", "DET", "PUNCT", "AUX", "ADV"})
_ENDINGS = ("а", "я", "у", "ю", "ом", "ем", "е", "ым", "им", "ой", "ей", "ы", "и")
_SUBJECT = frozenset({"nsubj", "nsubj:pass"})
_MAX_ROLE_TOKENS = 8
_TYPES: dict[str, ActorType] = {"PER": "person", "ORG": "organization", "LOC": "country"}


@dataclass
class Mention:
    """One name as written: its span, base form, head token and the words of its base form."""

    span: NamedSpan
    base: str
    head: int
    words: list[str]


@dataclass
class Group:
    """The mentions of one actor (or place)."""

    type: str
    mentions: list[Mention] = field(default_factory=list)
    role: str | None = None
    role_words: frozenset[str] = frozenset()
    """Lemmas of the role's words, its head noun first in `role_head`."""
    role_head: str | None = None

    @property
    def surname(self) -> str:
        return fold(self.mentions[0].words[-1])

    def given(self) -> set[str]:
        return {fold(m.words[0]) for m in self.mentions if len(m.words) > 1}


@dataclass
class Table:
    """The actors and places of an article and where they are named."""

    actors: list[ActorCandidate]
    places: list[ActorCandidate]
    by_token: dict[int, str]
    """Token index -> the actor whose mention covers it."""
    persons: list[tuple[int, str, str | None, bool]]
    """Person mentions in text order: (token index, actor name, gender, was a subject)."""
    roles: dict[str, tuple[str, frozenset[str]]]
    """Actor name -> the lemma of its role's head noun and the lemmas of all its words."""


def head_token(parse: Parse, span: NamedSpan) -> int:
    """The token of SPAN whose head lies outside it (the last token when the parse says none)."""
    inside = set(span.tokens)
    for i in span.tokens:
        if parse.tokens[i].head not in inside:
            return i
    return span.tokens[-1]


def _is_name(parse: Parse, span: NamedSpan) -> bool:
    toks = [parse.tokens[i] for i in span.tokens]
    if not toks or not re.search(r"[A-ZА-ЯЁ]", span.text):
        return False
    if all(t.pos in _FUNCTION_POS for t in toks):
        return False
    return not (len(toks) == 1 and toks[0].lemma in roles())


def _mention(parse: Parse, span: NamedSpan) -> Mention:
    if span.type == "PER":
        base = person_name(span, parse.tokens)
        words = base.split()
        if len(words) > 2:  # given name, surname; a patronymic or second given name is an alias
            words = [words[0], words[-1]]
    else:
        base = plain_name(span)
        words = base.split()
    return Mention(span, base, head_token(parse, span), words)


def _same_surname(a: str, b: str) -> bool:
    if a == b:
        return True
    short, long_ = sorted((a, b), key=len)
    return len(short) >= 4 and long_.startswith(short) and long_[len(short) :] in _ENDINGS


def _given_agree(a: set[str], b: set[str]) -> bool:
    """Given names that may be one person's: equal up to a case ending, or an initial."""
    if not a or not b:
        return True
    return any(_same_surname(x, y) or (x[:1] == y[:1] and min(len(x), len(y)) <= 2) for x in a for y in b)


def _group_persons(mentions: list[Mention]) -> list[Group]:
    groups: list[Group] = []
    for m in mentions:  # "Борис Николаевич": a given name and patronymic, no surname
        if len(m.words) == 2 and is_patronymic(m.words[1]):
            m.words = m.words[:1]
    full = [m for m in mentions if len(m.words) > 1]
    lone = [m for m in mentions if len(m.words) == 1]
    for m in full:
        given = {fold(m.words[0])}
        match = next(
            (
                g
                for g in groups
                if _same_surname(g.surname, fold(m.words[-1])) and _given_agree(g.given(), given)
            ),
            None,
        )
        if match is None:
            groups.append(Group("PER", [m]))
        else:
            match.mentions.append(m)
    for m in lone:
        word = fold(m.words[0])
        before = [g for g in groups if _same_surname(g.surname, word) or word in g.given()]
        if before:
            # the person named nearest before (or, failing that, after) this word
            def distance(g: Group, m: Mention = m) -> tuple[bool, int]:
                starts = [x.span.start for x in g.mentions if x.span.start != m.span.start]
                prior = [m.span.start - s for s in starts if s < m.span.start]
                return (not prior, min(prior) if prior else min(abs(s - m.span.start) for s in starts))

            min(before, key=distance).mentions.append(m)
        else:
            groups.append(Group("PER", [m]))
    return groups


def _group_plain(mentions: list[Mention]) -> list[Group]:
    groups: dict[tuple[str, str], Group] = {}
    for m in mentions:
        groups.setdefault((m.span.type, fold(m.base)), Group(m.span.type)).mentions.append(m)
    return list(groups.values())


def _role(parse: Parse, m: Mention) -> tuple[str, str, frozenset[str]] | None:
    """The role written with mention M, its head noun's lemma and its words' lemmas, if any."""
    tokens = parse.tokens
    head = tokens[m.head]
    inside = set(m.span.tokens)
    candidates: list[Token] = []
    if head.head >= 0 and head.rel in ("appos", "flat:name", "nmod") and tokens[head.head].lemma in roles():
        candidates.append(tokens[head.head])
    candidates += [t for t in parse.kids(m.head) if t.rel == "appos" and t.lemma in roles()]
    if m.span.tokens[0] > 0 and tokens[m.span.tokens[0] - 1].lemma in roles():
        candidates.append(tokens[m.span.tokens[0] - 1])
    for role in candidates:
        below = [i for i in parse.subtree(role.i) if i not in inside and tokens[i].sent == head.sent]
        if role.i < m.span.tokens[0]:
            words = [i for i in below if i < m.span.tokens[0]]
            words = [i for i in words if all(tokens[j].pos != "PUNCT" for j in range(i, m.span.tokens[0]))]
        else:
            words = []
            for i in below:
                if i >= role.i and tokens[i].pos == "PUNCT" and tokens[i].text not in '-—«»"':
                    break
                if i >= role.i:
                    words.append(i)
        words = [i for i in words if tokens[i].pos != "PUNCT" or tokens[i].text in '«»"']
        if words and len(words) <= _MAX_ROLE_TOKENS and role.i in words:
            text = parse.text[tokens[words[0]].start : tokens[words[-1]].end]
            if tokens[words[0]].lemma in roles():  # "Глава МИД РФ" opening a sentence: a common noun
                text = text[:1].lower() + text[1:]
            return text, role.lemma, frozenset(tokens[i].lemma for i in words)
    return None


def _is_subject(parse: Parse, m: Mention) -> bool:
    """Whether M is a subject, or names the role noun that is ("президент ... Лукашенко позвонил")."""
    head = parse.tokens[m.head]
    if head.rel in _SUBJECT:
        return True
    return head.rel == "appos" and head.head >= 0 and parse.tokens[head.head].rel in _SUBJECT


def _acts(parse: Parse, group: Group) -> bool:
    return any(parse.tokens[m.head].rel in _SUBJECT for m in group.mentions)


def _name(group: Group) -> str:
    if group.type != "PER":
        counts: dict[str, int] = {}
        for m in group.mentions:
            counts[m.base] = counts.get(m.base, 0) + 1
        return max(counts, key=lambda b: (counts[b], len(b)))
    best = max(group.mentions, key=lambda m: (len(m.words), m.base == m.span.text, -m.span.start))
    return " ".join(best.words)


def _candidate(group: Group, type_: ActorType) -> ActorCandidate:
    name = _name(group)
    forms = [m.span.text for m in group.mentions] + [m.base for m in group.mentions]
    aliases = tuple(dict.fromkeys(f for f in forms if fold(f) != fold(name)))
    mentions = tuple(sorted({Span(m.span.start, m.span.end) for m in group.mentions}))
    return ActorCandidate(name, type_, aliases, group.role, mentions)


def _gender(parse: Parse, m: Mention) -> str | None:
    gender = parse.tokens[m.head].feats.get("Gender")
    return fold(gender) if gender else None


def build_actors(parse: Parse) -> Table:
    """The actors and places of PARSE (see the module docstring)."""
    mentions = [
        _mention(parse, s) for s in parse.spans if s.type in ("PER", "ORG", "LOC") and _is_name(parse, s)
    ]
    mentions = [m for m in mentions if fold(m.base) not in not_actors()]
    for m in mentions:
        if m.span.type == "LOC" and fold(m.base) in organizations():
            m.span = replace(m.span, type="ORG")
    groups = _group_persons([m for m in mentions if m.span.type == "PER"])
    groups += _group_plain([m for m in mentions if m.span.type != "PER"])
    groups.sort(key=lambda g: min(m.span.start for m in g.mentions))
    actors, places = [], []
    by_token: dict[int, str] = {}
    persons: list[tuple[int, str, str | None, bool]] = []
    role_heads: dict[str, tuple[str, frozenset[str]]] = {}
    for group in groups:
        if group.type == "PER":
            found = next((r for m in group.mentions if (r := _role(parse, m))), None)
            if found:
                group.role, group.role_head, group.role_words = found
        candidate = _candidate(group, _TYPES[group.type])
        if group.type == "LOC" and not _acts(parse, group):
            places.append(candidate)
            continue
        actors.append(candidate)
        if group.role_head:
            role_heads[candidate.name] = (group.role_head, group.role_words)
        for m in group.mentions:
            by_token.update(dict.fromkeys(m.span.tokens, candidate.name))
            if group.type == "PER":
                persons.append((m.span.tokens[0], candidate.name, _gender(parse, m), _is_subject(parse, m)))
    persons.sort()
    return Table(actors, places, by_token, persons, role_heads)
