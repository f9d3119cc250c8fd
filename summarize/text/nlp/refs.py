"""From tokens to actors: the actor table and the resolution of pronouns and descriptions.

`ActorTable.refer` maps a noun phrase (a subject, "by X", "according to X") to actors:
a name; a pronoun (he/she: the nearest salient person of that gender, the subject first;
"they": actors named together, unless the previous sentence's subject is an unnamed noun
phrase such as "the opposition"); a description ("the spokesman" -> the actor with that
role; "the board" -> the organisation with that word in its name; "the senator" -> the
nearest salient person); or a name inside the phrase ("Trump's spokeswoman Hope Hicks").
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from summarize.text.nlp import lexicon as lx
from summarize.text.nlp.mentions import key, name_words
from summarize.text.nlp.types import ActorCandidate, ActorType, Span

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token


@dataclass
class Salient:
    """An actor referred to at token I of sentence S (a name, or a resolved pronoun)."""

    sentence: int
    i: int
    names: tuple[str, ...]
    subject: bool


@dataclass
class ActorTable:
    """Actors and places of one article, and the way from tokens to actors."""

    doc: Doc
    sentences: list[Span]
    actors: list[ActorCandidate]
    places: list[ActorCandidate]
    token_actor: dict[int, str]
    types: dict[str, ActorType]
    genders: dict[str, str]
    salient: list[Salient] = field(default_factory=list)
    resolved: dict[int, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._token_starts = [t.idx for t in self.doc]
        self._sentence_starts = [s.start for s in self.sentences]

    def sentence_of(self, i: int) -> int:
        """Index of the sentence holding token I (the last sentence starting before it)."""
        return max(0, bisect_right(self._sentence_starts, self.doc[i].idx) - 1)

    def tokens(self, span: Span) -> list[Token]:
        """The tokens starting inside SPAN, whitespace left out."""
        lo = bisect_left(self._token_starts, span.start)
        hi = bisect_left(self._token_starts, span.end)
        return [t for t in self.doc[lo:hi] if not t.is_space]

    def named(self, token: Token) -> tuple[str, ...]:
        """The actor named at TOKEN, with conjoined ones ("Putin and Lukashenko")."""
        names = [self.token_actor[token.i]] if token.i in self.token_actor else []
        for c in token.conjuncts:
            if c.i > token.i and c.i in self.token_actor:
                names.append(self.token_actor[c.i])
        return tuple(dict.fromkeys(names))

    def refer(self, token: Token) -> tuple[str, ...]:
        """Actors the noun phrase headed by TOKEN refers to (empty when none or unknown)."""
        if token.i in self.resolved:
            return self.resolved[token.i]
        names = self.named(token) or resolve(self, token)
        if token.conjuncts and names:
            extra = [n for c in token.conjuncts if c.i > token.i for n in (self.named(c) or resolve(self, c))]
            names = tuple(dict.fromkeys([*names, *extra]))
        return names

    def lookup(self, text: str) -> tuple[str, ...]:
        """The one actor whose name or alias is TEXT, or whose surname it is ("Fields")."""
        k = key(text)
        hits = [a.name for a in self.actors if k in {key(n) for n in (a.name, *a.aliases)}]
        if not hits:
            hits = [a.name for a in self.actors if a.type == "person" and name_words(a.name)[-1:] == [k]]
        return (hits[0],) if len(set(hits)) == 1 else ()

    def source(self, token: Token) -> tuple[str, ...]:
        """Who speaks when TOKEN heads a source: the actors it refers to, else an unnamed group
        or institution named by its phrase (`unnamed`)."""
        return self.refer(token) or self.unnamed(token)

    def unnamed(self, token: Token, depth: int = 0) -> tuple[str, ...]:
        """A speaker named by a noun phrase that is not a name and refers to none: "analysts",
        "the defence ministry", "The opposition", "47 percent of voters", "a poll by Gallup"
        (its issuer, when it has one). An actor of type group, organization or (a study cited
        on its own) other is added, named by the phrase without determiners or quantifiers;
        () for a pronoun, a single unnamed person ("an official") or any other noun phrase."""
        lemma = token.lemma_.lower()
        quantity = lemma in lx.QUANTITY_HEADS or token.like_num
        if token.pos_ not in ("NOUN", "NUM") or depth > 2 or _negative(token):
            return ()
        if quantity:
            of = _of_object(token) or _in_object(token)
            if of is not None:
                return self.unnamed(of, depth + 1) or self.refer(of) or self._add(token, "group")
            return self._add(token, "group") if lemma in lx.QUANTITY_HEADS - lx.GROUP_QUANTIFIERS else ()
        if token.pos_ != "NOUN":
            return ()
        if lemma in lx.DOCUMENT_HEADS:
            for issuer in _issuers(token):
                found = self.refer(issuer) or self.unnamed(issuer, depth + 1)
                if found:
                    return found
            return self._add(token, "other")  # "the statement said", "a new poll found"
        if lemma in lx.ORGANISATION_SPEAKERS or token.lower_ in lx.ORGANISATION_SPEAKERS:
            return _named_org(self, token, definite=False) or self._add(token, "organization")
        if lemma in lx.COLLECTIVE_SPEAKERS:
            return self._add(token, "group")
        if lemma in lx.GROUP_SOURCES and (token.tag_ == "NNS" or lemma == "police"):
            return self._add(token, "group")  # "an official said" is one unnamed person, not a group
        return ()

    def group(self, token: Token) -> tuple[str, ...]:
        """An unnamed group of people that speaks ("analysts said", "White House officials say")."""
        return self.unnamed(token)

    def _add(self, token: Token, type_: ActorType) -> tuple[str, ...]:
        """The actor named by the phrase TOKEN heads (a known one of that name, else a new one)."""
        span = _group_span(token)
        name = " ".join(self.doc.text[span.start : span.end].split())
        known = self.lookup(name)
        if known:
            self.token_actor[token.i] = known[0]
            return known
        self.actors.append(ActorCandidate(name, type_, (), None, (span,)))
        self.types[name] = type_
        self.token_actor[token.i] = name
        return (name,)

    def give_role(self, name: str, role: str) -> None:
        """Give the actor NAME the role ROLE ("finance minister") when it has none."""
        for i, actor in enumerate(self.actors):
            if actor.name == name and actor.role is None and actor.type == "person":
                self.actors[i] = replace(actor, role=role)

    def remember(self, token: Token, names: tuple[str, ...]) -> None:
        """Record a resolved subject so that later pronouns can point at it."""
        self.resolved[token.i] = names
        self.salient.append(Salient(self.sentence_of(token.i), token.i, names, True))
        self.salient.sort(key=lambda s: s.i)


_GROUP_MODIFIERS = ("compound", "amod", "nmod", "npadvmod")
_NEGATIVE = frozenset(("no", "none", "nobody", "neither", "nothing"))


def _plural_people(token: Token) -> bool:
    """ "allies", "the opposition": people who are not the possessor they belong to."""
    lemma = token.lemma_.lower()
    return lemma in lx.COLLECTIVE_SPEAKERS or (lemma in lx.GROUP_SOURCES and token.tag_ == "NNS")


def _negative(token: Token) -> bool:
    """ "none of the journalists", "no officials": nobody, so no speaker."""
    return token.lower_ in _NEGATIVE or any(c.dep_ == "det" and c.lower_ in _NEGATIVE for c in token.children)


def _of_object(token: Token) -> Token | None:
    """X in "TOKEN of X" ("the majority of Belarus' opposition")."""
    for child in token.rights:
        if child.dep_ == "prep" and child.lower_ == "of":
            return next((g for g in child.children if g.dep_ == "pobj"), None)
    return None


def _in_object(token: Token) -> Token | None:
    """ "Six in 10": a share of people, with no group named."""
    for child in token.rights:
        if child.dep_ == "prep" and child.lower_ == "in" and any(g.like_num for g in child.children):
            return child
    return None


def _issuers(token: Token) -> list[Token]:
    """Who issued the document TOKEN heads: "the ministry statement", "Gallup's poll", "a poll
    by (from, of) Harvard"."""
    out = [c for c in token.lefts if c.dep_ in ("compound", "poss", "nmod") and c.pos_ in ("NOUN", "PROPN")]
    for child in token.rights:
        if child.dep_ == "prep" and child.lower_ in ("by", "from", "of"):
            out.extend(g for g in child.children if g.dep_ == "pobj")
    return out


