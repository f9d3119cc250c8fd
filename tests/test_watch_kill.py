"""kill -9 during a watch cycle, then `watch --once`: every article exactly once."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from summarize.testing import FakeOpenAIServer, echo_responder
from summarize.testing.newssite import NewsSite, story_text

pytestmark = pytest.mark.slow  # subprocesses and a deliberate kill
STORIES = 6


def watch(site: NewsSite, model: FakeOpenAIServer, tmp: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(Path(__file__).parents[1]), os.environ.get("PYTHONPATH")])
        ),
        "OPENAI_BASE_URL": model.base_url,
        "SUMMARIZE_MODEL": "fake-model",
    }
    args = [sys.executable, "-m", "summarize", "watch", site.url("/feed.rss"), "-o", str(tmp / "d"), "--once"]
    args += [
        "--delay",
        "0",
        "--per-host",
        "1",
        "-j",
        "1",
        "--sqlite",
        str(tmp / "n.db"),
        "--report",
        str(tmp / "r.html"),
    ]
    return subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def until(condition: Callable[[], bool], child: subprocess.Popen[bytes], seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert child.poll() is None, "the watch ended before the kill"
        assert time.monotonic() < deadline, "the watch never reached the point of the kill"
        time.sleep(0.02)


def journaled(tmp: Path) -> int:
    results = tmp / "d" / "results.jsonl"
    return len(results.read_text().splitlines()) if results.exists() else 0


@pytest.mark.parametrize("moment", ["fetching", "summarizing"])
def test_kill_9_then_once_gives_every_article_exactly_once(tmp_path: Path, moment: str) -> None:
    with NewsSite(latency=0.1) as site, FakeOpenAIServer(responder=echo_responder, latency=0.3) as model:
        for n in range(STORIES):
            site.add(f"story-{n}", f"Story number {n} of the day", story_text(f"topic{n}"))
        child = watch(site, model, tmp_path)
        if moment == "fetching":
            until(lambda: site.article_hits() >= 3, child)
        else:
            until(lambda: journaled(tmp_path) >= 2, child)
        child.send_signal(signal.SIGKILL)
        child.wait(30)
        again = watch(site, model, tmp_path)
        _, err = again.communicate(timeout=120)
        assert again.returncode == 0, err.decode()
    lines = [json.loads(line) for line in (tmp_path / "d" / "results.jsonl").read_text().splitlines()]
    ok = [line["path"] for line in lines if line["status"] == "ok"]
    assert len(ok) == STORIES and len(set(ok)) == STORIES
    with sqlite3.connect(tmp_path / "n.db") as conn:
        paths = [row[0] for row in conn.execute("select path from articles")]
    assert sorted(paths) == sorted(ok)
    assert len(list((tmp_path / "d.articles").glob("*/*.html"))) == STORIES
    pages = [site.hits[f"/news/story-{n}.html"] for n in range(STORIES)]
    if moment == "summarizing":
        assert pages == [1] * STORIES  # nothing saved is fetched again
    else:
        assert sum(pages) <= STORIES + 1  # at most the page in flight at the kill is asked twice


def test_ctrl_c_ends_after_the_article_in_progress_with_exit_130(tmp_path: Path) -> None:
    with NewsSite() as site, FakeOpenAIServer(responder=echo_responder, latency=0.3) as model:
        for n in range(STORIES):
            site.add(f"story-{n}", f"Story number {n} of the day", story_text(f"topic{n}"))
        child = watch(site, model, tmp_path)
        until(lambda: journaled(tmp_path) >= 1, child)
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=60)
        assert child.returncode == 130, err.decode()
        done = journaled(tmp_path)
        assert 1 <= done < STORIES
        again = watch(site, model, tmp_path)
        again.communicate(timeout=120)
        assert again.returncode == 0
    lines = [json.loads(line) for line in (tmp_path / "d" / "results.jsonl").read_text().splitlines()]
    assert sorted(line["path"] for line in lines) == sorted({line["path"] for line in lines})
    assert len(lines) == STORIES


def test_watch_without_once_runs_cycles_until_ctrl_c(tmp_path: Path) -> None:
    with NewsSite() as site, FakeOpenAIServer(responder=echo_responder) as model:
        site.add("storm", "Storm hits the coast", story_text("storm"))
        env = {
            **os.environ,
            "PYTHONPATH": str(Path(__file__).parents[1]),
            "OPENAI_BASE_URL": model.base_url,
            "SUMMARIZE_MODEL": "fake-model",
        }
        args = [sys.executable, "-m", "summarize", "watch", site.url("/feed.rss"), "-o", str(tmp_path / "d")]
        child = subprocess.Popen(
            [*args, "--every", "0.2s", "--delay", "0"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        until(lambda: site.hits["/feed.rss"] >= 3, child)
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=60)
    lines = [line for line in err.decode().splitlines() if line.startswith("cycle ")]
    assert child.returncode == 130
    assert lines[0].startswith("cycle 1: 1 new") and lines[1].startswith("cycle 2: 0 new")
    assert len(model.requests) == 1
