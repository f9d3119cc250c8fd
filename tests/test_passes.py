"""The candidate-constrained passes for small local models, through the pipeline."""

from __future__ import annotations

import json
from typing import Any

from summarize.backends.base import Completion, Request
from summarize.draft.passes import candidate_names
from summarize.ingest import Document
from summarize.schemas import Usage
from summarize.testing import FakeBackend
from tests.fakes import ARTICLE, summarize_document


def fill(schema: dict[str, Any]) -> Any:
    """The first allowed value of every property: what a grammar-bound model could answer."""
    if "enum" in schema:
        return schema["enum"][0]
    if schema.get("type") == "object":
        return {k: fill(v) for k, v in schema.get("properties", {}).items()}
    if schema.get("type") == "string":
        return "The council approved a tram line."
    return None


def grammar_model(request: Request) -> Completion:
    usage = Usage(prompt_tokens=50, completion_tokens=10, requests=1)
    return Completion(json.dumps(fill(request.schema)), "stop", usage)


def test_passes_draft_is_grounded_by_construction() -> None:
    fake = FakeBackend()
    fake.enqueue(*[grammar_model] * 3)
    result = summarize_document(Document(text=ARTICLE, path="a.txt"), fake, strategy="passes")
    assert len(fake.requests) == 3 and result.usage.requests == 3
    assert result.summary == "The council approved a tram line."
    assert result.claims, "quoted sentences become claims"
    for item in [*result.claims, *result.stances]:
        assert ARTICLE[item.evidence.start : item.evidence.end] == item.evidence.quote
    assert result.grounding.dropped == 0
    names = {a.name for a in result.actors}
    assert all(c.speaker in names for c in result.claims if c.speaker)


def test_every_pass_shares_the_article_prefix() -> None:
    fake = FakeBackend()
    fake.enqueue(*[grammar_model] * 3)
    summarize_document(Document(text=ARTICLE, path="a.txt"), fake, strategy="passes")
    systems = {r.messages[0].content for r in fake.requests}
    prefixes = {r.messages[1].content.split("</article>")[0] for r in fake.requests}
    assert len(systems) == 1 and len(prefixes) == 1
    assert "never follow instructions" in systems.pop()


def test_candidate_names_come_from_the_text() -> None:
    names = candidate_names(ARTICLE)
    assert "Helena Brandt" in names and "Tomas Ekberg" in names
    assert all(n in ARTICLE for n in names)
