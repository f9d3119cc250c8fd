"""HTML main-text extraction quality: token F1 of extracted text against gold article bodies.

Usage:
    python benchmarks/html_extraction.py [--data ../shared/data] [--config NAME ...] [--jobs 2]

Data: html-benchmark/ (articles.jsonl, html/*.html.gz) and html-readability/ (index.jsonl,
<page>/source.html, <page>/expected.txt). Skips cleanly when the folder is absent.

Token F1 (see docs/INGEST.md): both texts are lower-cased and split into word tokens
(regex \\w+, Unicode); precision and recall count the multiset overlap of the two token bags.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from summarize.evaluate import token_f1


@dataclass(frozen=True)
class Page:
    """One page of the evaluation sets."""

    name: str
    html: bytes
    gold: str


def load_pages(data: Path) -> list[Page]:
    """Both HTML sets found under DATA (either may be missing)."""
    pages: list[Page] = []
    bench = data / "html-benchmark"
    if (bench / "articles.jsonl").exists():
        for line in (bench / "articles.jsonl").read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            html = gzip.decompress((bench / row["html"]).read_bytes())
            pages.append(Page("zyte/" + row["id"][:12], html, row["text"]))
    readability = data / "html-readability"
    if (readability / "index.jsonl").exists():
        for line in (readability / "index.jsonl").read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            html = (readability / row["source_html"]).read_bytes()
            gold = (readability / row["expected_text"]).read_text(encoding="utf-8")
            pages.append(Page("readability/" + row["id"], html, gold))
    return pages


def _trafilatura(**kwargs: Any) -> Callable[[bytes], str]:
    def run(html: bytes) -> str:
        import trafilatura

        return trafilatura.extract(html, **kwargs) or ""

    return run


def _ours(html: bytes) -> str:
    from summarize.errors import InputError
    from summarize.ingest import parse_document

    try:
        return parse_document(html, "page.html").text
    except InputError:
        return ""


CONFIGS: dict[str, Callable[[bytes], str]] = {
    "trafilatura-defaults": _trafilatura(),
    "no-comments": _trafilatura(include_comments=False),
    "favor-recall": _trafilatura(include_comments=False, favor_recall=True),
    "favor-precision": _trafilatura(include_comments=False, favor_precision=True),
    "fast": _trafilatura(include_comments=False, fast=True),
    "fast+recall": _trafilatura(include_comments=False, fast=True, favor_recall=True),
    "fast+precision": _trafilatura(include_comments=False, fast=True, favor_precision=True),
    "fast+no-tables": _trafilatura(include_comments=False, fast=True, include_tables=False),
    "summarize (ours)": _ours,
}


def _score(args: tuple[str, Page]) -> tuple[str, str, float, float]:
    config, page = args
    start = time.perf_counter()
    text = CONFIGS[config](page.html)
    elapsed = time.perf_counter() - start
    return config, page.name, token_f1(text, page.gold), elapsed


def main(argv: list[str] | None = None) -> int:
    """Run every config over every page and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--config", action="append", choices=sorted(CONFIGS))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--worst", type=int, default=0, help="list the N worst pages of ours")
    args = parser.parse_args(argv)
    pages = load_pages(args.data)
    if not pages:
        print(f"no HTML evaluation data under {args.data}; skipping")
        return 0
    configs = args.config or list(CONFIGS)
    if "trafilatura-defaults" not in configs:
        configs.insert(0, "trafilatura-defaults")
    work = [(c, p) for c in configs for p in pages]
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(_score, work, chunksize=4))
    scores: dict[str, list[float]] = {c: [] for c in configs}
    times: dict[str, list[float]] = {c: [] for c in configs}
    per_page: dict[str, dict[str, float]] = {c: {} for c in configs}
    for config, name, f1, elapsed in results:
        scores[config].append(f1)
        times[config].append(elapsed)
        per_page[config][name] = f1
    base = statistics.fmean(scores["trafilatura-defaults"])
    print(f"{len(pages)} pages from {args.data}")
    print(f"{'config':<24} {'mean F1':>8} {'median':>8} {'<0.8':>5} {'s/page':>7} {'vs defaults':>12}")
    for config in configs:
        mean = statistics.fmean(scores[config])
        print(
            f"{config:<24} {mean:8.4f} {statistics.median(scores[config]):8.4f} "
            f"{sum(s < 0.8 for s in scores[config]):5d} {statistics.fmean(times[config]):7.3f} "
            f"{mean / base:11.4f}x"
        )
    if args.worst:
        last = configs[-1]
        ranked = sorted(per_page[last].items(), key=lambda kv: kv[1])[: args.worst]
        print(f"\nworst pages of {last} (defaults in brackets):")
        for name, f1 in ranked:
            print(f"  {f1:.3f} [{per_page['trafilatura-defaults'][name]:.3f}] {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
