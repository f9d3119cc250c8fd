"""Boilerplate rules on clean articles: how often do they remove real article text?

Usage:
    python benchmarks/boilerplate_false_removal.py [--data ../shared/data] [--limit N] [--show 5]

Every BBC article in bbc/bbc_fulltext.jsonl is clean article text (title line + body), so
anything the rules remove there is a false removal. FRANK (CNN/DailyMail, XSum) and
PolNeAR articles are mostly clean too; what is removed there is listed to be judged by eye.
Each article goes through the same path as a .txt file (`parse_document`); BBC once as the
body alone and once with the title line on top. Prints articles touched, characters
removed and examples. Skips cleanly when the data is absent.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from summarize.errors import InputError
from summarize.ingest import parse_document


def main(argv: list[str] | None = None) -> int:
    """Run the rules over the BBC set and print the false-removal table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--show", type=int, default=5)
    args = parser.parse_args(argv)
    sets = [
        ("bbc", args.data / "bbc" / "bbc_fulltext.jsonl"),
        ("frank", args.data / "frank" / "frank_articles.jsonl"),
        ("polnear", args.data / "polnear" / "polnear.jsonl"),
    ]
    sets = [(name, path) for name, path in sets if path.exists()]
    if not sets:
        print(f"no article data under {args.data}; skipping")
        return 0
    print(
        f"{'set/variant':<20} {'articles':>8} {'touched':>8} {'rate':>7} {'chars removed':>14} {'ms/doc':>7}"
    )
    examples: list[str] = []
    for name, source in sets:
        rows = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines()]
        if args.limit:
            rows = rows[: args.limit]
        for variant in ("body", "title+body") if name == "bbc" else ("body",):
            examples += _run(f"{name}/{variant}", rows, with_title=variant != "body")
    for line in examples[: args.show]:
        print("  " + line)
    return 0


def _run(label: str, rows: list[dict[str, str]], *, with_title: bool) -> list[str]:
    """Clean every article of one set; print its row of the table, return examples."""
    touched = removed_chars = total_chars = 0
    examples: list[str] = []
    start = time.perf_counter()
    for row in rows:
        text = f"{row['title']}\n\n{row['text']}" if with_title else row["text"]
        total_chars += len(text)
        try:
            doc = parse_document(text.encode("utf-8"), f"{row['id']}.txt")
        except InputError as exc:
            touched += 1
            removed_chars += len(text)
            examples.append(f"{label} {row['id']}: error {exc}")
            continue
        if doc.removed:
            touched += 1
            removed_chars += sum(len(r) for r in doc.removed)
            examples.append(f"{label} {row['id']}: {doc.removed!r:.300}")
    elapsed = (time.perf_counter() - start) * 1000 / len(rows)
    print(
        f"{label:<20} {len(rows):8d} {touched:8d} {touched / len(rows):7.2%} "
        f"{removed_chars / total_chars:13.4%} {elapsed:7.2f}"
    )
    return examples


if __name__ == "__main__":
    raise SystemExit(main())
