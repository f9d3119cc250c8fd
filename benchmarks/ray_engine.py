"""The Ray engine against the thread engine, on this machine, with the same inputs and endpoint.

Both engines run as the real command (`summarize batch ... --engine threads|ray`, a local
Ray started by the command itself) against the loopback FakeOpenAIServer in its own
process, answering every request after LATENCY seconds, CONCURRENCY requests at a time.
Per engine and input kind: wall time, time to the first result, articles per second over
the whole run and after the first result (start-up excluded), and the peak memory of the
command's whole process tree (driver, Ray's GCS and raylet, workers; RSS summed, shared
pages counted in each process). Inputs: plain-text articles (synthetic, or the BBC corpus
with --data), and real news pages (html-benchmark/html/*.html.gz under --data, skipped
when absent), where the tool's own CPU work (HTML extraction, grounding) dominates.
Then Ray's start-up alone: import, ray.init, shutdown.

    python benchmarks/ray_engine.py                           # plain text only
    python benchmarks/ray_engine.py --data ../shared/data     # and the HTML pages
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from batch import start_server, write_articles  # the batch benchmark's server and corpus

STARTUP = """
import os, time
from concurrent.futures import ThreadPoolExecutor
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
t0 = time.perf_counter()
import ray, ray.data
t1 = time.perf_counter()
ray.init(address="local", include_dashboard=False, logging_level="ERROR")
t2 = time.perf_counter()
from summarize.batch.ray_engine.gate import RemoteLimiter, start_gate
gate = start_gate(64, 60.0, 64)
ray.get(gate.status.remote())
t3 = time.perf_counter()
limiter = RemoteLimiter(gate, "bench")
def leases(n):
    for _ in range(n):
        with limiter.slot() as slot:
            slot.succeeded = True
with ThreadPoolExecutor(16) as pool:
    t4 = time.perf_counter()
    list(pool.map(leases, [100] * 16))
    t5 = time.perf_counter()
ray.get(gate.status.remote())
ray.shutdown()
t6 = time.perf_counter()
print(t1 - t0, t2 - t1, t3 - t2, 1600 / (t5 - t4), t6 - t5)
"""


@dataclass
class Run:
    wall: float
    first: float
    peak_mb: float
    ok: int


def tree_rss_mb(root: int) -> float:
    """RSS of ROOT and all its descendants, in MB (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                ppid = int(fh.read().rpartition(")")[2].split()[1])
        except OSError:
            continue
        children.setdefault(ppid, []).append(int(entry))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        try:
            with open(f"/proc/{pid}/statm") as fh:
                total += int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except OSError:
            continue
    return total / 2**20


def run(engine: str, src: Path, out: Path, url: str, args: argparse.Namespace) -> Run:
    """One `summarize batch` as a person runs it; sampled every 0.1 s."""
    cmd = [sys.executable, "-m", "summarize", "batch", str(src), "-o", str(out), "-q", "--engine", engine]
    cmd += ["--base-url", url, "--model", "fake", "-j", str(args.concurrency)]
    if engine == "ray" and args.workers:
        cmd += ["--workers", str(args.workers)]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "RAY_ADDRESS"))}
    results, peak, first = out / "results.jsonl", 0.0, None
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    while proc.poll() is None:
        peak = max(peak, tree_rss_mb(proc.pid))
        if first is None and results.exists() and results.stat().st_size > 0:
            first = time.perf_counter() - start
        time.sleep(0.1)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{engine} failed ({proc.returncode}): {proc.stderr.read() if proc.stderr else ''}")
    ok = sum(1 for _ in results.open())
    return Run(wall, first or wall, peak, ok)


def html_pages(data: Path | None, into: Path, copies: int) -> int:
    """Links to the benchmark's news pages (COPIES times, nothing copied); how many."""
    pages = sorted((data / "html-benchmark" / "html").glob("*.html.gz")) if data else []
    for n in range(copies if pages else 0):
        folder = into / f"copy{n}"
        folder.mkdir(parents=True)
        for page in pages:
            (folder / page.name).symlink_to(page)
    return len(pages) * copies


def ray_startup() -> list[float]:
    """import, ray.init, the gate actor's start, gate leases per second (16 threads), shutdown."""
    out = subprocess.run([sys.executable, "-c", STARTUP], capture_output=True, text=True, check=True)
    return [float(x) for x in out.stdout.split()]


