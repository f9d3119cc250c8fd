"""summarize.batch.jobs: line formats, shards, the job state machine, recovery, faults."""

from __future__ import annotations

import json
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
from pydantic import TypeAdapter

from summarize.batch.jobs import (
    STEPS,
    BatchJob,
    LineError,
    RequestLine,
    ShardLimits,
    estimate_tokens,
    parse_output_line,
)
from summarize.batch.jobs.outputs import Journal
from summarize.batch.provider.view import JobLookup
from summarize.draft.retry import RetryPolicy
from summarize.errors import BatchJobError, ModelHTTPError, UserError
from summarize.testing import Reply, echo_responder
from summarize.testing.batch_api import BatchPlan, FakeBatchAPI
from tests.kill_switch import run_child
from tests.vllm_lines import vllm_engine_error, vllm_exception, vllm_success

FAST = RetryPolicy(max_retries=4, budget_seconds=60, initial=0.001, maximum=0.002)
SCHEMA = {"type": "object", "properties": {"summary": {"type": "string"}}, "required": ["summary"]}


def body(i: int) -> dict[str, Any]:
    return {
        "model": "gpt-4o-mini",
        "messages": [
            {"role": "system", "content": "You summarize news articles."},
            {
                "role": "user",
                "content": f"<article>\nArticle {i} reports that prices rose. More.\n</article>",
            },
        ],
        "temperature": 0.0,
        "max_tokens": 512,
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "article_summary", "schema": SCHEMA, "strict": True},
        },
    }


def make_lines(n: int, prefix: str = "a") -> list[RequestLine]:
    return [RequestLine(f"{prefix}{i:04d}", body(i)) for i in range(n)]


@pytest.fixture
def fake() -> Iterator[FakeBatchAPI]:
    with FakeBatchAPI(responder=echo_responder) as api:
        yield api


def open_job(folder: Path, fake: FakeBatchAPI | None, **kw: Any) -> BatchJob:
    client = openai.OpenAI(base_url=fake.base_url, api_key="x", max_retries=0) if fake else None
    kw.setdefault("policy", FAST)
    kw.setdefault("sleep", lambda s: None)
    return BatchJob.open(folder, client, **kw)


def run_to_end(job: BatchJob) -> list[tuple[str, dict[str, Any] | None, LineError | None]]:
    job.wait(0.0, sleep=lambda s: None)
    return [(item.custom_id, item.body, item.error) for item in job.collect()]


# --- line formats --------------------------------------------------------------------------


def test_request_lines_match_the_openai_sdk_types() -> None:
    from openai.types.chat import completion_create_params

    params = completion_create_params.CompletionCreateParamsNonStreaming
    allowed = set(typing.get_type_hints(params))
    line = json.loads(make_lines(1)[0].encode())
    assert list(line) == ["custom_id", "method", "url", "body"]
    assert line["method"] == "POST" and line["url"] == "/v1/chat/completions"
    assert set(line["body"]) <= allowed  # TypedDicts ignore unknown keys, so check them here
    validated = TypeAdapter(params).validate_python(line["body"])
    assert [m["role"] for m in validated["messages"]] == ["system", "user"]  # Iterable: validated lazily


def test_batch_create_calls_match_the_openai_sdk_types(fake: FakeBatchAPI, tmp_path: Path) -> None:
    from openai.types import batch_create_params

    with open_job(tmp_path, fake) as job:
        job.submit(make_lines(2))
    sent = fake.create_params[0]
    TypeAdapter(batch_create_params.BatchCreateParams).validate_python(sent)
    assert sent["endpoint"] == "/v1/chat/completions" and sent["completion_window"] == "24h"
    assert sent["metadata"] == {
        "summarize_job": job.job_id,
        "shard": "requests-00001.jsonl",
        "sha256": job.manifest.shards[0].sha256,
    }


def test_custom_ids_must_name_a_request() -> None:
    for bad in ("", "x" * 513):
        with pytest.raises(ValueError):
            RequestLine(bad, body(0)).encode()


