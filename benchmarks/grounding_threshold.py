"""Measure the fuzzy threshold of `summarize.grounding.locate` on real attributions.

Takes PolNeAR articles with gold attribution content spans, perturbs each gold quote the
way models do (curly quotes made straight, a word dropped, case changed, a comma added,
tense changed, quotation marks added), adds negatives (a sentence from another article, a
splice of two halves of different attributions, a quote with a third of its words
replaced), and prints precision and recall of `locate` for each threshold.

    python benchmarks/grounding_threshold.py --data ../shared/data [--articles 50]

A located positive counts as correct when its span overlaps the gold span by at least
half of the union (IoU >= 0.5); a located negative is a false positive. Precision = TP / located,
recall = TP / positives.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from summarize.ground import FUZZY_THRESHOLD, Span, locate

THRESHOLDS = [70.0, 75.0, 80.0, 85.0, 88.0, 90.0, 92.0, 95.0, 98.0]
TENSES = {
    "said": "says",
    "says": "said",
    "is": "was",
    "was": "is",
    "are": "were",
    "were": "are",
    "has": "had",
    "have": "had",
    "will": "would",
    "would": "will",
    "can": "could",
}


@dataclass(frozen=True)
class Gold:
    article: int
    start: int
    end: int
    quote: str


@dataclass(frozen=True)
class Case:
    kind: str
    quote: str
    text: str
    gold: Gold | None  # None: a negative, must not be located


def load(path: Path, articles: int, per_article: int, rng: random.Random) -> list[tuple[str, list[Gold]]]:
    """The first ARTICLES articles that have single-span gold contents of quote length."""
    out: list[tuple[str, list[Gold]]] = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            text = row["text"]
            golds = [
                Gold(len(out), s, e, text[s:e])
                for a in row["attributions"]
                for [s, e] in a["content"]["spans"][:1]
                if len(a["content"]["spans"]) == 1 and 40 <= e - s <= 300
            ]
            if len(golds) >= 3:
                out.append((text, rng.sample(golds, min(per_article, len(golds)))))
            if len(out) == articles:
                break
    return out


def _words_op(op: Callable[[list[str], random.Random], list[str] | None]) -> Callable[..., str | None]:
    def apply(quote: str, rng: random.Random) -> str | None:
        words = op(quote.split(), rng)
        return None if words is None else " ".join(words)

    return apply


@_words_op
def drop_word(words: list[str], rng: random.Random) -> list[str] | None:
    if len(words) < 5:
        return None
    del words[rng.randrange(1, len(words) - 1)]
    return words


@_words_op
def drop_two_words(words: list[str], rng: random.Random) -> list[str] | None:
    if len(words) < 8:
        return None
    for _ in range(2):
        del words[rng.randrange(1, len(words) - 1)]
    return words


@_words_op
def change_tense(words: list[str], rng: random.Random) -> list[str] | None:
    hits = [i for i, w in enumerate(words) if w.lower() in TENSES]
    if not hits:
        return None
    i = rng.choice(hits)
    words[i] = TENSES[words[i].lower()]
    return words


@_words_op
def add_comma(words: list[str], rng: random.Random) -> list[str] | None:
    i = rng.randrange(len(words))
    words[i] = words[i].rstrip(",") + ","
    return words


def straight_quotes(quote: str, rng: random.Random) -> str | None:
    out = quote.translate(str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'"}))
    return out if out != quote else None


POSITIVES: dict[str, Callable[[str, random.Random], str | None]] = {
    "verbatim": lambda q, rng: q,
    "straight quotes": straight_quotes,
    "drop a word": drop_word,
    "drop two words": drop_two_words,
    "change case": lambda q, rng: q.lower() if rng.random() < 0.5 else q.upper(),
    "add a comma": add_comma,
    "change tense": change_tense,
    "add quote marks + period": lambda q, rng: '"' + q.rstrip(".,") + '."',
}


def positives(text: str, gold: Gold, rng: random.Random) -> Iterator[Case]:
    for kind, perturb in POSITIVES.items():
        quote = perturb(gold.quote, rng)
        if quote is not None:
            yield Case(kind, quote, text, gold)


def negatives(data: list[tuple[str, list[Gold]]], i: int, rng: random.Random) -> Iterator[Case]:
    text, golds = data[i]
    _, other_golds = data[(i + 1 + rng.randrange(len(data) - 1)) % len(data)]
    foreign = rng.choice(other_golds)
    yield Case("another article's quote", foreign.quote, text, None)
    a, b = rng.sample(golds, 2)
    wa, wb = a.quote.split(), b.quote.split()
    yield Case("splice of two quotes", " ".join(wa[: len(wa) // 2] + wb[len(wb) // 2 :]), text, None)
    words = rng.choice(golds).quote.split()
    pool = foreign.quote.split()
    for j in rng.sample(range(len(words)), max(2, len(words) // 3)):
        words[j] = rng.choice(pool)
    yield Case("a third of the words replaced", " ".join(words), text, None)


def correct(span: Span, gold: Gold) -> bool:
    inter = max(0, min(span.end, gold.end) - max(span.start, gold.start))
    union = max(span.end, gold.end) - min(span.start, gold.start)
    return inter / union >= 0.5


HARD_KINDS = ["drop a word", "drop two words", "change tense"]
NEGATIVE_KINDS = ["another article's quote", "splice of two quotes", "a third of the words replaced"]


def evaluate(cases: list[Case]) -> None:
    """One row per threshold: precision, recall, and right answers per hard case kind."""
    totals = Counter(c.kind for c in cases)
    kinds = HARD_KINDS + NEGATIVE_KINDS
    print(f"{'threshold':>9} {'precision':>9} {'recall':>7} {'FP':>4} {'FN':>4}  " + "  ".join(kinds))
    print(f"{'':>37}" + "  ".join(f"{'/' + str(totals[k]):>{len(k)}}" for k in kinds))
    for t in THRESHOLDS:
        tp = fp = fn = 0
        right: Counter[str] = Counter()
        for case in cases:
            span = locate(case.quote, case.text, threshold=t)
            ok = span is not None and case.gold is not None and correct(span, case.gold)
            tp += ok
            fp += span is not None and not ok
            fn += span is None and case.gold is not None
            right[case.kind] += ok or (span is None and case.gold is None)
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn) if tp + fn else 1.0
        mark = "  <- FUZZY_THRESHOLD" if t == FUZZY_THRESHOLD else ""
        cells = "  ".join(f"{right[k]:>{len(k)}}" for k in kinds)
        print(f"{t:>9.0f} {precision:>9.4f} {recall:>7.4f} {fp:>4} {fn:>4}  {cells}{mark}")
    easy = [k for k in totals if k not in kinds]
    print("\nalways right at every threshold (exact/normalized): " + ", ".join(easy))


def speed(data: list[tuple[str, list[Gold]]], rng: random.Random) -> None:
    """Time to ground 30 perturbed quotes in a ~10k-character article, against 100 ms."""
    text = next((t for t, _ in data if len(t) >= 10_000), max((t for t, _ in data), key=len))
    text = text[:10_000]
    golds = [g for t, gs in data for g in gs if t.startswith(text[:200])]
    quotes = [drop_word(g.quote, rng) or g.quote for g in golds] * 10
    quotes += [rng.choice(data)[1][0].quote for _ in range(30)]
    quotes = quotes[:30]
    started = time.perf_counter()
    for q in quotes:
        locate(q, text)
    ms = (time.perf_counter() - started) * 1000
    print(f"\n30 quotes in a {len(text)}-char article: {ms:.1f} ms ({ms / 100:.2f} of the 100 ms budget)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--articles", type=int, default=50)
    parser.add_argument("--per-article", type=int, default=8)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    path = args.data / "polnear" / "polnear.jsonl"
    if not path.exists():
        print(f"skipped: {path} not found (pass --data)", file=sys.stderr)
        return 0
    rng = random.Random(args.seed)
    data = load(path, args.articles, args.per_article, rng)
    cases = [c for i, (text, golds) in enumerate(data) for g in golds for c in positives(text, g, rng)]
    cases += [c for i in range(len(data)) for c in negatives(data, i, rng)]
    n_pos = sum(c.gold is not None for c in cases)
    print(f"{len(data)} PolNeAR articles, {n_pos} positive and {len(cases) - n_pos} negative quotes\n")
    evaluate(cases)
    speed(data, rng)
    return 0


if __name__ == "__main__":
    sys.exit(main())
