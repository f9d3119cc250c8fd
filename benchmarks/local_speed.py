"""Speed of the embedded model: our pipeline against bare llama.cpp doing the same work.

For each article, runs the pipeline (one-pass or passes) through LocalBackend and records
every request. Then a second, separate llama.cpp instance (same GGUF, context, threads)
replays each request outside our code: the same chat-formatted prompt tokens, then
exactly as many generated tokens as our run produced, greedy, without a grammar. The ratio
ours / bare is the overhead of everything we add (grammar, validation, grounding,
bookkeeping); the goal is <= 1.10. Also prints model load time, the prompt tokens that
llama.cpp actually re-evaluated per request (prefix reuse) and peak RSS.

    python benchmarks/local_speed.py --data ../shared/data --n 3 --strategy passes
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from summarize.backends.base import Completion, Request
from summarize.backends.local import LocalBackend, load_model
from summarize.backends.model_files import resolve_model
from summarize.ingest import Document

FALLBACK = (
    "Harbour Council approves new ferry link\n\n"
    "The Harbour Council voted on Tuesday to fund a ferry between Northport and Eastwick. "
    'Mayor Lena Ortiz said the link "will cut commuting times in half". '
    "Opposition councillor Tom Reed warned that the budget had doubled since March."
)


@dataclass
class Call:
    """One request our pipeline made, and what it cost."""

    request: Request
    completion_tokens: int
    prompt_tokens: int
    evaluated: int
    seconds: float


class Recorder:
    """Wraps LocalBackend.complete to record every request and the prompt actually evaluated."""

    def __init__(self, backend: LocalBackend) -> None:
        self.backend = backend
        self.calls: list[Call] = []
        self._complete = backend.complete
        backend.complete = self  # type: ignore[method-assign]

    def __call__(self, request: Request) -> Completion:
        llama = self.backend._loaded.llama
        before = list(llama._input_ids[: llama.n_tokens])
        tokens = _prompt_ids(self.backend, request)
        shared = 0
        for a, b in zip(before, tokens, strict=False):
            if a != b:
                break
            shared += 1
        t = time.perf_counter()
        out = self._complete(request)
        self.calls.append(
            Call(
                request,
                out.usage.completion_tokens,
                out.usage.prompt_tokens,
                len(tokens) - shared,
                time.perf_counter() - t,
            )
        )
        return out


def _prompt_ids(backend: LocalBackend, request: Request) -> list[int]:
    formatter = backend._loaded.formatter
    messages = [{"role": m.role, "content": m.content} for m in request.messages]
    res = formatter(messages=messages)
    ids: list[int] = backend._loaded.llama.tokenize(
        res.prompt.encode("utf-8"), add_bos=not res.added_special, special=True
    )
    return ids


def bare_replay(llama: Any, backend: LocalBackend, calls: list[Call]) -> float:
    """Seconds bare llama.cpp takes for the same prompts and generated-token counts."""
    total = 0.0
    for call in calls:
        tokens = _prompt_ids(backend, call.request)
        t = time.perf_counter()
        for n, _ in enumerate(llama.generate(tokens, temp=0.0, top_k=1, repeat_penalty=1.0), 1):
            if n >= call.completion_tokens:
                break
        total += time.perf_counter() - t
    return total


def documents(data: Path, n: int, chars: int) -> list[Document]:
    """N BBC articles cut to CHARS, or one built-in article when the data is absent."""
    path = data / "bbc" / "bbc_fulltext.jsonl"
    if not path.is_file():
        print(f"no data at {data}: using one built-in article", file=sys.stderr)
        return [Document(text=FALLBACK, path="builtin")]
    docs = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            if rec.get("category") == "politics":
                text = rec["text"][:chars].rsplit(". ", 1)[0] + "."
                docs.append(Document(text=text, path=f"bbc/{rec['id']}", title=rec["title"]))
            if len(docs) >= n:
                break
    return docs


def run(doc: Document, backend: LocalBackend, strategy: str) -> None:
    """One article through STRATEGY."""
    from summarize.config import Settings
    from summarize.pipeline import Summarizer

    Summarizer.from_settings(Settings(strategy=strategy), backend=backend).summarize(doc)


def main() -> int:
    """Measure and print the table."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--n", type=int, default=3)
    ap.add_argument("--chars", type=int, default=2500)
    ap.add_argument("--strategy", choices=["one-pass", "passes"], default="passes")
    ap.add_argument("--model-path", default=None)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--ctx", type=int, default=None)
    args = ap.parse_args()

    model = resolve_model(args.model_path)
    t = time.perf_counter()
    backend = LocalBackend(model.path, name=model.name, threads=args.threads, ctx=args.ctx)
    load_s = time.perf_counter() - t
    recorder = Recorder(backend)

    rows = []
    for doc in documents(args.data, args.n, args.chars):
        start = len(recorder.calls)
        t = time.perf_counter()
        run(doc, backend, args.strategy)
        rows.append((doc.path, time.perf_counter() - t, recorder.calls[start:]))
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    # A second instance, so the replay does not inherit our KV cache; it replays in the
    # same order, so it gets the same prefix reuse we got.
    bare = load_model(model.path, ctx=(args.ctx or 8192) + 1, threads=backend.threads).llama

    print(
        f"model {model.name}, threads {backend.threads}, ctx {backend.context_tokens}, "
        f"strategy {args.strategy}"
    )
    print(f"model load: {load_s:.2f} s; peak RSS after the run: {rss_mb:.0f} MB\n")
    print(
        "| article | requests | prompt tok | re-evaluated tok | gen tok | ours s | bare s | ratio "
        "| gen tok/s |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    tot_ours = tot_bare = 0.0
    tot_gen = 0
    for path, secs, calls in rows:
        bare_s = bare_replay(bare, backend, calls)
        gen = sum(c.completion_tokens for c in calls)
        tot_ours += secs
        tot_bare += bare_s
        tot_gen += gen
        print(
            f"| {path} | {len(calls)} | {sum(c.prompt_tokens for c in calls)} | "
            f"{sum(c.evaluated for c in calls)} | {gen} | {secs:.1f} | {bare_s:.1f} | "
            f"{secs / bare_s:.2f} | {gen / secs:.1f} |"
        )
    print(
        f"| **all** | | | | {tot_gen} | {tot_ours:.1f} | {tot_bare:.1f} | "
        f"**{tot_ours / tot_bare:.2f}** | {tot_gen / tot_ours:.1f} |"
    )
    print(f"\nseconds per article: {tot_ours / len(rows):.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
