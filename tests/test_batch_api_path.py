"""summarize.batch.provider: the batch path gives the live path's outputs, round by round."""

from __future__ import annotations

import io
import json
import typing
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from summarize.testing import Reply
from summarize.testing.batch_api import BatchPlan, FakeBatchAPI
from tests.provider_fakes import (
    CONTEXT_TOKENS,
    make_corpus,
    outputs,
    results,
    run_job,
    run_live,
)


def by_path(out: Path) -> dict[str, dict[str, Any]]:
    return {r["path"]: r for r in results(out)}


def shard_lines(out: Path) -> list[list[dict[str, Any]]]:
    folder = out / "batch-api" / "requests"
    return [[json.loads(x) for x in p.read_text().splitlines()] for p in sorted(folder.glob("*.jsonl"))]


def test_outputs_and_token_counts_are_the_live_paths(
    corpus: Path, tmp_path: Path, batch_api: FakeBatchAPI
) -> None:
    overrides = {"context_tokens": CONTEXT_TOKENS}
    live = run_live(corpus, tmp_path / "live", **overrides)
    report = run_job(corpus, tmp_path / "api", batch_api.base_url, settings=overrides)
    assert live.ok == report.stats.ok == 7 and report.exit_code == 0 and not report.unfinished
    assert outputs(tmp_path / "api") == outputs(tmp_path / "live")  # byte for byte
    live_lines, api_lines = by_path(tmp_path / "live"), by_path(tmp_path / "api")
    assert {p: r["usage"] for p, r in api_lines.items()} == {p: r["usage"] for p, r in live_lines.items()}
    assert {p: r["key"] for p, r in api_lines.items()} == {p: r["key"] for p, r in live_lines.items()}
    assert report.stats.usage == live.usage
    assert api_lines["a01.txt"]["usage"]["requests"] == 2  # the draft and its re-ask
    repaired = api_lines["sub/a02.txt"]
    assert repaired["usage"]["requests"] == 2 and repaired["result"]["dropped"]  # a repair round, in vain
    assert api_lines["long.txt"]["result"]["chunks"] == live_lines["long.txt"]["result"]["chunks"] > 1


def test_follow_ups_go_in_later_batches_and_nothing_is_sent_twice(
    corpus: Path, tmp_path: Path, batch_api: FakeBatchAPI
) -> None:
    run_job(corpus, tmp_path / "api", batch_api.base_url, settings={"context_tokens": CONTEXT_TOKENS})
    rounds = shard_lines(tmp_path / "api")
    chunks = by_path(tmp_path / "api")["long.txt"]["result"]["chunks"]
    assert [len(r) for r in rounds] == [6 + chunks, 3]  # short articles and chunks; re-ask, repair, merge
    follow_ups = [line["body"]["messages"][-1]["content"] for line in rounds[1]]
    assert sum("could not be used" in m for m in follow_ups) == 1
    assert sum("does not appear in the article" in m for m in follow_ups) == 1
    assert sum(f"read in {chunks} consecutive parts" in m for m in follow_ups) == 1
    ids = [line["custom_id"] for r in rounds for line in r]
    assert len(ids) == len(set(ids))
    assert batch_api.batches_per_shard() == {"requests-00001.jsonl": 1, "requests-00002.jsonl": 1}
    again = run_job(corpus, tmp_path / "api", batch_api.base_url, settings={"context_tokens": CONTEXT_TOKENS})
    assert again.stats.cached == 7 and again.written == [] and len(batch_api.batches) == 2


def test_request_lines_are_the_live_bodies_and_match_the_sdk_types(
    tmp_path: Path, batch_api: FakeBatchAPI
) -> None:
    from openai.types.chat import completion_create_params

    src = tmp_path / "in"
    make_corpus(src, 2, long=False)
    run_job(src, tmp_path / "api", batch_api.base_url)
    params = completion_create_params.CompletionCreateParamsNonStreaming
    for line in shard_lines(tmp_path / "api")[0]:
        assert list(line) == ["custom_id", "method", "url", "body"]
        assert set(line["body"]) <= set(typing.get_type_hints(params))
        TypeAdapter(params).validate_python(line["body"])
        assert line["body"]["response_format"]["type"] == "json_schema"  # --mode auto


def test_expiry_keeps_what_finished_and_resubmits_the_rest(
    corpus: Path, tmp_path: Path, batch_api: FakeBatchAPI
) -> None:
    batch_api.plans.append(BatchPlan(outcome="expired", finished=3))
    report = run_job(corpus, tmp_path / "api", batch_api.base_url)
    assert report.stats.ok == 7 and report.exit_code == 0
    assert set(batch_api.batches_per_shard().values()) == {1}
    assert [r["status"] for r in results(tmp_path / "api")] == ["ok"] * 7
    first = report.state.batches[0]
    assert first.status == "expired" and first.settled is not None and first.settled.not_run == 4


