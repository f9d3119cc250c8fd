"""The model inside the Ray job (`ray.data.llm`): our requests as processor rows, processor rows
back as completions, a replayed conversation equal to the live one, and a whole run through
Ray's own HTTP processor against the loopback server (what can be tested without a GPU)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from summarize.backends.base import Completion
from summarize.batch import BatchConfig, run_batch
from summarize.batch.ray_engine import RayOptions, run_on_ray
from summarize.batch.ray_engine.llm import (
    InJob,
    ProcessorModel,
    completion_of,
    http_postprocess,
    http_preprocess,
    http_row,
    replay,
    vllm_postprocess,
    vllm_row,
)
from summarize.config import Settings
from summarize.ingest import parse_document
from summarize.pipeline import Summarizer
from summarize.schemas import ArticleSummary
from summarize.testing import FakeBackend, FakeOpenAIServer, chat_completion, echo_responder
from tests.fakes import ARTICLE, draft_json, make_articles

SETTINGS = Settings(base_url="http://127.0.0.1:9/v1", model="fake-model")


def in_job_pipeline() -> Summarizer:
    return Summarizer.from_settings(SETTINGS, backend=ProcessorModel("fake-model"))


def back(postprocessed: dict[str, Any]) -> Completion:
    """The Completion a postprocessed row carries, as the rounds read it."""
    return completion_of(json.loads(postprocessed["completion"]))


def first_request(doc: Any) -> Any:
    asked = replay(in_job_pipeline(), doc, [])
    assert isinstance(asked, list) and len(asked) == 1
    return asked[0]


def test_a_vllm_row_carries_our_messages_and_schema_and_comes_back_as_a_completion() -> None:
    doc = parse_document(ARTICLE.encode(), "article.txt")
    request = first_request(doc)
    row = vllm_row(request, "fake-model")
    assert row["messages"] == [{"role": m.role, "content": m.content} for m in request.messages]
    params = row["sampling_params"]
    assert json.loads(params["structured_outputs"]["json"]) == request.schema
    assert (params["max_tokens"], params["temperature"]) == (request.max_tokens, request.temperature)
    out = {"generated_text": '{"a": 1}', "num_input_tokens": 900, "num_generated_tokens": 40}
    reply = back(vllm_postprocess({**row, **out, "rel": "a", "index": 0}))
    assert (reply.text, reply.finish_reason, reply.usage.prompt_tokens, reply.usage.requests) == (
        '{"a": 1}', "stop", 900, 1,
    )  # fmt: skip
    cut = {**out, "num_generated_tokens": request.max_tokens}
    assert back(vllm_postprocess({**row, **cut, "rel": "a", "index": 0})).finish_reason == "length"


def test_an_http_row_is_the_body_our_client_sends() -> None:
    doc = parse_document(ARTICLE.encode(), "article.txt")
    request = first_request(doc)
    payload = http_preprocess(http_row(request, "fake-model"))["payload"]
    assert payload["response_format"]["json_schema"]["schema"] == request.schema
    assert payload["model"] == "fake-model"
    body = chat_completion("{}", prompt_tokens=7, completion_tokens=3)
    reply = back(http_postprocess({"rel": "a", "index": 0, "http_response": body}))
    assert (reply.text, reply.usage.prompt_tokens, reply.usage.completion_tokens) == ("{}", 7, 3)


def test_a_replayed_conversation_gives_the_live_result() -> None:
    doc = parse_document(ARTICLE.encode(), "article.txt")
    fake = FakeBackend()
    fake.enqueue(draft_json())
    live = Summarizer.from_settings(SETTINGS, backend=fake).summarize(doc)
    asked = replay(in_job_pipeline(), doc, [])
    assert isinstance(asked, list) and asked == fake.requests
    reply = Completion(draft_json(), "stop", live.usage.model_copy())
    done = replay(in_job_pipeline(), doc, [[reply]])
    assert isinstance(done, ArticleSummary)
    assert done.model_dump() == live.model_dump()


@pytest.mark.slow
def test_a_run_through_rays_http_processor_matches_the_thread_engine(tmp_path: Path, local_ray: Any) -> None:
    from ray.data.llm import HttpRequestProcessorConfig

    root = tmp_path / "in"
    rels = make_articles(root, 12)
    with FakeOpenAIServer(responder=echo_responder) as server:
        settings = Settings(base_url=server.base_url, model="fake-model")
        run_batch(BatchConfig(root=root, outdir=tmp_path / "threads"), settings)
        url = f"{server.base_url}/chat/completions"
        config = HttpRequestProcessorConfig(url=url, concurrency=1, batch_size=4)
        in_job = InJob.http(config, "fake-model")
        options = RayOptions(str(root), str(tmp_path / "ray"), workers=1)
        stats = run_on_ray(BatchConfig(root=root, concurrency=2), settings, options, in_job=in_job)
        assert (stats.ok, stats.failed, len(server.requests)) == (12, 0, 24)
        # What Ray's HTTP stage sent is, body for body, what our client sent: schema included
        # (our client streams; Ray's stage reads whole replies, so the stream keys differ).
        unstreamed = [
            {k: v for k, v in b.items() if k not in ("stream", "stream_options")} for b in server.requests
        ]
        bodies = [json.dumps(b, sort_keys=True) for b in unstreamed]
        assert sorted(bodies[12:]) == sorted(bodies[:12])
        again = run_on_ray(BatchConfig(root=root, concurrency=2), settings, options, in_job=in_job)
        assert (again.cached, len(server.requests)) == (12, 24)
    for rel in rels:
        ray_json = json.loads((tmp_path / "ray" / f"{rel}.json").read_text())
        assert ray_json == json.loads((tmp_path / "threads" / f"{rel}.json").read_text())
