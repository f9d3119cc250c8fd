"""How close does `summarize fetch` come to its own politeness limit, and is its memory flat?

A loopback news site (summarize.testing.newssite) lists N stories in one JSON Feed; one
fetch saves them all. The politeness limit is the fastest a fetch may go: each of the
--per-host slots serves a request, then rests --delay seconds, so N items take at least
N / per_host x delay. The ratio is the measured time over that limit (goal: at most 1.2).
Each size runs in a fresh process that reports its own peak RSS: flat memory means the
peak does not grow with N. The server counts the requests in flight at once (never above
--per-host).

Then the client choice: N sequential GETs of one small page, delay 0, through httpx (one
pooled client, keep-alive, what summarize uses) and through the stdlib's urllib (a new
connection per request).

    python benchmarks/fetch.py                      # 1,000 items, 2 per host, 0.02 s delay
    python benchmarks/fetch.py -n 2000 --delay 0.05
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def child(n: int, per_host: int, delay: float) -> dict[str, float]:
    """One fetch of N items in this process: its figures."""
    from summarize.sources.client import ClientOptions
    from summarize.sources.fetch import Fetcher
    from summarize.testing.newssite import NewsSite, story_text

    with NewsSite() as site, tempfile.TemporaryDirectory() as folder:
        for i in range(n):
            site.add(f"story-{i}", f"Story number {i}", story_text(f"topic{i}"))
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        report = Fetcher(Path(folder), ClientOptions(per_host=per_host, delay=delay)).run(
            [site.url("/feed.json")]
        )
        seconds = time.perf_counter() - started
        if len(report.saved) != n or report.failed:
            raise SystemExit(f"fetch saved {len(report.saved)} of {n}: {report.failed[:3]}")
        return {
            "n": n,
            "seconds": seconds,
            "requests": report.requests,
            "peak_in_flight": site.peak,
            "rss_before_mb": rss_before / 1024,
            "rss_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }


def clients(n: int) -> dict[str, float]:
    """Seconds per request, sequential, delay 0: httpx pooled vs urllib."""
    import urllib.request

    import httpx

    from summarize.testing.newssite import NewsSite, story_text

    out = {}
    with NewsSite() as site:
        site.add("one", "One story", story_text("one"))
        url = site.url("/news/one.html")
        with httpx.Client(trust_env=False) as client:
            started = time.perf_counter()
            for _ in range(n):
                client.get(url).read()
            out["httpx"] = (time.perf_counter() - started) / n
        started = time.perf_counter()
        for _ in range(n):
            with urllib.request.urlopen(url) as response:
                response.read()
        out["urllib"] = (time.perf_counter() - started) / n
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=1000, help="feed items")
    parser.add_argument("--per-host", type=int, default=2)
    parser.add_argument("--delay", type=float, default=0.02)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.per_host, args.delay)))
        return
    rows = []
    for n in (args.n // 4, args.n):
        cmd = [
            sys.executable,
            __file__,
            "--child",
            str(n),
            "--per-host",
            str(args.per_host),
            "--delay",
            str(args.delay),
        ]
        rows.append(json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout))
    print(f"fetch of one feed, loopback, --per-host {args.per_host} --delay {args.delay}")
    heads = ("items", 6), ("requests", 8), ("seconds", 8), ("limit s", 8), ("ratio", 6), ("in flight", 9)
    print(" ".join(f"{h:>{w}}" for h, w in heads), f"{'peak RSS MB':>11}")
    for r in rows:
        limit = r["n"] / args.per_host * args.delay
        print(
            f"{r['n']:>6} {r['requests']:>8} {r['seconds']:>8.2f} {limit:>8.2f} {r['seconds'] / limit:>6.2f} "
            f"{r['peak_in_flight']:>9} {r['rss_peak_mb']:>11.1f}"
        )
    small, big = rows
    ratio = big["seconds"] / (big["n"] / args.per_host * args.delay)
    print(f"ratio to the politeness limit at {big['n']} items: {ratio:.2f}")
    print(f"peak RSS {big['n']} vs {small['n']} items: {big['rss_peak_mb'] / small['rss_peak_mb']:.2f}x")
    per = clients(300)
    print("\nclient, sequential GETs of one page (delay 0)")
    print(f"{'client':>7} {'ms/request':>10}")
    for name, seconds in per.items():
        print(f"{name:>7} {seconds * 1000:>10.2f}")
    print(f"urllib / httpx: {per['urllib'] / per['httpx']:.2f}")


if __name__ == "__main__":
    main()