def test_openai_output_and_error_lines() -> None:
    ok = parse_output_line(
        json.dumps(
            {
                "id": "batch_req_1",
                "custom_id": "a",
                "response": {
                    "status_code": 200,
                    "request_id": "req_1",
                    "body": {"object": "chat.completion"},
                },
                "error": None,
            }
        )
    )
    assert ok.custom_id == "a" and ok.body == {"object": "chat.completion"} and ok.error is None
    failed = parse_output_line(
        '{"id": "x", "custom_id": "b", "response": {"status_code": 429, "request_id": "r", "body": '
        '{"error": {"message": "Rate limit", "type": "rate_limit_error", "code": "rate_limit_exceeded"}}}, '
        '"error": null}'
    )
    assert failed.error == LineError("rate_limit_exceeded", "Rate limit", 429) and not failed.error.not_run
    expired = parse_output_line(
        '{"id": "x", "custom_id": "c", "response": null, '
        '"error": {"code": "batch_expired", "message": "late"}}'
    )
    assert expired.body is None and expired.error is not None and expired.error.not_run
    with pytest.raises(ValueError):
        parse_output_line('{"id": "x", "response": null, "error": null}')


def test_vllm_output_lines_as_run_batch_writes_them() -> None:
    ok = parse_output_line(vllm_success("a", '{"summary": "x"}'))
    assert ok.error is None and ok.body is not None
    assert ok.body["choices"][0]["message"]["content"] == '{"summary": "x"}'
    assert ok.body["usage"]["prompt_tokens"] == 120 and ok.body["prompt_logprobs"] is None
    engine = parse_output_line(vllm_engine_error("b"))
    assert engine.error == LineError("BadRequestError", "max_tokens is too large", 400)
    flat = parse_output_line(vllm_engine_error("b", flat=True))
    assert flat.error == LineError("BadRequestError", "max_tokens is too large", 400)
    crashed = parse_output_line(vllm_exception("c"))
    assert crashed.error == LineError("http_400", "Request must not be sent in stream mode", 400)


def test_vllm_output_file_is_collected_once_and_strangers_are_reported(tmp_path: Path) -> None:
    with open_job(
        tmp_path / "job", None, requests_dir=tmp_path / "requests", limits=ShardLimits(max_lines=3)
    ) as job:
        names = job.write(make_lines(5))
        assert names == ["requests-00001.jsonl", "requests-00002.jsonl"]
        assert sorted(p.name for p in (tmp_path / "requests").iterdir()) == names
        out = tmp_path / "out-0001.jsonl"
        rows = [vllm_success(f"a{i:04d}", "{}") for i in range(4)] + [vllm_exception("a0004")]
        rows += [vllm_success("stranger", "{}"), "not json at all"]
        out.write_text("\n".join(rows) + "\n")
        assert job.add_output(out) == job.add_output(out) == "external-00001.jsonl"
        got = [(i.custom_id, i.error is None) for i in job.collect()]
        assert got == [("a0000", True), ("a0001", True), ("a0002", True), ("a0003", True), ("a0004", False)]
        assert job.state().unmatched == 2 and "stranger" in job.manifest.unmatched[0].reason
        assert list(job.collect()) == []


# --- shards --------------------------------------------------------------------------------


def shard_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((folder / "requests").iterdir())}


def test_shards_respect_line_byte_and_token_limits(tmp_path: Path) -> None:
    size = len(make_lines(1)[0].encode())
    tokens = estimate_tokens(body(0))
    cases = [
        (ShardLimits(max_lines=3), [3, 3, 1]),
        (ShardLimits(max_bytes=size * 2 + 5), [2, 2, 2, 1]),
        (ShardLimits(max_tokens=tokens * 4 + 1), [4, 3]),
    ]
    for n, (limits, sizes) in enumerate(cases):
        with open_job(tmp_path / str(n), None, limits=limits) as job:
            job.write(make_lines(7))
            assert [s.lines for s in job.manifest.shards] == sizes
            for record in job.manifest.shards:
                data = (tmp_path / str(n) / "requests" / record.name).read_bytes()
                assert len(data) == record.bytes <= limits.max_bytes
                assert record.tokens <= (limits.max_tokens or record.tokens)


def test_shards_are_deterministic_and_writing_is_idempotent(tmp_path: Path) -> None:
    for name in ("one", "two"):
        with open_job(tmp_path / name, None, limits=ShardLimits(max_lines=4)) as job:
            job.write(make_lines(10))
            assert job.write(make_lines(10)) == []
            assert job.write(make_lines(12)) == ["requests-00004.jsonl"]
    assert shard_bytes(tmp_path / "one") == shard_bytes(tmp_path / "two")


def test_a_request_larger_than_the_limits_is_refused(tmp_path: Path) -> None:
    with (
        open_job(tmp_path, None, limits=ShardLimits(max_tokens=5)) as job,
        pytest.raises(UserError, match="tokens"),
    ):
        job.write(make_lines(1))
    assert not list((tmp_path / "requests").glob("*.jsonl"))