def _group_span(token: Token) -> Span:
    """The words naming a group: its modifiers ("White House", "patient advocacy") and an
    adjacent short "of"/"for"/"with" phrase ("members of Congress"); counting words left out."""
    tokens = [token]
    for child in token.lefts:
        if child.dep_ in _GROUP_MODIFIERS and child.lower_ not in lx.GROUP_QUANTIFIERS:
            tokens.extend(t for t in child.subtree if t.lower_ not in lx.GROUP_QUANTIFIERS)
        elif child.dep_ == "poss" and child.pos_ in ("NOUN", "PROPN"):
            # "the minister's closest allies", "Belarus' opposition": the possessor's "the" left out
            tokens.extend(t for t in child.subtree if t.dep_ != "det")
        elif child.dep_ == "nummod" and token.lemma_.lower() in lx.QUANTITY_HEADS:
            tokens.extend(child.subtree)  # "Twenty-four percent"
    for child in token.rights:
        if child.dep_ == "prep" and child.i == token.i + 1 and child.lower_ in lx.GROUP_PREPS | {"in"}:
            inner = list(child.subtree)
            if len(inner) <= 6 and not any(t.dep_ in ("relcl", "acl", "punct") for t in inner):
                tokens.extend(inner)
    start = min(t.idx for t in tokens)
    return Span(start, max(t.idx + len(t.text) for t in tokens))


