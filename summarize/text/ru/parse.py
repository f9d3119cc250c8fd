"""natasha's parse of a Russian article as plain tokens, sentences and named spans.

natasha 1.6 (MIT): razdel segmentation, then its news models (morphology, UD syntax, NER,
all inside the wheel, offline). It is imported and loaded on the first Russian article
(about 1.5 s) and kept for the process; an English run never imports it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from summarize.errors import UserError
from summarize.text.nlp.types import Span
from summarize.text.ru.lexicon import fold

INSTALL_HINT = "Run `pip install 'summarize[local]'` (natasha, its Russian models inside the wheel, 34 MB)"


@dataclass(frozen=True)
class Token:
    """One token: offsets, lemma (folded), UD part of speech, features, head and relation."""

    i: int
    start: int
    end: int
    text: str
    lemma: str
    pos: str
    feats: dict[str, str]
    head: int
    """Index of the head token, -1 for a sentence root."""
    rel: str
    sent: int


@dataclass(frozen=True)
class NamedSpan:
    """A name natasha found: PER, ORG or LOC, its tokens and its normal (nominative) form."""

    type: str
    start: int
    end: int
    text: str
    normal: str
    tokens: tuple[int, ...]


@dataclass
class Parse:
    """The article's tokens, natasha's sentences and names, and each token's children."""

    text: str
    tokens: list[Token]
    sentences: list[Span]
    spans: list[NamedSpan]
    children: dict[int, list[int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for tok in self.tokens:
            if tok.head >= 0:
                self.children.setdefault(tok.head, []).append(tok.i)

    def kids(self, i: int) -> list[Token]:
        """The dependents of token I."""
        return [self.tokens[j] for j in self.children.get(i, [])]

    def subtree(self, i: int) -> list[int]:
        """Token I and everything below it, in text order (a cycle in the parse is cut)."""
        seen, todo = {i}, [i]
        while todo:
            for k in self.children.get(todo.pop(), []):
                if k not in seen:
                    seen.add(k)
                    todo.append(k)
        return sorted(seen)


class _LineSegmenter:
    """razdel's tokens and sentences, a sentence also ending at a line break (a headline
    without a full stop is not parsed together with the paragraph after it)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def tokenize(self, text: str) -> Any:
        return self.inner.tokenize(text)

    def sentenize(self, text: str) -> Iterator[tuple[int, int, str]]:
        for sent in self.inner.sentenize(text):
            start = sent.start
            for piece in sent.text.split("\n"):
                lead = len(piece) - len(piece.lstrip())
                stripped = piece.strip()
                if stripped:
                    yield start + lead, start + lead + len(stripped), stripped
                start += len(piece) + 1


@dataclass(frozen=True)
class _Models:
    segmenter: Any
    morph_vocab: Any
    morph: Any
    syntax: Any
    ner: Any


@functools.cache
def models() -> _Models:
    """natasha's segmenter and news models, loaded once per process."""
    try:
        import natasha
    except ImportError:
        raise UserError(f"Reading Russian needs natasha, which is not installed. {INSTALL_HINT}") from None
    emb = natasha.NewsEmbedding()
    return _Models(
        _LineSegmenter(natasha.Segmenter()),
        natasha.MorphVocab(),
        natasha.NewsMorphTagger(emb),
        natasha.NewsSyntaxParser(emb),
        natasha.NewsNERTagger(emb),
    )


def parse(text: str) -> Parse:
    """TEXT segmented, tagged, parsed and its names found and normalised."""
    import natasha

    m = models()
    doc = natasha.Doc(text)
    doc.segment(m.segmenter)
    doc.tag_morph(m.morph)
    doc.parse_syntax(m.syntax)
    doc.tag_ner(m.ner)
    index: dict[str, int] = {}
    raw: list[tuple[int, Any]] = []
    for s, sent in enumerate(doc.sents):
        for tok in sent.tokens:
            tok.lemmatize(m.morph_vocab)
            index[tok.id] = len(raw)
            raw.append((s, tok))
    tokens = [
        Token(
            i, tok.start, tok.stop, tok.text, fold(tok.lemma or tok.text), tok.pos or "X",
            dict(tok.feats or {}), index.get(tok.head_id, -1), tok.rel or "", s,
        )
        for i, (s, tok) in enumerate(raw)
    ]  # fmt: skip
    starts = {t.start: t.i for t in tokens}
    spans = []
    for span in doc.spans:
        span.normalize(m.morph_vocab)
        first = starts.get(span.start)
        if first is None:
            continue
        ids = tuple(range(first, first + _count(tokens, first, span.stop)))
        named = _before_bracket(text, tokens, ids, span.type, span.normal or span.text)
        if named is not None:
            spans.append(named)
    return Parse(text, tokens, [Span(s.start, s.stop) for s in doc.sents], spans)


def _count(tokens: list[Token], first: int, stop: int) -> int:
    """How many tokens from FIRST on end by STOP."""
    n = 0
    while first + n < len(tokens) and tokens[first + n].end <= stop:
        n += 1
    return n


def _before_bracket(
    text: str, tokens: list[Token], ids: tuple[int, ...], type_: str, normal: str
) -> NamedSpan | None:
    """The name before a bracket natasha took in with it ("Джоэл Саймон (Joel Simon)"): the
    bracket is a second name, not part of this one."""
    cut = next((n for n, i in enumerate(ids) if tokens[i].text in "()"), len(ids))
    kept = ids[:cut]
    if not kept:
        return None
    start, end = tokens[kept[0]].start, tokens[kept[-1]].end
    if cut < len(ids):
        normal = normal.split("(")[0].strip() or text[start:end]
    return NamedSpan(type_, start, end, text[start:end], normal, kept)
