"""Actors resolved across articles: one entry per real-world actor of a whole batch.

Each article's actors were already merged within the article (summarize.resolve). Across
articles a name alone is weak evidence, so the rules only merge on what identifies an actor
(docs/REPORT.md has them with their limits):

1. Entries sharing a *distinctive* name (canonical name or alias) are one actor. For a
   person that is a proper name of two words or more once titles are taken off
   ("President Vladimir Putin" -> "Vladimir Putin"); for an organisation, country or group
   any capitalised name ("NATO", "European Union"). A bare surname, a title form and a
   lower-case description ("the government") are never distinctive.
2. A person known only by a surname or title form ("Putin", "President Putin") joins the one
   person with a distinctive name of that surname: first in the same article, else in the
   whole batch. With none, or two or more ("John Smith", "Jane Smith"), it stays apart.
3. An acronym ("EU") joins the one organisation whose full name has those initials.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

# Name rules of the single-article resolver, shared so both resolvers agree on what a
# name, a title and a short form are.
from summarize.resolve import (
    TYPE_SPECIFICITY,
    Identities,
    initials,
    is_acronym,
    is_proper,
    is_reporter,
    split_title_name,
)
from summarize.schemas import ActorType, ArticleSummary
from summarize.text import is_title
from summarize.text.names import name_key, short_form_of


@dataclass(frozen=True)
class Entry:
    """One actor of one article, as that article's summary lists it."""

    article: int
    name: str
    type: ActorType
    aliases: tuple[str, ...] = ()
    role: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass
class CorpusActor:
    """One real-world actor across the batch."""

    key: str
    """Stable identity: the distinctive name's key, or name@article for an actor of one article."""
    name: str
    type: ActorType
    aliases: list[str]
    role: str | None
    articles: list[int] = field(default_factory=list)
    """Indexes of the articles that mention it, ascending."""


@dataclass
class Resolution:
    """The batch's actors and, per article, which of them each local name refers to."""

    actors: list[CorpusActor]
    local: list[dict[str, int]]
    """Per article: the name an actor, speaker or target has there -> index into `actors`."""

    def actor_of(self, article: int, name: str | None) -> int | None:
        """Index of the actor NAME refers to in ARTICLE; None for the reporter's voice."""
        if name is None:
            return None
        return self.local[article].get(name)


def entries_of(summaries: Sequence[ArticleSummary]) -> list[Entry]:
    """Every actor of every summary, plus any speaker, stance actor or target no actor lists."""
    out: list[Entry] = []
    for i, summary in enumerate(summaries):
        known = {a.name for a in summary.actors}
        for a in summary.actors:
            out.append(Entry(i, a.name, a.type, tuple(a.aliases), a.role))
        used = [c.speaker for c in summary.claims] + [n for s in summary.stances for n in (s.actor, s.target)]
        for name in dict.fromkeys(n for n in used if n is not None and not is_reporter(n)):
            if name not in known:
                out.append(Entry(i, name, "other"))
                known.add(name)
    return out


# The same names recur in thousands of articles: every name rule is computed once per name.
_CACHE = 1 << 16


@lru_cache(maxsize=_CACHE)
def _bare(name: str, type_: ActorType) -> str:
    """A person's name without leading titles, when what is left is a full name."""
    return split_title_name(name)[1] if type_ in ("person", "other") else name


@lru_cache(maxsize=_CACHE)
def distinctive(name: str, type_: ActorType) -> bool:
    """Whether NAME identifies its actor across articles (rule 1).

    An actor typed "other" (often a speaker the model did not list) is held to the
    person rule: a capitalised single word may well be a surname.
    """
    if is_reporter(name):
        return False
    if type_ in ("person", "other"):
        bare = _bare(name, type_)
        return is_proper(bare) and len(name_key(bare).split()) >= 2
    return is_proper(name, person=False)


@lru_cache(maxsize=_CACHE)
def surname(name: str) -> str | None:
    """The surname key of a surname or title form ("Russian President Putin" -> "putin")."""
    words = name_key(name).split()
    titles = [i for i, w in enumerate(words) if is_title(w)]
    rest = words[titles[-1] + 1 :] if titles else words
    if len(rest) != 1 or not name.split()[-1][:1].isupper():
        return None
    return rest[0]


def resolve(summaries: Sequence[ArticleSummary], paths: Sequence[str]) -> Resolution:
    """One CorpusActor per real-world actor of SUMMARIES (PATHS name the articles, for keys)."""
    entries = entries_of(summaries)
    uf = Identities([e.names for e in entries])
    _merge_distinctive(entries, uf)
    _merge_surnames(entries, uf)
    _merge_acronyms(entries, uf)
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(entries)):
        groups[uf.find(i)].append(i)
    actors = [_to_actor([entries[i] for i in members], paths) for members in groups.values()]
    order = sorted(range(len(actors)), key=lambda a: (-len(actors[a].articles), actors[a].key))
    position = {old: new for new, old in enumerate(order)}
    local: list[dict[str, int]] = [{} for _ in summaries]
    for n, members in enumerate(groups.values()):
        for i in members:
            local[entries[i].article].setdefault(entries[i].name, position[n])
    return Resolution([actors[a] for a in order], local)