def test_limits_above_the_providers_are_refused() -> None:
    with pytest.raises(UserError):
        ShardLimits(max_lines=50_001)


def test_shard_files_left_unrecorded_by_a_crash_are_removed(tmp_path: Path) -> None:
    class Crash(BaseException):
        pass

    def crash(step: str) -> None:
        if step == "shard-written":
            raise Crash

    with (
        pytest.raises(Crash),
        open_job(tmp_path, None, on_step=crash, limits=ShardLimits(max_lines=2)) as job,
    ):
        job.write(make_lines(3))
    assert (tmp_path / "requests" / "requests-00001.jsonl").exists()
    with open_job(tmp_path, None, limits=ShardLimits(max_lines=2)) as job:
        assert not (tmp_path / "requests" / "requests-00001.jsonl").exists()
        assert job.write(make_lines(3)) == ["requests-00001.jsonl", "requests-00002.jsonl"]


# --- the job -------------------------------------------------------------------------------


def test_a_job_runs_every_request_once(fake: FakeBatchAPI, tmp_path: Path) -> None:
    with open_job(tmp_path, fake, limits=ShardLimits(max_lines=4)) as job:
        job.submit(make_lines(10))
        results = run_to_end(job)
        assert sorted(r[0] for r in results) == [f"a{i:04d}" for i in range(10)]
        body0 = next(r[1] for r in results if r[0] == "a0000")
        assert body0 is not None and json.loads(body0["choices"][0]["message"]["content"])["summary"]
        state = job.state()
        assert state.done and state.finished_lines == 10 and state.not_run == 0
        assert [b.status for b in state.batches] == ["completed"] * 3
        downloads = fake.calls["GET /v1/files/{id}/content"]
        job.poll()
        assert fake.calls["GET /v1/files/{id}/content"] == downloads  # downloads happen once
        assert list(job.collect()) == [] and job.submit(make_lines(10)) == []
    assert fake.batches_per_shard() == {f"requests-0000{i}.jsonl": 1 for i in (1, 2, 3)}


def test_a_finished_batch_is_settled_only_once_its_files_are_attached(
    fake: FakeBatchAPI, tmp_path: Path
) -> None:
    fake.plan = BatchPlan(outcome="expired", finished=2, files_late=2)
    with open_job(tmp_path, fake) as job:
        job.submit(make_lines(4))
        assert [r[0] for r in run_to_end(job)] == ["a0000", "a0001"]
        assert job.manifest.shards[0].file_waits == 2
        assert [x.custom_id for x in job.pending_resubmit()] == ["a0002", "a0003"]


def test_slow_validation_is_polled_through(fake: FakeBatchAPI, tmp_path: Path) -> None:
    fake.plan = BatchPlan(validating=4)
    with open_job(tmp_path, fake) as job:
        job.submit(make_lines(2))
        statuses = [job.poll().batches[0].status for _ in range(7)]
        assert statuses == ["validating"] * 4 + ["in_progress", "finalizing", "completed"]


def test_a_failed_batch_leaves_every_request_to_resubmit(fake: FakeBatchAPI, tmp_path: Path) -> None:
    fake.plans.append(BatchPlan(outcome="failed"))
    with open_job(tmp_path, fake) as job:
        job.submit(make_lines(3))
        assert run_to_end(job) == []
        left = job.pending_resubmit()
        assert [x.custom_id for x in left] == ["a0000", "a0001", "a0002"]
        assert left[0].reason.startswith("failed: token_limit_exceeded")
        assert job.manifest.shards[0].batch_errors[0]["code"] == "token_limit_exceeded"
        assert job.resubmit() == ["requests-00002.jsonl"]
        assert job.manifest.shards[1].resubmit_of == ["requests-00001.jsonl"]
        fake.plans.append(BatchPlan(outcome="failed"))
        job.launch()
        assert run_to_end(job) == []
        assert {x.attempts for x in job.pending_resubmit()} == {2}  # the caller bounds the rounds
        job.resubmit()
        job.launch()
        assert sorted(r[0] for r in run_to_end(job)) == ["a0000", "a0001", "a0002"]
        assert job.pending_resubmit() == []


