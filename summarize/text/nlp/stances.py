"""Stance verbs and who takes them: "The idea was rejected by both Putin and Lukashenko".

A verb of taking a position (reject, oppose, criticise... support, praise, welcome...) with
its agents (the subject, or the "by X and Y" agent of a passive), its target and its
polarity; and, for each sentence, the actors it names or refers to.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from summarize.text.nlp import lexicon as lx
from summarize.text.nlp.actors import ActorTable
from summarize.text.nlp.cues import actors_in, char_span, phrase, source_token
from summarize.text.nlp.types import SentenceInfo, Span, StanceCue

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token


def _agents(cue: Token) -> tuple[Token | None, bool]:
    """The agent head of stance verb CUE and whether CUE is passive."""
    passive = any(c.dep_ in ("nsubjpass", "auxpass") for c in cue.children)
    if passive:
        agent = next((c for c in cue.children if c.dep_ == "agent"), None)
        return (next((g for g in agent.children if g.dep_ == "pobj"), None) if agent else None), True
    return source_token(cue), False


def _target(cue: Token, passive: bool) -> list[Token]:
    deps = ("nsubjpass",) if passive else ("dobj", "xcomp", "ccomp")
    for child in cue.children:
        if child.dep_ in deps:
            return list(child.subtree)
    for child in cue.children:
        if child.dep_ == "prep" and child.lower_ in ("for", "against", "of", "on", "to"):
            return list(child.subtree)
    return []


def find_stance_cues(doc: Doc, table: ActorTable, sentences: Sequence[Span]) -> list[StanceCue]:
    """Verbs of taking a position with their agents ("by both Putin and Lukashenko" gives two)."""
    out: list[StanceCue] = []
    for token in doc:
        lemma = token.lemma_.lower()
        if token.pos_ != "VERB" or lemma not in lx.STANCE_VERBS:
            continue
        agent, passive = _agents(token)
        target = _target(token, passive)
        target_span = char_span(target)
        sent = sentences[table.sentence_of(token.i)] if sentences else Span(token.idx, token.idx)
        negated = any(c.dep_ == "neg" for c in token.children) or any(
            c.dep_ == "neg" for c in token.head.children if token.dep_ == "xcomp"
        )
        out.append(
            StanceCue(
                verb=token.text,
                lemma=lemma,
                span=Span(token.idx, token.idx + len(token.text)),
                polarity="support" if lemma in lx.SUPPORT_VERBS else "oppose",
                agents=table.refer(agent) if agent is not None else (),
                agent_text=phrase(doc, agent) if agent is not None else None,
                target=target_span,
                target_actors=actors_in(table, doc, target_span) if target_span else (),
                negated=negated,
                sentence=sent,
            )
        )
    return out


def sentence_actors(table: ActorTable, sentences: Sequence[Span]) -> list[SentenceInfo]:
    """Each sentence with the actors it names or refers to by a resolved pronoun."""
    out: list[SentenceInfo] = []
    for sent in sentences:
        names: list[str] = []
        for token in table.tokens(sent):
            if token.i in table.token_actor:
                names.append(table.token_actor[token.i])
            names.extend(table.resolved.get(token.i, ()))
        out.append(SentenceInfo(sent, tuple(dict.fromkeys(names))))
    return out
