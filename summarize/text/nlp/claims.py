"""Who said what, and who takes which position, read from the dependency parse.

Attribution, in this order for each sentence:

1. colon lead  "Sanders: Clinton email story has moved." (headlines, transcripts): the
               short name before the colon is the source of the rest;
2. cue verbs   a verb of saying ("said" even without a clause), believing ("thinks that",
               "fears X"), showing ("a poll found that") or publishing ("released a
               statement"), a verb + particle ("called for", "talked about"), "seemed to",
               or a verb of taking a position with an agent ("praised X"); weak verbs
               ("added", "showed") need a clause, an object or a quotation next to them.
               The source is the subject (inherited from the governing verb for
               "..., saying", "and added", "was quoted as saying"), the "by" agent of a
               passive, none for an agentless passive ("it was reported"), or, when the
               parse gives no subject, the person named right before or after the verb;
3. according   "according to X" makes X the source of the rest of the sentence;
4. quotations  a sentence inside a quotation whose speaker is given in a neighbouring
               sentence, a sentence that is only a quotation right after one with a
               speaker, or one after a sentence ending in a colon, continues that
               speaker's attribution; a cue inside a quotation ("I think") does not take
               the sentence from the quotation's speaker, and its "I" is that speaker;
5. hedges      "reportedly", "allegedly" with no source left make a reporter assertion.

A sentence's attributions come main first: not inside another's content, then nearest the
root of the parse. An attribution inside another's content has that speaker as its outer
source. Stance cues: verbs of taking a position (lexicon.STANCE_VERBS) with their agents
(subjects, or all the "by X and Y" agents of a passive), target and negation.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from summarize.text import is_hedged
from summarize.text.nlp import lexicon as lx
from summarize.text.nlp.actors import ActorTable, text_of
from summarize.text.nlp.cues import (
    actors_in,
    char_span,
    content_span,
    is_cue,
    kind_of,
    nearby_name,
    passive,
    phrase,
    source_token,
)
from summarize.text.nlp.types import Attribution, Span

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

_COLON_LEAD = re.compile(r"^([^:\n]{2,40}?)\s*:\s+(\S)")


def _hedged(text: str, cue: str | None) -> bool:
    return is_hedged(text) or (cue or "").lower() in ("claimed", "alleged", "claims", "alleges")


def _verb_attributions(
    doc: Doc, table: ActorTable, sent: Span, quotes: Sequence[Span]
) -> list[tuple[Attribution, set[int]]]:
    """Attributions of the cue verbs of SENT, each with the token indices of its content."""
    out: list[tuple[Attribution, set[int]]] = []
    for cue in table.tokens(sent):
        if not is_cue(cue, quotes):
            continue
        source = source_token(cue)
        if source is None and not passive(cue):
            source = nearby_name(table, cue, sent)
        content = content_span(doc, cue, sent, quotes)
        speaker = table.source(source) if source is not None else ()
        cue_tokens = [cue, *(c for c in cue.children if c.dep_ == "prt")]
        cue_span = char_span(cue_tokens) or Span(cue.idx, cue.idx + len(cue.text))
        text = sent.of(text_of(doc))
        attribution = Attribution(
            speaker=speaker[0] if speaker else None,
            source_text=phrase(doc, source) if source is not None else None,
            cue=cue_span.of(text_of(doc)),
            cue_span=cue_span,
            content=content,
            sentence=sent,
            kind=kind_of(content, quotes),
            hedged=_hedged(text, cue.text),
            outer_source=None,
            actors=actors_in(table, doc, content),
        )
        out.append((attribution, {t.i for t in table.tokens(content)}))
    return out


def _according(doc: Doc, table: ActorTable, sent: Span) -> list[tuple[Attribution, set[int]]]:
    """ "According to X, Y": X is the source of the rest of the sentence."""
    out: list[tuple[Attribution, set[int]]] = []
    for token in table.tokens(sent):
        if token.lower_ != "according":
            continue
        to = next((c for c in token.children if c.lower_ == "to"), None)
        source = next((c for c in to.children if c.dep_ == "pobj"), None) if to is not None else None
        if source is None:
            continue
        inside = {t.i for t in token.subtree}
        rest = [t for t in table.tokens(sent) if t.i not in inside and not t.is_punct]
        content = char_span(rest) or sent
        cue_span = (
            Span(token.idx, to.idx + len(to.text)) if to is not None else Span(token.idx, token.idx + 9)
        )
        speaker = table.source(source)
        attribution = Attribution(
            speaker=speaker[0] if speaker else None,
            source_text=phrase(doc, source),
            cue=cue_span.of(text_of(doc)),
            cue_span=cue_span,
            content=content,
            sentence=sent,
            kind="indirect",
            hedged=True,
            outer_source=None,
            actors=actors_in(table, doc, content),
        )
        out.append((attribution, {t.i for t in rest}))
    return out


def _colon_lead(doc: Doc, table: ActorTable, sent: Span) -> list[tuple[Attribution, set[int]]]:
    """ "Sanders: Clinton email story has moved." (headlines, transcripts): a short name before a
    colon is the source of what follows it."""
    m = _COLON_LEAD.match(sent.of(text_of(doc)))
    if not m or m.group(1).strip().lower() in lx.HEADLINE_LABELS:
        return []
    part = [t for t in table.tokens(sent) if t.idx < sent.start + m.end(1)]
    if not part or any(t.pos_ in ("VERB", "AUX") for t in part):
        return []
    names = [table.token_actor[t.i] for t in part if t.i in table.token_actor]
    root = next((t for t in part if not (part[0].i <= t.head.i <= part[-1].i) or t.head.i == t.i), part[-1])
    speaker = names[:1] or list(table.refer(root)) or list(table.lookup(m.group(1)))
    lead = m.group(1)
    if not speaker and not (lead.isupper() or lead.istitle()):
        return []
    colon = sent.start + m.end(1)
    content = Span(sent.start + m.start(2), sent.end)
    attribution = Attribution(
        speaker=speaker[0] if speaker else None,
        source_text=lead,
        cue=":",
        cue_span=Span(colon, colon + 1),
        content=content,
        sentence=sent,
        kind="indirect",
        hedged=False,
        outer_source=None,
        actors=actors_in(table, doc, content),
    )
    return [(attribution, {t.i for t in table.tokens(sent) if t.idx >= content.start})]


def _depth(token: Token) -> int:
    depth = 0
    while token.head.i != token.i and depth < 50:
        token, depth = token.head, depth + 1
    return depth


def _nest(found: list[tuple[Attribution, set[int]]], table: ActorTable) -> list[Attribution]:
    """Order a sentence's attributions main first (not inside another's content, then nearest
    the root of the parse); an inner one is reported by its host's speaker, and its "I"/"we"
    is that speaker too."""
    ranked: list[tuple[int, int, Attribution]] = []
    sentence = found[0][0].sentence if found else Span(0, 0)
    by_start = {t.idx: t for t in table.tokens(sentence)}
    for attribution, _ in found:
        cue = by_start.get(attribution.cue_span.start) if attribution.cue_span else None
        depth = _depth(cue) if cue is not None else 0
        host = next(
            (o for o, inside in found if o is not attribution and cue is not None and cue.i in inside), None
        )
        if host is None:
            ranked.append((0, depth, attribution))
            continue
        first_person = (attribution.source_text or "").lower() in ("i", "we", "me", "us")
        if first_person and host.speaker:
            attribution = replace(attribution, speaker=host.speaker)
        elif host.speaker and host.speaker != attribution.speaker:
            attribution = replace(attribution, outer_source=host.speaker)
        ranked.append((1, depth, attribution))
    return [a for _, _, a in sorted(ranked, key=lambda r: (r[0], r[1]))]


def _continuations(
    table: ActorTable, found: list[Attribution], sentences: Sequence[Span], quotes: Sequence[Span]
) -> list[Attribution]:
    """Sentences that only continue a quotation whose speaker was given in a neighbour, and
    sentences introduced by one ending in a colon ("He said:")."""
    text = text_of(table.doc)
    by_sentence: dict[Span, Attribution] = {}
    for a in found:
        if (a.speaker or a.source_text) and not _quoted_cue(a, quotes):
            by_sentence.setdefault(a.sentence, a)
    # A cue inside a quotation ("as Erica said", "I think") does not give the sentence its speaker.
    has_own = {a.sentence for a in found if not _quoted_cue(a, quotes)}
    added: list[Attribution] = []
    for i, sent in enumerate(sentences):
        if sent in has_own:
            continue
        owner = _colon_owner(text, i, sentences, by_sentence) or _quote_owner(
            sent, i, sentences, quotes, by_sentence
        )
        if owner is None:
            continue
        covering = [q for q in quotes if q.overlaps(sent)]
        content = sent
        if covering:
            content = Span(
                max(sent.start, min(q.start for q in covering)), min(sent.end, max(q.end for q in covering))
            )
        continued = replace(
            owner,
            content=content,
            sentence=sent,
            kind=kind_of(content, quotes),
            continuation=True,
            actors=actors_in(table, table.doc, content),
            hedged=_hedged(sent.of(text), owner.cue),
        )
        by_sentence[sent] = continued
        added.append(continued)
    return added


def _quoted_cue(a: Attribution, quotes: Sequence[Span]) -> bool:
    return (
        a.cue_span is not None
        and a.sentence.contains(a.cue_span)
        and any(q.contains(a.cue_span) for q in quotes)
    )


def _first_person(found: list[Attribution], quotes: Sequence[Span]) -> list[Attribution]:
    """ "I think", "we want" inside a quotation: the speaker of the quotation."""
    owners = {a.sentence: a.speaker for a in found if a.speaker and not _quoted_cue(a, quotes)}
    out = []
    for a in found:
        first = (a.source_text or "").lower() in ("i", "we", "me", "us")
        if first and _quoted_cue(a, quotes) and a.sentence in owners:
            a = replace(a, speaker=owners[a.sentence])
        out.append(a)
    return out


def _rank(a: Attribution, quotes: Sequence[Span]) -> int:
    """0 for a sentence's main attribution, 1 for one inside a quotation or another report."""
    return int(_quoted_cue(a, quotes) or a.outer_source is not None)


