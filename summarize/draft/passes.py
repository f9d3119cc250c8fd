"""The drafter for small models: the program reads the article, the model only labels.

A 0.5B model asked for the whole digest invents names, mistypes actors, gives quotes to the
wrong speaker and writes summaries it cannot keep faithful. Here spaCy does the program's
share (`summarize.text.nlp`): actors with their types, roles and aliases; who said what
(attributions, with pronoun and "the spokesman" speakers resolved); who rejects, backs or
praises whom (stance verbs and their agents, with the verb's position); and an extractive
summary, 3 sentences of the article itself, so no name or number can be invented.

The model then labels, one short request per statement, every request starting with the
same system message and task so that the embedded model evaluates that prefix once per
process: the issue a stance is about (a noun phrase of at most 6 words), and, for models
measured to be able to (`DraftOptions.label_positions`: the 1.5B model, a model of your
own), the position of every attributed statement. For the bundled 0.5B model positions come
from the verb alone ("rejected by X and Y", "warned", "praised"): measured, it labels
nearly every statement neutral (docs/MODELS.md).

Every stance and claim quotes a sentence of the article at the offsets the parse gave, so
everything is grounded by construction. Prompts: prompts/pass_*.md.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from summarize.backends.base import Completion, Message, Request
from summarize.draft import DraftOptions, Part
from summarize.draft.conversation import Conversation
from summarize.ground import Grounded
from summarize.ingest import Document
from summarize.prompts import Prompts, as_data
from summarize.schemas import (
    Claim,
    ClaimKind,
    Draft,
    DraftActor,
    DraftClaim,
    DraftStance,
    Evidence,
    Position,
    Stance,
)
from summarize.text import DOUBLE_QUOTES
from summarize.text.nlp.types import Analysis, Attribution
from summarize.text.readers import reader_for

MAX_STATEMENTS = 12
TOPIC_WORDS = 6
TOPIC_CHARS = 60
SUMMARY_SENTENCES = 3
# A small model leans to the first option of an enum: make that the least committal one.
POSITIONS: tuple[Position, ...] = ("neutral", "support", "oppose", "mixed")
_TOPIC_TRIM = " \t\"'.,;:!?()[]" + "".join(DOUBLE_QUOTES)
_STEM = 5  # a topic word is in the text when a text word starts with its first 5 letters
_FUNCTION_WORDS = frozenset({"the", "and", "for", "with", "from", "into", "over", "about", "against"})
# Topics that name nothing: what a small model writes when it has no idea.
_EMPTY_TOPICS = frozenset({"issue", "the issue", "topic", "politics", "news", "statement", "neutral", "none"})


@dataclass
class Statement:
    """A sentence in which named actors say or do something that may take a side."""

    actors: tuple[str, ...]
    sentence: tuple[int, int]
    text: str
    """The sentence, white space squashed."""
    context: str
    """The sentence before it: what "the idea" or "it" refers to."""
    position: Position | None = None
    """Known from the verb ("rejected"), or labelled by the model."""
    fallback_topic: str = ""
    topic: str = ""


class Passes:
    """The drafter for small models: spaCy proposes and grounds, the model labels."""

    name = "passes"
    needs_reader = True

    def __init__(self, prompts: Prompts, options: DraftOptions) -> None:
        self.prompts = prompts
        self.options = options

    def overhead(self, doc: Document) -> str:
        """The longest prompt without the article: system, task and one statement's frame."""
        frame = self.prompts.render("pass_statement", title="", context="", actors="", statement="")
        return self.prompts.render("pass_system") + self.prompts.render("pass_position") + frame

    def draft(self, doc: Document) -> Conversation[Part]:
        """Analyse DOC, ask the model to label its statements (one round), ground by offsets."""
        reader = reader_for(doc.language)  # loaded on the first article of its language
        analysis = reader.analyze(doc.text)
        statements = plan_statements(analysis, attributions=self.options.label_positions)
        # Known positions first, then asked ones: each kind shares its task as a prefix.
        statements.sort(key=lambda s: s.position is None)
        if statements:
            replies = yield [self._request(doc, s) for s in statements]
            names = [n for a in analysis.actors for n in (a.name, *a.aliases)]
            for statement, reply in zip(statements, replies, strict=True):
                _read_label(statement, _json(reply), names, doc.title or "")
        spans = reader.extractive_summary(doc.text, analysis, SUMMARY_SENTENCES, title=doc.title)
        summary = " ".join(s.of(doc.text) for s in spans)
        return _part(doc.text, analysis, statements, summary)

    def _request(self, doc: Document, statement: Statement) -> Request:
        known = statement.position is not None
        task = self.prompts.render("pass_topic" if known else "pass_position")
        shown = self.prompts.render(
            "pass_statement",
            title=as_data(doc.title or "(none)"),
            context=as_data(statement.context or "(none)"),
            actors=as_data(", ".join(statement.actors)),
            statement=as_data(statement.text),
        )
        topic = {"type": "string", "maxLength": TOPIC_CHARS}
        position = {"type": "string", "enum": list(POSITIONS)}
        fields: dict[str, Any] = {"topic": topic} if known else {"position": position, "topic": topic}
        schema = {
            "type": "object",
            "properties": fields,
            "required": list(fields),
            "additionalProperties": False,
        }
        return Request(
            messages=(Message("system", self.prompts.render("pass_system")), Message("user", task + shown)),
            schema=schema,
            schema_name="label",
            max_tokens=32,
            temperature=self.options.temperature,
        )