def test_the_replay_is_told_why_a_batch_ended_as_pending_resubmit_says(
    fake: FakeBatchAPI, tmp_path: Path
) -> None:
    fake.plans.append(BatchPlan(outcome="failed"))
    with open_job(tmp_path, fake) as job:
        job.submit(make_lines(2))
        run_to_end(job)
        job.write(make_lines(1, prefix="b"))
        job.cancel()
        reasons = {x.shard: x.reason for x in job.pending_resubmit()}
        lookup = JobLookup(job)
        assert {shard: lookup.closed(shard) for shard in reasons} == {
            s: f"batch {r}" for s, r in reasons.items()
        }
        assert reasons["requests-00002.jsonl"] == "withheld"
        assert reasons["requests-00001.jsonl"].startswith("failed: token_limit_exceeded")


@pytest.mark.parametrize("listed", [True, False], ids=["expired-listed", "expired-absent"])
def test_expiry_keeps_finished_lines_and_resubmits_the_rest(
    fake: FakeBatchAPI, tmp_path: Path, listed: bool
) -> None:
    fake.plans.append(BatchPlan(outcome="expired", finished=2, expired_in_error_file=listed))
    with open_job(tmp_path, fake) as job:
        job.submit(make_lines(5))
        assert [r[0] for r in run_to_end(job)] == ["a0000", "a0001"]
        assert job.state().batches[0].status == "expired"
        assert [(x.custom_id, x.reason) for x in job.pending_resubmit()] == [
            ("a0002", "expired"),
            ("a0003", "expired"),
            ("a0004", "expired"),
        ]
        job.resubmit()
        job.launch()
        assert [r[0] for r in run_to_end(job)] == ["a0002", "a0003", "a0004"]
        assert job.pending_resubmit() == []
    assert fake.batches_per_shard() == {"requests-00001.jsonl": 1, "requests-00002.jsonl": 1}


def test_per_line_errors_and_a_completed_batch_with_only_an_error_file(
    fake: FakeBatchAPI, tmp_path: Path
) -> None:
    def fails(custom_id: str, body: dict[str, Any]) -> Reply | None:
        if custom_id == "a0001" or custom_id.startswith("b"):
            return Reply(500, {"error": {"message": "boom", "type": "server_error", "code": None}})
        return None

    fake.plan = BatchPlan(line_error=fails)
    with open_job(tmp_path, fake, limits=ShardLimits(max_lines=3)) as job:
        job.submit(make_lines(3) + make_lines(2, prefix="b"))
        results = {r[0]: r for r in run_to_end(job)}
        assert len(results) == 5 and results["a0000"][2] is None
        assert results["a0001"][1] is None and results["a0001"][2] == LineError("server_error", "boom", 500)
        only_errors = job.manifest.shards[1]
        assert only_errors.status == "completed" and only_errors.output_file_id is None
        assert only_errors.settled is not None and only_errors.settled.errors == 2
        assert job.pending_resubmit() == []
        # A request that failed can be sent again; its new result is handed out too.
        job.resubmit(["a0001"])
        fake.plan = BatchPlan()
        job.launch()
        assert [(r[0], r[2]) for r in run_to_end(job)] == [("a0001", None)]


def test_cancel_cancels_open_batches_and_withholds_queued_ones(fake: FakeBatchAPI, tmp_path: Path) -> None:
    fake.plan = BatchPlan(in_progress=10, cancelling=2, finished=1)
    limits = ShardLimits(max_lines=2, max_tokens=estimate_tokens(body(0)) * 2 + 1)
    with open_job(tmp_path, fake, limits=limits) as job:
        job.submit(make_lines(4))
        job.poll()
        assert [b.phase for b in job.state().batches] == ["created", "written"]  # the cap holds one
        assert job.cancel() == [job.manifest.shards[0].batch_id]
        assert job.state().batches[0].status == "cancelling"
        assert job.cancel() == []
        assert [r[0] for r in run_to_end(job)] == ["a0000"]
        assert [(b.phase, b.status) for b in job.state().batches] == [
            ("finished", "cancelled"),
            ("withheld", None),
        ]
        assert [(x.custom_id, x.reason) for x in job.pending_resubmit()] == [
            ("a0001", "cancelled"),
            ("a0002", "withheld"),
            ("a0003", "withheld"),
        ]
    assert fake.batches_per_shard() == {"requests-00001.jsonl": 1}


