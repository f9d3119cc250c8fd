"""Grouping name mentions into one group per real-world actor.

Mentions with the same key are one group; a surname or title form joins the nearest
preceding full name it shortens ("Clinton" after "Bill Clinton"); an acronym or a short
form joins the organisation it abbreviates ("EU", "the Commission").
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

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


def _full_names(groups: list[Group]) -> list[tuple[list[str], Group]]:
    return [
        (name_words(g.mentions[0].text), g)
        for g in groups
        if personish(g) and len(name_words(g.mentions[0].text)) >= 2 and not org_head(g.mentions[0].text)
    ]


def _short_form(short: list[str], full: list[str]) -> bool:
    """Whether SHORT names FULL by surname ("Putin") or first and last name."""
    if len(short) >= len(full):
        return False
    if full[-len(short) :] == short:
        return True
    return len(short) >= 2 and short[0] == full[0] and short[-1] == full[-1]


def _merge_short_forms(groups: list[Group]) -> list[Group]:
    """Give each surname/title mention to the full name it belongs to (nearest one before it)."""
    fulls = _full_names(groups)
    kept: list[Group] = []
    for g in groups:
        words = name_words(g.mentions[0].text)
        owners = [(f, og) for f, og in fulls if og is not g and _short_form(words, f)]
        if not owners or key(g.mentions[0].text) in lx.COUNTRIES:
            kept.append(g)
            continue
        for m in g.mentions:
            _nearest_owner(m, [og for _, og in owners]).mentions.append(m)
    return kept


def _nearest_owner(m: Mention, owners: list[Group]) -> Group:
    """The full name mentioned last before M, else the first one after it."""
    before = [(max(x.start for x in o.mentions if x.start < m.start), o) for o in owners if o.first < m.start]
    if before:
        return max(before, key=lambda pair: pair[0])[1]
    return min(owners, key=lambda o: o.first)


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