def _colon_owner(
    text: str, i: int, sentences: Sequence[Span], by_sentence: dict[Span, Attribution]
) -> Attribution | None:
    """The attribution of the previous sentence when it ends with a colon ("He wrote:")."""
    if i == 0 or sentences[i - 1] not in by_sentence:
        return None
    return by_sentence[sentences[i - 1]] if sentences[i - 1].of(text).rstrip().endswith(":") else None


def _quote_owner(
    sent: Span,
    i: int,
    sentences: Sequence[Span],
    quotes: Sequence[Span],
    by_sentence: dict[Span, Attribution],
) -> Attribution | None:
    """The attribution whose quotation SENT belongs to, if any."""
    covering = [q for q in quotes if q.overlaps(sent)]
    if not covering:
        return None
    inside = sum(min(q.end, sent.end) - max(q.start, sent.start) for q in covering)
    if inside * 10 < 8 * (sent.end - sent.start):
        return None  # a quoted phrase inside the reporter's own sentence
    for q in covering:
        for j in (i - 1, i + 1, i - 2, i + 2):
            if 0 <= j < len(sentences) and sentences[j].overlaps(q) and sentences[j] in by_sentence:
                return by_sentence[sentences[j]]
    if i > 0 and sentences[i - 1] in by_sentence:
        return by_sentence[sentences[i - 1]]
    return None


