"""Extractive summary of a Russian article: the English reader's scorer with Russian words.

The score (position, TF-IDF centrality, title overlap) and the rules of `nlp.summary` are
language-neutral except for what a word is; here a word is a run of Cyrillic or Latin
letters or digits, lower-cased with ё as е, cut to its first 6 letters (a stem that joins
"переговоры"/"переговоров"), function words (data/stopwords.txt) left out. The lead
sentence is always kept, then the best scored, in article order.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

from summarize.text.nlp.summary import DEFAULT, Weights, _cosine, _tfidf, body_sentences
from summarize.text.nlp.types import Analysis, Span
from summarize.text.ru.lexicon import fold, stop_words

_WORD = re.compile(r"[^\W\d_][^\W_]*(?:-[^\W\d_]+)*|\d[\d,.]*")
_STEM = 6
_QUOTED = ("«", "„", '"', "“")
_ENDS = '.!?»"”…)'


def content_words(text: str) -> list[str]:
    """Stems of TEXT's words without function words."""
    words = (fold(w) for w in _WORD.findall(text))
    return [w[:_STEM] for w in words if w not in stop_words()]


def _candidate(sentence: str, weights: Weights) -> bool:
    words = _WORD.findall(sentence)
    if not weights.min_words <= len(words) <= weights.max_words:
        return False
    if sentence.startswith(_QUOTED) and sentence.rstrip(".").endswith(("»", "“", '"', "”")):
        return False  # a bare quotation reads out of context
    return sentence.rstrip()[-1:] in _ENDS


def _scores(text: str, spans: Sequence[Span], title: str | None, weights: Weights) -> list[float]:
    bags = [Counter(content_words(s.of(text))) for s in spans]
    vectors, whole = _tfidf(bags)
    title_words = set(content_words(title or ""))
    out = []
    for rank, (span, vector, bag) in enumerate(zip(spans, vectors, bags, strict=True)):
        if not _candidate(span.of(text), weights):
            out.append(-math.inf)
            continue
        overlap = len(title_words & set(bag)) / len(title_words) if title_words else 0.0
        position = 1.0 / (1.0 + rank) ** weights.decay
        out.append(
            weights.lead * position + weights.centre * _cosine(vector, whole) + weights.title * overlap
        )
    return out


def extractive_summary(
    text: str,
    analysis: Analysis,
    max_sentences: int = 3,
    *,
    title: str | None = None,
    weights: Weights = DEFAULT,
) -> list[Span]:
    """Spans of the MAX_SENTENCES sentences that summarise TEXT best, in article order."""
    spans = body_sentences(text, analysis, title)
    scores = _scores(text, spans, title, weights)
    candidates = [i for i, s in enumerate(scores) if s > -math.inf]
    lead = candidates[:1]
    ranked = lead + sorted((i for i in candidates if i not in lead), key=lambda i: -scores[i])
    chosen = sorted(ranked[:max_sentences])
    return [spans[i] for i in chosen] if chosen else spans[:max_sentences]