def journal_costs(tmp: Path) -> tuple[float, float]:
    """Milliseconds per line the driver spends journaling an ok outcome: results.jsonl (one
    write and fsync each) and object-store shards (buffered; here on a local folder)."""
    import pyarrow.fs as pafs

    from summarize.batch.ray_engine.places import Place
    from summarize.batch.ray_engine.shards import ShardLog
    from summarize.batch.store import ResultLog

    result = {"summary": "x" * 400, "claims": [{"text": "y" * 200, "quote": "z" * 200}] * 5}
    record = {"path": "a.txt", "status": "ok", "result": result, "error": None, "key": "k" * 64}
    costs = []
    bucket = Place("mem://x", pafs.LocalFileSystem(), str(tmp / "bucket"), local=False)
    for log in (ResultLog(tmp / "journal"), ShardLog(bucket)):
        log.open()
        t = time.perf_counter()
        for n in range(2000):
            log.append({**record, "path": f"{n}.txt"})
        log.close()
        costs.append((time.perf_counter() - t) / 2000 * 1000)
    return costs[0], costs[1]


def rows(kind: str, n: int, threads: Run, ray: Run, args: argparse.Namespace) -> list[str]:
    """Both engines' rows, then ray / threads (higher is better for Ray in the art/s columns)."""
    ideal = n * args.latency / args.concurrency

    def steady(r: Run) -> float:
        return (n - 1) / max(1e-9, r.wall - r.first)

    out = [
        f"| {kind} | {name} | {n} | {r.ok} | {r.wall:.1f} | {r.wall / ideal:.2f}x | {r.first:.1f} | "
        f"{n / r.wall:.1f} | {steady(r):.1f} | {r.peak_mb:.0f} |"
        for name, r in (("threads", threads), ("ray", ray))
    ]
    ratios = (
        ray.wall / threads.wall,
        ray.first / threads.first,
        threads.wall / ray.wall,
        steady(ray) / steady(threads),
        ray.peak_mb / threads.peak_mb,
    )
    wall, first, rate, after, peak = (f"{x:.2f}x" for x in ratios)
    out.append(f"| {kind} | ray / threads | | | {wall} | | {first} | {rate} | {after} | {peak} |")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, help="shared data folder (bbc/, html-benchmark/); optional")
    ap.add_argument("--articles", type=int, default=400, help="plain-text articles")
    ap.add_argument("--html-copies", type=int, default=3, help="times each news page is linked in")
    ap.add_argument("--latency", type=float, default=0.5)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--workers", type=int, help="Ray actors [one per CPU]")
    args = ap.parse_args()
    table = [
        "| input | engine | articles | ok | wall s | / ideal | first result s | art/s | art/s after first | "
        "peak MB |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    server, url = start_server(args.latency)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            text = Path(tmp) / "text"
            bbc = args.data / "bbc" if args.data and (args.data / "bbc").is_dir() else None
            write_articles(text, args.articles, bbc)
            kinds = [("plain text", text, args.articles)]
            pages = html_pages(args.data, Path(tmp) / "html", args.html_copies)
            if pages:
                kinds.append(("HTML pages", Path(tmp) / "html", pages))
            for kind, src, n in kinds:
                threads = run("threads", src, Path(tmp) / f"{kind}.threads", url, args)
                ray = run("ray", src, Path(tmp) / f"{kind}.ray", url, args)
                table += rows(kind, n, threads, ray, args)
    finally:
        server.terminate()
    imported, init, gate, leases, down = ray_startup()
    with tempfile.TemporaryDirectory() as tmp:
        fsynced, sharded = journal_costs(Path(tmp))
    print(f"Endpoint: latency {args.latency} s, concurrency {args.concurrency}; {os.cpu_count()} CPUs\n")
    print("\n".join(table))
    if not args.data or not (args.data / "html-benchmark").is_dir():
        print("\n(HTML pages skipped: pass --data with html-benchmark/html/*.html.gz)")
    print(f"\nRay alone: import ray + ray.data {imported:.2f} s; ray.init (local) {init:.2f} s;")
    print(f"the gate actor {gate:.2f} s; shutdown {down:.2f} s. The rest of the time to first result is")
    print("the dataset's actors starting (a Python worker process each, importing summarize).")
    print(f"Gate: {leases:,.0f} leases/s (take + give back, 16 threads of one process).")
    print(f"Driver journal: {fsynced:.2f} ms/line to results.jsonl (fsync), {sharded:.3f} ms/line to shards.")


if __name__ == "__main__":
    main()
