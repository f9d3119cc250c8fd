"""The one-pass drafter through the pipeline, driven by the queue fake backend."""

from __future__ import annotations

import json

import pytest

from summarize.backends.base import Completion
from summarize.draft.one_pass import parse_draft
from summarize.errors import ModelConnectionError, ModelHTTPError, UnexpectedModelBehavior
from summarize.ingest import Document
from summarize.schemas import ArticleSummary, Usage
from summarize.testing import FakeBackend
from tests.fakes import ARTICLE, draft, draft_json, summarize_document

DOC = Document(text=ARTICLE, path="article.txt", title="Harbour city approves new tram line")


def run(fake: FakeBackend, **settings: object) -> ArticleSummary:
    return summarize_document(DOC, fake, **settings)


def test_valid_reply_is_grounded_with_exact_offsets() -> None:
    fake = FakeBackend()
    fake.enqueue(draft_json())
    result = run(fake)
    assert result.summary.startswith("Norport")
    assert len(result.claims) == 2 and len(result.stances) == 2
    for item in [*result.claims, *result.stances]:
        ev = item.evidence
        assert ARTICLE[ev.start : ev.end] == ev.quote
    assert result.usage == Usage(prompt_tokens=10, completion_tokens=5, requests=1)
    assert result.source.sha256 == DOC.sha256
    assert result.model == "fake-model"


def test_article_is_delimited_data_in_the_user_message() -> None:
    fake = FakeBackend()
    fake.enqueue(draft_json())
    run(fake)
    system, user = fake.requests[0].messages
    assert system.role == "system" and "not instructions" in system.content
    assert user.role == "user" and f"<article>\n{ARTICLE}\n</article>" in user.content
    assert ARTICLE not in system.content


def test_invalid_json_is_reasked_with_a_new_message_list() -> None:
    fake = FakeBackend()
    fake.enqueue('{"summary": "cut', draft_json())
    result = run(fake)
    first, second = fake.requests
    assert len(first.messages) == 2  # the first request was not mutated by the re-ask
    assert [m.role for m in second.messages] == ["system", "user", "assistant", "user"]
    assert second.messages[2].content == '{"summary": "cut'
    assert "not valid JSON" in second.messages[3].content
    assert result.usage.requests == 2


def test_validation_errors_are_sent_back_as_field_paths() -> None:
    bad = draft()
    bad["actors"][0]["type"] = "celebrity"
    del bad["claims"][0]["speaker"]
    fake = FakeBackend()
    fake.enqueue(json.dumps(bad), draft_json())
    run(fake)
    feedback = fake.requests[1].messages[3].content
    assert "actors.0.type: Input should be" in feedback
    assert "claims.0.speaker: Field required" in feedback


def test_gives_up_after_max_reasks_with_a_clear_error() -> None:
    fake = FakeBackend()
    fake.enqueue("nope", "still nope", "never")
    with pytest.raises(UnexpectedModelBehavior, match="no valid summary after 3 attempts") as info:
        run(fake)
    assert info.value.usage is not None and info.value.usage.requests == 3


def test_cut_off_reply_is_asked_again_with_more_tokens() -> None:
    fake = FakeBackend()
    fake.enqueue(
        Completion('{"summary": "x', "length", Usage(prompt_tokens=10, completion_tokens=2048, requests=1)),
        draft_json(),
    )
    result = run(fake)
    assert [r.max_tokens for r in fake.requests] == [2048, 4096]
    assert len(fake.requests[1].messages) == 2
    assert result.usage.completion_tokens == 2048 + 5


def test_cut_off_at_the_cap_fails_clearly() -> None:
    fake = FakeBackend()
    cut = Completion("{", "length", Usage(prompt_tokens=1, completion_tokens=1, requests=1))
    fake.enqueue(cut, cut)
    with pytest.raises(UnexpectedModelBehavior, match="cut off at 4096 tokens"):
        run(fake, max_tokens=2048, max_tokens_cap=4096)


def test_transport_failures_are_retried_and_counted() -> None:
    fake = FakeBackend()
    fake.enqueue(
        ModelHTTPError("busy", status=429),
        ModelConnectionError("reset"),
        ModelHTTPError("oops", status=503),
        draft_json(),
    )
    result = run(fake)
    assert result.usage.requests == 4
    assert len(result.claims) == 2


def test_non_transient_http_error_is_not_retried() -> None:
    fake = FakeBackend()
    fake.enqueue(ModelHTTPError("bad key", status=401), draft_json())
    with pytest.raises(ModelHTTPError) as info:
        run(fake)
    assert len(fake.requests) == 1
    assert info.value.usage is not None and info.value.usage.requests == 1


def _invented_then_repaired() -> FakeBackend:
    """A first reply with two invented quotes, then a repair that fixes one of them."""
    invented = draft()
    invented["claims"][0]["quote"] = "Ekberg said the tram was a disaster for the city"
    invented["stances"][0]["quote"] = "Brandt promised free rides for everyone"
    repaired = draft(
        stances=[],
        claims=[{**invented["claims"][0], "quote": "the project would cost far more than planned"}],
    )
    fake = FakeBackend()
    fake.enqueue(json.dumps(invented), json.dumps(repaired))
    return fake


def test_unlocated_quotes_get_one_repair_request_then_dropped() -> None:
    fake = _invented_then_repaired()
    result = run(fake)
    repair_prompt = fake.requests[1].messages[-1].content
    assert "Ekberg said the tram was a disaster" in repair_prompt
    assert "free rides" in repair_prompt
    assert "Local shop owners" not in repair_prompt  # only the unlocated items
    quotes = [c.evidence.quote for c in result.claims]
    assert "the project would cost far more than planned" in quotes
    assert [d.item["quote"] for d in result.dropped] == ["Brandt promised free rides for everyone"]
    assert "not found" in result.dropped[0].reason
    assert result.usage.requests == 2


def test_every_speaker_and_stance_actor_is_an_actor() -> None:
    data = draft()
    data["claims"][0]["speaker"] = "Westmark officials"
    fake = FakeBackend()
    fake.enqueue(json.dumps(data))
    result = run(fake)
    names = {a.name for a in result.actors}
    assert all(s.actor in names for s in result.stances)
    assert all(c.speaker in names for c in result.claims if c.speaker)


@pytest.mark.parametrize(
    "text",
    ["```json\n" + draft_json() + "\n```", "Here is the JSON:\n" + draft_json() + "\nDone."],
)
def test_replies_wrapped_in_prose_or_fences_still_parse(text: str) -> None:
    assert parse_draft(text).summary.startswith("Norport")


def test_grounding_stats_count_first_pass_repair_and_drops() -> None:
    fake = _invented_then_repaired()
    stats = run(fake).grounding
    assert (stats.proposed, stats.located, stats.repaired, stats.dropped) == (4, 2, 1, 1)
