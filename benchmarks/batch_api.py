"""The provider batch path end to end: `summarize batch --via batch-api` on 10,000 BBC articles.

Every phase runs as the real command in a process of its own, against the loopback
FakeBatchAPI in this process (it answers every article with a grounded draft, like the
live benchmark's server), so the figures are the command's own time and memory:

  prepare   ingest every article, build its requests, write the shards, upload, create
  provider  the fake validates and answers every line (the provider's time, not ours)
  collect   poll, download, store each reply, replay each article, write its JSON and line
  rerun     the same command once more: everything cached, no request

The live path runs on the first --live articles (same files, same answers, --concurrency 16)
in the same run, for the token counts: the batch path must count exactly the live path's
tokens for the same articles, and write the same JSON. Peak RSS is each command's (wait4).

    python benchmarks/batch_api.py --data /work/shared/data/bbc/bbc_fulltext.jsonl
    python benchmarks/batch_api.py --articles 2000 --live 500     # quicker
"""

from __future__ import annotations

import argparse
import itertools
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from summarize.testing import FakeOpenAIServer, echo_responder
from summarize.testing.batch_api import FakeBatchAPI

DEFAULT_DATA = Path("/work/shared/data/bbc/bbc_fulltext.jsonl")
TERMINAL = ("completed", "failed", "expired", "cancelled")


def write_corpus(data: Path, folder: Path, count: int) -> list[str]:
    """COUNT article files (the BBC set again in copy folders until there are enough); their paths."""
    records = [json.loads(line) for line in data.read_text(encoding="utf-8").splitlines() if line.strip()]
    rels = []
    for n, record in zip(range(count), itertools.cycle(records)):
        rel = f"copy{n // len(records)}/{record['id']}.txt"
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{record['title']}\n\n{record['text']}\n", encoding="utf-8")
        rels.append(rel)
    return rels


# The command, reporting its peak RSS as it exits. Not getrusage: Linux carries the parent's
# high-water mark across fork and exec into the child's ru_maxrss (this process holds the fake's
# files); VmHWM belongs to the address space that exec made.
COMMAND = """
import atexit, sys
target = sys.argv[1]
def peak():
    with open(target, "w") as out:
        out.write(next(line for line in open("/proc/self/status") if line.startswith("VmHWM")))
atexit.register(peak)
sys.argv = ["summarize", *sys.argv[2:]]
from summarize.cli import main
main()
"""


def command(args: list[str], stdin: str | None = None) -> tuple[float, float, int]:
    """Run `summarize ARGS` in a process of its own: (seconds, peak RSS in MB, exit code)."""
    with (
        tempfile.TemporaryFile() as err,
        tempfile.TemporaryFile() as feed,
        tempfile.NamedTemporaryFile() as hwm,
    ):
        if stdin is not None:
            feed.write(stdin.encode())
            feed.seek(0)
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", COMMAND, hwm.name, *args], stdin=feed, stderr=err, check=False
        )
        seconds = time.perf_counter() - started
        if done.returncode not in (0, 1):
            err.seek(0)
            sys.exit(f"summarize {' '.join(args[:4])} failed:\n{err.read().decode()[-2000:]}")
        peak_kb = int(Path(hwm.name).read_text().split()[1])
    return seconds, peak_kb / 1024, done.returncode


def provider(fake: FakeBatchAPI) -> float:
    """Walk every batch to its end (the fake answers the lines); the seconds it took."""
    started = time.perf_counter()
    while any(b["status"] not in TERMINAL for b in fake.batches.values()):
        fake.advance()
    return time.perf_counter() - started


def lines(out: Path) -> dict[str, dict[str, Any]]:
    with open(out / "results.jsonl", encoding="utf-8") as fh:
        return {r["path"]: r for r in map(json.loads, fh)}


def tokens(records: list[dict[str, Any]]) -> tuple[int, int, int]:
    return (
        sum(r["usage"]["prompt_tokens"] for r in records),
        sum(r["usage"]["completion_tokens"] for r in records),
        sum(r["usage"]["requests"] for r in records),
    )


