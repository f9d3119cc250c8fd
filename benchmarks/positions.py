"""Which split of work labels stance positions best per second: the verb alone, or a model?

The dev set (benchmarks/positions_dev.jsonl) is 53 statements of PolNeAR records 0..7 (the
tuning slice), as `summarize.draft.passes.plan_statements` proposes them, each labelled by
hand with its actor's position (support, oppose, mixed, neutral). It holds article ids and
offsets only: the text is read from the data folder given with --data.

For each way of labelling, the table gives the accuracy, the agreement on whether a side is
taken at all, and the seconds per statement, against the verb-only baseline measured in the
same run:

- verb:      the stance verb's position ("rejected" -> oppose), else neutral (no model);
- <model>:   the drafter's position request to a bundled model (prompts/pass_position.md).

    python benchmarks/positions.py --data ../shared/data [--models qwen2.5-coder-0.5b qwen2.5-coder-1.5b]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

from summarize.backends.local import LocalBackend
from summarize.backends.model_files import resolve_model
from summarize.config import Settings
from summarize.draft import DraftOptions
from summarize.draft.passes import Passes, Statement, plan_statements
from summarize.evaluate import load_examples
from summarize.ingest import Document
from summarize.prompts import Prompts
from summarize.text import nlp

DEV = Path(__file__).with_name("positions_dev.jsonl")
Rows = list[tuple[Document, Statement, str]]


def dev_statements(data: Path) -> Rows:
    """The labelled statements with their documents, re-planned from the data."""
    labels = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines()]
    wanted = {row["id"] for row in labels}
    docs = {e.id: e for e in load_examples("polnear", data / "polnear", limit=40) if e.id in wanted}
    out: Rows = []
    for row in labels:
        example = docs[row["id"]]
        analysis = nlp.analyze(example.text)
        found = [
            s
            for s in plan_statements(analysis, attributions=True)
            if s.sentence == (row["start"], row["end"])
        ]
        if found:
            out.append((Document(text=example.text, path=example.id), found[0], row["position"]))
    return out


def score(
    rows: list[tuple[Document, Statement, str]], label: Callable[[Document, Statement], str]
) -> tuple[float, float, float]:
    """Accuracy, side-taken agreement and seconds per statement of LABEL."""
    right = sides = 0
    started = time.perf_counter()
    for doc, statement, gold in rows:
        got = label(doc, statement)
        right += got == gold
        sides += (got == "neutral") == (gold == "neutral")
    seconds = (time.perf_counter() - started) / len(rows)
    return right / len(rows), sides / len(rows), seconds


def model_labeller(name: str) -> Callable[[Document, Statement], str]:
    """The drafter's own position request, answered by bundled model NAME."""
    model = resolve_model(name)
    backend = LocalBackend(model.path, name=model.name, ctx=4096)
    passes = Passes(Prompts.load(), DraftOptions.from_settings(Settings(), label_positions=True))

    def label(doc: Document, statement: Statement) -> str:
        asked = Statement(statement.actors, statement.sentence, statement.text, statement.context)
        reply = backend.complete(passes._request(doc, asked))
        return str(json.loads(reply.text).get("position", "neutral"))

    return label


def main() -> int:
    """Measure and print the table."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--models", nargs="*", default=["qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b"])
    args = ap.parse_args()
    if not (args.data / "polnear").is_dir():
        print(f"skipped: no PolNeAR data at {args.data}")
        return 0
    rows = dev_statements(args.data)
    base = score(rows, lambda doc, s: s.position or "neutral")
    print(f"{len(rows)} hand-labelled statements (PolNeAR 0..7)\n")
    print("| labeller | accuracy | side taken or not | s/statement | accuracy vs verb |")
    print("|---|---|---|---|---|")
    print(f"| verb only | {base[0]:.3f} | {base[1]:.3f} | {base[2]:.3f} | 1.00x |")
    for name in args.models:
        acc, sides, seconds = score(rows, model_labeller(name))
        print(f"| {name} | {acc:.3f} | {sides:.3f} | {seconds:.2f} | {acc / base[0]:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