def test_the_enqueued_token_cap_holds_shards_back_until_batches_finish(
    fake: FakeBatchAPI, tmp_path: Path
) -> None:
    limits = ShardLimits(max_lines=2, max_tokens=estimate_tokens(body(0)) * 4 + 1)
    with open_job(tmp_path, fake, limits=limits) as job:
        job.submit(make_lines(8))
        assert [b.phase for b in job.state().batches] == ["created", "created", "written", "written"]
        assert job.state().queued == 2 and job.state().open == 2 and job.state().waiting_lines == 8
        open_most = 0
        while not job.state().done:
            job.poll()
            open_most = max(open_most, sum(1 for r in job.manifest.shards if r.open))
        assert open_most == 2 and len(run_to_end(job)) == 8


# --- recovery ------------------------------------------------------------------------------


class Crash(BaseException):
    """Stands for the process dying at a step (the subprocess tests do it with kill -9)."""


def crash_at(target: str) -> Any:
    def on_step(step: str) -> None:
        if step == target:
            raise Crash(step)

    return on_step


@pytest.mark.parametrize("step", ["before-upload", "after-upload", "before-create", "after-create"])
def test_a_crash_around_a_remote_step_never_makes_a_second_file_or_batch(
    fake: FakeBatchAPI, tmp_path: Path, step: str
) -> None:
    with pytest.raises(Crash), open_job(tmp_path, fake, on_step=crash_at(step)) as job:
        job.submit(make_lines(3))
    with open_job(tmp_path, fake) as job:
        job.submit(make_lines(3))
        assert len(run_to_end(job)) == 3
    uploads = [f for f in fake.files.values() if f["purpose"] == "batch"]
    assert len(uploads) == 1 and fake.batches_per_shard() == {"requests-00001.jsonl": 1}


def test_an_ambiguous_fault_on_create_is_resolved_by_the_batch_metadata(
    fake: FakeBatchAPI, tmp_path: Path
) -> None:
    fake.fail("POST /v1/batches", Reply(502, {"error": {"message": "bad gateway"}}), after=True)
    fake.fail("POST /v1/files", Reply(0, drop=True), after=True)
    with open_job(tmp_path, fake) as job:
        job.submit(make_lines(2))
        assert len(run_to_end(job)) == 2
    assert fake.calls["POST /v1/batches"] == 1 and fake.batches_per_shard() == {"requests-00001.jsonl": 1}
    assert len([f for f in fake.files.values() if f["purpose"] == "batch"]) == 1


def test_finding_a_batch_pages_through_the_listing(fake: FakeBatchAPI, tmp_path: Path) -> None:
    with pytest.raises(Crash), open_job(tmp_path, fake, on_step=crash_at("after-create")) as job:
        job.submit(make_lines(1))
    others = fake.add_file("other.jsonl", make_lines(1)[0].encode(), "batch")["id"]
    client = openai.OpenAI(base_url=fake.base_url, api_key="x", max_retries=0)
    for i in range(230):
        client.batches.create(
            input_file_id=others,
            endpoint="/v1/chat/completions",
            completion_window="24h",
            metadata={"n": str(i)},
        )
    with open_job(tmp_path, fake) as job:
        job.launch()
        assert job.manifest.shards[0].batch_id == "batch_000001"
    assert fake.calls["GET /v1/batches"] == 3 and fake.batches_per_shard()["requests-00001.jsonl"] == 1


def test_transport_faults_on_control_calls_are_retried_and_retry_after_honoured(
    fake: FakeBatchAPI, tmp_path: Path
) -> None:
    waits: list[float] = []
    fake.fail("POST /v1/files", Reply(503, {"error": {"message": "busy"}}))
    fake.fail("GET /v1/batches/*", Reply(429, {"error": {"message": "slow"}}, headers={"retry-after": "7"}))
    fake.fail("GET /v1/files/*/content", Reply(500, {"error": {"message": "oops"}}), Reply(0, drop=True))
    with open_job(tmp_path, fake, sleep=waits.append) as job:
        job.submit(make_lines(2))
        assert len(run_to_end(job)) == 2
    assert 7.0 in waits and len(waits) == 4


def test_a_refused_create_is_an_error_and_nothing_is_left_half_done(
    fake: FakeBatchAPI, tmp_path: Path
) -> None:
    fake.fail("POST /v1/batches", Reply(400, {"error": {"message": "bad file"}}))
    with open_job(tmp_path, fake) as job:
        with pytest.raises(ModelHTTPError, match="HTTP 400"):
            job.submit(make_lines(2))
        assert job.manifest.shards[0].phase == "uploaded"
        job.launch()
        assert len(run_to_end(job)) == 2
    assert len([f for f in fake.files.values() if f["purpose"] == "batch"]) == 1