def run(args: argparse.Namespace, work: Path) -> None:
    rels = write_corpus(args.data, work / "in", args.articles)
    model = ["--model", "gpt-4o-mini", "--api-key", "x", "-q"]
    rows: list[tuple[str, int, float, float]] = []
    with FakeBatchAPI(responder=echo_responder, auto_advance=False) as fake:
        job = [
            "batch",
            str(work / "in"),
            "-o",
            str(work / "api"),
            "--via",
            "batch-api",
            "--base-url",
            fake.base_url,
        ]
        seconds, rss, _ = command([*job, *model])
        rows.append(("prepare: ingest, requests, shards, upload, create", len(rels), seconds, rss))
        for round_ in itertools.count(1):  # the merges of chunked articles make a second round
            made = len(fake.batches)
            rows.append(
                (f"provider, round {round_}: the fake answers (not ours)", len(rels), provider(fake), 0)
            )
            seconds, rss, code = command([*job, *model])
            rows.append(
                (f"collect {round_}: download, replay, write; submit what is next", len(rels), seconds, rss)
            )
            if len(fake.batches) == made:
                break
        seconds, rss, code = command([*job, *model])
        rows.append(("rerun: all cached, no request", len(rels), seconds, rss))
        shards = len(fake.batches)
    live_rels = rels[: args.live]
    with FakeOpenAIServer(responder=echo_responder) as server:
        live = ["batch", str(work / "in"), "-o", str(work / "live"), "--from-file", "-", "-j", "16"]
        seconds, rss, _ = command([*live, "--base-url", server.base_url, *model], "\n".join(live_rels))
        rows.append((f"live path on the first {len(live_rels):,} (-j 16)", len(live_rels), seconds, rss))
    report(args, rows, shards, code, work, live_rels)


def report(
    args: argparse.Namespace,
    rows: list[tuple[str, int, float, float]],
    shards: int,
    code: int,
    work: Path,
    live_rels: list[str],
) -> None:
    api, live = lines(work / "api"), lines(work / "live")
    ok = sum(r["status"] == "ok" for r in api.values())
    print(f"\n{args.articles:,} BBC articles, {shards} batch(es), last exit code {code}, {ok:,} ok\n")
    print(f"| {'phase':<60} | articles | seconds | ms/article | peak RSS MB |")
    print(f"|{'-' * 62}|----------|---------|------------|-------------|")
    for name, n, seconds, rss in rows:
        memory = f"{rss:.0f}" if rss else "-"
        print(f"| {name:<60} | {n:8,} | {seconds:7.1f} | {1000 * seconds / n:10.2f} | {memory:>11} |")
    live_ms = 1000 * rows[-1][2] / rows[-1][1]
    ours = rows[0][2] + sum(seconds for name, _, seconds, _ in rows if name.startswith("collect"))
    ours_ms = 1000 * ours / rows[0][1]
    print(f"\nbatch path, our side (prepare + every collect): {ours_ms:.2f} ms/article; live {live_ms:.2f}")
    print(f"ratio batch/live CPU-side time per article: {ours_ms / live_ms:.2f}x")
    same = [p for p in live_rels if api[p]["usage"] == live[p]["usage"]]
    batch_tokens = tokens([api[p] for p in live_rels])
    live_tokens = tokens([live[p] for p in live_rels])
    identical = sum(
        (work / "api" / f"{p}.json").read_bytes() == (work / "live" / f"{p}.json").read_bytes()
        for p in live_rels
    )
    print(f"\ntokens on the same {len(live_rels):,} articles (prompt, completion, requests):")
    print(f"  live  {live_tokens}\n  batch {batch_tokens}")
    ratio = (batch_tokens[0] + batch_tokens[1]) / max(1, live_tokens[0] + live_tokens[1])
    print(f"  ratio batch/live: {ratio:.4f}; equal per article: {len(same):,}/{len(live_rels):,}; "
          f"identical JSON: {identical:,}/{len(live_rels):,}")  # fmt: skip
    print(f"peak RSS goal: under 300 MB (max measured {max(r[3] for r in rows):.0f} MB)")


def main() -> None:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="BBC full-text JSONL (not copied)")
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--live", type=int, default=1_000, help="articles for the live baseline")
    args = parser.parse_args()
    if not args.data.is_file():
        print(f"skipped: no data at {args.data} (pass --data PATH to bbc_fulltext.jsonl)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        run(args, Path(tmp))


if __name__ == "__main__":
    main()
