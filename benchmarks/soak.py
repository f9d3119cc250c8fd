"""Soak: a long `summarize batch` against an endpoint where a quarter of requests go wrong.

N articles (1,000 synthetic by default, or real BBC articles with --data) go through the
real command, as a subprocess, at concurrency 16, against the loopback FakeOpenAIServer.
Every fourth request (25%) gets a fault, mixed: 429 with a short Retry-After, 500, 503, a
dropped connection, a connection reset mid-body, a malformed JSON body, a truncated
answer (finish_reason=length). A distinctive API key is set. Then it checks:

- articles ok, duplicate and torn lines in results.jsonl, every OUTDIR/*.json parses
- requests the server saw == usage.requests in run.json (every attempt counted)
- peak RSS of the batch process, and RSS at each quarter of the run (flat = no leak)
- the key written anywhere: stdout, stderr, any file under OUTDIR
- Ctrl-C: a second run is interrupted with SIGINT a fifth of the way in; seconds to
  stop, exit code, and whether one more run completes it with one ok line per article

Articles are written to a temporary folder, never into the repository.

    python benchmarks/soak.py                                   # 1,000 synthetic articles
    python benchmarks/soak.py --data /work/shared/data/bbc      # 150 real BBC articles
    python benchmarks/soak.py -n 200 --fault-rate 0.5 --seed 3
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from summarize.testing import FakeOpenAIServer, Reply, chat_completion, echo_responder

KEY = "sk-soak-canary-0c7e4b19a2d85f36"
FAULTS = ("429", "500", "503", "drop", "reset", "malformed", "truncated")


class Faulty:
    """A responder that answers exactly a FAULT_RATE share of requests with one of FAULTS.

    Which requests (evenly spread) and which fault (random, seeded) vary; the share does not.
    """

    def __init__(self, fault_rate: float, seed: int) -> None:
        self.rate = fault_rate
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.seen = 0
        self.faults: Counter[str] = Counter()

    def __call__(self, body: dict[str, Any]) -> Reply:
        with self.lock:
            self.seen += 1
            due = int(self.seen * self.rate) > int((self.seen - 1) * self.rate)
            fault = self.rng.choice(FAULTS) if due else None
            if fault:
                self.faults[fault] += 1
        good = echo_responder(body)
        if fault == "429":
            return Reply(429, {"error": {"message": "rate limited"}}, headers={"retry-after": "0.05"})
        if fault in ("500", "503"):
            return Reply(int(fault), {"error": {"message": "server fault"}})
        if fault == "drop":
            return Reply(drop=True)
        if fault == "reset":
            return Reply(200, good.body, truncate=len(json.dumps(good.body)) // 2)
        if fault == "malformed":
            return Reply(200, '{"id": "chatcmpl-x", "choices": [{"index": 0, "mess')
        if fault == "truncated":
            return Reply(200, chat_completion('{"summary": "The', finish_reason="length"))
        return good


def write_articles(root: Path, n: int, data: Path | None) -> int:
    """N synthetic articles, or the first N BBC articles of DATA; returns how many."""
    if data is not None:
        source = data / "bbc_fulltext.jsonl" if data.is_dir() else data
        rows = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines()]
        step = max(1, len(rows) // n)  # spread over every category, not only the first
        picked = rows[::step][:n]
        for row in picked:
            path = root / f"{row['id']}.txt"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"{row['title']}\n\n{row['text']}\n", encoding="utf-8")
        return len(picked)
    for i in range(n):
        path = root / f"part{i % 10}" / f"article{i:05d}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            f"Harbour council vote number {i}\n\n"
            f"The harbour council number {i} voted on Monday to extend the ferry service. "
            f"The chair, Ana Silva, said route {i} would carry {i * 3 + 40} passengers a day. "
            "Opponents said the money would be better spent on the old bridge.\n",
            encoding="utf-8",
        )
    return n


class Run:
    """One `summarize batch` subprocess, its RSS sampled from /proc while it runs."""

    def __init__(self, root: Path, out: Path, url: str, args: argparse.Namespace) -> None:
        cmd = [sys.executable, "-m", "summarize", "batch", str(root), "-o", str(out), "-q"]
        cmd += ["--base-url", url, "--model", "soak-model", "--concurrency", str(args.concurrency)]
        cmd += ["--max-retries", str(args.max_retries)]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SUMMARIZE_"))}
        env["OPENAI_API_KEY"] = KEY
        self.out = out
        self.started = time.monotonic()
        self.proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.peak_kb = 0
        self.samples: list[tuple[int, int]] = []  # (lines done, RSS kB)
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    def _sample(self) -> None:
        status = Path(f"/proc/{self.proc.pid}/status")
        while self.proc.poll() is None:
            try:
                fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
                rss = int(fields["VmRSS"].split()[0])
            except (OSError, KeyError, ValueError):
                break
            self.peak_kb = max(self.peak_kb, rss)
            self.samples.append((lines_done(self.out), rss))
            time.sleep(0.2)

    def wait(self) -> tuple[int, str, str, float]:
        stdout, stderr = self.proc.communicate()
        self._sampler.join(timeout=1)
        return self.proc.returncode, stdout, stderr, time.monotonic() - self.started


def lines_done(out: Path) -> int:
    try:
        return (out / "results.jsonl").read_bytes().count(b"\n")
    except OSError:
        return 0


def check(out: Path) -> dict[str, Any]:
    """ok lines, duplicates, torn lines, unparsable outputs, and the run.json totals."""
    raw = (out / "results.jsonl").read_bytes()
    torn = 0 if raw.endswith(b"\n") or not raw else 1
    records, paths = [], Counter[str]()
    for line in raw.splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            torn += 1
            continue
        records.append(rec)
        paths[rec["path"]] += 1
    broken = 0
    for path in out.rglob("*.json"):
        try:
            json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            broken += 1
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    return {
        "ok": sum(1 for r in records if r["status"] == "ok"),
        "failed": sum(1 for r in records if r["status"] == "failed"),
        "duplicates": sum(c - 1 for c in paths.values() if c > 1),
        "torn": torn,
        "broken_json": broken,
        "run": run,
        "errors": Counter(str(r["error"])[:90] for r in records if r["status"] == "failed"),
    }


def key_found(out: Path, *texts: str) -> list[str]:
    """Where the canary key was written: 'stdout'/'stderr' or the files under OUT."""
    where = [name for name, text in zip(("stdout", "stderr"), texts, strict=False) if KEY in text]
    where += [str(p) for p in out.rglob("*") if p.is_file() and KEY.encode() in p.read_bytes()]
    return where


def quartiles(samples: list[tuple[int, int]], total: int) -> list[str]:
    """RSS (MB) when a quarter, half, three quarters and all of the articles were done."""
    marks = []
    for q in (0.25, 0.5, 0.75, 1.0):
        at = [rss for done, rss in samples if done >= q * total * 0.98]
        marks.append(f"{at[0] / 1024:.0f}" if at else "-")
    return marks


def soak(root: Path, out: Path, total: int, args: argparse.Namespace) -> bool:
    faulty = Faulty(args.fault_rate, args.seed)
    with FakeOpenAIServer(responder=faulty, latency=args.latency) as server:
        run = Run(root, out, server.base_url, args)
        code, stdout, stderr, wall = run.wait()
        requests = len(server.requests)
    result = check(out)
    leaks = key_found(out, stdout, stderr)
    usage = result["run"]["usage"]["requests"]
    print(f"\n## Soak: {total} articles, concurrency {args.concurrency}, {args.fault_rate:.0%} faults\n")
    print("| measure | value |\n|---|---|")
    rows = [
        ("articles ok", f"{result['ok']}/{total}"),
        ("failed", result["failed"]),
        ("duplicate lines", result["duplicates"]),
        ("torn lines", result["torn"]),
        ("unparsable .json outputs", result["broken_json"]),
        ("requests the server saw", requests),
        ("usage.requests in run.json", f"{usage} ({'equal' if usage == requests else 'DIFFERENT'})"),
        ("faults served", f"{sum(faulty.faults.values())} ({sum(faulty.faults.values()) / requests:.1%})"),
        ("faults by kind", ", ".join(f"{k} {v}" for k, v in sorted(faulty.faults.items()))),
        ("retries + re-asks (run.json)", result["run"]["retries"]),
        ("requests per article", f"{requests / total:.2f}"),
        ("exit code", code),
        ("wall time", f"{wall:.1f} s"),
        ("peak RSS of the batch", f"{run.peak_kb / 1024:.0f} MB"),
        ("RSS at 25/50/75/100% done (MB)", " / ".join(quartiles(run.samples, total))),
        ("key written anywhere", ", ".join(leaks) or "nowhere"),
    ]
    for name, value in rows:
        print(f"| {name} | {value} |")
    for error, count in result["errors"].most_common(5):
        print(f"  failed x{count}: {error}")
    return result["ok"] == total and not result["duplicates"] and not result["torn"] and not leaks


def interrupt(root: Path, out: Path, total: int, args: argparse.Namespace) -> bool:
    """Ctrl-C a fifth of the way in; time the stop; one more run must complete it."""
    faulty = Faulty(args.fault_rate, args.seed + 1)
    with FakeOpenAIServer(responder=faulty, latency=args.latency) as server:
        run = Run(root, out, server.base_url, args)
        while lines_done(out) < total // 5 and run.proc.poll() is None:
            time.sleep(0.05)
        sent = time.monotonic()
        run.proc.send_signal(signal.SIGINT)
        code, _, stderr, _ = run.wait()
        stop_seconds = time.monotonic() - sent
        done_before = lines_done(out)
        again = Run(root, out, server.base_url, args)
        code2, stdout2, stderr2, wall2 = again.wait()
    result = check(out)
    leaks = key_found(out, stdout2, stderr + stderr2)
    print("\n## Ctrl-C a fifth of the way in, then one more run\n")
    print("| measure | value |\n|---|---|")
    rows = [
        ("seconds from SIGINT to exit", f"{stop_seconds:.2f}"),
        ("exit code of the interrupted run", code),
        ("lines kept by the interrupted run", done_before),
        ("exit code of the next run", code2),
        ("articles ok after the next run", f"{result['ok']}/{total}"),
        ("duplicate / torn lines", f"{result['duplicates']} / {result['torn']}"),
        ("next run wall time", f"{wall2:.1f} s"),
        ("key written anywhere", ", ".join(leaks) or "nowhere"),
    ]
    for name, value in rows:
        print(f"| {name} | {value} |")
    return code == 130 and stop_seconds < 15 and result["ok"] == total and not result["duplicates"]


def main(argv: list[str] | None = None) -> int:
    """Run the soak and the Ctrl-C check; exit 1 when a goal is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--articles", type=int, default=None, help="[1000 synthetic, 150 with --data]")
    parser.add_argument("--data", type=Path, default=None, help="BBC folder (bbc_fulltext.jsonl)")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--fault-rate", type=float, default=0.25)
    parser.add_argument("--latency", type=float, default=0.05, help="Seconds per answer.")
    parser.add_argument("--max-retries", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-interrupt", action="store_true")
    args = parser.parse_args(argv)
    n = args.articles or (150 if args.data else 1000)
    with tempfile.TemporaryDirectory(prefix="summarize-soak-") as tmp:
        root = Path(tmp) / "articles"
        total = write_articles(root, n, args.data)
        passed = soak(root, Path(tmp) / "out", total, args)
        if not args.skip_interrupt:
            passed = interrupt(root, Path(tmp) / "out-interrupted", total, args) and passed
    ratio = "all goals met" if passed else "A GOAL WAS MISSED"
    print(f"\nResult: {ratio}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