def test_collection_resumes_after_the_last_result_taken(fake: FakeBatchAPI, tmp_path: Path) -> None:
    with open_job(tmp_path, fake) as job:
        job.submit(make_lines(5))
        job.wait(0.0, sleep=lambda s: None)
        taken = []
        for item in job.collect():
            taken.append(item.custom_id)
            if len(taken) == 3:
                break  # the third is in hand: it is handed out again next time
    with open_job(tmp_path, fake) as job:
        again = [item.custom_id for item in job.collect()]
    assert taken == ["a0000", "a0001", "a0002"] and again == ["a0002", "a0003", "a0004"]


def test_the_journal_cuts_a_torn_last_line(tmp_path: Path) -> None:
    path = tmp_path / "j.done"
    path.write_bytes(b'"a"\n"b"\n"c')
    journal = Journal(path)
    assert journal.done == {"a", "b"}
    journal.add("d")
    journal.close()
    assert path.read_bytes() == b'"a"\n"b"\n"d"\n'


def test_one_process_at_a_time_and_a_damaged_manifest_is_refused(tmp_path: Path) -> None:
    with open_job(tmp_path, None), pytest.raises(BatchJobError, match="another summarize run"):
        open_job(tmp_path, None)
    (tmp_path / "manifest.json").write_text('{"format": 1, "shards": "nope"}')
    with pytest.raises(BatchJobError, match="damaged"):
        open_job(tmp_path, None)


def test_a_manifest_of_an_older_version_with_fields_since_dropped_still_loads(tmp_path: Path) -> None:
    with open_job(tmp_path, None) as job:
        job.write(make_lines(2))
        job_id = job.job_id
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    manifest |= {"endpoint": "/v1/chat/completions", "completion_window": "24h"}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with open_job(tmp_path, None) as job:
        assert job.job_id == job_id and [r.name for r in job.manifest.shards] == ["requests-00001.jsonl"]


def test_the_batch_api_needs_a_client(tmp_path: Path) -> None:
    with open_job(tmp_path, None) as job, pytest.raises(UserError, match="Batch API"):
        job.submit(make_lines(1))


# --- kill -9 at every phase ----------------------------------------------------------------

CHILD = Path(__file__).with_name("batch_job_child.py")
KILL_POINTS = [
    "shard-written:3",  # building shards
    "shard-recorded:2",
    "before-upload:2",
    "after-upload:2",  # uploaded, id not recorded
    "before-create:3",
    "after-create:2",  # created, id not recorded
    "polled:9",  # while polling
    "downloaded:4",
    "collected:11",  # while collecting the first round
    "shard-recorded:9",  # writing the second round
    "collected:33",  # collecting the second round
]


def run_job_child(folder: Path, fake: FakeBatchAPI, consumer: Path, kill_at: str | None) -> int:
    return run_child(str(CHILD), [str(folder), fake.base_url, str(consumer)], kill_at)


@pytest.mark.slow
@pytest.mark.parametrize("kill_at", KILL_POINTS)
def test_kill_9_at_every_phase_then_one_complete_run(
    fake: FakeBatchAPI, tmp_path: Path, kill_at: str
) -> None:
    fake.plans.append(BatchPlan(outcome="expired", finished=1))  # the first batch leaves work to resubmit
    consumer = tmp_path / "results.jsonl"
    assert run_job_child(tmp_path / "job", fake, consumer, kill_at) == -9
    assert run_job_child(tmp_path / "job", fake, consumer, None) == 0
    seen = [json.loads(line)["custom_id"] for line in consumer.read_text().splitlines()]
    drafts = [f"article-{i:03d}:draft" for i in range(25)]
    reasks = [f"article-{i:03d}:reask" for i in range(0, 25, 2)]
    assert sorted(seen) == sorted(drafts + reasks)  # each exactly once
    shards = sorted((tmp_path / "job" / "requests").glob("*.jsonl"))
    per_shard = fake.batches_per_shard()
    assert sorted(per_shard) == [p.name for p in shards] and set(per_shard.values()) == {1}
    assert len([f for f in fake.files.values() if f["purpose"] == "batch"]) == len(shards)


def test_steps_are_named_for_the_kill_points() -> None:
    assert {point.split(":")[0] for point in KILL_POINTS} <= set(STEPS)
