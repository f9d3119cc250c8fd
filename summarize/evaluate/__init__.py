"""Quality evaluation on gold sets: load, run the real pipeline, score, tabulate.

`datasets` loads the sets as the model will see them, `scoring` holds the rules of every
figure (also in docs/QUALITY.md), `report` runs the pipeline over examples and tabulates.
Library code: nothing here prints; the CLI renders `Report.table()`.
"""

from __future__ import annotations

from summarize.evaluate.datasets import (
    DATASETS,
    DEFAULT_MAX_CHARS,
    Example,
    dataset_file,
    load_examples,
    truncate,
)
from summarize.evaluate.report import ArticleResult, Report, metric_rows, run_eval
from summarize.evaluate.scoring import (
    CONTENT_F1,
    RULES,
    lead3,
    merged_people,
    named_source,
    rouge_scorer,
    score_bbc,
    score_conll,
    score_factru,
    score_gum,
    score_polnear,
    speaker_matches,
    token_f1,
    unsupported,
)

__all__ = [
    "CONTENT_F1",
    "DATASETS",
    "DEFAULT_MAX_CHARS",
    "RULES",
    "ArticleResult",
    "Example",
    "Report",
    "dataset_file",
    "lead3",
    "load_examples",
    "merged_people",
    "metric_rows",
    "named_source",
    "rouge_scorer",
    "run_eval",
    "score_bbc",
    "score_conll",
    "score_factru",
    "score_gum",
    "score_polnear",
    "speaker_matches",
    "token_f1",
    "truncate",
    "unsupported",
]
