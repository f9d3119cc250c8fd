"""Focused, candidate-constrained passes: a Draft that a small model cannot get wrong in shape.

A 0.5B model asked for the whole Draft at once invents names, copies the article as its
summary and paraphrases quotes so that they cannot be found. Here the program proposes
the candidates from the text itself and the model only chooses among them:

1. actors  the capitalised name spans of the text are the keys of a JSON object; the
           model labels each with an actor type (an enum). No invented names.
2. summary a short free-text summary, capped by the grammar (maxLength). Same round as 1.
3. claims  sentences with quotation marks or a reporting verb are keys "S1".."Sn"; the
           model picks each one's speaker from the actors named near it (an enum, or
           "reporter") and the speaker's position. The quote is the sentence itself, so
           every claim and stance is grounded by construction.

The prompts are prompts/pass_*.md. Every pass sends the same system message and the same
article block first and its own task last, so the embedded model's prompt-prefix reuse
evaluates the article once per article, not once per pass.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any, get_args

from summarize.backends.base import Completion, Message, Request
from summarize.draft import DraftOptions, Part
from summarize.draft.conversation import Conversation
from summarize.ground import ground
from summarize.ingest import Document
from summarize.prompts import Prompts, as_data
from summarize.resolve import resolve_actors
from summarize.schemas import ActorType, ClaimKind, Draft, DraftActor, DraftClaim, DraftStance, Position
from summarize.text import (
    CONNECTORS,
    DOUBLE_QUOTES,
    NAME_STOPWORDS,
    REPORTING_VERBS,
    Span,
    has_quote,
    is_demonym,
    is_hedged,
    sentence_spans,
    split_title,
)

MAX_NAMES = 24
MAX_SENTENCES = 10
SUMMARY_CHARS = 420
REPORTER = "reporter"
# A small model leans to the first option of an enum: make that the least committal one.
POSITIONS: tuple[Position, ...] = ("neutral", "support", "oppose", "mixed")
_PRONOUN_OPENING = re.compile(r"\W*(he|she|they|it)\b", re.IGNORECASE)
_WORD = r"[A-Z](?:[\w\u2019'&-]|\.(?=\w))*"
_NAME = re.compile(rf"{_WORD}(?:[ \t]+(?:(?:{'|'.join(sorted(CONNECTORS))})[ \t]+)?{_WORD})*")


class Passes:
    """The drafter for small models: three short passes over a shared article prefix."""

    name = "passes"

    def __init__(self, prompts: Prompts, options: DraftOptions) -> None:
        self.prompts = prompts
        self.options = options

    def overhead(self, doc: Document) -> str:
        """The system message, the article block without the article, and the longest task."""
        empty = _Session(Document(text="", path=doc.path, title=doc.title), self.prompts, self.options)
        return empty.system + empty.prefix + self.prompts.render("pass_claims", sentences="", actors="")

    def draft(self, doc: Document) -> Conversation[Part]:
        """Actors and summary in one round, then the claims of the kept actors."""
        session = _Session(doc, self.prompts, self.options)
        names = candidate_names(doc.text)
        replies = yield [session.actors_request(names), session.summary_request()]
        actors = _labelled_actors(replies[0], names, doc.text)
        summary = _summary(replies[1], doc.text)
        plan = _ClaimPlan.make(doc.text, actors)
        claims: list[DraftClaim] = []
        stances: list[DraftStance] = []
        if plan.keys:
            reply = yield [session.claims_request(plan, actors)]
            claims, stances = plan.read(_json(reply[0]), doc.text)
        draft = Draft(summary=summary, actors=actors, stances=stances, claims=claims)
        grounded = ground(draft, doc.text)
        return Part(draft, grounded, located=len(grounded.stances) + len(grounded.claims))


class _Session:
    """The requests of one article's passes: one system message, one article prefix."""

    def __init__(self, doc: Document, prompts: Prompts, options: DraftOptions) -> None:
        self.prompts = prompts
        self.temperature = options.temperature
        self.system = prompts.render("pass_system")
        self.prefix = prompts.render(
            "pass_article", title=as_data(doc.title or "(none)"), article=as_data(doc.text)
        )

    def _request(self, task: str, schema: dict[str, Any], max_tokens: int) -> Request:
        return Request(
            messages=(Message("system", self.system), Message("user", self.prefix + task)),
            schema=schema,
            schema_name="pass",
            max_tokens=max_tokens,
            temperature=self.temperature,
        )

    def actors_request(self, names: list[str]) -> Request:
        # Short keys ("N3") instead of the names themselves halve the tokens generated.
        keys = [f"N{i}" for i in range(1, len(names) + 1)]
        listing = "\n".join(f"{k}: {n}" for k, n in zip(keys, names, strict=True))
        schema = _object_schema(keys, {"type": "string", "enum": list(get_args(ActorType))})
        return self._request(self.prompts.render("pass_actors", names=listing), schema, 16 + 8 * len(names))

    def summary_request(self) -> Request:
        schema = _object_schema(["summary"], {"type": "string", "maxLength": SUMMARY_CHARS})
        return self._request(self.prompts.render("pass_summary"), schema, 160)

    def claims_request(self, plan: _ClaimPlan, actors: list[DraftActor]) -> Request:
        task = self.prompts.render(
            "pass_claims", sentences=plan.listing, actors=", ".join(a.name for a in actors) or "(none)"
        )
        return self._request(task, plan.schema(), 16 + 24 * len(plan.keys))


