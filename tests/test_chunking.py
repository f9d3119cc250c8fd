"""Long articles: split at paragraph boundaries, extract per chunk, merge with offsets intact."""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

from summarize.backends.openai_compat import OpenAICompatBackend
from summarize.config import Settings
from summarize.draft.chunking import split_text
from summarize.ingest import Document
from summarize.testing import FakeOpenAIServer, Reply, chat_completion
from tests.fakes import pipeline


def count(text: str) -> int:
    return len(text) // 4 + 1


def long_article(paragraphs: int = 80) -> str:
    out = []
    for i in range(paragraphs):
        out.append(
            f"Minister Anna Keller{'' if i % 2 else ' of Eastland'} spoke about project {i} on day {i}. "
            f"“Project {i} will be finished on time,” Keller said at the meeting number {i}. "
            f"Critics from the Harbour Union questioned the budget of project {i} again and again."
        )
    return "\n\n".join(out)


def test_chunks_cover_the_text_within_budget_and_overlap() -> None:
    text = long_article()
    chunks = split_text(text, 600, count)
    assert len(chunks) > 3
    assert chunks[0].start == 0 and chunks[-1].end == len(text)
    for a, b in itertools.pairwise(chunks):
        assert b.start < a.end  # overlap: a quote at the cut is whole in one chunk
        assert b.start > a.start
    for c in chunks:
        assert count(text[c.start : c.end]) <= 600


def test_a_single_huge_paragraph_is_split_by_sentences_and_words() -> None:
    text = " ".join(["word"] * 5000)
    chunks = split_text(text, 300, count)
    assert chunks[-1].end == len(text)
    assert all(count(text[c.start : c.end]) <= 300 for c in chunks)


def _article_in(body: dict[str, Any]) -> str:
    user = body["messages"][1]["content"]
    match = re.search(r"<article>\n(.*)\n</article>", user, re.S)
    return match.group(1) if match else ""


def limited_responder(limit_tokens: int):  # type: ignore[no-untyped-def]
    """An endpoint with a small context that answers a draft quoting the chunk's first quote."""

    def respond(body: dict[str, Any]) -> Reply:
        size = sum(count(m["content"]) for m in body["messages"]) + body.get("max_tokens", 0)
        if size > limit_tokens:
            msg = f"This model's maximum context length is {limit_tokens} tokens, you requested {size}"
            return Reply(400, {"error": {"message": msg, "code": "context_length_exceeded"}})
        if "part summaries" in body["messages"][-1]["content"] or "parts" in body["messages"][-1]["content"]:
            return Reply(200, chat_completion(json.dumps({"summary": "Keller defended many projects."})))
        article = _article_in(body)
        quotes = re.findall(r"“[^”]+”", article)
        draft = {
            "summary": "Keller spoke about projects.",
            "actors": [
                {"name": "Anna Keller", "type": "person", "role": "Minister", "aliases": ["Keller"]},
                {"name": "Harbour Union", "type": "organization", "role": None, "aliases": []},
            ],
            "stances": [],
            "claims": [
                {
                    "speaker": "Keller",
                    "text": "A project will be on time.",
                    "kind": "direct_quote",
                    "cue": "said",
                    "hedged": False,
                    "quote": q,
                }
                for q in quotes[:2]
            ],
        }
        return Reply(200, chat_completion(json.dumps(draft)))

    return respond


def test_long_article_against_a_small_context_endpoint() -> None:
    text = long_article(180)
    assert len(text) > 40_000
    doc = Document(text=text, path="long.txt")
    with FakeOpenAIServer(responder=limited_responder(6000)) as server:
        backend = OpenAICompatBackend.from_settings(Settings(base_url=server.base_url, model="m", timeout=5))
        summarizer = pipeline(backend)
        result = summarizer.summarize(doc)
        rejected = sum(1 for _ in server.requests) - result.usage.requests
    assert rejected == 0  # every request, the rejected ones included, is counted
    assert result.summary == "Keller defended many projects."
    assert len(result.claims) > 10
    for claim in result.claims:
        ev = claim.evidence
        assert text[ev.start : ev.end] == ev.quote
    starts = [c.evidence.start for c in result.claims]
    assert len(starts) == len(set(starts))  # overlap did not duplicate claims
    assert [a.name for a in result.actors].count("Anna Keller") == 1
    # The pipeline learned the endpoint's context; the backend's own figure is unchanged.
    assert summarizer.budget.tokens is not None and summarizer.budget.tokens <= 6000
    assert backend.context_tokens == 8192
