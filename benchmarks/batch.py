"""How close does `summarize batch` get to the endpoint's capacity, and does memory stay flat?

Against the loopback FakeOpenAIServer (run in its own process so it does not share our
GIL) answering every request after LATENCY seconds with a valid draft (echo_responder):

1. threads: summarize.batch.run_batch (the real thing: ingest, retries, grounding, journal)
2. sequential: a plain loop over summarize_document (on fewer articles, extrapolated)
3. asyncio: a straightforward asyncio.gather + Semaphore over openai.AsyncOpenAI
   (request + JSON parse only: no ingestion, grounding or journal, so it is a floor)

ratio = wall time / ideal, ideal = articles x latency / concurrency. Start-up (importing
openai and summarize, building the client) is measured once and shown apart. Then the
issue's acceptance (40 articles, concurrency 8, within 1.4x ideal; rerun zero calls) and
peak RSS of `summarize batch` over 1,000 and 10,000 small files (in a grandchild process).

    python benchmarks/batch.py                        # synthetic articles
    python benchmarks/batch.py --data /work/shared/data/bbc
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SERVER = """
import sys, time
from http.server import ThreadingHTTPServer
import socketserver
ThreadingHTTPServer.request_queue_size = 128  # 16+ clients connect at once
# Headers and body go out in two writes: without TCP_NODELAY, Nagle + delayed ACK add ~40 ms.
socketserver.StreamRequestHandler.disable_nagle_algorithm = True
from summarize.testing import FakeOpenAIServer, echo_responder
with FakeOpenAIServer(responder=echo_responder, latency=float(sys.argv[1])) as s:
    print(s.base_url, flush=True)
    sys.stdin.read()
"""

RSS = """
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def start_server(latency: float) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(latency)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def write_articles(root: Path, n: int, data: Path | None) -> None:
    root.mkdir(parents=True, exist_ok=True)
    texts: list[str] = []
    if data is not None:
        with (data / "bbc_fulltext.jsonl").open(encoding="utf-8") as fh:
            for line in itertools.islice(fh, n):
                rec = json.loads(line)
                texts.append(f"{rec['title']}\n\n{rec['text']}")
    while len(texts) < n:
        i = len(texts)
        texts.append(
            f"Council {i} approves a new tram line\n\nThe council of town {i} voted on Tuesday to build "
            f"a tram line. Mayor Anna {i} said it was a victory for commuters. " * 3
        )
    for i, text in enumerate(texts):
        sub = root / f"part{i % 10}"
        sub.mkdir(exist_ok=True)
        (sub / f"a{i:05d}.txt").write_text(text, encoding="utf-8")


def bench_threads(root: Path, out: Path, url: str, concurrency: int) -> tuple[float, Any]:
    from summarize.batch import BatchConfig, run_batch
    from summarize.config import Settings

    t = time.perf_counter()
    stats = run_batch(
        BatchConfig(root=root, outdir=out, concurrency=concurrency), Settings(base_url=url, model="fake")
    )
    return time.perf_counter() - t, stats


def bench_sequential(root: Path, url: str, n: int) -> float:
    from summarize.config import Settings
    from summarize.pipeline import Summarizer

    summarizer = Summarizer.from_settings(Settings(base_url=url, model="fake"))
    files = sorted(root.rglob("*.txt"))[:n]
    t = time.perf_counter()
    for f in files:
        summarizer.summarize_file(str(f))
    return time.perf_counter() - t


def bench_asyncio(root: Path, url: str, concurrency: int) -> float:
    import openai

    from summarize.config import Settings
    from summarize.draft.one_pass import OnePass, parse_draft
    from summarize.ingest import load_document
    from summarize.pipeline import Summarizer

    drafter = Summarizer.from_settings(Settings(base_url=url, model="fake")).drafter
    if not isinstance(drafter, OnePass):
        raise SystemExit("the baseline needs the one-pass drafter")
    schema = drafter.schema
    files = sorted(root.rglob("*.txt"))

    async def main() -> None:
        client = openai.AsyncOpenAI(base_url=url, api_key="x", max_retries=0)
        sem = asyncio.Semaphore(concurrency)

        async def one(path: Path) -> None:
            async with sem:
                doc = load_document(str(path))
                messages = [{"role": m.role, "content": m.content} for m in drafter.messages(doc)]
                reply = await client.chat.completions.create(
                    model="fake",
                    messages=messages,  # type: ignore[arg-type]
                    response_format={"type": "json_schema", "json_schema": {"name": "d", "schema": schema}},
                )
                parse_draft(reply.choices[0].message.content or "")

        await asyncio.gather(*(one(f) for f in files))
        await client.close()

    t = time.perf_counter()
    asyncio.run(main())
    return time.perf_counter() - t