def _object_schema(keys: list[str], value: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": dict.fromkeys(keys, value),
        "required": keys,
        "additionalProperties": False,
    }


def _json(completion: Completion) -> dict[str, Any]:
    """The reply as a JSON object; a cut-off or broken reply counts as no labels at all."""
    try:
        data = json.loads(completion.text)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


# --- pass 1: actors ------------------------------------------------------------------------


def _clean_name(span: str) -> str | None:
    words = re.sub(r"(?:\s*[\u2019']s?)$", "", span.strip(" .,-&")).split()
    while words and words[0].lower().strip(".") in NAME_STOPWORDS:
        words.pop(0)
    words = split_title(words)[1]
    if len(words) == 1 and is_demonym(words[0]):
        return None
    while words and words[-1].lower() in CONNECTORS:
        words.pop()
    name = " ".join(words).strip(" .,-&")
    if len(name) < 2 or name.lower() in NAME_STOPWORDS or not any(c.isalpha() for c in name):
        return None
    return name


def _at_sentence_start(text: str, i: int) -> bool:
    before = text[:i].rstrip(" \t")
    return not before or before[-1] in ".!?\n:" or before[-1] in DOUBLE_QUOTES


def candidate_names(text: str, limit: int = MAX_NAMES) -> list[str]:
    """Capitalised name spans of TEXT, most frequent first, first-seen order among equals.

    A capitalised word that only ever opens sentences ("Please", "Only") is no name.
    """
    matches = list(_NAME.finditer(text))
    mid = {w for m in matches if not _at_sentence_start(text, m.start()) for w in m.group().split()}
    counts: Counter[str] = Counter()
    first: dict[str, int] = {}
    for m in matches:
        span = m.group()
        opener = span.split()[0]
        # "Please", "Only France": drop an opener that is a common word; keep "Serhiy Nayev".
        common = " " not in span or re.search(rf"\b{re.escape(opener.lower())}\b", text)
        if _at_sentence_start(text, m.start()) and opener not in mid and common:
            span = span.partition(" ")[2]
        name = _clean_name(span) if span else None
        if name is None:
            continue
        counts[name] += 1
        first.setdefault(name, m.start())
    # A surname seen alone counts for the full name it belongs to.
    for name in list(counts):
        for other in counts:
            if other != name and other.endswith(" " + name):
                counts[other] += counts[name]
    ranked = sorted(counts, key=lambda n: (-counts[n], first[n]))[:limit]
    return sorted(ranked, key=lambda n: first[n])


def _labelled_actors(reply: Completion, names: list[str], text: str) -> list[DraftActor]:
    """One actor per real-world entity, typed by the model (resolution merges short forms)."""
    labels = _json(reply)
    types: tuple[ActorType, ...] = get_args(ActorType)
    listed = [
        DraftActor(
            name=n, type=next((t for t in types if t == labels.get(f"N{i}")), "other"), role=None, aliases=[]
        )
        for i, n in enumerate(names, 1)
    ]
    index = resolve_actors(listed, text)
    return [DraftActor(name=a.name, type=a.type, role=a.role, aliases=a.aliases) for a in index.actors]


# --- pass 2: summary -----------------------------------------------------------------------


def _summary(reply: Completion, text: str) -> str:
    summary = str(_json(reply).get("summary", "")).strip()
    # maxLength may stop the model mid-sentence: keep whole sentences when there are some.
    end = max(summary.rfind(". "), summary.rfind('."'))
    if not summary.endswith((".", "!", "?", '"')) and end > 40:
        summary = summary[: end + 1]
    if len(summary) < 20:
        summary = " ".join(text[s.start : s.end] for s in sentence_spans(text)[:3])
    return summary


# --- pass 3: claims ------------------------------------------------------------------------


def attribution_sentences(text: str, limit: int = MAX_SENTENCES) -> list[Span]:
    """Sentences with quotation marks or a reporting verb, in order, at most LIMIT."""
    out = [
        s
        for s in sentence_spans(text)
        if has_quote(text[s.start : s.end]) or REPORTING_VERBS.search(text[s.start : s.end])
    ]
    return out[:limit]


