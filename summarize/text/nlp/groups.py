"""Grouping name mentions into one group per real-world actor.

Mentions with the same key are one group; a surname or title form joins the nearest
preceding full name it shortens ("Clinton" after "Bill Clinton"); an acronym or a short
form joins the organisation it abbreviates ("EU", "the Commission").
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from summarize.text.names import person_name, same_person, short_form_of
from summarize.text.nlp import lexicon as lx
from summarize.text.nlp.mentions import (
    NAME_CONNECTORS,
    Group,
    Mention,
    capital_ok,
    key,
    name_words,
    org_head,
    person_shape,
    text_of,
)

if TYPE_CHECKING:
    from spacy.tokens import Doc


def _group_by_key(mentions: list[Mention]) -> list[Group]:
    groups: dict[str, Group] = {}
    for m in mentions:
        groups.setdefault(key(m.text), Group([])).mentions.append(m)
    return list(groups.values())


def personish(group: Group) -> bool:
    labels = group.labels()
    titled = any(m.title for m in group.mentions)
    person = labels["PERSON"] > 0 and labels["PERSON"] >= labels["ORG"] + labels["GPE"]
    return person or titled or person_shape(group.mentions[0].text)


def _is_full(g: Group) -> bool:
    """A person's full name: two words or more, not an organisation's."""
    return personish(g) and len(name_words(g.mentions[0].text)) >= 2 and not org_head(g.mentions[0].text)


def _specificity(text: str) -> tuple[int, int]:
    """How much of a person a name says: given names, then their letters ("G." < "Graham")."""
    p = person_name(text)
    return (len(p.given), sum(map(len, p.given))) if p else (0, 0)


def _form(m: Mention) -> str:
    return f"{m.title} {m.text}" if m.title else m.text


def _owner_form(g: Group) -> str:
    """G's name with an honorific it carries somewhere ("Mrs" before "Melania Trump")."""
    titles = [m.title for m in g.mentions if m.title]
    return f"{titles[0]} {g.name}" if titles else g.name


def _merge_short_forms(groups: list[Group]) -> list[Group]:
    """Give each surname, title or shorter form to the full name it belongs to: the nearest
    compatible one before it (`resolve.same_person`: "Mrs. Trump" never joins Donald Trump),
    else the only one after it; with two after it and none before, it stays apart."""
    fulls = [g for g in groups if _is_full(g)]
    home: dict[int, Group] = {}
    kept: list[Group] = []
    for g in sorted(groups, key=lambda g: _specificity(g.mentions[0].text), reverse=True):
        text = g.mentions[0].text
        owners = list(
            {
                id(o): o
                for o in (_final(f, home) for f in fulls if f is not g)
                if o is not g
                and short_form_of(text, o.mentions[0].text)
                and _specificity(text) < _specificity(o.mentions[0].text)
            }.values()
        )
        if not owners or key(text) in lx.COUNTRIES:
            kept.append(g)
            continue
        rest: list[Mention] = []
        for m in g.mentions:
            owner = _nearest_owner(m, [o for o in owners if same_person(_form(m), _owner_form(o))])
            (rest if owner is None else owner.mentions).append(m)
        if rest:
            g.mentions = rest
            kept.append(g)
        else:
            home[id(g)] = owners[0]
    return kept


def _final(g: Group, home: dict[int, Group]) -> Group:
    while id(g) in home:
        g = home[id(g)]
    return g


def _nearest_owner(m: Mention, owners: list[Group]) -> Group | None:
    """The full name mentioned last before M, else the only one after it; None when unsure."""
    before = [(max(x.start for x in o.mentions if x.start < m.start), o) for o in owners if o.first < m.start]
    if before:
        return max(before, key=lambda pair: pair[0])[1]
    return owners[0] if len(owners) == 1 else None


def _initials(words: list[str]) -> str:
    return "".join(w[0] for w in words if w not in NAME_CONNECTORS and w not in ("and", "&"))


def _merge_orgs(groups: list[Group], text: str) -> list[Group]:
    """Merge an organisation's shorter form ("State Department") and acronym ("EU") into it."""
    kept: list[Group] = []
    for g in sorted(groups, key=lambda g: -len(name_words(g.name))):
        words = name_words(g.name)
        owner = next((o for o in kept if _org_alias(g, words, o, text)), None)
        if owner is None:
            kept.append(g)
        else:
            owner.mentions.extend(g.mentions)
    return kept


def _org_alias(g: Group, words: list[str], owner: Group, text: str) -> bool:
    full = name_words(owner.name)
    if personish(owner) or len(full) < 2:
        return False
    surface = g.name.replace(".", "")
    bracketed = re.escape(owner.name) + r"\s*\(\s*" + re.escape(g.name) + r"\s*\)"
    acronym = surface.isupper() and 2 <= len(surface) <= 6 and len(words) == 1
    if acronym and (_initials(full) == words[0] or re.search(bracketed, text)):
        return True
    return len(words) >= 2 and full[-len(words) :] == words and org_head(g.name)


def group_mentions(mentions: list[Mention], doc: Doc) -> list[Group]:
    """One group per real-world entity, first mentioned first; heading-only groups dropped."""
    groups = _merge_orgs(_merge_short_forms(_group_by_key(mentions)), text_of(doc))
    kept = [g for g in groups if not all(m.heading for m in g.mentions) or capital_ok(g, doc)]
    for g in kept:
        g.mentions.sort(key=lambda m: m.start)
    return sorted(kept, key=lambda g: g.first)
