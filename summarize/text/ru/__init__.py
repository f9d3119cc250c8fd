"""The Russian reader: the program's share of a digest for an article in Russian.

`analyze(text)` parses the article once with natasha 1.6 (parse.py: razdel segmentation,
news morphology, UD syntax and NER, offline, loaded on the first Russian article) and
returns the same frozen dataclasses as the English reader (summarize.text.nlp.types):

1. sentences   razdel's, cut at line breaks;
2. actors      natasha's names grouped into actors, named in the nominative, typed, with
               roles (actors.py, names.py);
3. claims      attributions and stance cues from the UD parse (claims.py);
4. summary     `extractive_summary` picks 2-4 of the article's sentences (summary.py).

Word lists are data files in data/, each saying where it came from.
"""

from __future__ import annotations

from summarize.text.nlp.types import Analysis
from summarize.text.ru.actors import build_actors
from summarize.text.ru.claims import find_attributions, find_stance_cues, quote_ranges, sentence_actors
from summarize.text.ru.parse import parse
from summarize.text.ru.summary import extractive_summary

__all__ = ["analyze", "extractive_summary", "quote_ranges"]


def analyze(text: str) -> Analysis:
    """Sentences, actors, attributions and stance cues of the Russian TEXT."""
    parsed = parse(text)
    table = build_actors(parsed)
    attributions = find_attributions(parsed, table, quote_ranges(text))
    return Analysis(
        text=text,
        sentences=tuple(parsed.sentences),
        actors=tuple(table.actors),
        places=tuple(table.places),
        attributions=tuple(attributions),
        stance_cues=tuple(find_stance_cues(parsed, table)),
        sentence_actors=tuple(sentence_actors(parsed, table, attributions)),
    )
