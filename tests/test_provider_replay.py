"""summarize.batch.provider's parts: custom_ids, the reply store, body variants, the replay."""

from __future__ import annotations

import json
from pathlib import Path

from summarize.backends.base import Completion, Message, Request
from summarize.batch.jobs import LineError
from summarize.batch.jobs.manifest import Manifest
from summarize.batch.provider.bodies import Bodies, checked, failure, retryable
from summarize.batch.provider.replay import Policy, Replay
from summarize.batch.provider.replies import LIVE, Replies, Reply, ReplyStore, article_id, custom_id
from summarize.draft.conversation import Conversation, ask
from summarize.errors import BatchJobError, ContextLengthError, ModelHTTPError, SummarizeError
from summarize.schemas import Usage
from summarize.testing import chat_completion

SCHEMA = {"type": "object", "properties": {"summary": {"type": "string"}}}


def request(text: str) -> Request:
    return Request(messages=(Message("user", text),), schema=SCHEMA, max_tokens=64)


def bodies(manifest: Manifest | None = None, mode: str = "auto") -> Bodies:
    return Bodies(manifest or Manifest(), "m", mode, lambda: None)


class FakeJob:
    """A job view: which shard holds which request, which shards ended, attempts."""

    def __init__(self) -> None:
        self.shards: dict[str, str] = {}
        self.ended: dict[str, str] = {}
        self.sent: dict[str, int] = {}

    def shard_of(self, custom_id: str) -> str | None:
        return self.shards.get(custom_id)

    def closed(self, shard: str) -> str | None:
        return self.ended.get(shard)

    def attempts(self, custom_id: str) -> int:
        return self.sent.get(custom_id, 1)


def two_rounds() -> Conversation[str]:
    """Ask "one"; then "two" twice in one round (two identical requests); the texts joined."""
    first = yield from ask(request("one"))
    second = yield [request("two"), request("two")]
    return " ".join([first.text, *(c.text for c in second)])


def answer(text: str) -> dict[str, object]:
    return chat_completion(text, prompt_tokens=10, completion_tokens=2)


def replay(replies: Replies, job: FakeJob, **policy: object) -> Replay:
    return Replay("art", replies, bodies(), job, Policy(**policy))


# --- ids and the store ---------------------------------------------------------------------


def test_custom_ids_are_deterministic_and_tell_identical_requests_apart() -> None:
    body = json.dumps({"a": 1})
    assert custom_id("x", body, 0) == custom_id("x", body, 0) != custom_id("x", body, 1)
    assert custom_id("x", body, 0) != custom_id("y", body, 0)
    assert article_id("sub/a.txt") != article_id("sub/b.txt") and len(custom_id("x" * 24, body, 0)) < 64


def test_the_store_ignores_a_result_handed_out_twice_and_cuts_a_torn_line(tmp_path: Path) -> None:
    store = ReplyStore(tmp_path)
    aid = article_id("a.txt")
    ok = Reply(f"{aid}-1", "requests-00001.jsonl", answer("hi"))
    store.add(ok)
    store.add(ok)  # a crash between storing it and the journal: handed out again
    with store.path(aid).open("ab") as fh:
        fh.write(b'{"id": "torn')
    failed = Reply(f"{aid}-2", "requests-00001.jsonl", error=LineError("server_error", "boom", 500))
    store.add(failed)
    live = Reply(f"{aid}-3", LIVE, completion=Completion("x", "stop", Usage(prompt_tokens=3, requests=2)))
    store.add(live)
    replies = store.load(aid)
    assert replies.answer(f"{aid}-1") == ok and replies.answer(f"{aid}-2") is None
    assert replies.from_shard(f"{aid}-2", "requests-00001.jsonl") == failed
    assert replies.answer(f"{aid}-3") == live
    assert replies.usage({f"{aid}-1", f"{aid}-2", f"{aid}-3"}) == Usage(
        prompt_tokens=13, completion_tokens=2, requests=4
    )


# --- bodies and error lines ----------------------------------------------------------------


def test_auto_mode_steps_down_once_per_variant_and_is_kept_in_the_manifest() -> None:
    manifest = Manifest()
    b = bodies(manifest)
    first = b.variants[-1]
    assert (
        first.mode == "json_schema"
        and b.body(request("x"), first)["response_format"]["type"] == "json_schema"
    )
    rejected = LineError("invalid_request_error", "response_format json_schema is not supported", 400)
    assert b.step_down(rejected, first) and b.step_down(rejected, first)  # a second report is no news
    assert [v.mode for v in manifest.variants] == ["json_schema", "json_object"]
    assert not b.step_down(LineError("invalid_request_error", "bad temperature", 400), manifest.variants[-1])
    limit = LineError("invalid_request_error", "Use 'max_completion_tokens' instead of 'max_tokens'", 400)
    assert (
        b.step_down(limit, manifest.variants[-1])
        and manifest.variants[-1].limit_key == "max_completion_tokens"
    )
    assert "max_completion_tokens" in b.body(request("x"), manifest.variants[-1])
    again = bodies(manifest)  # a later run builds the same bodies
    assert again.variants == manifest.variants