def _json(completion: Completion) -> dict[str, Any]:
    """The reply as a JSON object; a cut-off or broken reply counts as no label at all."""
    try:
        data = json.loads(completion.text)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _squash(text: str) -> str:
    return " ".join(text.split())


# --- statements ----------------------------------------------------------------------------


def plan_statements(
    analysis: Analysis, *, attributions: bool, limit: int = MAX_STATEMENTS
) -> list[Statement]:
    """Stance verbs with their agents (the verb gives the position), then, when ATTRIBUTIONS,
    the main attribution of each sentence with a named speaker; at most LIMIT."""
    text = analysis.text
    out: list[Statement] = []
    covered: set[tuple[str, int]] = set()  # (actor, sentence start): one stance per pair
    for cue in analysis.stance_cues:
        agents = tuple(a for a in cue.agents if (a, cue.sentence.start) not in covered)
        if agents and len(out) < limit:
            covered.update((a, cue.sentence.start) for a in agents)
            position: Position | None = None if cue.negated else cue.polarity
            target = cue.target.of(text) if cue.target else ""
            out.append(_statement(analysis, agents, cue.sentence.start, cue.sentence.end, position, target))
    for att in main_attributions(analysis) if attributions else []:
        if att.speaker and (att.speaker, att.sentence.start) not in covered and len(out) < limit:
            covered.add((att.speaker, att.sentence.start))
            start, end = att.sentence.start, att.sentence.end
            out.append(_statement(analysis, (att.speaker,), start, end, None, att.content.of(text)))
    return out


def _statement(
    analysis: Analysis,
    actors: tuple[str, ...],
    start: int,
    end: int,
    position: Position | None,
    fallback: str,
) -> Statement:
    before = [s for s in analysis.sentences if s.end <= start]
    context = _squash(before[-1].of(analysis.text)) if before else ""
    text = _squash(analysis.text[start:end])
    return Statement(actors, (start, end), text, context, position, _short(fallback))


def main_attributions(analysis: Analysis) -> list[Attribution]:
    """The first attribution of each sentence: the parse lists a sentence's main one first."""
    out: list[Attribution] = []
    seen: set[int] = set()
    for att in analysis.attributions:
        if att.sentence.start not in seen:
            seen.add(att.sentence.start)
            out.append(att)
    return out


def _read_label(statement: Statement, label: dict[str, Any], names: Sequence[str], title: str) -> None:
    if statement.position is None:
        statement.position = next((p for p in POSITIONS if p == label.get("position")), "neutral")
    topic = _short(str(label.get("topic") or ""))
    statement.topic = topic if _usable(topic, statement, names, title) else statement.fallback_topic


