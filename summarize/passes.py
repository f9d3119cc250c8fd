"""Focused, candidate-constrained passes: a Draft that a small model cannot get wrong in shape.

A 0.5B model asked for the whole Draft at once invents names, copies the article as its
summary and paraphrases quotes so that they cannot be found. Here the program proposes
the candidates from the text itself and the model only chooses among them:

1. actors  the capitalised name spans of the text are the keys of a JSON object; the
           model labels each with an actor type or "none" (an enum). No invented names.
2. claims  sentences with quotation marks or a reporting verb are keys "S1".."Sn"; the
           model picks each one's speaker from the actors it kept (an enum, or "reporter")
           and the speaker's position. The quote is the sentence itself, so every claim
           and stance is grounded by construction.
3. summary a short free-text summary, capped by the grammar (maxLength).

The prompts are prompts/pass_*.md. Every pass sends the same system message and the
same article block first and its own task last, so llama.cpp's prompt-prefix reuse
evaluates the article once per article, not once per pass.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from summarize.backends.base import Backend, Message, Request
from summarize.ingest import Document
from summarize.prompts import Prompts, as_data
from summarize.schemas import Draft, DraftActor, DraftClaim, DraftStance, Usage

MAX_NAMES = 24
MAX_SENTENCES = 10
SUMMARY_CHARS = 420
ACTOR_TYPES = ("person", "organization", "country", "group", "other")
REPORTER = "reporter"
# A small model leans to the first option of an enum: make that the least committal one.
POSITIONS = ("neutral", "support", "oppose", "mixed")

_QUOTE_CHARS = '"\u201c\u201d«»'
_REPORTING = re.compile(
    r"\b(said|says|say|told|tells|stated|states|added|adds|warned|warns|denied|denies|"
    r"claimed|claims|announced|announces|argued|argues|insisted|insists|accused|accuses|"
    r"urged|urges|believes|believed|according to|asked|asks|called for|described|"
    r"described|explained|noted|wrote|writes|suggested|predicted|confirmed|acknowledged|"
    r"called|calls|promised|promises|pledged|vowed|rejected|dismissed|praised|criticised|criticized)\b",
    re.IGNORECASE,
)
_PRONOUN_OPENING = re.compile(r"\W*(he|she|they|it)\b", re.IGNORECASE)
_HEDGES = re.compile(r"\b(allegedly|reportedly|according to|reported|sources say)\b", re.I)
_WORD = r"[A-Z](?:[\w\u2019'&-]|\.(?=\w))*"
_NAME = re.compile(
    rf"{_WORD}(?:[ \t]+(?:(?:of|for|the|de|du|der|den|la|le|da|di|del|von|van|al|bin)[ \t]+)?{_WORD})*"
)
_TITLES = frozenset(
    re.findall(
        r"\w+",
        """president minister commissioner chancellor secretary spokesman spokeswoman
        spokesperson governor senator judge general chief director chairman chairwoman
        leader king queen pope prince premier mayor ambassador envoy coach manager
        captain commander representative rep sen gov""",
    )
)
_STOP = frozenset(
    re.findall(
        r"\w+",
        """a an the and but or if in on at of for to by with from as after before when while
    this that these those it its he she they we you i his her their our my your there here
    mr mrs ms dr sir prof president minister however meanwhile also yet still so then
    monday tuesday wednesday thursday friday saturday sunday january february march april
    may june july august september october november december today yesterday tomorrow
    according reuters ap afp bbc update updated read share click""",
    )
)


@dataclass(frozen=True)
class Sentence:
    """A sentence of the article: `text[start:end]`."""

    start: int
    end: int


_SENTENCE_END = re.compile(r"[.!?][\"\u201d\u2019)]?\s+(?=[\"\u201cA-Z0-9])")


def split_sentences(text: str) -> list[Sentence]:
    """Sentence spans of TEXT (lines first, then sentence ends inside a line)."""
    out: list[Sentence] = []
    for line in re.finditer(r"[^\n]+", text):
        start = line.start()
        for m in _SENTENCE_END.finditer(line.group()):
            end = line.start() + len(m.group().rstrip()) + m.start()
            if end > start:
                out.append(Sentence(start, end))
            start = line.start() + m.end()
        if line.end() > start:
            out.append(Sentence(start, line.end()))
    return [s for s in out if text[s.start : s.end].strip()]


def _split_title(words: list[str]) -> tuple[list[str], list[str]]:
    """("Russian President", "Vladimir Putin") from "Russian President Vladimir Putin"."""
    last = max((i for i, w in enumerate(words) if w.lower().strip(".") in _TITLES), default=-1)
    if 0 <= last < len(words) - 1:
        return words[: last + 1], words[last + 1 :]
    return [], words


def _clean_name(span: str) -> str | None:
    words = re.sub(r"(?:\s*[\u2019']s?)$", "", span.strip(" .,-&")).split()
    while words and words[0].lower().strip(".") in _STOP:
        words.pop(0)
    words = _split_title(words)[1]
    if len(words) == 1 and re.search(r"(ian|ish|ese)$", words[0]) and len(words[0]) > 5:
        return None  # a demonym ("Belarusian"), not an actor
    while words and words[-1].lower() in {"of", "for", "the", "and", "de", "von", "van", "al"}:
        words.pop()
    name = " ".join(words).strip(" .,-&")
    if len(name) < 2 or name.lower() in _STOP or not any(c.isalpha() for c in name):
        return None
    return name


def _at_sentence_start(text: str, i: int) -> bool:
    before = text[:i].rstrip(" \t")
    return not before or before[-1] in '.!?\n"\u201c:'


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


def attribution_sentences(text: str, sentences: list[Sentence], limit: int = MAX_SENTENCES) -> list[Sentence]:
    """Sentences with quotation marks or a reporting verb, in order, at most LIMIT."""
    out = [
        s
        for s in sentences
        if any(c in text[s.start : s.end] for c in _QUOTE_CHARS) or _REPORTING.search(text[s.start : s.end])
    ]
    return out[:limit]


def _object_schema(keys: list[str], value: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {k: value for k in keys},
        "required": keys,
        "additionalProperties": False,
    }


class _Session:
    """The passes over one article: shared prefix, metered usage."""

    def __init__(self, doc: Document, backend: Backend, prompts: Prompts) -> None:
        self.backend = backend
        self.prompts = prompts
        self.usage = Usage()
        self.system = prompts.render("pass_system")
        self.prefix = prompts.render(
            "pass_article", title=as_data(doc.title or "(none)"), article=as_data(doc.text)
        )

    def ask(self, task: str, schema: dict[str, Any], max_tokens: int) -> Any:
        request = Request(
            messages=(Message("system", self.system), Message("user", self.prefix + task)),
            schema=schema,
            schema_name="pass",
            max_tokens=max_tokens,
            temperature=0.0,
        )
        completion = self.backend.complete(request)
        self.usage = self.usage.add(completion.usage)
        try:
            return json.loads(completion.text)
        except ValueError:
            return None


def _merge_aliases(kept: dict[str, str]) -> list[DraftActor]:
    """One actor per real-world entity: a name inside a longer kept name becomes its alias."""
    names = sorted(kept, key=len, reverse=True)
    owner: dict[str, str] = {}
    for short in names:
        for long in names:
            if len(long) > len(short) and re.search(rf"\b{re.escape(short)}\b", long) and long not in owner:
                owner[short] = long
                break
    actors = []
    for name in sorted(kept, key=list(kept).index):
        if name in owner:
            continue
        aliases = [a for a, o in owner.items() if o == name]
        actors.append(DraftActor(name=name, type=kept[name], role=None, aliases=aliases))  # type: ignore[arg-type]
    return actors


def _actors(session: _Session, names: list[str]) -> tuple[list[DraftActor], dict[str, str]]:
    if not names:
        return [], {}
    # Short keys ("N3") instead of the names themselves halve the tokens generated.
    keys = [f"N{i}" for i in range(1, len(names) + 1)]
    listing = "\n".join(f"{k}: {n}" for k, n in zip(keys, names, strict=True))
    schema = _object_schema(keys, {"type": "string", "enum": list(ACTOR_TYPES)})
    reply = session.ask(
        session.prompts.render("pass_actors", names=listing), schema, max_tokens=16 + 8 * len(names)
    )
    labels = reply if isinstance(reply, dict) else {}
    kept = {n: str(labels.get(k, "other")) for k, n in zip(keys, names, strict=True)}
    actors = _merge_aliases(kept)
    canonical = {a.name: a.name for a in actors} | {al: a.name for a in actors for al in a.aliases}
    return actors, canonical


def _mentioned(sentence: str, canonical: dict[str, str]) -> list[str]:
    """Canonical actor names whose name or alias occurs in SENTENCE, in order of occurrence."""
    hits = []
    for name, actor in canonical.items():
        m = re.search(rf"\b{re.escape(name)}\b", sentence)
        if m:
            hits.append((m.start(), actor))
    return list(dict.fromkeys(actor for _, actor in sorted(hits)))


def _likely_speaker(sentence: str, canonical: dict[str, str], previous: list[str]) -> list[str]:
    """The actor named nearest before the reporting verb (else after it; else, for a
    sentence opening with a pronoun, the previous sentence's): put first among the options,
    since a small model favours the first option."""
    cue = _REPORTING.search(sentence)
    if cue is None:
        return []
    spots = []
    for name, actor in canonical.items():
        for m in re.finditer(rf"\b{re.escape(name)}\b", sentence):
            after_cue = m.end() > cue.start()
            spots.append((int(after_cue), abs(cue.start() - m.end()), actor))
    ahead = [spot for spot in spots if spot[0] == 0]
    if ahead:
        return [min(ahead)[2]]
    if _PRONOUN_OPENING.match(sentence) and previous:
        return previous[:1]
    return [min(spots)[2]] if spots else []


def _quote_of(text: str, s: Sentence) -> tuple[str, str]:
    """(quote, kind): the sentence, and whether it holds quoted words."""
    sentence = text[s.start : s.end].strip()
    kind = "direct_quote" if any(c in sentence for c in _QUOTE_CHARS) else "indirect"
    return sentence, kind


def _claims(
    session: _Session, text: str, actors: list[DraftActor], canonical: dict[str, str]
) -> tuple[list[DraftClaim], list[DraftStance]]:
    chosen = attribution_sentences(text, split_sentences(text))
    if not chosen:
        return [], []
    keys = [f"S{i}" for i in range(1, len(chosen) + 1)]
    listing = "\n".join(f"{k}: {text[s.start : s.end].strip()}" for k, s in zip(keys, chosen, strict=True))
    properties: dict[str, Any] = {}
    rule: dict[str, str | None] = {}
    previous: list[str] = []
    for key, s in zip(keys, chosen, strict=True):
        # Only actors named in this sentence (or, for "He said", in the previous one) may
        # speak it: a small model otherwise repeats its first answer down the list.
        sentence = text[s.start : s.end]
        here = _mentioned(sentence, canonical)
        rule[key] = next(iter(_likely_speaker(sentence, canonical, previous)), None)
        # The previous speaker is offered only for a sentence that opens with a pronoun:
        # "According to the transport authority, ..." must not inherit the last speaker.
        carried = previous if _PRONOUN_OPENING.match(sentence) else []
        options = list(dict.fromkeys([*here, *carried]))
        picked = rule[key]
        previous = ([picked] if picked else here) or previous
        properties[key] = {
            "type": "object",
            "properties": {
                "speaker": {"type": "string", "enum": [*options, REPORTER]},
                "position": {"type": "string", "enum": list(POSITIONS)},
            },
            "required": ["speaker", "position"],
            "additionalProperties": False,
        }
    schema = {
        "type": "object",
        "properties": properties,
        "required": keys,
        "additionalProperties": False,
    }
    task = session.prompts.render(
        "pass_claims", sentences=listing, actors=", ".join(a.name for a in actors) or "(none)"
    )
    reply = session.ask(task, schema, max_tokens=16 + 24 * len(keys))
    labels = reply if isinstance(reply, dict) else {}
    claims: list[DraftClaim] = []
    stances: list[DraftStance] = []
    for key, s in zip(keys, chosen, strict=True):
        label = labels.get(key) or {}
        # The rule's pick, when it has one, beats the model's: measured on PolNeAR, the
        # 0.5B model mostly repeats an earlier answer (docs/MODELS.md).
        speaker = rule[key] or canonical.get(str(label.get("speaker")))
        quote, kind = _quote_of(text, s)
        cue = _REPORTING.search(quote)
        claims.append(
            DraftClaim(
                speaker=speaker,
                text=quote,
                kind=kind if speaker else "reporter_assertion",  # type: ignore[arg-type]
                cue=cue.group(0) if cue and speaker else None,
                hedged=bool(_HEDGES.search(quote)),
                quote=quote,
            )
        )
        position = label.get("position")
        if speaker and position in POSITIONS:
            stances.append(
                DraftStance(actor=speaker, topic=_topic(quote), position=position, target=None, quote=quote)
            )
    return claims, stances


def _topic(sentence: str) -> str:
    """A short topic from the sentence: its first clause, without the quotation marks."""
    words = re.sub(f"[{_QUOTE_CHARS}]", "", sentence).split()
    return " ".join(words[:10]).rstrip(",.;:")


def _summary(session: _Session, text: str) -> str:
    schema = {
        "type": "object",
        "properties": {"summary": {"type": "string", "maxLength": SUMMARY_CHARS}},
        "required": ["summary"],
        "additionalProperties": False,
    }
    reply = session.ask(session.prompts.render("pass_summary"), schema, max_tokens=160)
    summary = str(reply.get("summary", "")).strip() if isinstance(reply, dict) else ""
    # maxLength may stop the model mid-sentence: keep whole sentences when there are some.
    end = max(summary.rfind(". "), summary.rfind('."'))
    if not summary.endswith((".", "!", "?", '"')) and end > 40:
        summary = summary[: end + 1]
    if len(summary) < 20:
        lead = split_sentences(text)[:3]
        summary = " ".join(text[s.start : s.end].strip() for s in lead)
    return summary


def draft_article(doc: Document, backend: Backend, prompts: Prompts | None = None) -> tuple[Draft, Usage]:
    """Draft DOC with focused passes (actors, claims, summary); usage counts every request."""
    session = _Session(doc, backend, prompts or Prompts.load())
    actors, canonical = _actors(session, candidate_names(doc.text))
    claims, stances = _claims(session, doc.text, actors, canonical)
    summary = _summary(session, doc.text)
    return Draft(summary=summary, actors=actors, stances=stances, claims=claims), session.usage
