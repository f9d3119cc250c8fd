"""Actors from a parsed article: type the mention groups, give them roles, build the table.

1. types     from spaCy's votes corrected by the text: titles, appositive roles, given names
             and "( Italy )" / "(R-Fla.)" after a name make a person; organisation head
             words ("Department", "Association") and seats of government ("the Kremlin") an
             organisation; states a country; a town that beats someone or heads a results
             row its club.
2. actors    a state, region or building is an actor only when it acts somewhere (subject,
             agent, possessor, "against X"); otherwise it is a place. Adjectives of
             nationality (NORP) are dropped unless a plural noun acts ("the Republicans").
3. roles     appositions ("Ned Price, spokesperson for ..."), "role, Name" ("Westmark's
             transport minister, Lena Vogt"), titles before the name ("Russian President"),
             "X of the Kremlin".
4. table     `build_actors` returns an ActorTable (refs.py) with every subject pronoun
             and description resolved in reading order.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING

from summarize.text.nlp import lexicon as lx
from summarize.text.nlp.groups import group_mentions
from summarize.text.nlp.mentions import (
    SUBJECTS,
    Group,
    Mention,
    find_mentions,
    head_of,
    key,
    line_has_verb,
    org_head,
    person_shape,
    text_of,
)
from summarize.text.nlp.refs import ActorTable, Salient, resolve
from summarize.text.nlp.types import ActorCandidate, ActorType, Span

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

__all__ = ["ActorTable", "build_actors", "key", "text_of"]

_MAX_TITLE_TOKENS = 6
_LABEL_TYPES: dict[str, ActorType] = {
    "PERSON": "person",
    "ORG": "organization",
    "GPE": "country",
    "LOC": "other",
    "FAC": "other",
}
_BRACKET = re.compile(r"\s*\(\s*([^()\n]{1,30}?)\s*\)")
_PARTY_STATE = re.compile(r"[RDI]\s*-\s*[A-Z][\w.]*\.?")
_MODEL_DESIGNATION = re.compile(r"[A-Z][a-z]+-(?:[A-Z]\d*|\d+)[A-Z]?")
_WHERE_PREPS = frozenset(("in", "at", "near", "outside"))
# Verbs whose object is treated as an actor when it is a state ("met Russia", "backed China").
_ACTING_OBJECT_VERBS = lx.STANCE_VERBS | lx.words(
    """meet accuse urge warn ask help invade attack sanction beat defeat join threaten pressure
    tell call thank blame lose draw play face host"""
)


def _type_of(group: Group, doc: Doc) -> ActorType | None:
    """The actor type of GROUP, or None when it is no actor (nationality adjective, disease ...)."""
    name = group.name
    k = key(name)
    labels = group.labels()
    if k in lx.NON_ACTORS or all(key(m.text) in lx.NON_ACTORS for m in group.mentions):
        return None
    if _MODEL_DESIGNATION.fullmatch(name):
        return None  # a weapon or product: "Iskander-M", "Patriot-3"
    if k in lx.KNOWN_ORGANISATIONS or k in lx.ORGANISATION_STATES or (org_head(name) and not _titled(group)):
        return "organization"
    if k in lx.COUNTRIES or labels["DATELINE"]:
        return "country"  # a dateline names a town or a state, never a firm or a person
    if (
        _titled(group)
        or (group.role and _role_word(group.role))
        or person_shape(name)
        or _affiliated(group, doc)
    ):
        return "person"
    if labels["NORP"] >= max(labels["PERSON"], labels["ORG"], labels["GPE"], 1):
        return "group" if _plural_noun(group, doc) else None
    return _type_by_vote(labels, group, doc)


def _type_by_vote(labels: Counter[str], group: Group, doc: Doc) -> ActorType | None:
    labels = labels.copy()
    labels["GPE"] += labels.pop("DATELINE", 0)  # a dateline names a town or a state
    best = max(("PERSON", "GPE", "ORG", "LOC", "FAC"), key=lambda lab: labels[lab])
    if labels[best] == 0:
        return _propn_type(group, doc)
    return _LABEL_TYPES[best]


def _propn_type(group: Group, doc: Doc) -> ActorType | None:
    """A proper-noun run spaCy did not tag: a person if it speaks with a full name, else an
    organisation (sports clubs, firms and newspapers are what spaCy misses most)."""
    words = group.name.split()
    heads = [head_of(doc, m) for m in group.mentions]
    if any(h.dep_ in SUBJECTS and h.head.lemma_ in lx.SPEECH_VERBS for h in heads) and len(words) >= 2:
        return "person"
    if _club(group.name, doc, group.best):
        return "organization"
    if 2 <= len(words) <= 3 and all(w[:1].isupper() and not w.isupper() for w in words):
        return "person"
    return "organization"


def _club(name: str, doc: Doc, m: Mention) -> bool:
    """ "Dynamo Batumi", "Red Star Belgrade": a club word first, or a place name last."""
    words = name.split()
    return words[0].lower() in lx.CLUB_WORDS or (
        len(words) >= 2 and doc[m.last - 1].ent_type_ in ("GPE", "LOC")
    )


def _affiliated(group: Group, doc: Doc) -> bool:
    """ "Renzo Furlan ( Italy )", "Marco Rubio (R-Fla.)": a two- or three-word name followed by a
    bracketed country or party-state, as results tables and US politics write people."""
    text = text_of(doc)
    for m in group.mentions:
        words = m.text.split()
        if not 2 <= len(words) <= 3 or org_head(m.text) or not all(w[:1].isupper() for w in words):
            continue
        if _club(m.text, doc, m):
            continue
        bracket = _BRACKET.match(text, m.end)
        if bracket and (key(bracket.group(1)) in lx.COUNTRIES or _PARTY_STATE.fullmatch(bracket.group(1))):
            return True
    return False


def _titled(group: Group) -> bool:
    return any(m.title for m in group.mentions)


def _role_word(role: str) -> bool:
    return any(w.strip(".,()").lower() in lx.ROLE_NOUNS | lx.TITLE_WORDS for w in role.split())


def _plural_noun(group: Group, doc: Doc) -> bool:
    """ "The Republicans said": a plural nationality or party noun that acts."""
    for m in group.mentions:
        h = head_of(doc, m)
        if h.tag_ in ("NNPS", "NNS") and _acting(h):
            return True
    return False


def _acting(h: Token) -> bool:
    """Whether the mention headed by H does something: subject, agent, possessor, target."""
    while h.dep_ in ("conj", "appos") and h.head.i != h.i:
        h = h.head
    if h.dep_ in SUBJECTS or h.dep_ == "poss":
        return True
    if h.dep_ == "dobj":
        return h.head.lemma_ in _ACTING_OBJECT_VERBS
    if h.dep_ == "pobj":
        prep = h.head
        if prep.dep_ == "agent" or prep.lower_ in lx.AGENTIVE_PREPS:
            return True
        if prep.lower_ == "on" and prep.head.lemma_.lower() in lx.TARGETING_NOUNS:
            return True
        return prep.lower_ == "to" and prep.head.lower_ == "according"
    return False


def _role_of(doc: Doc, m: Mention) -> str | None:
    """The role given at mention M: apposition, "role, Name", pre-name title, "of the X"."""
    h = head_of(doc, m)
    for child in h.children:
        if child.dep_ == "appos" and not _is_name_token(child) and child.i >= m.last:
            return _tidy(doc, list(child.subtree))
    if h.dep_ == "appos" and h.head.pos_ == "NOUN" and h.head.i < m.first:
        tokens = [t for t in h.head.subtree if t.i < m.first]
        return _tidy(doc, tokens)
    left = _pre_title(doc, m.first)
    if left and not all(t.lower_ in lx.HONORIFIC_WORDS for t in left):
        return _tidy(doc, left)
    for child in h.children:
        if child.dep_ == "prep" and child.lower_ == "of" and child.i == m.last:
            return _tidy(doc, list(child.subtree))
    titles = [w for w in m.title.split() if w.lower() not in lx.HONORIFIC_WORDS]
    return " ".join(titles) or None  # "President" is a role, "Mr" is not


def _pre_title(doc: Doc, first: int) -> list[Token]:
    """The title written before a name: "Russian President", "Democratic presidential candidate",
    "the Commission 's chief spokesman". Read from the surface, since the small parser often
    attaches "President" to the wrong word. The word next to the name must be a title or role."""
    if first == 0 or not _role_token(doc[first - 1]):
        return []
    out: list[Token] = []
    j = first - 1
    while j >= 0 and len(out) < _MAX_TITLE_TOKENS and "\n" not in doc[j].text:
        t = doc[j]
        if t.tag_ == "POS" and j > 0 and doc[j - 1].tag_ in ("NNP", "NNPS"):
            out[:0] = [doc[j - 1], t]
            j -= 2
            continue
        if not (
            _role_token(t) or t.tag_ in ("JJ", "NN", "NNS", "VBN") or t.ent_type_ in ("NORP", "GPE", "ORG")
        ):
            break
        if t.tag_ in ("NNP", "NNPS") and t.ent_type_ == "PERSON":
            break
        out.insert(0, t)
        j -= 1
    return out


def _role_token(t: Token) -> bool:
    return t.lower_.rstrip(".") in lx.TITLE_WORDS or t.lower_ in lx.ROLE_NOUNS


def _is_name_token(token: Token) -> bool:
    return token.ent_type_ in ("PERSON",) or (token.tag_ == "NNP" and token.ent_type_ == "")


def _tidy(doc: Doc, tokens: list[Token]) -> str | None:
    """Text of TOKENS without outer punctuation, brackets or quotes; None when too long or empty."""
    if not tokens:
        return None
    start, end = min(t.idx for t in tokens), max(t.idx + len(t.text) for t in tokens)
    text = text_of(doc)[start:end].strip(" ,;:()[]\"'\u201c\u201d-\u2014\n")
    if not text or len(text.split()) > 12 or not re.search(r"[a-z]", text):
        return None
    return re.sub(r"\s+", " ", text)


def _gender(group: Group, name: str) -> str | None:
    """ "f" or "m" from an honorific ("Mrs", "Sir") or the given name; None when unknown."""
    titles = {w.lower() for m in group.mentions for w in m.title.split()}
    if titles & lx.FEMALE_HONORIFICS:
        return "f"
    if titles & lx.MALE_HONORIFICS:
        return "m"
    given = lx.first_names().get(name.split()[0].lower(), "u") if " " in name else "u"
    return None if given == "u" else given


def _candidate(group: Group, type_: ActorType) -> ActorCandidate:
    """The actor of GROUP: the fullest name as written, other forms as aliases."""
    mentions = group.mentions
    best = group.best
    aliases: list[str] = []
    for m in mentions:
        for form in (m.text, f"{m.title} {m.text}" if m.title else ""):
            if form and form != best.text and key(form) not in {key(a) for a in aliases} and not m.heading:
                aliases.append(form)
    spans = tuple(Span(m.start, m.end) for m in mentions)
    role = group.role if type_ in ("person", "organization") else None
    return ActorCandidate(best.text, type_, tuple(aliases), role, spans)


def build_actors(doc: Doc, sentences: list[Span]) -> ActorTable:
    """Actors and places of DOC, and a table to resolve references to them."""
    groups = group_mentions(find_mentions(doc), doc)
    table = ActorTable(doc, sentences, [], [], {}, {}, {})
    for g in groups:
        g.role = _best_role(doc, g)
        g.type = _type_of(g, doc)
        if g.type is None:
            continue
        if _club_not_place(g, doc):
            g.type = "organization"
        g.acts = g.type in ("person", "organization", "group") or any(
            _acting(head_of(doc, m)) for m in g.mentions
        )
        if g.acts and _only_where(doc, g):
            g.type, g.acts = "other", False
        if not g.acts and g.type == "country" and key(g.name) not in lx.COUNTRIES:
            g.type = "other"  # a town that only sets the scene
        candidate = _candidate(g, g.type)
        (table.actors if g.acts else table.places).append(candidate)
        if g.acts:
            table.types[candidate.name] = g.type
            gender = _gender(g, candidate.name)
            if gender:
                table.genders[candidate.name] = gender
            for m in g.mentions:
                table.token_actor.update(dict.fromkeys(range(m.first, m.last), candidate.name))
                table.salient.append(
                    Salient(table.sentence_of(m.first), m.first, (candidate.name,), _subject(doc, m))
                )
    _add_conjoined(table, groups)
    table.salient.sort(key=lambda s: s.i)
    _resolve_subjects(table)
    return table


def _add_conjoined(table: ActorTable, groups: list[Group]) -> None:
    """ "Putin or Lukashenko", "Minsk and Moscow": a salient pair that a later "they" can mean."""
    for g in groups:
        for m in g.mentions:
            h = head_of(table.doc, m)
            if h.i not in table.token_actor or h.dep_ == "conj":
                continue
            names = table.named(h)
            if len(names) >= 2:
                subject = h.dep_ in SUBJECTS
                table.salient.append(Salient(table.sentence_of(h.i), h.conjuncts[-1].i, names, subject))


def _club_not_place(group: Group, doc: Doc) -> bool:
    """A town, or a one-word "person", that plays matches: its club ("Essex 532-8")."""
    town = group.type in ("country", "other") and key(group.name) not in lx.COUNTRIES
    weak = group.type == "person" and _weak_person(group)
    return (town or weak) and _team(doc, group)


def _weak_person(group: Group) -> bool:
    """A person only by spaCy's vote on a single word ("Everton", "Porsche"): no title, role,
    given name, or multi-word PERSON tag."""
    if _titled(group) or group.role or person_shape(group.name):
        return False
    return " " not in group.name or group.labels()["PERSON"] == 0


def _team(doc: Doc, group: Group) -> bool:
    """A city name followed by a score in a results line ("Essex 532-8", "Pusan 2"), or the
    subject or object of a match verb ("Liverpool beat Everton"): the club, not the place."""
    for m in group.mentions:
        h = head_of(doc, m)
        if h.dep_ in ("nsubj", "dobj") and h.head.lemma_.lower() in lx.SPORTS_VERBS:
            return True
        nxt = doc[m.last] if m.last < len(doc) else None
        if m.label == "DATELINE" or nxt is None or re.match(r"\d{4}-\d\d", nxt.text):
            continue
        if nxt.like_num and not line_has_verb(doc, m.start):
            return True
    return False


def _only_where(doc: Doc, group: Group) -> bool:
    """A one-word name that is only ever "in X" / "at X" (and no known person): a place that
    spaCy took for a person or an organisation ("in Grozny", "at Colchester")."""
    name = group.name
    if " " in name or _titled(group) or group.role or org_head(name) or key(name) in lx.GOVERNMENT_SEATS:
        return False
    for m in group.mentions:
        h = head_of(doc, m)
        if not (h.dep_ == "pobj" and h.head.lower_ in _WHERE_PREPS):
            return False
    return True


def _best_role(doc: Doc, group: Group) -> str | None:
    roles = [r for r in (_role_of(doc, m) for m in group.mentions) if r]
    if not roles:
        return None
    worded = [r for r in roles if _role_word(r) or " " in r]
    return max(worded or roles, key=len)


def _subject(doc: Doc, m: Mention) -> bool:
    h = head_of(doc, m)
    while h.dep_ == "conj" and h.head.i != h.i:
        h = h.head
    return h.dep_ in SUBJECTS


def _resolve_subjects(table: ActorTable) -> None:
    """Resolve, in reading order, every subject pronoun or description, so that a later "he"
    can point at an actor first referred to by "the Belarusian leader"."""
    for token in table.doc:
        if token.dep_ not in SUBJECTS or token.i in table.token_actor:
            continue
        if token.pos_ not in ("PRON", "NOUN"):
            continue
        names = resolve(table, token)
        if names:
            table.remember(token, names)
