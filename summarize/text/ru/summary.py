"""Extractive summary of a Russian article: the English reader's scorer with Russian words.

The score (position, TF-IDF centrality, title overlap) and the rules of `nlp.summary` are
language-neutral except for what a word is; here a word is a run of Cyrillic or Latin
letters or digits, lower-cased with ё as е, cut to its first 6 letters (a stem that joins
"переговоры"/"переговоров"), function words (data/stopwords.txt) left out. The lead
sentence is always kept, then the best scored, in article order.
"""

from __future__ import annotations

import re

from summarize.text.nlp import summary as nlp_summary
from summarize.text.nlp.summary import DEFAULT, Weights
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


def extractive_summary(
    text: str,
    analysis: Analysis,
    max_sentences: int = 3,
    *,
    title: str | None = None,
    weights: Weights = DEFAULT,
) -> list[Span]:
    """Spans of the MAX_SENTENCES sentences that summarise TEXT best, in article order."""
    return nlp_summary.extractive_summary(
        text, analysis, max_sentences, title=title, weights=weights, language=(content_words, _candidate)
    )
