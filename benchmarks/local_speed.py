"""Speed of the embedded model: the whole pipeline against its parts, on the same articles.

For each article (the seed article by default, then N BBC articles from --data) the table
gives the pipeline's wall time end to end, and, measured in the same run, what the parts
took: spaCy's analysis alone, and the model's requests replayed bare on the same loaded
model (the baseline: the least the model work can take). It also shows how much of each
prompt llama.cpp evaluated and how much it reused from the previous one (the shared task
prefix), the tokens generated, and the load times and peak memory.

    python benchmarks/local_speed.py [--article PATH] [--data ../shared/data] [--n 5] [--model-path NAME]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from summarize.backends.base import Completion, Message, Request
from summarize.backends.local import LocalBackend
from summarize.backends.model_files import resolve_model
from summarize.config import Settings
from summarize.ingest import Document, load_document
from summarize.pipeline import Summarizer
from summarize.text import nlp

SEED = Path(__file__).resolve().parents[2] / "shared" / "seed" / "belarus-putin-lukashenko.txt"


@dataclass
class Recorder:
    """The backend, recording every request with llama.cpp's timings."""

    backend: LocalBackend
    requests: list[Request] = field(default_factory=list)
    evaluated: int = 0
    reused: int = 0
    generated: int = 0

    @property
    def model_name(self) -> str:
        return self.backend.model_name

    @property
    def context_tokens(self) -> int:
        return self.backend.context_tokens

    def count_tokens(self, text: str) -> int:
        return self.backend.count_tokens(text)

    def complete(self, request: Request) -> Completion:
        completion = self.backend.complete(request)
        self.requests.append(request)
        self.evaluated += int(self.backend.last_timings.get("prompt_n", 0))
        self.reused += int(self.backend.last_timings.get("cache_n", 0))
        self.generated += completion.usage.completion_tokens
        return completion


def articles(path: Path | None, data: Path, n: int) -> list[Document]:
    """The seed article (or PATH), then N BBC articles when the data is there."""
    docs = [load_document(str(path or SEED))] if (path or SEED).is_file() else []
    bbc = data / "bbc" / "bbc_fulltext.jsonl"
    if bbc.is_file():
        with bbc.open(encoding="utf-8") as f:
            for line in f:
                if len(docs) > n:
                    break
                rec = json.loads(line)
                docs.append(Document(text=rec["text"][:3000], path=f"bbc/{rec['id']}", title=rec["title"]))
    return docs


def main() -> int:
    """Measure and print the table."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--article", type=Path, default=None)
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--n", type=int, default=5)
    ap.add_argument("--model-path", default=None)
    args = ap.parse_args()
    docs = articles(args.article, args.data, args.n)
    if not docs:
        print("skipped: no article to run")
        return 0
    t = time.perf_counter()
    nlp.analyze("Spacy loads here.")
    spacy_load = time.perf_counter() - t
    model = resolve_model(args.model_path)
    t = time.perf_counter()
    backend = LocalBackend(model.path, name=model.name)
    model_load = time.perf_counter() - t
    print(f"model {model.name}; spaCy load {spacy_load:.2f} s; model load {model_load:.2f} s\n")
    head = "| article | chars | pipeline s | spaCy s | bare model s | x (pipeline / parts) | requests "
    print(head + "| evaluated / reused tok | generated |")
    print("|---|---|---|---|---|---|---|---|---|")
    for doc in docs:
        print(row(doc, backend, args.model_path))
    print(f"\npeak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return 0


def row(doc: Document, backend: LocalBackend, model_path: str | None) -> str:
    """One article: the pipeline, then its parts alone."""
    recorder = Recorder(backend)
    summarizer = Summarizer.from_settings(Settings(local=True, model_path=model_path), backend=recorder)
    summarizer.drafter = Summarizer.from_settings(Settings(local=True, model_path=model_path)).drafter
    t = time.perf_counter()
    summarizer.summarize(doc)
    wall = time.perf_counter() - t
    t = time.perf_counter()
    nlp.analyze(doc.text)
    analysis = time.perf_counter() - t
    if recorder.requests:  # start the bare replay as cold as the pipeline started
        flush = Request(messages=(Message("user", "Say ok."),), schema={"type": "string"}, max_tokens=2)
        backend.complete(flush)
    t = time.perf_counter()
    for request in recorder.requests:
        backend.complete(request)
    bare = time.perf_counter() - t
    parts = analysis + bare
    return (
        f"| {doc.path[-28:]} | {len(doc.text)} | {wall:.1f} | {analysis:.2f} | {bare:.1f} | "
        f"{wall / parts:.2f}x | {len(recorder.requests)} | {recorder.evaluated} / {recorder.reused} | "
        f"{recorder.generated} |"
    )


if __name__ == "__main__":
    sys.exit(main())
