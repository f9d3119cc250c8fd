"""The fake Files + Batches API, driven through the real openai SDK."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import openai
import pytest

from summarize.testing import Reply, echo_responder
from summarize.testing.batch_api import BatchPlan, FakeBatchAPI


@pytest.fixture
def fake() -> Iterator[FakeBatchAPI]:
    with FakeBatchAPI(responder=echo_responder) as api:
        yield api


def client_for(fake: FakeBatchAPI) -> openai.OpenAI:
    return openai.OpenAI(base_url=fake.base_url, api_key="x", max_retries=0)


def request_file(n: int, prefix: str = "r") -> bytes:
    lines = []
    for i in range(n):
        body = {
            "model": "m",
            "messages": [{"role": "user", "content": f"<article>\nStory {i} is short. Yes.\n</article>"}],
        }
        lines.append(
            json.dumps(
                {"custom_id": f"{prefix}{i}", "method": "POST", "url": "/v1/chat/completions", "body": body}
            )
        )
    return ("\n".join(lines) + "\n").encode()


def start(client: openai.OpenAI, data: bytes, **metadata: str) -> str:
    uploaded = client.files.create(file=("in.jsonl", io.BytesIO(data), "application/jsonl"), purpose="batch")
    batch = client.batches.create(
        input_file_id=uploaded.id,
        endpoint="/v1/chat/completions",
        completion_window="24h",
        metadata=metadata or None,
    )
    return batch.id


def walk(client: openai.OpenAI, batch_id: str, limit: int = 20) -> list[str]:
    seen: list[str] = []
    for _ in range(limit):
        batch = client.batches.retrieve(batch_id)
        seen.append(batch.status)
        if batch.status in ("completed", "failed", "expired", "cancelled"):
            break
    return seen


def lines_of(client: openai.OpenAI, file_id: str | None) -> list[dict[str, Any]]:
    if file_id is None:
        return []
    return [json.loads(line) for line in client.files.content(file_id).text.splitlines()]


def test_upload_retrieve_and_content_round_trip(fake: FakeBatchAPI) -> None:
    client = client_for(fake)
    data = request_file(3)
    uploaded = client.files.create(file=("in.jsonl", io.BytesIO(data), "application/jsonl"), purpose="batch")
    assert uploaded.purpose == "batch" and uploaded.bytes == len(data) and uploaded.filename == "in.jsonl"
    assert client.files.retrieve(uploaded.id).id == uploaded.id
    assert client.files.content(uploaded.id).content == data
    listed = client.files.list(purpose="batch")
    assert [f.id for f in listed.data] == [uploaded.id]


def test_a_batch_walks_to_completed_with_one_output_line_per_request(fake: FakeBatchAPI) -> None:
    client = client_for(fake)
    batch_id = start(client, request_file(4), summarize_job="j1", shard="s1")
    assert walk(client, batch_id) == ["validating", "in_progress", "finalizing", "completed"]
    batch = client.batches.retrieve(batch_id)
    assert batch.request_counts is not None and batch.request_counts.completed == 4
    assert batch.error_file_id is None and batch.metadata == {"summarize_job": "j1", "shard": "s1"}
    out = lines_of(client, batch.output_file_id)
    assert [line["custom_id"] for line in out] == ["r0", "r1", "r2", "r3"]
    body = out[0]["response"]["body"]
    assert out[0]["response"]["status_code"] == 200 and out[0]["error"] is None
    assert json.loads(body["choices"][0]["message"]["content"])["summary"] == "Story 0 is short."
    assert fake.batches_per_shard() == {"s1": 1}


def test_slow_validation_and_manual_advance() -> None:
    with FakeBatchAPI(plan=BatchPlan(validating=3), auto_advance=False) as fake:
        client = client_for(fake)
        batch_id = start(client, request_file(1))
        assert [client.batches.retrieve(batch_id).status for _ in range(3)] == ["validating"] * 3
        for _ in range(3):
            fake.advance(batch_id)
        assert client.batches.retrieve(batch_id).status == "in_progress"


def test_failed_batch_reports_its_errors() -> None:
    with FakeBatchAPI(plan=BatchPlan(outcome="failed")) as fake:
        client = client_for(fake)
        batch_id = start(client, request_file(2))
        assert walk(client, batch_id)[-1] == "failed"
        batch = client.batches.retrieve(batch_id)
        assert batch.errors is not None and batch.errors.data
        assert batch.errors.data[0].code == "token_limit_exceeded"
        assert batch.output_file_id is None and batch.error_file_id is None


def test_invalid_input_lines_fail_validation_with_line_numbers(fake: FakeBatchAPI) -> None:
    client = client_for(fake)
    data = (
        request_file(2)
        + b'{"custom_id": "r0", "method": "POST", "url": "/v1/chat/completions", "body": {}}\n'
    )
    batch_id = start(client, data + b"not json\n")
    assert walk(client, batch_id)[-1] == "failed"
    errors = client.batches.retrieve(batch_id).errors
    assert errors is not None and errors.data is not None
    assert [(e.code, e.line) for e in errors.data] == [("duplicate_custom_id", 3), ("invalid_request", 4)]


def test_expiry_keeps_the_finished_lines_and_lists_the_rest_as_expired() -> None:
    with FakeBatchAPI(plan=BatchPlan(outcome="expired", finished=3)) as fake:
        client = client_for(fake)
        batch_id = start(client, request_file(5))
        assert walk(client, batch_id) == ["validating", "in_progress", "expired"]
        batch = client.batches.retrieve(batch_id)
        assert [x["custom_id"] for x in lines_of(client, batch.output_file_id)] == ["r0", "r1", "r2"]
        errors = lines_of(client, batch.error_file_id)
        assert [(x["custom_id"], x["error"]["code"], x["response"]) for x in errors] == [
            ("r3", "batch_expired", None),
            ("r4", "batch_expired", None),
        ]


def test_per_line_errors_go_to_the_error_file_and_all_errors_means_no_output_file() -> None:
    def odd_fails(custom_id: str, body: dict[str, Any]) -> Reply | None:
        return (
            Reply(500, {"error": {"message": "boom", "type": "server_error"}})
            if custom_id in "r1r3"
            else None
        )

    def all_fail(custom_id: str, body: dict[str, Any]) -> Reply | None:
        return Reply(400, {"error": {"message": "bad", "type": "invalid_request_error", "code": "bad"}})

    with FakeBatchAPI() as fake:
        fake.plans.extend([BatchPlan(line_error=odd_fails), BatchPlan(line_error=all_fail)])
        client = client_for(fake)
        mixed, errors_only = start(client, request_file(4)), start(client, request_file(2))
        walk(client, mixed), walk(client, errors_only)
        batch = client.batches.retrieve(mixed)
        assert [x["custom_id"] for x in lines_of(client, batch.output_file_id)] == ["r0", "r2"]
        failed = lines_of(client, batch.error_file_id)
        assert [(x["custom_id"], x["response"]["status_code"]) for x in failed] == [("r1", 500), ("r3", 500)]
        only = client.batches.retrieve(errors_only)
        assert only.status == "completed" and only.output_file_id is None and only.error_file_id


def test_cancel_goes_through_cancelling_and_keeps_partial_output(fake: FakeBatchAPI) -> None:
    fake.plan = BatchPlan(in_progress=5, cancelling=2, finished=1)
    client = client_for(fake)
    batch_id = start(client, request_file(3))
    assert walk(client, batch_id, limit=2) == ["validating", "in_progress"]
    assert client.batches.cancel(batch_id).status == "cancelling"
    assert walk(client, batch_id) == ["cancelling", "cancelling", "cancelled"]
    batch = client.batches.retrieve(batch_id)
    assert [x["custom_id"] for x in lines_of(client, batch.output_file_id)] == ["r0"]
    assert {x["error"]["code"] for x in lines_of(client, batch.error_file_id)} == {"batch_cancelled"}
    with pytest.raises(openai.BadRequestError):
        client.batches.cancel(batch_id)


def test_list_is_newest_first_and_paginates_with_after(fake: FakeBatchAPI) -> None:
    client = client_for(fake)
    ids = [start(client, request_file(1), shard=f"s{i}") for i in range(5)]
    first = client.batches.list(limit=2)
    assert [b.id for b in first.data] == ids[::-1][:2] and first.has_more
    everything = [b.id for b in client.batches.list(limit=2)]  # the SDK follows `after`
    assert everything == ids[::-1]
    assert client.batches.list(limit=2, after=ids[1]).data[0].id == ids[0]
    assert fake.calls["GET /v1/batches"] == 1 + 3 + 1  # one page, three pages of 2-2-1, one page


def test_scripted_faults_on_control_calls(fake: FakeBatchAPI) -> None:
    client = client_for(fake)
    fake.fail("POST /v1/files", Reply(503, {"error": {"message": "busy"}}))
    fake.fail(
        "GET /v1/batches/*", Reply(429, {"error": {"message": "slow down"}}, headers={"retry-after": "7"})
    )
    with pytest.raises(openai.InternalServerError):
        client.files.create(
            file=("a.jsonl", io.BytesIO(request_file(1)), "application/jsonl"), purpose="batch"
        )
    batch_id = start(client, request_file(1))
    with pytest.raises(openai.RateLimitError) as caught:
        client.batches.retrieve(batch_id)
    assert caught.value.response.headers["retry-after"] == "7"
    assert client.batches.retrieve(batch_id).status == "validating"


def test_a_fault_after_acting_leaves_the_batch_made(fake: FakeBatchAPI) -> None:
    client = client_for(fake)
    fake.fail("POST /v1/batches", Reply(500, {"error": {"message": "lost"}}), after=True)
    with pytest.raises(openai.InternalServerError):
        start(client, request_file(1), shard="s1")
    assert fake.batches_per_shard() == {"s1": 1}
    assert fake.create_params[0]["metadata"] == {"shard": "s1"}


def test_create_refuses_what_openai_refuses(fake: FakeBatchAPI) -> None:
    client = client_for(fake)
    with pytest.raises(openai.BadRequestError):
        client.batches.create(
            input_file_id="file-nope", endpoint="/v1/chat/completions", completion_window="24h"
        )
    uploaded = client.files.create(
        file=("a.jsonl", io.BytesIO(request_file(1)), "application/jsonl"), purpose="batch"
    )
    with pytest.raises(openai.BadRequestError):
        client.batches.create(
            input_file_id=uploaded.id,
            endpoint="/v1/chat/completions",
            completion_window="24h",
            metadata={"k": "v" * 513},
        )


def test_scripted_replies_can_cut_a_body_short_as_on_the_chat_server(fake: FakeBatchAPI) -> None:
    client = client_for(fake)
    uploaded = client.files.create(
        file=("in.jsonl", io.BytesIO(request_file(2)), "application/jsonl"), purpose="batch"
    )
    fake.fail("GET /v1/files/*/content", Reply(200, "x" * 100, content_type="application/jsonl", truncate=10))
    with pytest.raises(openai.APIConnectionError):
        client.files.content(uploaded.id)
    assert client.files.content(uploaded.id).content == request_file(2)
