"""Interruptions test_batch.py does not cover: kill -9 at random moments, and signals while
every request hangs.

After any number of kills and one complete run, every output file parses and
results.jsonl has exactly one `ok` line per article and no torn line.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from summarize.testing import FakeOpenAIServer, echo_responder
from tests.fakes import make_articles

pytestmark = pytest.mark.slow  # real processes, signals, kill -9

SEED = int(os.environ.get("SUMMARIZE_KILL_SEED", "7"))


def start(root: Path, out: Path, server: FakeOpenAIServer, *extra: str) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "summarize", "batch", str(root), "-o", str(out), "-q"]
    cmd += ["--base-url", server.base_url, "--model", "m", *extra]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SUMMARIZE_"))}
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def check_outputs(out: Path, rels: list[str]) -> None:
    raw = (out / "results.jsonl").read_bytes()
    assert raw.endswith(b"\n"), "torn last line"
    recs = [json.loads(line) for line in raw.decode("utf-8").splitlines()]
    assert sorted(r["path"] for r in recs) == sorted(rels), "missing or duplicate lines"
    assert all(r["status"] == "ok" for r in recs)
    for path in out.rglob("*.json"):
        json.loads(path.read_text(encoding="utf-8"))  # every output parses
    json.loads((out / "run.json").read_text(encoding="utf-8"))


def test_kill_9_at_random_moments_never_corrupts_outputs(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    root, out = tmp_path / "in", tmp_path / "out"
    rels = make_articles(root, 40)
    with FakeOpenAIServer(responder=echo_responder, latency=0.03) as srv:
        for _ in range(4):
            proc = start(root, out, srv, "--concurrency", "4")
            time.sleep(rng.uniform(0.3, 2.5))  # start-up, mid-write, mid-compaction: anywhere
            proc.kill()
            proc.communicate()
            if (out / "results.jsonl").exists():
                # What a kill left behind is readable: at most a torn tail, cut on the next open.
                for path in out.rglob("*.json"):
                    json.loads(path.read_text(encoding="utf-8"))
        proc = start(root, out, srv, "--concurrency", "4")
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    check_outputs(out, rels)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_with_hung_requests_stops_within_the_grace_period(tmp_path: Path, sig: signal.Signals) -> None:
    root, out = tmp_path / "in", tmp_path / "out"
    rels = make_articles(root, 6)
    with FakeOpenAIServer(responder=echo_responder, latency=0.1) as srv:
        proc = start(root, out, srv, "--concurrency", "2")
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        (root / "late1.txt").write_text("Late news one\n\nThe ferry was late on Tuesday.\n")
        (root / "late2.txt").write_text("Late news two\n\nThe bridge was shut on Tuesday.\n")
    with FakeOpenAIServer(responder=echo_responder, latency=60) as hung:
        proc = start(root, out, hung, "--concurrency", "2")
        end = time.monotonic() + 20
        while len(hung.requests) < 2 and time.monotonic() < end:
            time.sleep(0.05)
        assert len(hung.requests) == 2
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=15)  # the grace period is 5 s; never the 60 s hang
        assert proc.returncode == 130, err
        assert "Interrupted" in err
    with FakeOpenAIServer(responder=echo_responder) as srv:
        proc = start(root, out, srv)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        assert len(srv.requests) == 2  # only the two that were cut off
    check_outputs(out, [*rels, "late1.txt", "late2.txt"])