def test_per_line_errors(corpus: Path, tmp_path: Path, batch_api: FakeBatchAPI) -> None:
    seen: set[str] = set()

    def errors(custom_id: str, body: dict[str, Any]) -> Reply | None:
        text = json.dumps(body["messages"])
        if "town 0 " in text and custom_id not in seen:  # a 500 the first time: resubmitted
            seen.add(custom_id)
            return Reply(500, {"error": {"message": "boom", "type": "server_error", "code": None}})
        if "town 3 " in text:
            return Reply(
                400, {"error": {"message": "Invalid 'temperature'", "type": "invalid_request_error"}}
            )
        return None

    batch_api.plan = BatchPlan(line_error=errors)
    report = run_job(corpus, tmp_path / "api", batch_api.base_url)
    lines = by_path(tmp_path / "api")
    assert lines["a00.txt"]["status"] == "ok" and lines["a00.txt"]["usage"]["requests"] == 2
    assert lines["a03.txt"]["status"] == "failed" and "\n" not in lines["a03.txt"]["error"]
    assert (
        "HTTP 400" in lines["a03.txt"]["error"] and "Check the request options" in lines["a03.txt"]["error"]
    )
    assert report.stats.ok == 6 and report.stats.failed == 1 and report.exit_code == 1


def test_a_batch_with_only_an_error_file(corpus: Path, tmp_path: Path, batch_api: FakeBatchAPI) -> None:
    overloaded = Reply(503, {"error": {"message": "overloaded", "type": "server_error", "code": None}})
    batch_api.plans.append(BatchPlan(line_error=lambda cid, body: overloaded))
    report = run_job(corpus, tmp_path / "api", batch_api.base_url)
    first = report.state.batches[0]
    assert first.status == "completed" and first.settled is not None and first.settled.errors == 7
    assert report.stats.ok == 7 and set(batch_api.batches_per_shard().values()) == {1}


def test_a_line_that_keeps_failing_fails_its_article_after_three_batches(
    tmp_path: Path, batch_api: FakeBatchAPI
) -> None:
    src = tmp_path / "in"
    make_corpus(src, 2, long=False)
    boom = Reply(500, {"error": {"message": "boom", "type": "server_error", "code": None}})
    batch_api.plan = BatchPlan(line_error=lambda cid, body: boom if "town 0 " in json.dumps(body) else None)
    report = run_job(src, tmp_path / "api", batch_api.base_url)
    line = by_path(tmp_path / "api")["a00.txt"]
    assert line["status"] == "failed" and "3 batches" in line["error"] and "--reask live" in line["error"]
    assert line["usage"]["requests"] == 3 and report.exit_code == 1


def test_a_context_length_refusal_splits_the_article(tmp_path: Path, batch_api: FakeBatchAPI) -> None:
    src = tmp_path / "in"
    make_corpus(src, 1)
    too_long = Reply(
        400,
        {
            "error": {
                "message": "This model's maximum context length is 3000 tokens.",
                "type": "invalid_request_error",
                "code": "context_length_exceeded",
            }
        },
    )
    batch_api.plan = BatchPlan(
        line_error=lambda cid, body: too_long if len(json.dumps(body)) > 16_000 else None
    )
    report = run_job(src, tmp_path / "api", batch_api.base_url, settings={"max_tokens": 256})
    line = by_path(tmp_path / "api")["long.txt"]
    assert line["status"] == "ok" and line["result"]["chunks"] > 1 and report.stats.ok == 4


def test_a_rejected_structured_output_mode_steps_down_for_the_job(
    corpus: Path, tmp_path: Path, batch_api: FakeBatchAPI
) -> None:
    rejected = Reply(
        400,
        {
            "error": {
                "message": "response_format json_schema is not supported",
                "type": "invalid_request_error",
            }
        },
    )
    batch_api.plan = BatchPlan(
        line_error=lambda cid, body: (
            rejected if body.get("response_format", {}).get("type") == "json_schema" else None
        )
    )
    report = run_job(corpus, tmp_path / "api", batch_api.base_url)
    assert report.stats.ok == 7
    assert [v.mode for v in report.variants] == ["json_schema", "json_object"]
    manifest = json.loads((tmp_path / "api" / "batch-api" / "manifest.json").read_text())
    assert (
        manifest["variants"][-1]["mode"] == "json_object"
        and "json_schema" in manifest["variants"][-1]["reason"]
    )
    # the refused requests count as requests, as a live step-down does
    assert by_path(tmp_path / "api")["a00.txt"]["usage"]["requests"] == 2


def test_reask_live_sends_follow_ups_live(corpus: Path, tmp_path: Path, batch_api: FakeBatchAPI) -> None:
    overrides = {"context_tokens": CONTEXT_TOKENS}
    report = run_job(corpus, tmp_path / "api", batch_api.base_url, reask="live", settings=overrides)
    assert report.stats.ok == 7 and len(batch_api.batches) == 1  # round 1 in a batch, the rest live
    asked = [m["messages"][-1]["content"] for m in batch_api.chat_requests]
    assert len(asked) == 3 and sum("could not be used" in m for m in asked) == 1
    live = run_live(corpus, tmp_path / "live", **overrides)
    assert outputs(tmp_path / "api") == outputs(tmp_path / "live")
    assert report.stats.usage == live.usage
    again = run_job(corpus, tmp_path / "api", batch_api.base_url, reask="live", settings=overrides)
    assert again.stats.cached == 7 and len(batch_api.chat_requests) == 3


def test_a_list_on_stdin_serves_every_pass_of_a_wait(
    corpus: Path, tmp_path: Path, batch_api: FakeBatchAPI
) -> None:
    listing = io.StringIO("a00.txt\na01.txt\nsub/a02.txt\n")  # read once, like stdin
    report = run_job(corpus, tmp_path / "api", batch_api.base_url, config={"from_file": listing})
    assert report.stats.ok == 3 and not report.unfinished and len(batch_api.batches) == 2
    assert sorted(r["path"] for r in results(tmp_path / "api")) == ["a00.txt", "a01.txt", "sub/a02.txt"]