def peak_rss_mb(root: Path, out: Path, url: str, concurrency: int) -> tuple[float, float]:
    cmd = [sys.executable, "-m", "summarize", "batch", str(root), "-o", str(out), "-q"]
    cmd += ["--base-url", url, "--model", "fake", "--concurrency", str(concurrency)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    t = time.perf_counter()
    kb = subprocess.run(
        [sys.executable, "-c", RSS, *cmd], env=env, capture_output=True, text=True, check=True
    )
    return int(kb.stdout.strip()) / 1024, time.perf_counter() - t


def row(name: str, n: int, conc: int, lat: float, wall: float, note: str = "") -> str:
    ideal = n * lat / conc
    return f"| {name} | {n} | {conc} | {wall:.2f} | {ideal:.2f} | {wall / ideal:.2f}x | {note} |"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, help="BBC corpus folder (bbc_fulltext.jsonl); default synthetic")
    ap.add_argument("--articles", type=int, default=200)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--latency", type=float, default=0.5)
    ap.add_argument("--sequential", type=int, default=20, help="articles for the sequential loop")
    ap.add_argument("--rss-files", type=int, nargs="*", default=[1000, 10000])
    args = ap.parse_args()
    lat, conc, n = args.latency, args.concurrency, args.articles

    t = time.perf_counter()
    import openai  # noqa: F401

    import summarize.batch
    import summarize.pipeline  # noqa: F401

    startup = time.perf_counter() - t
    server, url = start_server(lat)
    rows = [
        "| approach | articles | concurrency | wall s | ideal s | ratio | note |",
        "|---|---|---|---|---|---|---|",
    ]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / "articles"
            write_articles(root, n, args.data)
            wall, stats = bench_threads(root, Path(tmp) / "out", url, conc)
            rows.append(row("threads (summarize batch)", n, conc, lat, wall, f"{stats.ok} ok"))
            wall = bench_asyncio(root, url, conc)
            rows.append(
                row("asyncio.gather + Semaphore, AsyncOpenAI", n, conc, lat, wall, "request+parse only")
            )
            k = min(args.sequential, n)
            wall = bench_sequential(root, url, k)
            rows.append(row("sequential loop", n, conc, lat, wall * n / k, f"measured on {k}, x{n / k:.0f}"))
            small = Path(tmp) / "accept"
            write_articles(small, 40, args.data)
            wall, stats = bench_threads(small, Path(tmp) / "accept.out", url, 8)
            rows.append(row("acceptance: threads", 40, 8, lat, wall, f"{stats.ok} ok; goal <= 1.40x"))
            _, again = bench_threads(small, Path(tmp) / "accept.out", url, 8)
            rerun = f"rerun: {again.cached} cached, {again.usage.requests} requests"
        print(f"Start-up (import openai + summarize, once): {startup:.2f} s; latency {lat} s\n")
        print("\n".join(rows))
        print(f"\n{rerun}\n")
    finally:
        server.communicate("")

    if args.rss_files:
        fast, url = start_server(0.0)
        try:
            print("| files | peak RSS MB | wall s |\n|---|---|---|")
            for count in args.rss_files:
                with tempfile.TemporaryDirectory() as tmp:
                    root = Path(tmp) / "many"
                    write_articles(root, count, None)
                    mb, wall = peak_rss_mb(root, Path(tmp) / "out", url, conc)
                    print(f"| {count:,} | {mb:.0f} | {wall:.1f} |")
        finally:
            fast.communicate("")


if __name__ == "__main__":
    main()
