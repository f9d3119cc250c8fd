"""Batch runs against the loopback server: outputs, resume, cache, faults, budget, signals, crashes."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from summarize.batch import BatchConfig, Stats, run_batch
from summarize.batch.store import ResultLog, output_path, repair_torn_tail
from summarize.cli import app
from summarize.config import Settings
from summarize.errors import InputError
from summarize.testing import FakeOpenAIServer, Reply, echo_responder
from tests.fakes import make_articles

MODEL = "fake-model"


@pytest.fixture
def echo() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(responder=echo_responder) as srv:
        yield srv


def settings(server: FakeOpenAIServer, **kw: Any) -> Settings:
    return Settings(base_url=server.base_url, model=MODEL, **kw)


def run(root: Path, out: Path, server: FakeOpenAIServer, **kw: Any) -> Stats:
    s = kw.pop("settings", None) or settings(server)
    return run_batch(BatchConfig(root=root, outdir=out, **kw), s)


def lines(out: Path) -> list[dict[str, Any]]:
    text = (out / "results.jsonl").read_text(encoding="utf-8")
    assert text == "" or text.endswith("\n"), "torn last line"
    return [json.loads(line) for line in text.splitlines()]


def assert_one_ok_line_each(out: Path, rels: list[str]) -> None:
    recs = lines(out)
    assert sorted(r["path"] for r in recs) == sorted(rels)
    assert all(r["status"] == "ok" for r in recs)
    for rel in rels:
        data = json.loads((out / f"{rel}.json").read_text(encoding="utf-8"))
        assert data["summary"]


# --- outputs, resume, cache ---------------------------------------------------------------


def test_first_run_writes_everything_and_rerun_makes_no_request(
    tmp_path: Path, echo: FakeOpenAIServer
) -> None:
    root, out = tmp_path / "in", tmp_path / "out"
    rels = make_articles(root, 6)
    stats = run(root, out, echo, concurrency=3)
    assert (stats.ok, stats.failed, stats.exit_code) == (6, 0, 0)
    assert len(echo.requests) == 6
    assert_one_ok_line_each(out, rels)
    rec = lines(out)[0]
    assert set(rec) >= {"path", "status", "result", "error", "key", "usage"}
    assert rec["result"]["usage"]["requests"] == 1 and rec["error"] is None
    run_json = json.loads((out / "run.json").read_text())
    assert run_json["ok"] == 6 and run_json["usage"]["requests"] == 6

    again = run(root, out, echo, concurrency=3)
    assert (again.ok, again.cached, again.usage.requests) == (0, 6, 0)
    assert len(echo.requests) == 6  # zero new model calls
    assert_one_ok_line_each(out, rels)


def test_changed_article_or_model_is_redone(tmp_path: Path, echo: FakeOpenAIServer) -> None:
    root, out = tmp_path / "in", tmp_path / "out"
    rels = make_articles(root, 3, sub=False)
    run(root, out, echo)
    (root / rels[0]).write_text("A different article\n\nSomething else happened today.\n")
    assert run(root, out, echo).ok == 1
    assert run(root, out, echo, settings=Settings(base_url=echo.base_url, model="other")).ok == 3
    assert_one_ok_line_each(out, rels)


def test_force_redoes_all_and_keeps_one_line_each(tmp_path: Path, echo: FakeOpenAIServer) -> None:
    root, out = tmp_path / "in", tmp_path / "out"
    rels = make_articles(root, 4)
    run(root, out, echo)
    stats = run(root, out, echo, force=True)
    assert stats.ok == 4 and len(echo.requests) == 8
    assert_one_ok_line_each(out, rels)


def test_failures_are_reported_and_retried_on_rerun(tmp_path: Path, echo: FakeOpenAIServer) -> None:
    root, out = tmp_path / "in", tmp_path / "out"
    rels = make_articles(root, 4, sub=False)
    echo.enqueue(*[Reply(400, {"error": {"message": "bad"}}) for _ in range(2)])
    first = run(root, out, echo, concurrency=1)
    assert (first.ok, first.failed, first.exit_code) == (2, 2, 1)
    assert [r["status"] for r in lines(out)].count("failed") == 2
    failed = [r for r in lines(out) if r["status"] == "failed"]
    assert all(r["error"] and r["result"] is None for r in failed)
    second = run(root, out, echo, concurrency=1)
    assert (second.ok, second.cached, second.exit_code) == (2, 2, 0)
    assert_one_ok_line_each(out, rels)


def test_empty_and_binary_files_fail_others_unaffected(tmp_path: Path, echo: FakeOpenAIServer) -> None:
    root, out = tmp_path / "in", tmp_path / "out"
    rels = make_articles(root, 3)
    (root / "empty.txt").write_text("")
    (root / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    os.symlink("nowhere.txt", root / "broken.txt")
    stats = run(root, out, echo)
    assert (stats.ok, stats.failed) == (3, 3)
    by_path = {r["path"]: r for r in lines(out)}
    for bad in ("empty.txt", "image.txt", "broken.txt"):
        assert by_path[bad]["status"] == "failed" and by_path[bad]["error"]
        assert not (out / f"{bad}.json").exists()
    assert all(by_path[r]["status"] == "ok" for r in rels)
    assert len(echo.requests) == 3


def test_torn_last_line_is_repaired(tmp_path: Path, echo: FakeOpenAIServer) -> None:
    root, out = tmp_path / "in", tmp_path / "out"
    rels = make_articles(root, 3)
    run(root, out, echo)
    with (out / "results.jsonl").open("ab") as fh:
        fh.write(b'{"path": "art000.txt", "status": "ok", "resu')
    stats = run(root, out, echo)
    assert stats.cached == 3
    assert_one_ok_line_each(out, rels)


def test_repair_torn_tail_unit(tmp_path: Path) -> None:
    p = tmp_path / "r.jsonl"
    p.write_bytes(b'{"a":1}\n{"b":')
    assert repair_torn_tail(p) == 5
    assert p.read_bytes() == b'{"a":1}\n'
    p.write_bytes(b"no newline at all")
    repair_torn_tail(p)
    assert p.read_bytes() == b""
    assert repair_torn_tail(tmp_path / "missing") == 0


def test_second_writer_is_refused(tmp_path: Path) -> None:
    first = ResultLog(tmp_path)
    first.open()
    try:
        with pytest.raises(Exception, match="another"):
            ResultLog(tmp_path).open()
    finally:
        first.close()


# --- paths ---------------------------------------------------------------------------------


def test_output_paths_never_escape(tmp_path: Path) -> None:
    assert output_path(tmp_path, "a/b.txt") == tmp_path / "a" / "b.txt.json"
    for bad in ("../x.txt", "/etc/passwd", "a/../../x", "run"):
        with pytest.raises(InputError):
            output_path(tmp_path, bad)


def test_from_file_list_and_escaping_paths(tmp_path: Path, echo: FakeOpenAIServer) -> None:
    root, out = tmp_path / "in", tmp_path / "out"
    rels = make_articles(root, 3)
    listing = io.StringIO("\n".join([rels[2], rels[0], "../secret.txt", "/etc/hostname"]) + "\n")
    (tmp_path / "secret.txt").write_text("Secret\n\nDo not read this file at all.\n")
    stats = run(root, out, echo, from_file=listing)
    assert (stats.ok, stats.failed) == (2, 2)
    assert {r["path"] for r in lines(out) if r["status"] == "ok"} == {rels[0], rels[2]}
    assert not (tmp_path / "secret.txt.json").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "out", "secret.txt"]


def test_default_outdir_is_a_sibling_and_not_rediscovered(tmp_path: Path, echo: FakeOpenAIServer) -> None:
    root = tmp_path / "news"
    make_articles(root, 2)
    stats = run_batch(BatchConfig(root=root), settings(echo))
    assert stats.ok == 2 and (tmp_path / "news.summaries" / "results.jsonl").exists()
    inside = root / "out"
    assert run(root, inside, echo).ok == 2
    assert run(root, inside, echo).cached == 2  # its own outputs are not picked up as articles


# --- cost control ----------------------------------------------------------------------------


def test_max_tokens_total_stops_starting_articles(tmp_path: Path, echo: FakeOpenAIServer) -> None:
    root, out = tmp_path / "in", tmp_path / "out"
    make_articles(root, 10)
    stats = run(root, out, echo, concurrency=1, max_tokens_total=1)
    assert stats.budget_reached and stats.exit_code == 1
    # The article a worker had already picked up may still go out: at most one more.
    assert stats.ok in (1, 2) and stats.ok + stats.not_started == 10
    assert len(echo.requests) == stats.ok
    assert json.loads((out / "run.json").read_text())["budget_reached"] is True


def test_dry_run_makes_no_request(tmp_path: Path, echo: FakeOpenAIServer) -> None:
    root, out = tmp_path / "in", tmp_path / "out"
    make_articles(root, 3)
    (root / "empty.txt").write_text("")
    args = ["batch", str(root), "-o", str(out), "--base-url", echo.base_url, "--model", MODEL, "--dry-run"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert len(echo.requests) == 0
    assert "art000.txt" in result.output and "send" in result.output and "fails" in result.output
    run(root, out, echo)
    again = CliRunner().invoke(app, args)
    assert again.output.count("\tcached") == 3


def test_dry_run_counts_an_article_cached_only_while_its_json_is_there(
    tmp_path: Path, echo: FakeOpenAIServer
) -> None:
    root, out = tmp_path / "in", tmp_path / "out"
    rels = make_articles(root, 3)
    run(root, out, echo)
    (out / f"{rels[0]}.json").unlink()
    args = ["batch", str(root), "-o", str(out), "--base-url", echo.base_url, "--model", MODEL, "--dry-run"]
    dry = CliRunner().invoke(app, args)
    assert dry.exit_code == 0, dry.output
    sent = [line.split("\t")[0] for line in dry.output.splitlines() if line.endswith("\tsend")]
    assert sent == [rels[0]] and dry.output.count("\tcached") == 2
    requests = len(echo.requests)
    stats = run(root, out, echo)
    assert (stats.ok, stats.cached) == (1, 2) and len(echo.requests) == requests + 1


def test_cli_csv_tables_and_summary(tmp_path: Path, echo: FakeOpenAIServer) -> None:
    root, out = tmp_path / "in", tmp_path / "out"
    make_articles(root, 3)
    (root / "empty.txt").write_text("")
    args = ["batch", str(root), "-o", str(out), "--base-url", echo.base_url, "--model", MODEL]
    result = CliRunner().invoke(app, [*args, "--format", "csv", "--price-in", "1", "--price-out", "2"])
    assert result.exit_code == 1
    assert "3 ok, 1 failed" in result.output and "Estimated cost" in result.output
    assert "empty.txt" in result.output
    claims = (out / "claims.csv").read_text().splitlines()
    assert claims[0].startswith("path,speaker,text") and len(claims) == 4
    assert (out / "actors.csv").exists() and (out / "stances.csv").exists()
    usage = CliRunner().invoke(app, ["batch", str(tmp_path / "missing"), "-o", str(out)])
    assert usage.exit_code == 2


# --- faults ----------------------------------------------------------------------------------


def test_429_storm_with_aimd_finishes_everything(tmp_path: Path, echo: FakeOpenAIServer) -> None:
    root, out = tmp_path / "in", tmp_path / "out"
    rels = make_articles(root, 12)
    too_many = Reply(429, {"error": {"message": "slow down"}}, headers={"retry-after": "0"})
    echo.enqueue(*[too_many] * 20)
    stats = run(root, out, echo, concurrency=8, settings=settings(echo, max_retries=12))
    assert (stats.ok, stats.failed) == (12, 0)
    assert stats.rate_limited >= 1 and stats.limit_decreases >= 1
    assert stats.usage.requests == 32 and stats.retries == 20
    assert_one_ok_line_each(out, rels)


def test_a_quarter_of_requests_failing_still_all_succeed(tmp_path: Path) -> None:
    count = {"n": 0}

    def flaky(body: dict[str, Any]) -> Reply:
        count["n"] += 1
        if count["n"] % 4 == 0:
            return Reply(503, {"error": {"message": "overloaded"}}, headers={"retry-after": "0"})
        return echo_responder(body)

    root, out = tmp_path / "in", tmp_path / "out"
    rels = make_articles(root, 12)
    with FakeOpenAIServer(responder=flaky) as srv:
        stats = run(root, out, srv, concurrency=4)
    assert (stats.ok, stats.failed) == (12, 0)
    assert_one_ok_line_each(out, rels)


# --- crashes and signals (real processes) ------------------------------------------------------


def _cli(root: Path, out: Path, server: FakeOpenAIServer, *extra: str) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "summarize", "batch", str(root), "-o", str(out)]
    cmd += ["--base-url", server.base_url, "--model", MODEL, *extra]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SUMMARIZE_"))}
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_lines(out: Path, n: int, proc: subprocess.Popen[str], timeout: float = 20) -> None:
    end = time.monotonic() + timeout
    path = out / "results.jsonl"
    while time.monotonic() < end:
        if path.exists() and path.read_bytes().count(b"\n") >= n:
            return
        if proc.poll() is not None:
            raise AssertionError(f"batch exited early: {proc.stderr.read() if proc.stderr else ''}")
        time.sleep(0.02)
    raise AssertionError("batch made no progress")


@pytest.mark.slow
def test_kill_9_twice_then_one_full_run(tmp_path: Path) -> None:
    root, out = tmp_path / "in", tmp_path / "out"
    rels = make_articles(root, 16)
    with FakeOpenAIServer(responder=echo_responder, latency=0.15) as srv:
        for target in (3, 7):
            proc = _cli(root, out, srv, "--concurrency", "2")
            _wait_for_lines(out, target, proc)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        done_before = len(lines(out))
        assert done_before < 16
        sent_before = len(srv.requests)
        proc = _cli(root, out, srv, "--concurrency", "4")
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        # Finished articles were not redone: the full run asked only for the missing ones.
        assert len(srv.requests) - sent_before == 16 - done_before
    assert_one_ok_line_each(out, rels)
    for json_file in out.rglob("*.json"):
        json.loads(json_file.read_text(encoding="utf-8"))


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_stops_exits_130_and_resumes(tmp_path: Path, sig: signal.Signals) -> None:
    root, out = tmp_path / "in", tmp_path / "out"
    rels = make_articles(root, 20)
    with FakeOpenAIServer(responder=echo_responder, latency=0.2) as srv:
        proc = _cli(root, out, srv, "--concurrency", "2")
        _wait_for_lines(out, 2, proc)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=15)  # the bound: no test asserts elapsed time
        assert proc.returncode == 130, err
        assert "Interrupted:" in err and "Run the same command again to resume." in err
        run_json = json.loads((out / "run.json").read_text())
        assert run_json["interrupted"] is True and run_json["not_started"] > 0
        done = len(lines(out))
        assert 2 <= done < 20
        proc = _cli(root, out, srv, "--concurrency", "4")
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        assert f"{done} cached" in err
    assert_one_ok_line_each(out, rels)
