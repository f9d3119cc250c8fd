"""summarize.pipeline: the one builder, and what it decides before any model is reached."""

from __future__ import annotations

from pathlib import Path

import pytest

from summarize.backends.base import Completion, Request
from summarize.backends.openai_compat import estimate_tokens
from summarize.config import Settings
from summarize.draft.budget import ContextBudget
from summarize.draft.one_pass import OnePass
from summarize.draft.passes import Passes
from summarize.errors import ContextLengthError, UserError
from summarize.ingest import Document
from summarize.pipeline import Summarizer
from summarize.testing import FakeBackend
from tests.fakes import ARTICLE, draft_json, pipeline


def test_the_embedded_default_drafts_with_passes_and_an_endpoint_with_one_pass() -> None:
    assert isinstance(Summarizer.from_settings(Settings()).drafter, Passes)
    endpoint = Settings(base_url="http://localhost:8000/v1", model="qwen")
    assert isinstance(Summarizer.from_settings(endpoint).drafter, OnePass)
    assert isinstance(Summarizer.from_settings(Settings(strategy="one-pass")).drafter, OnePass)


def test_a_big_gguf_of_your_own_gets_one_pass(tmp_path: Path) -> None:
    big = tmp_path / "big.gguf"
    with big.open("wb") as f:
        f.truncate(2_000_000_000)  # sparse: costs nothing
    summarizer = Summarizer.from_settings(Settings(model_path=str(big)))
    assert isinstance(summarizer.drafter, OnePass) and summarizer.model == "big"


def test_model_label_and_context_are_known_without_loading_anything() -> None:
    summarizer = Summarizer.from_settings(Settings(base_url="http://localhost:8000/v1", model="qwen"))
    assert summarizer.model == "qwen" and summarizer.budget.tokens == 8192
    assert summarizer._backend is None  # nothing built yet


def test_an_endpoint_that_cannot_work_is_refused_when_the_pipeline_is_built() -> None:
    with pytest.raises(UserError, match="needs an API key"):
        Summarizer.from_settings(Settings(base_url="https://api.openai.com/v1"))


@pytest.mark.parametrize(("field", "value"), [("max_retries", -1), ("timeout", 0.0), ("ctx", 100)])
def test_a_hand_built_setting_that_cannot_work_is_refused(field: str, value: object) -> None:
    with pytest.raises(UserError, match=field.replace("_", "-")):
        Summarizer.from_settings(Settings(**{field: value}))


def test_the_cache_key_changes_with_text_model_prompts_and_drafter() -> None:
    doc = Document(text=ARTICLE, path="a.txt")
    base = pipeline(FakeBackend())
    assert base.cache_key(doc) == pipeline(FakeBackend()).cache_key(doc)
    others = [
        base.cache_key(Document(text=ARTICLE + " More.", path="a.txt")),
        pipeline(FakeBackend(model_name="other")).cache_key(doc),
        pipeline(FakeBackend(), strategy="passes").cache_key(doc),
    ]
    assert len({base.cache_key(doc), *others}) == 4


def test_the_first_round_is_estimated_without_a_model() -> None:
    summarizer = Summarizer.from_settings(Settings(base_url="http://localhost:8000/v1", model="m"))
    doc = Document(text=ARTICLE, path="a.txt", language="en")  # as loaded: language known
    drafter = summarizer.drafter
    assert isinstance(drafter, OnePass)
    expected = estimate_tokens("".join(m.content for m in drafter.messages(doc)))
    assert summarizer.first_round_tokens(doc) == expected
    assert summarizer._backend is None


def test_a_context_refusal_is_learned_once_for_every_article() -> None:
    doc = Document(text="\n\n".join([ARTICLE] * 8), path="long.txt")

    def small_context(request: Request) -> Completion:
        if len(request.messages[-1].content) > 4000:
            raise ContextLengthError("maximum context length is 5000 tokens", limit=5000)
        return Completion(draft_json(), "stop")

    fake = FakeBackend(context_tokens=100_000)
    fake.enqueue(*[small_context] * 40)
    summarizer = pipeline(fake, max_tokens=1000)
    first = summarizer.summarize(doc)
    assert first.chunks > 1 and summarizer.budget.tokens is not None and summarizer.budget.tokens < 5000
    refused = len(fake.requests) - first.usage.requests
    assert refused == 0  # the refused request was counted in usage too
    sent = len(fake.requests)
    second = summarizer.summarize(doc)  # planned with the lesson: no refusal this time
    assert second.usage.requests == len(fake.requests) - sent == second.chunks + 1


def test_the_budget_only_shrinks_and_ignores_stale_lessons() -> None:
    budget = ContextBudget(10_000)
    assert budget.learn(ContextLengthError("x"), sent_tokens=10_000)
    assert budget.tokens == 6000
    assert budget.learn(ContextLengthError("x"), sent_tokens=9_000)  # planned before the lesson
    assert budget.tokens == 6000
    assert budget.learn(ContextLengthError("x", limit=4000), sent_tokens=5000)
    assert budget.tokens == 3600
    assert not ContextBudget(300).learn(ContextLengthError("x"), sent_tokens=300)
