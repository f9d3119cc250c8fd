"""Running an evaluation and tabulating it: per-article results, the metric table, JSON."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from summarize.errors import SummarizeError, UserError
from summarize.evaluate.datasets import ENTITY_TYPES, Example
from summarize.evaluate.scoring import (
    RULES,
    rouge_scorer,
    score_bbc,
    score_conll,
    score_factru,
    score_gum,
    score_polnear,
)
from summarize.ingest import Document
from summarize.pipeline import Summarizer
from summarize.schemas import ArticleSummary


@dataclass
class ArticleResult:
    """The outcome of one article: counts and scores, or the error."""

    id: str
    ok: bool
    seconds: float
    chars: int
    truncated: bool
    error: str | None = None
    output_tail: str | None = None
    """The end of the model's last reply when it failed (a loop or cut-off shows here)."""
    proposed: int = 0
    located: int = 0
    repaired: int = 0
    dropped: int = 0
    actors: int = 0
    claims: int = 0
    stances: int = 0
    scores: dict[str, Any] = field(default_factory=dict)


def run_eval(
    dataset: str,
    examples: Sequence[Example],
    summarizer: Summarizer,
    *,
    on_article: Callable[[int, ArticleResult], None] | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> list[ArticleResult]:
    """Summarize each example with SUMMARIZER and score it; a failed article is recorded, not raised."""
    scorer = rouge_scorer() if dataset == "bbc-summary" else None
    results = []
    for i, example in enumerate(examples):
        doc = Document(text=example.text, path=example.id, title=example.title, language=example.language)
        start = clock()
        try:
            summary = summarizer.summarize(doc)
        except UserError:
            raise  # a setup problem (no model, bad option) fails every article the same way
        except SummarizeError as exc:
            result = _failed(example, clock() - start, exc)
        else:
            result = _scored(dataset, example, summary, clock() - start, scorer)
        results.append(result)
        if on_article is not None:
            on_article(i, result)
    return results


def _failed(example: Example, seconds: float, exc: BaseException) -> ArticleResult:
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    tail = getattr(exc, "last_output", "") or None
    return ArticleResult(
        example.id, False, seconds, len(example.text), example.truncated, error=message,
        output_tail=tail[-200:] if tail else None,
    )  # fmt: skip


def _scored(
    dataset: str, example: Example, summary: ArticleSummary, seconds: float, scorer: Any
) -> ArticleResult:
    g = summary.grounding
    if dataset in ("conll2003", "ner-uk"):
        scores: dict[str, Any] = score_conll(summary, example.gold)
    elif dataset == "factru":
        scores = score_factru(summary, example.gold)
    elif dataset == "polnear":
        scores = score_polnear(summary, example.gold)
    elif dataset == "gum":
        scores = score_gum(summary, example.gold)
    else:
        scores = score_bbc(summary.summary, example, scorer)
    return ArticleResult(
        example.id, True, seconds, len(example.text), example.truncated,
        proposed=g.proposed, located=g.located, repaired=g.repaired, dropped=g.dropped,
        actors=len(summary.actors), claims=len(summary.claims), stances=len(summary.stances),
        scores=scores,
    )  # fmt: skip


def _ratio(num: float, den: float) -> str:
    return f"{num / den:.3f} ({num:g}/{den:g})" if den else "n/a (0)"


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def metric_rows(dataset: str, results: Sequence[ArticleResult]) -> list[tuple[str, str]]:
    """(metric, value) rows for the table, common rows first."""
    ok = [r for r in results if r.ok]
    proposed = sum(r.proposed for r in ok)
    located = sum(r.located for r in ok)
    rows = [
        ("articles", str(len(results))),
        ("ok / failed", f"{len(ok)} / {len(results) - len(ok)}"),
        ("truncated to max_chars", str(sum(r.truncated for r in results))),
        ("mean chars fed", f"{_mean([r.chars for r in results]):.0f}"),
        ("seconds/article", f"{_mean([r.seconds for r in results]):.1f}"),
        ("grounding before repair", _ratio(located, proposed)),
        ("grounding after repair", _ratio(located + sum(r.repaired for r in ok), proposed)),
        ("dropped rate", _ratio(sum(r.dropped for r in ok), proposed)),
        ("actors/article", f"{_mean([r.actors for r in ok]):.2f}"),
        ("claims/article", f"{_mean([r.claims for r in ok]):.2f}"),
        ("stances/article", f"{_mean([r.stances for r in ok]):.2f}"),
    ]
    return rows + _DATASET_ROWS[dataset](ok)


def _conll_rows(ok: Sequence[ArticleResult]) -> list[tuple[str, str]]:
    total = {t: _sum(ok, t) for t in ENTITY_TYPES}
    rows = [(f"actor recall {t}", _ratio(*total[t])) for t in ENTITY_TYPES]
    found, count = sum(v[0] for v in total.values()), sum(v[1] for v in total.values())
    per_article = [_share(r.scores) for r in ok if any(r.scores[t][1] for t in ENTITY_TYPES)]
    person_org = [total["PER"][0] + total["ORG"][0], total["PER"][1] + total["ORG"][1]]
    typed = {t: _sum(ok, f"typed {t}") for t in ENTITY_TYPES}
    typed_all = [sum(v[0] for v in typed.values()), sum(v[1] for v in typed.values())]
    return [
        *rows,
        ("actor recall PER+ORG", _ratio(*person_org)),
        ("actor recall PER+ORG+LOC", _ratio(found, count)),
        ("  same, mean per article", f"{_mean(per_article):.3f}"),
        *[(f"type accuracy {t}", _ratio(*typed[t])) for t in ENTITY_TYPES],
        (
            "type accuracy PER+ORG",
            _ratio(typed["PER"][0] + typed["ORG"][0], typed["PER"][1] + typed["ORG"][1]),
        ),
        ("type accuracy (found entities)", _ratio(*typed_all)),
        ("actor precision", _ratio(*_sum(ok, "precision"))),
    ]


def _sum(ok: Sequence[ArticleResult], key: str) -> list[int]:
    """[numerator, denominator] of KEY over articles (older reports may lack it)."""
    pairs = [r.scores.get(key, [0, 0]) for r in ok]
    return [sum(p[0] for p in pairs), sum(p[1] for p in pairs)]


def _share(counts: dict[str, list[int]]) -> float:
    return sum(counts[t][0] for t in ENTITY_TYPES) / sum(counts[t][1] for t in ENTITY_TYPES)


def _polnear_rows(ok: Sequence[ArticleResult]) -> list[tuple[str, str]]:
    s = {k: sum(r.scores[k] for r in ok) for k in ("content_found", "content_total", "eligible")}
    matched, correct = sum(r.scores["matched"] for r in ok), sum(r.scores["correct"] for r in ok)
    return [
        ("attribution content recall", _ratio(s["content_found"], s["content_total"])),
        ("speaker-eligible attributions", str(s["eligible"])),
        ("  content recall on them", _ratio(matched, s["eligible"])),
        ("speaker accuracy (matched)", _ratio(correct, matched)),
        ("speaker correct (all eligible)", _ratio(correct, s["eligible"])),
        ("actors holding two full names", str(sum(r.scores.get("two_people", 0) for r in ok))),
    ]


def _gum_rows(ok: Sequence[ArticleResult]) -> list[tuple[str, str]]:
    return [
        ("named chains found", _ratio(*_sum(ok, "found"))),
        ("type accuracy (found chains)", _ratio(*_sum(ok, "typed"))),
        ("actor precision", _ratio(*_sum(ok, "precision"))),
        ("actors holding two gold people", str(_sum(ok, "merges")[0])),
        ("named chains split in two actors", _ratio(*_sum(ok, "splits"))),
        ("actors holding two full names", str(_sum(ok, "two_people")[0])),
    ]


def _bbc_rows(ok: Sequence[ArticleResult]) -> list[tuple[str, str]]:
    def mean(key: str) -> str:
        return f"{_mean([r.scores[key] for r in ok]):.3f}"

    invented = [r.scores.get("unsupported", 0.0) for r in ok]
    return [
        ("ROUGE-1 F (summary)", mean("rouge1")),
        ("ROUGE-L F (summary)", mean("rougeL")),
        ("ROUGE-1 F (Lead-3)", mean("lead3_rouge1")),
        ("ROUGE-L F (Lead-3)", mean("lead3_rougeL")),
        ("sentences/summary", f"{_mean([r.scores.get('sentences', 0.0) for r in ok]):.2f}"),
        ("invented names or numbers", f"{sum(invented):g} in {sum(1 for n in invented if n)} summaries"),
    ]


def _factru_rows(ok: Sequence[ArticleResult]) -> list[tuple[str, str]]:
    total = {t: _sum(ok, t) for t in ENTITY_TYPES}
    typed = {t: _sum(ok, f"typed {t}") for t in ENTITY_TYPES}
    typed_all = [sum(v[0] for v in typed.values()), sum(v[1] for v in typed.values())]
    return [
        *[(f"actor recall {t}", _ratio(*total[t])) for t in ENTITY_TYPES],
        *[(f"type accuracy {t}", _ratio(*typed[t])) for t in ENTITY_TYPES],
        ("type accuracy (found chains)", _ratio(*typed_all)),
        ("actor precision", _ratio(*_sum(ok, "precision"))),
        ("person names in base form", _ratio(*_sum(ok, "base form"))),
        ("names in base form, all types", _ratio(*_sum(ok, "base form all"))),
        ("person actors merging 2+ people", _ratio(*_sum(ok, "merged"))),
        ("people split over 2+ actors", _ratio(*_sum(ok, "split"))),
    ]


_DATASET_ROWS: dict[str, Callable[[Sequence[ArticleResult]], list[tuple[str, str]]]] = {
    "conll2003": _conll_rows,
    "factru": _factru_rows,
    "ner-uk": _conll_rows,
    "polnear": _polnear_rows,
    "bbc-summary": _bbc_rows,
    "gum": _gum_rows,
}


@dataclass
class Report:
    """An evaluation run: what was run, per-article results, the table."""

    dataset: str
    path: str
    model: str
    max_chars: int | None
    offset: int
    results: list[ArticleResult] = field(default_factory=list)
    date: str = field(default_factory=lambda: time.strftime("%Y-%m-%d %H:%M:%S %Z"))

    def rows(self) -> list[tuple[str, str]]:
        """The metric rows."""
        return metric_rows(self.dataset, self.results)

    def table(self) -> str:
        """A plain-text table with a header naming the set, model and settings."""
        rows = self.rows()
        width = max(len(name) for name, _ in rows)
        head = (
            f"summarize eval {self.dataset} ({self.path}) model={self.model} "
            f"offset={self.offset} max_chars={self.max_chars} date={self.date}"
        )
        lines = [head, f"{'metric':<{width}}  value", f"{'-' * width}  -----"]
        lines += [f"{name:<{width}}  {value}" for name, value in rows]
        return "\n".join(lines)

    @classmethod
    def from_json(cls, text: str) -> Report:
        """A report read back from `to_json` (to re-tabulate a saved, possibly partial, run)."""
        data = json.loads(text)
        results = [ArticleResult(**a) for a in data["articles"]]
        keys = ("dataset", "path", "model", "max_chars", "offset", "date")
        return cls(**{k: data[k] for k in keys}, results=results)

    def to_json(self) -> str:
        """The report with per-article results and the rules used."""
        data = {
            "dataset": self.dataset,
            "path": self.path,
            "model": self.model,
            "max_chars": self.max_chars,
            "offset": self.offset,
            "date": self.date,
            "rules": {"all": RULES["all"], self.dataset: RULES[self.dataset]},
            "metrics": dict(self.rows()),
            "articles": [asdict(r) for r in self.results],
        }
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
