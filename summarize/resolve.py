"""Resolve the model's actors into one entry per real-world actor, and point stances and
claims at them.

The model lists actors loosely: the same person twice ("Putin", "Vladimir Putin"), a title
form ("President Putin"), a description ("the Kremlin spokesman") as an actor of its own
and as another's alias. `resolve_actors` merges these into groups with one canonical
name; `attach` rewrites every stance actor, stance target and claim speaker to a canonical
name, adding the actors the model forgot, so the output never names an unknown actor.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from summarize.schemas import Actor, ActorType, Claim, Draft, DraftActor, Dropped, Stance
from summarize.text import CONNECTORS, HONORIFICS, PERSON_TITLES, REPORTER, is_title, split_title
from summarize.text.names import name_key, person_name, same_person, short_form_of, tokens, two_people

__all__ = [
    "ActorIndex",
    "Attached",
    "Identities",
    "UnionFind",
    "attach",
    "is_reporter",
    "name_key",
    "resolve_actors",
    "same_person",
    "short_form_of",
]

REASON_NO_ACTOR = "stance has no actor (empty, or the reporter's own voice)"
REASON_DUPLICATE_STANCE = "duplicate of an earlier stance (same actor, topic and evidence)"
REASON_DUPLICATE_CLAIM = "duplicate of an earlier claim (same speaker and evidence)"

# Besides the reporter words: what a model writes for "nobody in particular".
_NO_ONE = frozenset({"", "none", "null", "n/a", "unknown", "reporter's voice", "reporter voice"})

TYPE_SPECIFICITY: dict[str, int] = {"other": 0, "group": 1, "organization": 2, "country": 3, "person": 4}
"""Which type wins when the mentions of one actor disagree: the more specific one."""


@lru_cache(maxsize=1 << 16)
def is_reporter(name: str | None) -> bool:
    """Whether NAME means the article's own voice (null, empty, "reporter", "the author"...)."""
    if name is None:
        return True
    key = name_key(name)
    return key in _NO_ONE or key in REPORTER or name.strip().casefold() in _NO_ONE


def is_proper(name: str, *, person: bool = True) -> bool:
    """A full proper name: capitalised words (connectors allowed); for a person, no title."""
    words = tokens(name)
    return (
        bool(words)
        and words[0][:1].isupper()
        and not (person and any(is_title(w) for w in words))
        and all(w[:1].isupper() or w[:1].isdigit() or w.casefold() in CONNECTORS for w in words)
    )


def initials(name: str) -> str:
    return "".join(w[0] for w in tokens(name) if w[:1].isupper() and w.casefold() not in CONNECTORS)


@dataclass
class _Group:
    """Draft actors found to be the same actor."""

    members: list[DraftActor]

    @property
    def names(self) -> list[str]:
        return [n for m in self.members for n in [m.name, *m.aliases]]

    def is_person(self) -> bool:
        return any(m.type == "person" for m in self.members)


def _canonical_name(group: _Group, text: str) -> str:
    """Longest full proper name, preferring one the article actually uses."""
    folded = text.casefold()
    person = group.is_person()

    def score(i_name: tuple[int, str]) -> tuple[bool, bool, int, int, int]:
        i, name = i_name
        proper = is_proper(name, person=person)
        return (proper, name.casefold() in folded, len(tokens(name)), len(name), -i)

    return max(enumerate(group.names), key=score)[1]


def _merged_type(group: _Group, canonical: str) -> ActorType:
    own = [m.type for m in group.members if m.name == canonical and m.type != "other"]
    if own:
        return own[0]
    votes = Counter(m.type for m in group.members)
    return max(votes, key=lambda t: (TYPE_SPECIFICITY[t], votes[t]))


def _dedup(names: Iterable[str], exclude: str) -> list[str]:
    seen = {name_key(exclude)}
    out: list[str] = []
    for name in names:
        if name_key(name) not in seen:
            seen.add(name_key(name))
            out.append(name)
    return out


def _to_actor(group: _Group, text: str) -> Actor:
    canonical = _canonical_name(group, text)
    roles = [m.role.strip() for m in group.members if m.role and m.role.strip()]
    return Actor(
        name=canonical,
        type=_merged_type(group, canonical),
        role=max(roles, key=len) if roles else None,
        aliases=_dedup(group.names, canonical),
    )