def test_a_mode_given_on_the_command_line_is_not_stepped_down() -> None:
    b = bodies(mode="tools")
    rejected = LineError("invalid_request_error", "tools are not supported", 400)
    assert b.variants[-1].mode == "tools" and not b.step_down(rejected, b.variants[-1])


def test_what_error_lines_mean() -> None:
    assert retryable(LineError("batch_expired", "late")) and retryable(LineError("x", "", 503))
    assert retryable(LineError("rate_limit_exceeded", "slow")) and not retryable(LineError("x", "", 400))
    too_long = failure(LineError("context_length_exceeded", "maximum context length is 4096 tokens", 400))
    assert isinstance(too_long, ContextLengthError) and too_long.limit == 4096
    other = failure(LineError("invalid_request_error", "bad", 404))
    assert isinstance(other, ModelHTTPError) and "Check --model" in str(other)
    assert checked({"not": "a completion"}, None) == LineError(
        "invalid_response", checked({"not": "a completion"}, None).message, 502
    )
    assert checked(answer("fine"), None) is None
    refusal = chat_completion(None, refusal="no")
    assert checked(refusal, None) is None  # an answer: the replay ends the article with it


# --- the replay ----------------------------------------------------------------------------


def ids_of(run: Replay) -> list[str]:
    return [line.custom_id for line in run.out.new]


def test_a_replay_asks_round_by_round_and_finishes_from_the_replies() -> None:
    job, replies = FakeJob(), Replies()
    run = replay(replies, job)
    out = run.run(two_rounds())
    assert not out.finished and len(out.new) == 1 and not out.started
    job.shards[out.new[0].custom_id] = "s1"
    replies.add(Reply(out.new[0].custom_id, "s1", answer("A")))
    out = replay(replies, job).run(two_rounds())
    assert len(out.new) == 2 and out.new[0].body == out.new[1].body  # two requests, two ids
    assert out.new[0].custom_id != out.new[1].custom_id and out.started
    for line, text in zip(out.new, ("B", "C"), strict=True):
        job.shards[line.custom_id] = "s2"
        replies.add(Reply(line.custom_id, "s2", answer(text)))
    done = replay(replies, job).run(two_rounds())
    assert done.summary == "A B C"
    assert done.usage == Usage(prompt_tokens=30, completion_tokens=6, requests=3)


def test_a_round_waits_for_every_request_before_it_is_answered() -> None:
    job, replies = FakeJob(), Replies()
    first = replay(replies, job).run(two_rounds()).new[0]
    job.shards[first.custom_id] = "s1"
    replies.add(Reply(first.custom_id, "s1", answer("A")))
    second = replay(replies, job).run(two_rounds()).new
    job.shards.update({line.custom_id: "s2" for line in second})
    replies.add(Reply(second[1].custom_id, "s2", error=LineError("bad", "no", 400)))
    waiting = replay(replies, job).run(two_rounds())
    assert not waiting.finished and waiting.new == [] and waiting.resubmit == []


def test_requests_that_never_ran_are_resubmitted_then_given_up() -> None:
    job, replies = FakeJob(), Replies()
    cid = replay(replies, job).run(two_rounds()).new[0].custom_id
    job.shards[cid] = "s1"
    assert replay(replies, job).run(two_rounds()).resubmit == []  # its batch runs: wait
    job.ended["s1"] = "batch expired"
    assert replay(replies, job).run(two_rounds()).resubmit == [cid]
    job.sent[cid] = 3
    out = replay(replies, job).run(two_rounds())
    assert isinstance(out.error, BatchJobError) and "3 batches (last: batch expired)" in str(out.error)


def test_a_final_error_ends_the_article_and_counts_as_a_request() -> None:
    job, replies = FakeJob(), Replies()
    cid = replay(replies, job).run(two_rounds()).new[0].custom_id
    job.shards[cid] = "s1"
    replies.add(Reply(cid, "s1", error=LineError("invalid_request_error", "bad", 400)))
    out = replay(replies, job).run(two_rounds())
    assert isinstance(out.error, SummarizeError) and "HTTP 400" in str(out.error)
    assert out.usage == Usage(requests=1)


def test_reask_live_sends_failed_and_follow_up_requests_live(tmp_path: Path) -> None:
    job, replies, store = FakeJob(), Replies(), ReplyStore(tmp_path)
    sent: list[str] = []

    def send(req: Request, meter: object) -> Completion:
        sent.append(req.messages[0].content)
        completion = Completion(req.messages[0].content.upper(), "stop", Usage(prompt_tokens=1, requests=1))
        meter.add(completion.usage)
        return completion

    cid = replay(replies, job).run(two_rounds()).new[0].custom_id
    job.shards[cid], job.ended["s1"] = "s1", "batch expired"
    deferred = replay(replies, job, reask_live=True).run(two_rounds())
    assert deferred.needs_live and not deferred.finished  # the main pass leaves live requests to a pool
    live = Replay("art", replies, bodies(), job, Policy(reask_live=True), (send, store))
    out = live.run(two_rounds())
    assert out.summary == "ONE TWO TWO" and sent == ["one", "two", "two"]
    assert out.usage == Usage(prompt_tokens=3, requests=3)
    again = Replay("art", store.load("art"), bodies(), job, Policy(reask_live=True), (send, store))
    assert again.run(two_rounds()).summary == "ONE TWO TWO" and len(sent) == 3