def _hedge_only(table: ActorTable, sent: Span) -> Attribution | None:
    """ "X reportedly fears ...": no source left, so the article asserts it with a hedge."""
    for token in table.tokens(sent):
        if token.lower_ in lx.HEDGE_WORDS and token.pos_ == "ADV":
            cue = Span(token.idx, token.idx + len(token.text))
            return Attribution(None, None, token.text, cue, sent, sent, "reporter_assertion", True, None, ())
    return None


def find_attributions(
    doc: Doc, table: ActorTable, sentences: Sequence[Span], quotes: Sequence[Span]
) -> list[Attribution]:
    """Every attribution of the article, in text order (see the module docstring)."""
    found: list[Attribution] = []
    for sent in sentences:
        here = _colon_lead(doc, table, sent) + _verb_attributions(doc, table, sent, quotes)
        here += _according(doc, table, sent)
        if here:
            found.extend(_nest(here, table))
            continue
        hedge = _hedge_only(table, sent)
        if hedge is not None:
            found.append(hedge)
    found.extend(_continuations(table, found, sentences, quotes))
    found = _first_person(found, quotes)
    # Stable: within a sentence, the order of _nest (outer first) is kept among equals.
    return sorted(found, key=lambda a: (a.sentence.start, _rank(a, quotes)))