def _clean(actor: DraftActor) -> DraftActor | None:
    name = " ".join(actor.name.split())
    if not name:
        return None
    aliases = [" ".join(a.split()) for a in actor.aliases]
    return actor.model_copy(update={"name": name, "aliases": [a for a in aliases if a]})


class UnionFind:
    """Disjoint sets over 0..n-1: which names were found to be one actor."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, i: int, j: int) -> None:
        a, b = self.find(i), self.find(j)
        if a != b:
            self.parent[max(a, b)] = min(a, b)


def _full(name: str) -> bool:
    """Whether NAME is a person's full name (a given name or initial before the surname)."""
    p = person_name(name)
    return p is not None and bool(p.given)


class Identities(UnionFind):
    """Disjoint sets of names that never join two people: a union that would put two
    different full names of one surname in one set is refused (see `same_person`)."""

    def __init__(self, names: Sequence[Sequence[str]]) -> None:
        super().__init__(len(names))
        self.fulls = {i: [n for n in group if _full(n)] for i, group in enumerate(names)}

    def compatible(self, i: int, j: int) -> bool:
        """Whether the sets of I and J may be one actor."""
        a, b = self.find(i), self.find(j)
        return a == b or not two_people([*self.fulls[a], *self.fulls[b]])

    def union(self, i: int, j: int) -> None:
        a, b = self.find(i), self.find(j)
        if a == b or not self.compatible(a, b):
            return
        super().union(a, b)
        self.fulls[min(a, b)] = list(dict.fromkeys([*self.fulls[a], *self.fulls[b]]))


def _group(actors: list[DraftActor]) -> list[_Group]:
    """Merge actors sharing a name or alias, then short forms and acronyms of one actor;
    never two people (a shared "Clinton" does not join Hillary and Bill Clinton)."""
    uf = Identities([[a.name, *a.aliases] for a in actors])
    first_with_key: dict[str, list[int]] = {}
    for i, actor in enumerate(actors):
        for name in [actor.name, *actor.aliases]:
            holders = first_with_key.setdefault(name_key(name), [])
            for j in holders:
                uf.union(i, j)
            holders.append(i)
    for i, actor in enumerate(actors):
        owners = {
            uf.find(j)
            for j, other in enumerate(actors)
            if uf.find(j) != uf.find(i) and _refers_to(actor.name, [other.name, *other.aliases], other.type)
        }
        if len(owners) == 1:
            uf.union(i, owners.pop())
    groups: dict[int, list[DraftActor]] = {}
    for i, actor in enumerate(actors):
        groups.setdefault(uf.find(i), []).append(actor)
    return [_Group(members) for members in groups.values()]


def _refers_to(name: str, names: Sequence[str], type_: ActorType) -> bool:
    """Whether NAME is a surname/title form or an acronym of one of NAMES (an actor's)."""
    if type_ in ("person", "other") and any(is_proper(full) and short_form_of(name, full) for full in names):
        return True
    return is_acronym(name) and any(
        len(tokens(full)) >= 2 and initials(full) == name.replace(".", "") for full in names
    )


def is_acronym(name: str) -> bool:
    bare = name.replace(".", "")
    return 2 <= len(bare) <= 6 and bare.isalpha() and bare.isupper()


_PERSON_CUE = r"\b(?i:" + "|".join(sorted(PERSON_TITLES)) + r")\.?\s+(?:[A-Z][\w'\u2019-]*\s+)*"


def _looks_like_person(name: str, text: str) -> bool:
    """Whether the article puts an honorific or a person's title before NAME or its surname."""
    words = tokens(name)
    if not words or not is_proper(name):
        return False
    forms = (name, words[-1])
    return any(re.search(_PERSON_CUE + re.escape(f) + r"\b", text) for f in forms)


def split_title_name(name: str) -> tuple[str, str]:
    """("Senator", "Ada Brook") for "Senator Ada Brook"; ("", NAME) when there is no title.

    A title is kept as part of the name unless a full name (two words or more) or an
    honorific's surname follows it, so "General Motors" stays whole.
    """
    words = name.split()
    title, rest = split_title(words)
    cut = len(title)
    if cut and is_proper(" ".join(rest)):
        honorific = words[cut - 1].rstrip(".").casefold() in HONORIFICS
        if len(rest) >= 2 or honorific:
            return " ".join(words[:cut]), " ".join(rest)
    return "", name


