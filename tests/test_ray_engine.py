"""The Ray engine on a local Ray (2 CPUs) against the loopback server: the same results as the
thread engine, resume without model calls, a killed worker, one rate limit for the cluster, stop."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from summarize.backends.base import Completion, Request
from summarize.backends.openai_compat import OpenAICompatBackend
from summarize.batch import BatchConfig, Stats, run_batch
from summarize.batch.ray_engine import RayOptions, run_on_ray
from summarize.config import Settings
from summarize.testing import FakeOpenAIServer, Reply, Responder, echo_responder
from tests.fakes import make_articles

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("local_ray")]

MODEL = "fake-model"


@pytest.fixture
def echo() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(responder=echo_responder, latency=0.02) as srv:
        yield srv


def settings(server: FakeOpenAIServer) -> Settings:
    return Settings(base_url=server.base_url, model=MODEL, retry_budget=60.0)


def on_ray(root: Path, out: Path, server: FakeOpenAIServer, **kw: Any) -> Stats:
    options = RayOptions(str(root), str(out), workers=kw.pop("workers", 2))
    backend = kw.pop("backend", None)
    stop = kw.pop("stop", None)
    reporter = kw.pop("reporter", None)
    config = BatchConfig(root=root, outdir=out, **kw)
    return run_on_ray(config, settings(server), options, reporter, stop=stop, backend=backend)


def lines(out: Path) -> list[dict[str, Any]]:
    text = (out / "results.jsonl").read_text(encoding="utf-8")
    assert text == "" or text.endswith("\n"), "torn last line"
    return [json.loads(line) for line in text.splitlines()]


def by_path(out: Path) -> dict[str, dict[str, Any]]:
    """results.jsonl keyed by path, without the per-run timing; exactly one line per path."""
    recs = lines(out)
    keyed = {r["path"]: {k: v for k, v in r.items() if k != "seconds"} for r in recs}
    assert len(keyed) == len(recs), "an article has two lines"
    return keyed


def article_files(out: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(out)): p.read_bytes()
        for p in out.rglob("*.json")
        if p.name != "run.json" and not p.name.startswith(".")
    }


def test_ray_gives_the_thread_engines_results_and_a_rerun_calls_no_model(
    tmp_path: Path, echo: FakeOpenAIServer
) -> None:
    root = tmp_path / "in"
    rels = make_articles(root, 200)
    threads = run_batch(BatchConfig(root=root, outdir=tmp_path / "threads", concurrency=8), settings(echo))
    sent = len(echo.requests)
    ray = on_ray(root, tmp_path / "ray", echo, concurrency=8)
    assert (ray.ok, ray.failed, ray.exit_code) == (threads.ok, threads.failed, 0) == (200, 0, 0)
    assert len(echo.requests) == 2 * sent == 400
    assert by_path(tmp_path / "ray") == by_path(tmp_path / "threads")
    assert sorted(by_path(tmp_path / "ray")) == rels
    assert article_files(tmp_path / "ray") == article_files(tmp_path / "threads")
    run = json.loads((tmp_path / "ray" / "run.json").read_text())
    assert run["engine"] == "ray" and run["ok"] == 200 and run["usage"] == ray.usage.model_dump()
    assert ray.usage == threads.usage  # summed over workers: every request counted once

    again = on_ray(root, tmp_path / "ray", echo, concurrency=8)
    assert (again.ok, again.cached, again.usage.requests, len(echo.requests)) == (0, 200, 0, 400)
    # The same key rule in both engines: Ray resumes what threads did.
    across = on_ray(root, tmp_path / "threads", echo, concurrency=8)
    assert (across.cached, len(echo.requests)) == (200, 400)
    assert by_path(tmp_path / "ray") == by_path(tmp_path / "threads")


class DyingBackend:
    """The loopback endpoint, through the real client, from a worker process that kills itself
    (SIGKILL) before its AFTER-th request; only the first process to get there (MARKER)."""

    def __init__(self, settings: Settings, marker: str, after: int) -> None:
        self.settings = settings
        self.marker = marker
        self.after = after
        self.sent = 0
        self._inner: OpenAICompatBackend | None = None

    @property
    def model_name(self) -> str:
        return MODEL

    @property
    def context_tokens(self) -> int | None:
        return None

    def count_tokens(self, text: str) -> int:
        return len(text) // 4 + 1

    def complete(self, request: Request) -> Completion:
        self.sent += 1
        if self.sent == self.after and _first(self.marker):
            os.kill(os.getpid(), signal.SIGKILL)
        if self._inner is None:
            self._inner = OpenAICompatBackend.from_settings(self.settings)
        return self._inner.complete(request)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_inner": None}


def _first(marker: str) -> bool:
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True


def test_a_killed_worker_loses_and_duplicates_nothing(tmp_path: Path, echo: FakeOpenAIServer) -> None:
    root, out = tmp_path / "in", tmp_path / "out"
    rels = make_articles(root, 60)
    marker = tmp_path / "killed"
    backend = DyingBackend(settings(echo), str(marker), after=10)
    stats = on_ray(root, out, echo, concurrency=4, backend=backend)
    assert marker.exists(), "no worker was killed"
    assert (stats.ok, stats.failed, stats.not_started) == (60, 0, 0)
    assert sorted(by_path(out)) == rels  # one line each: none lost, none twice
    assert all(r["status"] == "ok" for r in lines(out))
    assert sorted(article_files(out)) == sorted(f"{rel}.json" for rel in rels)
    # Requests the dead process had made are lost with it; everything else is counted once.
    assert stats.usage.requests == 60 <= len(echo.requests)


def every_nth_is_429(n: int) -> Responder:
    count = itertools.count(1)

    def respond(body: dict[str, Any]) -> Reply:
        if next(count) % n == 0:
            return Reply(429, {"error": {"message": "slow down"}}, headers={"retry-after": "0.05"})
        return echo_responder(body)

    return respond


def test_one_rate_limit_for_the_whole_cluster(tmp_path: Path) -> None:
    root, out = tmp_path / "in", tmp_path / "out"
    make_articles(root, 48)
    with FakeOpenAIServer(responder=every_nth_is_429(4), latency=0.1) as server:
        # Two actors of two threads each: four could be in flight, the gate allows three.
        stats = on_ray(root, out, server, concurrency=3, workers=2)
        served_429 = len(server.requests) - 48
        assert server.peak_in_flight <= 3
    assert (stats.ok, stats.failed) == (48, 0), stats.failures
    assert served_429 > 0 and stats.rate_limited == served_429
    assert stats.limit_decreases >= 1
    assert stats.usage.requests == len(server.requests)
    run = json.loads((out / "run.json").read_text())
    assert run["rate_limited"] == served_429 and run["concurrency"] == 3


def test_the_gate_slows_every_worker_after_one_429(local_ray: Any) -> None:
    from summarize.batch.ray_engine.gate import start_gate

    gate = start_gate(4, 60.0, holders=4)
    try:
        leases = [local_ray.get(gate.acquire.remote(h)) for h in ("a", "a", "b", "b")]
        local_ray.get(gate.release.remote(leases[0][0], True, False))  # a's request got a 429
        status = local_ray.get(gate.status.remote())
        assert (status["limit"], status["in_flight"], status["decreases"]) == (2, 3, 1)
        waiting = gate.acquire.remote("b")  # b is held back too: 3 in flight, limit 2
        assert local_ray.wait([waiting], timeout=0.5)[0] == []
        assert local_ray.get(gate.forget.remote("b")) == 2  # b's process restarted
        local_ray.get(waiting)
        assert local_ray.get(gate.status.remote())["in_flight"] == 2
    finally:
        local_ray.kill(gate)


class StopAfter:
    """A reporter that sets STOP once N articles are done (a Ctrl-C from a person)."""

    def __init__(self, stop: threading.Event, n: int) -> None:
        self.stop = stop
        self.n = n
        self.totals: list[int | None] = []

    def set_total(self, total: int | None) -> None:
        self.totals.append(total)

    def update(self, stats: Stats) -> None:
        if stats.processed >= self.n:
            self.stop.set()


def test_a_stopped_run_keeps_what_finished_and_the_next_one_finishes(tmp_path: Path) -> None:
    root, out = tmp_path / "in", tmp_path / "out"
    rels = make_articles(root, 40)
    with FakeOpenAIServer(responder=echo_responder, latency=0.2) as server:
        stop = threading.Event()
        reporter = StopAfter(stop, 4)
        first = on_ray(root, out, server, concurrency=2, stop=stop, reporter=reporter)
        assert reporter.totals == [40]
        assert first.interrupted and first.exit_code == 130
        assert 4 <= first.ok < 40 and first.ok + first.not_started == 40
        assert len(lines(out)) == first.ok and all(r["status"] == "ok" for r in lines(out))
        second = on_ray(root, out, server, concurrency=4)
    assert (second.cached, second.ok) == (first.ok, 40 - first.ok)
    assert sorted(by_path(out)) == rels


def test_the_command_joins_a_cluster_and_ctrl_c_keeps_what_finished(tmp_path: Path, local_ray: Any) -> None:
    root, out = tmp_path / "in", tmp_path / "out"
    rels = make_articles(root, 30)
    address = local_ray.get_runtime_context().gcs_address
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SUMMARIZE_", "RAY_ADDRESS"))}
    # The test's Ray listens on loopback: keep Ray from swapping 127.0.0.1 for the host's address.
    env.update(RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER="0", PYTHONPATH=str(Path(__file__).parent.parent))
    with FakeOpenAIServer(responder=echo_responder, latency=0.3) as server:
        cmd = [sys.executable, "-m", "summarize", "batch", str(root), "-o", str(out), "--engine", "ray"]
        cmd += ["--address", address, "--workers", "1", "-j", "2"]
        cmd += ["--base-url", server.base_url, "--model", MODEL]
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        results = out / "results.jsonl"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if results.exists() and len(results.read_text().splitlines()) >= 4:
                break
            time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 130, err
        assert "Interrupted:" in err and "Run the same command again to resume" in err
        done = lines(out)
        assert 4 <= len(done) < 30 and all(r["status"] == "ok" for r in done)
        finish = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
        assert finish.returncode == 0, finish.stderr
        assert f"{30 - len(done)} ok, 0 failed, {len(done)} cached" in finish.stderr
    assert sorted(by_path(out)) == rels


def test_the_token_budget_stops_new_articles_on_every_worker(tmp_path: Path, echo: FakeOpenAIServer) -> None:
    root, out = tmp_path / "in", tmp_path / "out"
    make_articles(root, 40)
    stats = on_ray(root, out, echo, concurrency=2, max_tokens_total=3000, csv=True)
    assert stats.budget_reached and stats.exit_code == 1
    assert 1 <= stats.ok < 40 and stats.ok + stats.not_started == 40
    assert len(lines(out)) == stats.ok
    claims = (out / "claims.csv").read_text().splitlines()
    assert claims[0].startswith("path,") and len(claims) == 1 + stats.ok  # one reporter claim each
