"""What the provider batch path costs on our side: shards, upload + create, polling, collecting.

10,000 request lines of realistic size (the project's system prompt, a 3,000-character BBC
article, the Draft JSON Schema as response_format) go through summarize.batch.jobs against
the loopback FakeBatchAPI, run in a process of its own so that its memory and CPU are not
counted as ours. Each phase is timed and compared with a baseline measured in the same run:
writing the same lines as one JSONL file with json.dumps (the least any batch path must do).
Peak RSS is this process's (goal: under 300 MB).

    python benchmarks/batch_jobs.py --data /work/shared/data/bbc/bbc_fulltext.jsonl
    python benchmarks/batch_jobs.py --lines 2000          # quicker
"""

from __future__ import annotations

import argparse
import itertools
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openai

from summarize.batch.jobs import BatchJob, RequestLine, ShardLimits
from summarize.draft.retry import RetryPolicy
from summarize.schemas import draft_json_schema

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = Path("/work/shared/data/bbc/bbc_fulltext.jsonl")
SERVER = "from summarize.testing.batch_api import main; main()"


def articles(path: Path, chars: int) -> list[str]:
    """Article texts cut to CHARS characters (the articles are reused to reach the line count)."""
    texts = []
    with open(path, encoding="utf-8") as fh:
        for raw in fh:
            text = str(json.loads(raw).get("text") or "")
            if len(text) >= chars // 2:
                texts.append(text[:chars])
    return texts


def request_lines(texts: list[str], count: int) -> Iterator[RequestLine]:
    """COUNT chat requests shaped like the pipeline's draft requests."""
    system = (ROOT / "prompts" / "system.md").read_text(encoding="utf-8")
    response_format = {
        "type": "json_schema",
        "json_schema": {"name": "article_summary", "schema": draft_json_schema(), "strict": True},
    }
    for i, text in zip(range(count), itertools.cycle(texts)):
        body = {
            "model": "gpt-4o-mini",
            "messages": [
                {"role": "system", "content": system},
                {"role": "user", "content": f"<article>\n{text}\n</article>"},
            ],
            "temperature": 0.0,
            "max_tokens": 2048,
            "response_format": response_format,
        }
        yield RequestLine(f"article-{i:06d}:r0:draft", body)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def baseline(lines: Iterator[RequestLine], path: Path) -> int:
    """The least a batch path must do: every line through json.dumps into one file."""
    with open(path, "w", encoding="utf-8") as fh:
        n = 0
        for line in lines:
            record = {"custom_id": line.custom_id, "method": "POST", "url": "/v1/chat/completions"}
            fh.write(json.dumps({**record, "body": line.body}) + "\n")
            n += 1
    return n


def start_fake() -> tuple[subprocess.Popen[str], str]:
    pipe = subprocess.PIPE
    proc = subprocess.Popen([sys.executable, "-c", SERVER], stdin=pipe, stdout=pipe, text=True)
    if proc.stdout is None:
        raise RuntimeError("no pipe to the fake")
    return proc, proc.stdout.readline().strip()


def run(args: argparse.Namespace, texts: list[str], work: Path) -> list[tuple[str, float, str]]:
    rows: list[tuple[str, float, str]] = []
    seconds, _ = timed(lambda: baseline(request_lines(texts, args.lines), work / "baseline.jsonl"))
    rows.append(("baseline: json.dumps to one JSONL file", seconds, ""))
    proc, base_url = start_fake()
    try:
        client = openai.OpenAI(base_url=base_url, api_key="x", max_retries=0)
        limits = ShardLimits(max_lines=args.shard_lines)
        policy = RetryPolicy(max_retries=6, budget_seconds=60, initial=0.01, maximum=0.1)
        with BatchJob.open(work / "job", client, limits=limits, policy=policy) as job:
            seconds, shards = timed(lambda: job.write(request_lines(texts, args.lines)))
            size = sum(r.bytes for r in job.manifest.shards) / 1e6
            rows.append((f"prepare: {len(shards)} shards, {size:.0f} MB", seconds, ""))
            seconds, made = timed(job.launch)
            rows.append((f"upload + create: {len(made)} batches", seconds, ""))
            seconds, state = timed(lambda: job.wait(0.0))
            rows.append(("poll to done + download + settle", seconds, f"{state.finished_lines} finished"))
            seconds, got = timed(lambda: sum(1 for _ in job.collect()))
            rows.append((f"collect: {got} results", seconds, ""))
        seconds, again = timed(lambda: _rerun(work, client, limits, texts, args.lines))
        rows.append(("rerun: reopen, submit again, collect", seconds, f"{again} new shards/results"))
    finally:
        if proc.stdin:
            proc.stdin.close()
        proc.wait(timeout=30)
    return rows


def _rerun(work: Path, client: openai.OpenAI, limits: ShardLimits, texts: list[str], count: int) -> int:
    with BatchJob.open(work / "job", client, limits=limits) as job:
        new = job.submit(request_lines(texts, count))
        return len(new) + sum(1 for _ in job.collect())


def main() -> None:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="BBC full-text JSONL (not copied)")
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--chars", type=int, default=3000, help="characters of article per request")
    parser.add_argument("--shard-lines", type=int, default=2000, help="lines per shard (provider max 50,000)")
    args = parser.parse_args()
    if not args.data.is_file():
        print(f"skipped: no data at {args.data} (pass --data PATH to bbc_fulltext.jsonl)")
        return
    texts = articles(args.data, args.chars)
    with tempfile.TemporaryDirectory() as tmp:
        rows = run(args, texts, Path(tmp))
    base = rows[0][1]
    print(f"\n{args.lines:,} request lines, {args.chars:,}-character articles, ", end="")
    print(f"{args.shard_lines:,} lines a shard\n")
    print(f"| {'phase':<44} | {'seconds':>8} | {'x baseline':>10} | note")
    print(f"|{'-' * 46}|{'-' * 10}|{'-' * 12}|------")
    for name, seconds, note in rows:
        print(f"| {name:<44} | {seconds:8.2f} | {seconds / base:10.1f} | {note}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS of this process: {peak:.0f} MB (goal: under 300 MB)")


if __name__ == "__main__":
    main()