def _new_actor(name: str, text: str) -> Actor:
    """An actor the model did not list: titles become the role, the full name the name."""
    title, bare = split_title_name(name)
    if title:
        return Actor(name=bare, type="person", role=title, aliases=[name])
    return Actor(name=name, type="person" if _looks_like_person(name, text) else "other")


_SHARED = -1
"""An alias key held by two actors (two people of one surname): it resolves to neither."""


@dataclass
class ActorIndex:
    """Resolved actors and a lookup from any name the model used to the canonical name."""

    text: str
    actors: list[Actor] = field(default_factory=list)
    _by_key: dict[str, int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for i, actor in enumerate(self.actors):
            self._register(i, actor)

    def _register(self, i: int, actor: Actor) -> None:
        for name in [actor.name, *actor.aliases]:
            k = name_key(name)
            held = self._by_key.get(k)
            if held is None or (held == _SHARED and k == name_key(actor.name)):
                self._by_key[k] = i
            elif held not in (i, _SHARED) and k != name_key(self.actors[held].name):
                self._by_key[k] = _SHARED  # "Clinton" of two Clintons names neither

    def canonical(self, name: str | None) -> str | None:
        """The canonical name NAME refers to (exact, case-insensitive, alias, unambiguous
        surname or title form, acronym); None when it names no known actor."""
        if name is None or not name.strip():
            return None
        i = self._by_key.get(name_key(name))
        if i == _SHARED:
            return None
        if i is not None:
            return self.actors[i].name
        owners = {
            j
            for j, actor in enumerate(self.actors)
            if _refers_to(name, [actor.name, *actor.aliases], actor.type)
        }
        if len(owners) == 1:
            return self.actors[owners.pop()].name
        return None

    def resolve(self, name: str | None) -> str | None:
        """The canonical name for NAME, adding it as a new actor when unknown; None for the
        reporter's voice."""
        if is_reporter(name) or name is None:
            return None
        found = self.canonical(name)
        if found is not None:
            return found
        actor = _new_actor(" ".join(name.split()), self.text)
        self.actors.append(actor)
        self._register(len(self.actors) - 1, actor)
        return actor.name


def resolve_actors(draft: Draft | Sequence[DraftActor], text: str) -> ActorIndex:
    """Merge the draft's actors into one entry per real-world actor (see module docstring)."""
    listed = draft.actors if isinstance(draft, Draft) else draft
    cleaned = [a for a in map(_clean, listed) if a is not None and not is_reporter(a.name)]
    return ActorIndex(text=text, actors=[_to_actor(g, text) for g in _group(cleaned)])


@dataclass
class Attached:
    """Stances and claims pointing at canonical actors, the actors, and what was dropped."""

    stances: list[Stance]
    claims: list[Claim]
    actors: list[Actor]
    dropped: list[Dropped]


def attach(stances: Sequence[Stance], claims: Sequence[Claim], index: ActorIndex) -> Attached:
    """Point every stance actor/target and claim speaker at a canonical actor name.

    Unknown names become new actors; the reporter's voice becomes a null speaker, and a
    stance without an actor is dropped. Exact duplicates after resolution are dropped.
    """
    out = Attached([], [], index.actors, [])
    seen: set[tuple[object, ...]] = set()
    for stance in stances:
        actor = index.resolve(stance.actor)
        if actor is None:
            out.dropped.append(_dropped("stance", stance, REASON_NO_ACTOR))
            continue
        fixed = stance.model_copy(update={"actor": actor, "target": index.resolve(stance.target)})
        ev = fixed.evidence
        key: tuple[object, ...] = ("stance", actor, fixed.topic.casefold(), fixed.position, ev.start, ev.end)
        if key in seen:
            out.dropped.append(_dropped("stance", stance, REASON_DUPLICATE_STANCE))
            continue
        seen.add(key)
        out.stances.append(fixed)
    for claim in claims:
        fixed_claim = claim.model_copy(update={"speaker": index.resolve(claim.speaker)})
        ev = fixed_claim.evidence
        key = ("claim", fixed_claim.speaker, ev.start, ev.end)
        if key in seen:
            out.dropped.append(_dropped("claim", claim, REASON_DUPLICATE_CLAIM))
            continue
        seen.add(key)
        out.claims.append(fixed_claim)
    return out


def _dropped(kind: str, item: Stance | Claim, reason: str) -> Dropped:
    return Dropped.model_validate({"kind": kind, "item": item.model_dump(), "reason": reason})