def resolve(table: ActorTable, token: Token) -> tuple[str, ...]:
    """Actors that the pronoun, relative pronoun or description TOKEN stands for."""
    lower = token.lower_
    if lower in lx.MALE_PRONOUNS or lower in lx.FEMALE_PRONOUNS:
        return _person_antecedent(table, token, "m" if lower in lx.MALE_PRONOUNS else "f")
    if lower in lx.PLURAL_PRONOUNS:
        return _plural_antecedent(table, token)
    if lower in ("who", "that", "which") and token.head.dep_ == "relcl":
        return table.refer(token.head.head) or table.unnamed(token.head.head)
    if token.pos_ in ("NOUN", "PROPN"):
        return _described(table, token) or (table.lookup(token.text) if token.text[:1].isupper() else ())
    return ()


def _person_antecedent(table: ActorTable, token: Token, gender: str) -> tuple[str, ...]:
    """The person a he/she refers to: a subject before it in this or the previous sentences,
    else the last person named there (up to three sentences back)."""
    here = table.sentence_of(token.i)
    for s in range(here, max(-1, here - 4), -1):
        found = [
            x
            for x in table.salient
            if x.sentence == s and x.i < token.i and len(x.names) == 1 and _fits(table, x.names[0], gender)
        ]
        if found:
            subjects = [x for x in found if x.subject]
            pick = (subjects[-1] if s == here else subjects[0]) if subjects else found[-1]
            return pick.names
    return ()


def _fits(table: ActorTable, name: str, gender: str) -> bool:
    if table.types.get(name) != "person":
        return False
    return not gender or table.genders.get(name, gender) == gender


def _plural_antecedent(table: ActorTable, token: Token) -> tuple[str, ...]:
    """ "They": actors named together before (up to three sentences back), unless the
    previous sentence's subject is an unnamed noun phrase ("the opposition"): then that
    group, when it is one that can speak (`ActorTable.unnamed`), else nobody."""
    here = table.sentence_of(token.i)
    subject = _unnamed_subject(table, here - 1) if here > 0 else None
    if subject is not None:
        return table.unnamed(subject)
    for s in range(here, max(-1, here - 4), -1):
        found = [x for x in table.salient if x.sentence == s and x.i < token.i and len(x.names) >= 2]
        groups = [x for x in table.salient if x.sentence == s and x.i < token.i and x.subject
                  and len(x.names) == 1 and table.types.get(x.names[0]) == "group"]  # fmt: skip
        if found or groups:
            return (found or groups)[-1].names
    return ()


def _unnamed_subject(table: ActorTable, s: int) -> Token | None:
    """The main subject of sentence S when it is a noun phrase that names no actor."""
    for token in table.tokens(table.sentences[s]):
        if token.dep_ in ("nsubj", "nsubjpass") and token.head.dep_ == "ROOT":
            return token if token.pos_ == "NOUN" and not table.refer(token) else None
    return None


