"""Who said what and who takes which side in a Russian article, read from natasha's UD parse.

Attribution, for each sentence:

1. cue verbs   a verb of saying or believing (data/cues.txt: "заявил", "подчеркнул",
               "уверен") gives its subject as the speaker: a name, a role with a name in
               apposition ("глава МИД РФ Сергей Лавров заявил"), a role alone resolved to the
               one person who holds it ("— отметил представитель Кремля"), or a pronoun
               ("он", "она") resolved to the nearest person of its gender named before; a
               verb with no subject inherits its governing verb's ("заявил и добавил"), or
               takes the name right after it ("«...», — сказал Лавров" when the parse
               missed it). A cue inside a quotation belongs to the quotation's speaker.
2. according   "по словам X", "как сообщает X" (data/according.txt): the first name after
               the phrase, before the next comma, is the source of the sentence.
3. quotations  «», „“ and "" quotations: the quotation is the content of its sentence's
               attribution; a sentence inside a quotation whose speaker is given in another
               of its sentences, or a quotation right after "X заявил:", continues it.
4. hedges      "якобы", "по данным", "возможно" (data/hedges.txt) mark the sentence's
               attributions hedged; with no source they make a reporter assertion.

A headline "Лавров: ..." has no cue and makes no claim. Stance cues: verbs of taking a
position (data/stances.txt, "выступить против") with their subjects as agents.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from summarize.text.nlp.types import Attribution, AttributionKind, SentenceInfo, Span, StanceCue
from summarize.text.ru.actors import Table
from summarize.text.ru.lexicon import according_phrases, cue_verbs, fold, hedges, pronouns, stance_verbs
from summarize.text.ru.parse import Parse, Token

_SUBJECT = frozenset({"nsubj", "nsubj:pass"})
_INHERIT = frozenset({"conj", "advcl", "xcomp"})
_CONTENT = frozenset({"ccomp", "parataxis", "obj"})
_PAIRS = {"«": "»", "„": "“", "“": "”", '"': '"'}
_PRONOUN_REACH = 80  # tokens back (about three sentences) a pronoun may reach for its person


def quote_ranges(text: str) -> list[Span]:
    """Spans of quotations, marks included: «» (nested ones inside), „“, “”, and straight
    quotes paired within a paragraph; an unclosed quotation ends with its paragraph."""
    out: list[Span] = []
    for para in re.finditer(r"[^\n]+", text):
        line, base = para.group(), para.start()
        i = 0
        while i < len(line):
            opener = line[i]
            closer = _PAIRS.get(opener)
            if closer is None:
                i += 1
                continue
            depth, j = 1, i + 1
            while j < len(line) and depth:
                if line[j] == closer and (closer != '"' or depth == 1):
                    depth -= 1
                elif line[j] == opener and opener != '"':
                    depth += 1
                j += 1
            out.append(Span(base + i, base + j))
            i = j
    return out


def _speaker(parse: Parse, table: Table, tok: Token) -> tuple[str | None, str]:
    """The actor subject TOK stands for (None when unknown) and the source as written."""
    tokens = parse.tokens
    below = parse.subtree(tok.i)
    written = parse.text[tokens[below[0]].start : tokens[below[-1]].end]
    if tok.lemma in pronouns():
        return _pronoun(table, tok), tok.text
    named = [table.by_token[i] for i in below if i in table.by_token]
    if tok.i in table.by_token:
        return table.by_token[tok.i], written
    persons = {name for _, name, _, _ in table.persons}
    person = next((n for n in named if n in persons), None)
    if person:
        return person, written
    holder = _role_holder(parse, table, tok, below)
    if holder:
        return holder, written
    return (named[0] if named else None), written


def _role_holder(parse: Parse, table: Table, tok: Token, below: list[int]) -> str | None:
    """The one person whose role the description TOK heads: the same role noun, or a role
    that holds every other word of it ("представитель Кремля" for "пресс-секретарь Кремля")."""
    others = {parse.tokens[i].lemma for i in below if i != tok.i and parse.tokens[i].pos in ("NOUN", "PROPN")}
    holders = [name for name, (head, _) in table.roles.items() if head == tok.lemma]
    if not holders and others:
        holders = [name for name, (_, lemmas) in table.roles.items() if others <= lemmas]
    return holders[0] if len(holders) == 1 else None


def _pronoun(table: Table, tok: Token) -> str | None:
    """The person "он"/"она" refers to: the nearest of that gender before it, a subject first."""
    gender = pronouns()[tok.lemma]
    if gender == "plur":
        return None
    before = [p for p in table.persons if p[0] < tok.i and (p[2] is None or p[2] == gender)]
    window = [p for p in before if p[0] >= tok.i - _PRONOUN_REACH]
    for pool in ([p for p in window if p[3]], window):
        if pool:
            return pool[-1][1]
    return None


def _subject(parse: Parse, verb: Token) -> Token | None:
    """VERB's subject, or its governing verb's for "заявил и добавил", "..., заявив"."""
    seen = 0
    while verb is not None and seen < 3:
        subj = next((k for k in parse.kids(verb.i) if k.rel in _SUBJECT), None)
        if subj is not None:
            return subj
        if verb.rel not in _INHERIT or verb.head < 0:
            return None
        verb = parse.tokens[verb.head]
        seen += 1
    return None


def _name_after(parse: Parse, table: Table, verb: Token) -> str | None:
    for tok in parse.tokens[verb.i + 1 : verb.i + 4]:
        if tok.sent != verb.sent:
            break
        if tok.i in table.by_token:
            return table.by_token[tok.i]
    return None


def _inside(span: Span, ranges: Sequence[Span]) -> Span | None:
    return next((r for r in ranges if r.contains(span)), None)


def _content(
    parse: Parse, verb: Token, sentence: Span, quotes: Sequence[Span]
) -> tuple[Span, AttributionKind]:
    """What VERB reports: a quotation of its sentence, else its clause, else the sentence."""
    inner = [q for q in quotes if sentence.overlaps(q)]
    if inner:
        return min(inner, key=lambda q: abs(q.start - verb.start)), "direct_quote"
    for kid in parse.kids(verb.i):
        if kid.rel in _CONTENT:
            below = parse.subtree(kid.i)
            start = parse.tokens[below[0]].start
            end = parse.tokens[below[-1]].end
            if end - start > 1:
                return Span(start, end), "indirect"
    return sentence, "indirect"


def _hedged(sentence: str) -> str | None:
    folded = fold(sentence)
    return next((h for h in hedges() if re.search(rf"(?<!\w){re.escape(h)}(?!\w)", folded)), None)


def _actors_in(parse: Parse, table: Table, span: Span) -> tuple[str, ...]:
    names = [
        table.by_token[t.i]
        for t in parse.tokens
        if span.contains(Span(t.start, t.end)) and t.i in table.by_token
    ]
    return tuple(dict.fromkeys(names))


def find_attributions(parse: Parse, table: Table, quotes: Sequence[Span]) -> list[Attribution]:
    """Attributions of every sentence, in text order (see the module docstring)."""
    out: list[Attribution] = []
    for sentence in parse.sentences:
        found = _cue_attributions(parse, table, sentence, quotes) + _according(parse, table, sentence)
        seen: set[str | None] = set()
        kept = []
        for att in found:
            if att.speaker is None or att.speaker not in seen:
                seen.add(att.speaker)
                kept.append(att)
        hedge = _hedged(sentence.of(parse.text))
        if hedge and not kept:
            named = _actors_in(parse, table, sentence)
            kept.append(
                Attribution(
                    None, None, hedge, None, sentence, sentence, "reporter_assertion", True, None, named
                )
            )
        out += [replace(a, hedged=bool(hedge)) for a in kept]
    return _continue_quotations(parse, out, quotes)


def _cue_attributions(
    parse: Parse, table: Table, sentence: Span, quotes: Sequence[Span]
) -> list[Attribution]:
    out = []
    verbs = cue_verbs() | {lemma for lemma, _ in stance_verbs()}
    for tok in parse.tokens:
        if not sentence.contains(Span(tok.start, tok.end)) or tok.lemma not in verbs:
            continue
        if tok.pos not in ("VERB", "ADJ") or _inside(Span(tok.start, tok.end), quotes):
            continue
        subj = _subject(parse, tok)
        speaker, written = (
            _speaker(parse, table, subj) if subj is not None else (_name_after(parse, table, tok), None)
        )
        if speaker is None and written is None:
            continue
        content, kind = _content(parse, tok, sentence, quotes)
        out.append(Attribution(
            speaker, written if subj is not None else speaker, tok.text, Span(tok.start, tok.end), content,
            sentence, kind, False, None, _actors_in(parse, table, content),
        ))  # fmt: skip
    return out


def _according(parse: Parse, table: Table, sentence: Span) -> list[Attribution]:
    text = sentence.of(parse.text)
    folded = fold(text)
    for phrase in according_phrases():
        m = re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", folded)
        if m is None:
            continue
        end = sentence.start + (folded.find(",", m.end()) if "," in folded[m.end() :] else len(folded))
        after = Span(sentence.start + m.end(), end)
        named = _actors_in(parse, table, after)
        source = parse.text[after.start : after.end].strip() or None
        cue = Span(sentence.start + m.start(), sentence.start + m.end())
        if named or source:
            speaker = named[0] if named else None
            inside = _actors_in(parse, table, sentence)
            return [
                Attribution(
                    speaker,
                    source,
                    cue.of(parse.text),
                    cue,
                    sentence,
                    sentence,
                    "indirect",
                    False,
                    None,
                    inside,
                )
            ]
    return []


def _continue_quotations(parse: Parse, atts: list[Attribution], quotes: Sequence[Span]) -> list[Attribution]:
    """Sentences of a quotation whose speaker another of its sentences, or the sentence
    before ending in a colon, gives."""
    by_sentence = {a.sentence.start for a in atts}
    extra = []
    sentences = parse.sentences
    for n, sentence in enumerate(sentences):
        if sentence.start in by_sentence:
            continue
        quote = next((q for q in quotes if q.overlaps(sentence)), None)
        if quote is None:
            continue
        source = next(
            (a for a in atts if a.speaker and a.content.overlaps(quote) and a.kind == "direct_quote"), None
        )
        if source is None and n and parse.text[sentences[n - 1].end - 1] == ":":
            source = next((a for a in atts if a.sentence == sentences[n - 1] and a.speaker), None)
        if source is not None:
            content = Span(max(quote.start, sentence.start), min(quote.end, sentence.end))
            extra.append(replace(source, content=content, sentence=sentence, kind="direct_quote",
                                 cue_span=None, continuation=True))  # fmt: skip
    return sorted(atts + extra, key=lambda a: (a.sentence.start, a.continuation))


def _negated(parse: Parse, verb: Token) -> bool:
    return any(k.lemma == "не" for k in parse.kids(verb.i))


def _stance_key(parse: Parse, verb: Token) -> tuple[str, str | None] | None:
    table = stance_verbs()
    for kid in parse.kids(verb.i):
        for case in parse.kids(kid.i):
            if case.rel == "case" and (verb.lemma, case.lemma) in table:
                return verb.lemma, case.lemma
    return (verb.lemma, None) if (verb.lemma, None) in table else None


def find_stance_cues(parse: Parse, table: Table) -> list[StanceCue]:
    """Verbs of taking a position with their agents, target and negation."""
    out = []
    for sentence in parse.sentences:
        for verb in parse.tokens:
            if not sentence.contains(Span(verb.start, verb.end)) or verb.pos != "VERB":
                continue
            key = _stance_key(parse, verb)
            subj = _subject(parse, verb) if key else None
            if key is None or subj is None:
                continue
            agents = [_speaker(parse, table, subj)[0]]
            agents += [_speaker(parse, table, k)[0] for k in parse.kids(subj.i) if k.rel == "conj"]
            named = tuple(dict.fromkeys(a for a in agents if a))
            if not named:
                continue
            target = next((k for k in parse.kids(verb.i) if k.rel in ("obj", "obl", "xcomp", "ccomp")), None)
            span = None
            if target is not None:
                below = parse.subtree(target.i)
                span = Span(parse.tokens[below[0]].start, parse.tokens[below[-1]].end)
            below = parse.subtree(subj.i)
            agent_text = parse.text[parse.tokens[below[0]].start : parse.tokens[below[-1]].end]
            polarity = stance_verbs()[key]
            targets = _actors_in(parse, table, span) if span else ()
            cue = Span(verb.start, verb.end)
            negated = _negated(parse, verb)
            out.append(
                StanceCue(
                    verb.text, verb.lemma, cue, polarity, named, agent_text, span, targets, negated, sentence
                )
            )
    return out


def sentence_actors(parse: Parse, table: Table, atts: Sequence[Attribution]) -> list[SentenceInfo]:
    """Each sentence with the actors it names or whose pronoun it resolves."""
    out = []
    for sentence in parse.sentences:
        names = list(_actors_in(parse, table, sentence))
        names += [a.speaker for a in atts if a.sentence == sentence and a.speaker]
        out.append(SentenceInfo(sentence, tuple(dict.fromkeys(names))))
    return out