def _merge_distinctive(entries: Sequence[Entry], uf: Identities) -> None:
    first: dict[str, int] = {}
    for i, entry in enumerate(entries):
        for name in entry.names:
            if distinctive(name, entry.type):
                uf.union(i, first.setdefault(name_key(_bare(name, entry.type)), i))


def _full_names(entries: Sequence[Entry], members: Sequence[int]) -> list[str]:
    """The distinct full person names of a group (a famous name recurs in thousands of entries)."""
    names = (
        _bare(n, entries[i].type)
        for i in members
        if entries[i].type in ("person", "other")
        for n in entries[i].names
        if distinctive(n, "person")
    )
    return list(dict.fromkeys(names))


def _merge_surnames(entries: Sequence[Entry], uf: Identities) -> None:
    """Rule 2: a surname or title form joins the only full-name person of that surname."""
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(entries)):
        groups[uf.find(i)].append(i)
    corpus: dict[str, set[int]] = defaultdict(set)
    in_article: dict[tuple[int, str], set[int]] = defaultdict(set)
    full = {root: _full_names(entries, members) for root, members in groups.items()}
    for root, names in full.items():
        surnames = {name_key(name).split()[-1] for name in names}
        articles = {entries[i].article for i in groups[root]} if surnames else set()
        for last in surnames:
            corpus[last].add(root)
            for article in articles:
                in_article[(article, last)].add(root)
    for root, members in groups.items():
        if full[root] or any(entries[i].type not in ("person", "other") for i in members):
            continue
        for i in members:
            target = _owner(entries[i], corpus, in_article, full)
            if target is not None:
                uf.union(i, target)


def _owner(
    entry: Entry,
    corpus: dict[str, set[int]],
    in_article: dict[tuple[int, str], set[int]],
    full: dict[int, list[str]],
) -> int | None:
    """The one group ENTRY's surname forms point to, same article first; None when not one."""
    keys = {k for k in map(surname, entry.names) if k is not None}
    same_article = {r for k in keys for r in in_article.get((entry.article, k), ())}
    anywhere = {r for k in keys for r in corpus.get(k, ())}
    for scope in (same_article, anywhere):
        owners = {r for r in scope if any(short_form_of(n, f) for n in entry.names for f in full[r])}
        if len(owners) == 1:
            return owners.pop()
        if owners:
            return None  # two people of that surname: no evidence which one is meant
    return None


def _merge_acronyms(entries: Sequence[Entry], uf: Identities) -> None:
    """Rule 3: an acronym joins the only organisation, country or group with those initials."""
    by_initials: dict[str, set[int]] = defaultdict(set)
    for i, entry in enumerate(entries):
        if entry.type == "person":
            continue
        for name in entry.names:
            if len(name_key(name).split()) >= 2 and is_proper(name, person=False):
                by_initials[initials(name)].add(uf.find(i))
    for i, entry in enumerate(entries):
        if entry.type == "person" or not is_acronym(entry.name):
            continue
        owners = {uf.find(r) for r in by_initials.get(entry.name.replace(".", ""), ())}
        if len(owners) == 1:
            uf.union(i, owners.pop())


def _to_actor(group: Sequence[Entry], paths: Sequence[str]) -> CorpusActor:
    kinds = Counter(e.type for e in group)
    type_: ActorType = max(kinds, key=lambda t: (t != "other", kinds[t], TYPE_SPECIFICITY[t]))
    # The name most articles use as their own canonical one; an alias only when none is.
    names = Counter(_bare(e.name, e.type) for e in group if distinctive(e.name, e.type)) or Counter(
        _bare(n, e.type) for e in group for n in e.aliases if distinctive(n, e.type)
    )
    if names:
        name = max(names, key=lambda n: (names[n], len(n), n))
        key = "name:" + name_key(name)
    else:
        plain = Counter(e.name for e in group)
        name = max(plain, key=lambda n: (plain[n], len(n), n))
        key = f"{name_key(name)}@{paths[group[0].article]}"
    used = Counter(n for e in group for n in e.names)
    aliases: dict[str, str] = {}
    for alias, _ in used.most_common():
        if name_key(alias) != name_key(name):
            aliases.setdefault(name_key(alias), alias)
    roles = Counter(e.role.strip() for e in group if e.role and e.role.strip())
    return CorpusActor(
        key=key,
        name=name,
        type=type_,
        aliases=list(aliases.values()),
        role=roles.most_common(1)[0][0] if roles else None,
        articles=sorted({e.article for e in group}),
    )
