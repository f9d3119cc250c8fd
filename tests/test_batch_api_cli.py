"""`summarize batch --via batch-api | jsonl`: the command, its reports and exit codes, kill -9."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from summarize.cli import app
from summarize.testing.batch_api import BatchPlan, FakeBatchAPI
from tests.kill_switch import run_child
from tests.provider_fakes import CONTEXT_TOKENS, outputs, responder, results, run_live
from tests.vllm_lines import run_batch_like

runner = CliRunner()


def summarize(*args: object) -> tuple[int, str]:
    result = runner.invoke(app, ["batch", *map(str, args)])
    return result.exit_code, result.stderr


def endpoint(batch_api: FakeBatchAPI) -> list[str]:
    return ["--base-url", batch_api.base_url, "--api-key", "x", "--model", "fake-model"]


def test_batch_api_without_wait_submits_and_says_how_to_continue(
    corpus: Path, tmp_path: Path, batch_api: FakeBatchAPI
) -> None:
    out = tmp_path / "out"
    code, err = summarize(corpus, "-o", out, "--via", "batch-api", *endpoint(batch_api))
    assert code == 0 and "requests-00001.jsonl  batch_000001   validating" in err
    assert "Not finished: 7 article(s) wait" in err and "Run the same command again" in err
    for _ in range(10):
        code, err = summarize(corpus, "-o", out, "--via", "batch-api", *endpoint(batch_api))
        if "Not finished" not in err:
            break
    assert code == 0 and [r["status"] for r in results(out)] == ["ok"] * 7
    assert batch_api.batches_per_shard() == {"requests-00001.jsonl": 1, "requests-00002.jsonl": 1}
    run = json.loads((out / "run.json").read_text())
    assert run["via"] == "batch-api" and run["batches"][0]["status"] == "completed" and run["waiting"] == 0


def test_wait_polls_to_the_end_and_the_cost_has_the_batch_discount(
    corpus: Path, tmp_path: Path, batch_api: FakeBatchAPI
) -> None:
    out = tmp_path / "out"
    prices = ["--price-in", "2", "--price-out", "8"]
    code, err = summarize(
        corpus, "-o", out, "--via", "batch-api", "--wait", "--poll", "0", *prices, *endpoint(batch_api)
    )
    assert code == 0 and "Not finished" not in err and "times 0.5 for the provider's batch discount" in err
    run = json.loads((out / "run.json").read_text())
    usage = run["usage"]
    full = (usage["prompt_tokens"] * 2 + usage["completion_tokens"] * 8) / 1_000_000
    assert run["estimated_cost"] == pytest.approx(full * 0.5) and run["price_factor"] == 0.5


def test_dry_run_applies_the_batch_discount(corpus: Path) -> None:
    live = runner.invoke(
        app,
        ["batch", str(corpus), "--dry-run", "--price-in", "2", "--model", "m", "--base-url", "http://x/v1"],
    )
    api = runner.invoke(
        app,
        [
            "batch",
            str(corpus),
            "--dry-run",
            "--price-in",
            "2",
            "--via",
            "batch-api",
            "--model",
            "m",
            "--base-url",
            "http://x/v1",
        ],
    )
    assert live.exit_code == api.exit_code == 0
    cost = [float(r.stdout.split("first requests: ")[1].split()[0]) for r in (live, api)]
    assert cost[1] == pytest.approx(cost[0] * 0.5) and cost[0] > 0
    assert "batch discount" in api.stdout and "batch discount" not in live.stdout


def test_the_embedded_model_is_refused_with_what_to_pass(corpus: Path, tmp_path: Path) -> None:
    code, err = summarize(corpus, "-o", tmp_path / "out", "--via", "batch-api")
    assert code == 1 and err.count("\n") == 1 and err.startswith("Error: --via batch-api needs an endpoint")
    assert "--base-url" in err and "--model" in err
    code, err = summarize(corpus, "-o", tmp_path / "out", "--via", "jsonl")
    assert code == 1 and err.count("\n") == 1 and "Pass --model NAME" in err


def test_a_job_is_for_one_model(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert summarize(corpus, "-o", out, "--via", "jsonl", "--model", "qwen")[0] == 0
    code, err = summarize(corpus, "-o", out, "--via", "jsonl", "--model", "llama")
    assert code == 1 and err.count("\n") == 1 and "for model 'qwen', not 'llama'. Pass --model qwen" in err


@pytest.mark.parametrize(
    "args",
    [
        ["--wait"],
        ["--cancel", "--via", "jsonl"],
        ["--reask", "live"],
        ["--via", "batch-api", "--collect", "X"],
        ["X"],
    ],
    ids=["wait-live", "cancel-jsonl", "reask-live-path", "collect-api", "stray-file"],
)
def test_options_that_clash_are_usage_errors(corpus: Path, tmp_path: Path, args: list[str]) -> None:
    stray = tmp_path / "x.jsonl"
    stray.write_text("")
    code, _ = summarize(corpus, *[str(stray) if a == "X" else a for a in args])
    assert code == 2


def test_jsonl_then_vllm_then_collect_until_done(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    model = ["--model", "fake-model", "--context-tokens", str(CONTEXT_TOKENS)]
    code, err = summarize(corpus, "-o", out, "--via", "jsonl", *model)
    assert (
        code == 0 and "python -m vllm.entrypoints.openai.run_batch -i" in err and "--model fake-model" in err
    )
    assert sorted(p.name for p in (out / "requests").iterdir()) == ["requests-00001.jsonl"]
    for _ in range(3):  # round 1; then re-asks, repairs and the merge; then nothing left
        new = [
            p for p in sorted((out / "requests").iterdir()) if not (out / "vllm-out" / out_name(p)).exists()
        ]
        if not new:
            break
        for shard in new:
            run_batch_like(shard, out / "vllm-out" / out_name(shard), responder)
        code, err = summarize(
            corpus, "-o", out, "--collect", *[out / "vllm-out" / out_name(p) for p in new], *model
        )
        assert code == 0
        code, err = summarize(corpus, "-o", out, "--via", "jsonl", *model)
    assert [p.name for p in sorted((out / "requests").iterdir())] == [
        "requests-00001.jsonl",
        "requests-00002.jsonl",
    ]
    assert len((out / "requests" / "requests-00002.jsonl").read_text().splitlines()) == 3
    assert [r["status"] for r in results(out)] == ["ok"] * 7
    run_live(corpus, tmp_path / "live", context_tokens=CONTEXT_TOKENS)
    assert outputs(out) == outputs(tmp_path / "live")


def out_name(shard: Path) -> str:
    return shard.name.replace(".jsonl", ".out.jsonl")


def test_collect_reports_lines_it_cannot_match_and_never_guesses(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    summarize(corpus, "-o", out, "--via", "jsonl", "--model", "fake-model")
    target = tmp_path / "out.jsonl"
    run_batch_like(out / "requests" / "requests-00001.jsonl", target, responder)
    lines = target.read_text().splitlines()
    stranger = json.loads(lines[0])
    stranger["custom_id"] = "someone-else"
    target.write_text("\n".join([*lines[1:], json.dumps(stranger), "not json"]) + "\n")
    code, err = summarize(corpus, "-o", out, "--collect", target, "--model", "fake-model")
    assert code == 0 and "2 output line(s) named no request of this job" in err
    assert "unknown custom_id 'someone-else'" in err
    assert "2 article(s) need another round" in err  # the re-ask and the repair
    statuses = [r["status"] for r in results(out)]
    assert statuses == ["ok"] * 4  # the first article's output line is not there: it waits


def test_cancel_keeps_what_finished_and_a_rerun_resubmits_the_rest(
    corpus: Path, tmp_path: Path, batch_api: FakeBatchAPI
) -> None:
    out = tmp_path / "out"
    batch_api.plans.append(BatchPlan(in_progress=50, cancelling=1, finished=2))
    for _ in range(2):  # submit; then one poll: the batch is in progress
        code, _ = summarize(corpus, "-o", out, "--via", "batch-api", *endpoint(batch_api))
        assert code == 0
    code, err = summarize(corpus, "-o", out, "--cancel", "--wait", "--poll", "0", *endpoint(batch_api))
    assert code == 0 and "Cancelled 1 batch(es)" in err and "cancelled" in err
    assert "without --cancel to send the rest" in err
    assert [r["status"] for r in results(out)] == ["ok"]  # two lines ran: one article, one first try
    code, err = summarize(
        corpus, "-o", out, "--via", "batch-api", "--wait", "--poll", "0", *endpoint(batch_api)
    )
    assert code == 0 and len(results(out)) == 7 and {r["status"] for r in results(out)} == {"ok"}
    assert set(batch_api.batches_per_shard().values()) == {1}


def test_the_token_cap_holds_back_new_articles(corpus: Path, tmp_path: Path, batch_api: FakeBatchAPI) -> None:
    out = tmp_path / "out"
    code, err = summarize(
        corpus,
        "-o",
        out,
        "--via",
        "batch-api",
        "--wait",
        "--poll",
        "0",
        "--max-tokens-total",
        "8000",
        *endpoint(batch_api),
    )
    statuses = [r["status"] for r in results(out)]
    assert code == 1 and "token budget" in err and 0 < len(statuses) < 7 and set(statuses) == {"ok"}


# --- kill -9 at every phase ----------------------------------------------------------------

CHILD = Path(__file__).with_name("provider_child.py")
KILL_POINTS = [
    "shard-written:1",  # building shards
    "after-upload:1",  # uploaded, id not recorded
    "after-create:1",  # created, id not recorded
    "polled:2",  # while polling
    "downloaded:1",
    "reply-stored:2",  # while collecting
    "collected:4",
    "result-written:2",  # while writing results: the JSON written, its line not yet
    "result-recorded:1",
    "shard-recorded:2",  # the next round's shard (resubmissions, re-asks, merge)
    "after-create:2",
    "reply-stored:9",  # collecting the next round
]


def run_provider_child(src: Path, out: Path, batch_api: FakeBatchAPI, kill_at: str | None) -> int:
    return run_child(str(CHILD), [str(src), str(out), batch_api.base_url], kill_at)


@pytest.mark.slow
@pytest.mark.parametrize("kill_at", KILL_POINTS)
def test_kill_9_at_every_phase_then_one_complete_run(
    corpus: Path, tmp_path: Path, batch_api: FakeBatchAPI, kill_at: str
) -> None:
    batch_api.plans.append(
        BatchPlan(outcome="expired", finished=3)
    )  # the first batch leaves work to resubmit
    out = tmp_path / "out"
    assert run_provider_child(corpus, out, batch_api, kill_at) == -signal.SIGKILL
    assert run_provider_child(corpus, out, batch_api, None) == 0
    lines = results(out)
    assert sorted(r["path"] for r in lines) == sorted(
        p.relative_to(corpus).as_posix() for p in corpus.rglob("*.txt")
    )
    assert {r["status"] for r in lines} == {"ok"}  # exactly one line, ok, per article
    shards = sorted(p.name for p in (out / "batch-api" / "requests").glob("*.jsonl"))
    assert batch_api.batches_per_shard() == dict.fromkeys(shards, 1)
    assert len([f for f in batch_api.files.values() if f["purpose"] == "batch"]) == len(shards)
    run_live(corpus, tmp_path / "live", context_tokens=CONTEXT_TOKENS)
    assert outputs(out) == outputs(tmp_path / "live")


@pytest.mark.slow
def test_ctrl_c_while_waiting_exits_130_and_the_job_goes_on(
    corpus: Path, tmp_path: Path, batch_api: FakeBatchAPI
) -> None:
    batch_api.plans.append(BatchPlan(validating=10_000))
    out = tmp_path / "out"
    args = [
        "batch",
        str(corpus),
        "-o",
        str(out),
        "--via",
        "batch-api",
        "--wait",
        "--poll",
        "0.2",
        *endpoint(batch_api),
    ]
    proc = subprocess.Popen(
        [sys.executable, "-m", "summarize", *args], stderr=subprocess.PIPE, text=True, env=dict(os.environ)
    )
    deadline = time.monotonic() + 60
    while batch_api.calls["GET /v1/batches/{id}"] < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "Interrupted" in err and "Run the same command again" in err
    assert batch_api.batches_per_shard() == {"requests-00001.jsonl": 1}