def _mentioned(sentence: str, canonical: dict[str, str]) -> list[str]:
    """Canonical actor names whose name or alias occurs in SENTENCE, in order of occurrence."""
    hits = []
    for name, actor in canonical.items():
        m = re.search(rf"\b{re.escape(name)}\b", sentence)
        if m:
            hits.append((m.start(), actor))
    return list(dict.fromkeys(actor for _, actor in sorted(hits)))


def _likely_speaker(sentence: str, canonical: dict[str, str], previous: list[str]) -> str | None:
    """The actor named nearest before the reporting verb (else after it; else, for a
    sentence opening with a pronoun, the previous sentence's)."""
    cue = REPORTING_VERBS.search(sentence)
    if cue is None:
        return None
    spots = []
    for name, actor in canonical.items():
        for m in re.finditer(rf"\b{re.escape(name)}\b", sentence):
            spots.append((int(m.end() > cue.start()), abs(cue.start() - m.end()), actor))
    ahead = [spot for spot in spots if spot[0] == 0]
    if ahead:
        return min(ahead)[2]
    if _PRONOUN_OPENING.match(sentence) and previous:
        return previous[0]
    return min(spots)[2] if spots else None


@dataclass
class _ClaimPlan:
    """The attribution sentences, each with the speakers allowed and the rule's pick."""

    spans: list[Span]
    options: list[list[str]]
    rule: list[str | None]
    listing: str

    @property
    def keys(self) -> list[str]:
        return [f"S{i}" for i in range(1, len(self.spans) + 1)]

    @classmethod
    def make(cls, text: str, actors: list[DraftActor]) -> _ClaimPlan:
        canonical = {a.name: a.name for a in actors} | {al: a.name for a in actors for al in a.aliases}
        spans = attribution_sentences(text)
        options: list[list[str]] = []
        rule: list[str | None] = []
        previous: list[str] = []
        for s in spans:
            # Only actors named in this sentence (or, for "He said", in the previous one) may
            # speak it: a small model otherwise repeats its first answer down the list.
            sentence = text[s.start : s.end]
            here = _mentioned(sentence, canonical)
            picked = _likely_speaker(sentence, canonical, previous)
            carried = previous if _PRONOUN_OPENING.match(sentence) else []
            options.append(list(dict.fromkeys([*here, *carried])))
            rule.append(picked)
            previous = ([picked] if picked else here) or previous
        listing = "\n".join(f"S{i}: {text[s.start : s.end]}" for i, s in enumerate(spans, 1))
        return cls(spans, options, rule, listing)

    def schema(self) -> dict[str, Any]:
        properties = {
            key: {
                "type": "object",
                "properties": {
                    "speaker": {"type": "string", "enum": [*allowed, REPORTER]},
                    "position": {"type": "string", "enum": list(POSITIONS)},
                },
                "required": ["speaker", "position"],
                "additionalProperties": False,
            }
            for key, allowed in zip(self.keys, self.options, strict=True)
        }
        return {
            "type": "object",
            "properties": properties,
            "required": self.keys,
            "additionalProperties": False,
        }

    def read(self, labels: dict[str, Any], text: str) -> tuple[list[DraftClaim], list[DraftStance]]:
        claims: list[DraftClaim] = []
        stances: list[DraftStance] = []
        for key, s, allowed, picked in zip(self.keys, self.spans, self.options, self.rule, strict=True):
            found = labels.get(key)
            label: dict[str, Any] = found if isinstance(found, dict) else {}
            said = str(label.get("speaker"))
            # The rule's pick, when it has one, beats the model's: measured on PolNeAR, the
            # 0.5B model mostly repeats an earlier answer (docs/MODELS.md).
            speaker = picked or (said if said in allowed else None)
            quote = text[s.start : s.end]
            claims.append(_claim(quote, speaker))
            position = label.get("position")
            if speaker and position in POSITIONS:
                stances.append(
                    DraftStance(
                        actor=speaker, topic=_topic(quote), position=position, target=None, quote=quote
                    )
                )
        return claims, stances


def _claim(quote: str, speaker: str | None) -> DraftClaim:
    cue = REPORTING_VERBS.search(quote)
    kind: ClaimKind = "direct_quote" if has_quote(quote) else "indirect"
    return DraftClaim(
        speaker=speaker,
        text=quote,
        kind=kind if speaker else "reporter_assertion",
        cue=cue.group(0) if cue and speaker else None,
        hedged=is_hedged(quote),
        quote=quote,
    )


def _topic(sentence: str) -> str:
    """A short topic from the sentence: its first words, without the quotation marks."""
    words = "".join(c for c in sentence if c not in DOUBLE_QUOTES).split()
    return " ".join(words[:10]).rstrip(",.;:")