def _described(table: ActorTable, token: Token) -> tuple[str, ...]:
    """A description: a name inside it ("Trump's spokeswoman Hope Hicks", "a spokesman for the
    Kremlin"), else the actor whose role matches its head noun ("the Belarusian leader")."""
    for child in token.children:
        if child.dep_ in ("appos", "compound") and child.i in table.token_actor:
            return (table.token_actor[child.i],)
    for child in token.children:
        if child.dep_ == "prep" and child.lower_ in ("of", "for", "at"):
            for pobj in child.children:
                if pobj.dep_ == "pobj" and pobj.i in table.token_actor:
                    return (table.token_actor[pobj.i],)
    for child in token.children:
        if child.dep_ == "poss" and child.i in table.token_actor and not _plural_people(token):
            return (table.token_actor[child.i],)  # "Trump's spokeswoman", not "Trump's allies"
    for child in token.children:
        if child.dep_ in ("appos", "compound", "nmod") and child.pos_ == "PROPN":
            inner = [t.i for t in child.subtree if t.i in table.token_actor]
            if inner and table.types.get(table.token_actor[inner[0]]) == "person":
                return (table.token_actor[inner[0]],)
    if token.lemma_.lower() in lx.ROLE_NOUNS or token.lower_ in lx.ROLE_NOUNS:
        found = _by_role(table, token)
        if found:
            return found
    if _definite_person(token):
        gender = "m" if token.lower_ == "man" else "f" if token.lower_ == "woman" else ""
        return _person_antecedent(table, token, gender)
    return _named_org(table, token) or _person_inside(table, token)


def _named_org(table: ActorTable, token: Token, *, definite: bool = True) -> tuple[str, ...]:
    """ "The board said" after "the Illinois Board of Elections": the organisation named before
    whose name holds the description's head noun (with "the" unless not DEFINITE)."""
    if token.pos_ != "NOUN" or (definite and not any(c.lower_ == "the" for c in token.children)):
        return ()
    head = token.lemma_.lower()
    best: tuple[int, str] | None = None
    for actor in table.actors:
        if actor.type == "organization" and head in name_words(actor.name):
            before = [m.start for m in actor.mentions if m.start < token.idx]
            if before and (best is None or max(before) > best[0]):
                best = (max(before), actor.name)
    return (best[1],) if best else ()


def _person_inside(table: ActorTable, token: Token) -> tuple[str, ...]:
    """One person named inside a subject the parser headed oddly ("Saturday at the convention
    Sen. Elizabeth Warren said")."""
    if token.pos_ != "PROPN" and token.lower_ not in lx.ROLE_NOUNS:
        return ()
    skip = {t.i for c in token.children if c.dep_ in ("relcl", "acl", "advcl") for t in c.subtree}
    people = {
        table.token_actor[t.i]
        for t in token.subtree
        if t.i not in skip
        and t.i in table.token_actor
        and table.types.get(table.token_actor[t.i]) == "person"
    }
    return (people.pop(),) if len(people) == 1 else ()


def _definite_person(token: Token) -> bool:
    """ "The senator", "the real estate tycoon", "the GOP front-runner": a definite description
    of a person, which news uses like a pronoun for someone named before."""
    definite = any(c.dep_ == "det" and c.lower_ == "the" for c in token.children)
    return definite and token.lower_ in lx.PERSON_DESCRIPTORS and token.tag_ == "NN"


def _by_role(table: ActorTable, token: Token) -> tuple[str, ...]:
    head = token.lower_
    synonyms = lx.ROLE_SYNONYMS.get(head, frozenset((head,)))
    mods = {t.lower_ for t in token.subtree if t.i != token.i and t.is_alpha}
    best: tuple[int, int, str] | None = None
    for actor in table.actors:
        if not actor.role or not actor.mentions or actor.mentions[0].start > token.idx:
            continue
        words = {w.strip(".,()").lower() for w in actor.role.split()}
        if not words & synonyms:
            continue
        last = max(m.start for m in actor.mentions if m.start < token.idx)
        score = (len(words & mods), last, actor.name)
        best = max(best, score) if best else score
    return (best[2],) if best else ()