def _short(text: str) -> str:
    """TEXT as a topic: its first item when it is a list, at most TOPIC_WORDS words, outer
    quotes and punctuation cut."""
    first = re.split(r"[,;]\s", text.strip(_TOPIC_TRIM), maxsplit=1)[0]
    return " ".join(first.split()[:TOPIC_WORDS]).strip(_TOPIC_TRIM)


def _usable(topic: str, statement: Statement, names: Sequence[str], title: str) -> bool:
    """A topic that names an issue: not empty, not only actors' names (NAMES: the article's),
    not the sentence's start, and drawn from what the model was shown (a content word of the
    TITLE, the sentence before or the statement; a small model may otherwise copy its
    instructions, "short noun phrase of at most")."""
    folded = topic.casefold()
    if not folded or folded in _EMPTY_TOPICS:
        return False
    known = {w for name in names for w in re.findall(r"[\w&]+", name.casefold())}
    if set(re.findall(r"[\w&]+", folded)) <= known | {"and", "&", "s"}:
        return False
    words = re.findall(r"\w+", folded)
    shown = re.findall(r"\w+", f"{title} {statement.context} {statement.text}".casefold())
    stems = {w[:n] for w in shown for n in range(3, _STEM + 1)}  # "tram" ~ "trams"
    content = [w for w in words if len(w) >= 3 and w not in _FUNCTION_WORDS]
    if not any(w[:_STEM] in stems for w in content):
        return False
    opening = re.findall(r"\w+", statement.text.casefold())[: len(words)]
    return len(words) < 3 or words != opening


# --- the draft ---------------------------------------------------------------------------


def _part(text: str, analysis: Analysis, statements: list[Statement], summary: str) -> Part:
    """The draft and its grounding: every quote is the sentence at the parse's offsets."""
    actors = [
        DraftActor(name=a.name, type=a.type, role=a.role, aliases=list(a.aliases)) for a in analysis.actors
    ]
    claims, grounded_claims = _claims(text, analysis)
    stances, grounded_stances = _stances(text, statements)
    draft = Draft(summary=summary, actors=actors, stances=stances, claims=claims)
    grounded = Grounded(grounded_stances, grounded_claims, unlocated_stances=[], unlocated_claims=[])
    return Part(draft, grounded, located=len(grounded_stances) + len(grounded_claims))


def _evidence(text: str, start: int, end: int) -> Evidence:
    return Evidence(quote=text[start:end], start=start, end=end, match="exact")


def _claims(text: str, analysis: Analysis) -> tuple[list[DraftClaim], list[Claim]]:
    drafts: list[DraftClaim] = []
    grounded: list[Claim] = []
    for att in main_attributions(analysis):
        ev = _evidence(text, att.sentence.start, att.sentence.end)
        kind: ClaimKind = att.kind if att.speaker or att.source_text else "reporter_assertion"
        content = _squash(att.content.of(text)) or ev.quote
        claim = Claim(
            speaker=att.speaker, text=content, kind=kind, cue=att.cue, hedged=att.hedged, evidence=ev
        )
        grounded.append(claim)
        drafts.append(DraftClaim(**claim.model_dump(exclude={"evidence"}), quote=ev.quote))
    return drafts, grounded


def _stances(text: str, statements: list[Statement]) -> tuple[list[DraftStance], list[Stance]]:
    drafts: list[DraftStance] = []
    grounded: list[Stance] = []
    for statement in statements:
        if statement.position in (None, "neutral"):
            continue  # no side taken: the statement stays a claim
        ev = _evidence(text, *statement.sentence)
        topic = statement.topic or statement.fallback_topic or "(unnamed issue)"
        for actor in statement.actors:
            stance = Stance(actor=actor, topic=topic, position=statement.position, target=None, evidence=ev)
            grounded.append(stance)
            drafts.append(DraftStance(**stance.model_dump(exclude={"evidence"}), quote=ev.quote))
    return drafts, grounded
