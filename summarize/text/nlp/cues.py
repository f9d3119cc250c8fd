"""Reporting cues in the parse: the cue verb, its source, its content and its quotation.

The token-level rules behind `claims.find_attributions` and `stances.find_stance_cues`:
which verbs report speech or a view, who their source is (subject, "by" agent, a name next
to the cue), and which part of the sentence is what was said.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from summarize.text.nlp import lexicon as lx
from summarize.text.nlp.actors import ActorTable, text_of
from summarize.text.nlp.types import AttributionKind, Span

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

_COMPLEMENTS = ("ccomp", "xcomp", "parataxis")
_INHERIT = frozenset(("advcl", "xcomp", "conj", "acl", "pcomp", "prep"))
# Verbs that are cues only with a clause or a quotation: "added 3 points" is not a statement.
_WEAK = lx.words(
    """add continue call report post point note charge signal project answer question brief
    show find read write hint indicate conclude ask reveal mention observe repeat recall
    remind counter maintain estimate propose recommend demand threaten"""
)
_NEAR_BEFORE = 45
_NEAR_AFTER = 3
_NEAR_TOKENS = 12


def char_span(tokens: Iterable[Token]) -> Span | None:
    items = list(tokens)
    if not items:
        return None
    return Span(min(t.idx for t in items), max(t.idx + len(t.text) for t in items))


def is_cue(token: Token, quotes: Sequence[Span]) -> bool:
    """Whether TOKEN is a reporting verb here: "said" with a clause, a quotation next to it or an
    object; weaker verbs ("added", "showed") only with a clause, an adjacent quotation, or (for
    verbs of publishing) an object; verb + particle cues ("called for", "talked about")."""
    lemma = token.lemma_.lower()
    if token.pos_ not in ("VERB", "AUX"):
        return False
    deps = {c.dep_ for c in token.children}
    particles = {c.lower_ for c in token.children if c.dep_ == "prt"}
    preps = particles | {c.lower_ for c in token.children if c.dep_ == "prep"}
    if preps & lx.VERB_PREP_CUES.get(lemma, frozenset()):
        return source_token(token) is not None
    if particles & lx.NOT_SAYING_PARTICLES.get(lemma, frozenset()):
        return False
    if lemma in lx.SEEM_VERBS:
        return "xcomp" in deps and source_token(token) is not None
    if lemma not in lx.CUE_VERBS | lx.STANCE_CUES:
        return False
    if lemma not in lx.CUE_VERBS:
        return bool(deps & {"dobj", "xcomp", "ccomp", "prep"}) and source_token(token) is not None
    clause = bool(deps & {"ccomp", "parataxis"})
    if lemma in lx.OBJECT_CUES and deps & {"dobj", "oprd"}:
        return True
    if lemma in lx.COGNITION_VERBS:
        return clause or bool(deps & {"xcomp", "dobj"})
    if lemma in lx.EVIDENCE_VERBS or lemma in _WEAK:
        published = lemma in lx.PUBLISH_VERBS and "dobj" in deps
        return clause or published or adjacent_quote(token, quotes)
    if lemma in lx.ALWAYS_CUES and deps & {"nsubj", "nsubjpass"}:
        return True  # "..., the campaign said, it may not bother": said is said, with or without a clause
    return clause or adjacent_quote(token, quotes) or bool(deps & {"dobj", "xcomp"})


def adjacent_quote(token: Token, quotes: Sequence[Span]) -> bool:
    """A quotation closing just before the verb ('...," he added') or opening right after it."""
    end = token.idx + len(token.text)
    for q in quotes:
        if 0 <= token.idx - q.end <= _NEAR_BEFORE and "\n" not in text_of(token.doc)[q.end : token.idx]:
            return True
        if 0 <= q.start - end <= _NEAR_AFTER:
            return True
    return False


def source_token(cue: Token) -> Token | None:
    """The source of CUE: its subject, its passive agent, or the subject of the verb it hangs on."""
    deps = {c.dep_ for c in cue.children}
    if deps & {"nsubjpass", "auxpass"} and "agent" not in deps:
        return None  # "it was reported that ...", "when asked": no source given
    token: Token | None = cue
    for _ in range(4):
        if token is None:
            return None
        for child in token.children:
            if child.dep_ in ("nsubj", "csubj"):
                return child
            if child.dep_ == "agent":
                return next((g for g in child.children if g.dep_ == "pobj"), None)
        if token is not cue and any(c.dep_ == "nsubjpass" for c in token.children):
            return next(c for c in token.children if c.dep_ == "nsubjpass")  # "was quoted as saying"
        if token.dep_ not in _INHERIT or token.head.i == token.i:
            return None
        token = token.head
    return None


def passive(token: Token) -> bool:
    return any(c.dep_ in ("nsubjpass", "auxpass") for c in token.children)


def nearby_name(table: ActorTable, cue: Token, sent: Span) -> Token | None:
    """When the parse gives the cue no subject (long sentences): the person or organisation
    named right before it ("... Rep. Paul Ryan (R-WI) said"), or right after ("said Ryan")."""
    doc = cue.doc
    for i in range(cue.i - 1, max(-1, cue.i - _NEAR_TOKENS), -1):
        t = doc[i]
        if t.idx < sent.start or (t.pos_ == "VERB" and t.dep_ != "amod"):
            break
        if i in table.token_actor and table.types.get(table.token_actor[i]) in ("person", "organization"):
            return t
    for i in range(cue.i + 1, min(len(doc), cue.i + 4)):
        if i in table.token_actor and table.types.get(table.token_actor[i]) == "person":
            return doc[i]
    return None


def phrase(doc: Doc, head: Token) -> str:
    """The noun phrase of HEAD without relative clauses and appositions, as written."""
    tokens = [head]
    for t in head.subtree:
        if t.i < head.i and t.dep_ not in ("punct",):
            tokens.append(t)
    for child in head.rights:
        if child.dep_ in ("prep", "compound", "amod") and child.i == head.i + 1:
            tokens.extend(child.subtree)
    span = char_span(tokens)
    return text_of(doc)[span.start : span.end] if span else head.text


def content_span(doc: Doc, cue: Token, sent: Span, quotes: Sequence[Span]) -> Span:
    """What CUE reports: its clause, its object (+ "as ..."), a quotation, or the sentence."""
    comp = [c for c in cue.children if c.dep_ in _COMPLEMENTS]
    tokens: list[Token] = []
    if comp:
        tokens = [t for c in comp for t in c.subtree if not (t.dep_ == "mark" and t.head in comp)]
    elif cue.lemma_.lower() in lx.OBJECT_CUES:
        tokens = [t for c in cue.children if c.dep_ in ("dobj", "oprd", "prep") for t in c.subtree]
    span = char_span(tokens)
    inside = [q for q in quotes if sent.contains(q) or (q.overlaps(sent) and q.start >= sent.start)]
    if span is None:
        # '"...," he added' quotes next to the cue; "fear a creeping annexe" reports an object.
        adjacent = [q for q in inside if adjacent_quote(cue, [q])]
        objects = [t for c in cue.children if c.dep_ in ("dobj", "prep", "oprd") for t in c.subtree]
        near = min(inside, key=lambda q: abs(q.start - cue.idx), default=None)
        span = (adjacent[0] if adjacent else None) or char_span(objects) or near or sent
    for q in inside:
        if q.overlaps(span) and (span.end - span.start) < 2 * (q.end - q.start):
            span = Span(min(span.start, q.start), max(span.end, q.end))
    return Span(max(span.start, sent.start), min(span.end, sent.end))


def kind_of(content: Span, quotes: Sequence[Span]) -> AttributionKind:
    quoted = sum(max(0, min(q.end, content.end) - max(q.start, content.start)) for q in quotes)
    return "direct_quote" if quoted * 2 >= content.end - content.start else "indirect"


def actors_in(table: ActorTable, doc: Doc, span: Span) -> tuple[str, ...]:
    names: list[str] = []
    for t in table.tokens(span):
        names.extend([table.token_actor[t.i]] if t.i in table.token_actor else table.resolved.get(t.i, ()))
    return tuple(dict.fromkeys(names))
