"""Stance topics grouped across articles, so one topic worded several ways is one matrix row.

A topic's *signature* is the set of its content words, lower-cased, singular-ish
("sanctions" -> "sanction"), without function words and without modifiers that do not change
the issue ("new", "proposed"). Two wordings are one topic when their signatures are equal
("sanctions on Russia", "Russia sanctions", "the new sanctions against Russia"), or when one
has a single word more than the other and the smaller has two words or more ("tram line
costs" joins "the tram line"). docs/REPORT.md discusses the limits.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations

_FUNCTION = """a an the of on in for to and or with by at from about over against into onto upon
    its it their his her our your my this that these those as is be being been whether"""
_FUNCTION_WORDS = frozenset(_FUNCTION.split())
# Words that qualify a topic without changing the issue it names.
_MODIFYING = "new proposed planned possible further current latest recent controversial"
_MODIFIERS = frozenset(_MODIFYING.split())
_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")
_MAX_SUBSET_WORDS = 8


def _singular(word: str) -> str:
    word = re.sub(r"['\u2019]s$", "", word)
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("sses", "xes", "ches", "shes", "zes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def signature(topic: str) -> frozenset[str]:
    """The content words of TOPIC, normalised; the whole lower-cased topic when it has none."""
    words = [w for w in _WORD.findall(topic.casefold()) if w not in _FUNCTION_WORDS]
    content = {_singular(w) for w in words if w not in _MODIFIERS}
    return frozenset(content) or frozenset({" ".join(topic.casefold().split())})


@dataclass
class Topic:
    """One group of topic wordings."""

    key: str
    """Stable identity: the sorted words of the group's smallest signature."""
    label: str
    """The wording stances use most (shortest on a tie)."""
    wordings: list[str]
    """Every wording in the group, most used first."""


@dataclass
class Topics:
    """The grouped topics, most used first, and the group of every wording."""

    topics: list[Topic]
    of: dict[str, int]


def group_topics(wordings: Iterable[str]) -> Topics:
    """Group the topic wordings of all stances (one item per stance, repeats welcome)."""
    uses = Counter(" ".join(w.split()) for w in wordings)
    by_signature: dict[frozenset[str], list[str]] = defaultdict(list)
    for wording in uses:
        by_signature[signature(wording)].append(wording)
    parent = {sig: sig for sig in by_signature}

    def find(sig: frozenset[str]) -> frozenset[str]:
        while parent[sig] != sig:
            sig = parent[sig]
        return sig

    for sig in sorted(by_signature, key=len):
        if not 3 <= len(sig) <= _MAX_SUBSET_WORDS:
            continue
        for smaller in map(frozenset, combinations(sorted(sig), len(sig) - 1)):
            if smaller in by_signature:
                a, b = find(sig), find(smaller)
                if a != b:
                    parent[a] = b
    groups: dict[frozenset[str], list[str]] = defaultdict(list)
    for sig, members in by_signature.items():
        groups[find(sig)].extend(members)
    topics = [_topic(root, members, uses) for root, members in groups.items()]
    topics.sort(key=lambda t: (-sum(uses[w] for w in t.wordings), t.key))
    of = {w: i for i, t in enumerate(topics) for w in t.wordings}
    return Topics(topics, of)


def _topic(root: frozenset[str], members: list[str], uses: Counter[str]) -> Topic:
    ranked = sorted(members, key=lambda w: (-uses[w], len(w), w))
    return Topic(key=" ".join(sorted(root)), label=ranked[0], wordings=ranked)


def topic_of(topics: Topics, wording: str) -> int:
    """Index of the group WORDING belongs to (it must have been grouped)."""
    return topics.of[" ".join(wording.split())]
