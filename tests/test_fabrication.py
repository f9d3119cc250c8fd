"""Against an endpoint that fabricates a third of its strings, nothing fabricated survives."""

from __future__ import annotations

import json
import random
import re
from typing import Any

from summarize.backends.openai_compat import OpenAICompatBackend
from summarize.config import Settings
from summarize.ingest import Document
from summarize.testing import FakeOpenAIServer, Reply, chat_completion
from tests.fakes import ARTICLE, summarize_document

INVENTED = [
    "The minister promised to resign if the tram was late by a single day.",
    "Officials said the harbour would be closed to ships for five years.",
    "“We will never allow a tram in this city,” the governor shouted at the crowd.",
    "Brandt admitted that the budget had been invented by her advisers.",
]


def fabricating_responder(rng: random.Random):  # type: ignore[no-untyped-def]
    """Real sentences of the article as quotes, plus a third invented or garbled ones."""

    def respond(body: dict[str, Any]) -> Reply:
        user = body["messages"][1]["content"]
        article = re.search(r"<article>\n(.*)\n</article>", user, re.S)
        text = article.group(1) if article else ""
        sentences = [s for s in re.split(r"(?<=[.”])\s+", text) if len(s) > 30]
        claims = []
        for i, s in enumerate(sentences):
            claims.append(_claim("Helena Brandt" if i % 2 else "Tomas Ekberg", s))
            if i % 2 == 0:  # one fabricated item for every two real ones
                fake = rng.choice(INVENTED) if i % 4 == 0 else _garble(s, rng)
                claims.append(_claim(rng.choice(["Tomas Ekberg", "Governor Ann Lowe"]), fake))
        draft = {
            "summary": "A tram line was approved.",
            "actors": [
                {"name": "Helena Brandt", "type": "person", "role": "Mayor", "aliases": ["Brandt"]},
                {"name": "Tomas Ekberg", "type": "person", "role": None, "aliases": ["Ekberg"]},
            ],
            "stances": [
                {
                    "actor": "Brandt",
                    "topic": "the tram line",
                    "position": "support",
                    "target": None,
                    "quote": rng.choice(INVENTED),
                }
            ],
            "claims": claims,
        }
        return Reply(200, chat_completion(json.dumps(draft)))

    return respond


def _claim(speaker: str, quote: str) -> dict[str, Any]:
    return {"speaker": speaker, "text": quote[:60], "kind": "indirect", "cue": "said", "hedged": False,
            "quote": quote}  # fmt: skip


def _garble(sentence: str, rng: random.Random) -> str:
    words = sentence.split()
    for i in rng.sample(range(len(words)), k=max(2, len(words) // 3)):
        words[i] = rng.choice(["banana", "secretly", "never", "millions", "zebra"])
    return " ".join(words)


def test_fabricated_items_are_dropped_and_the_rest_is_grounded() -> None:
    with FakeOpenAIServer(responder=fabricating_responder(random.Random(3))) as server:
        backend = OpenAICompatBackend.from_settings(Settings(base_url=server.base_url, model="m"))
        result = summarize_document(
            Document(text=ARTICLE, path="a.txt"),
            backend,
        )
        assert result.usage.requests == len(server.requests) == 2  # draft + one repair request
    assert result.claims
    for item in [*result.claims, *result.stances]:
        ev = item.evidence
        assert ARTICLE[ev.start : ev.end] == ev.quote
    kept = " ".join(c.evidence.quote for c in result.claims)
    for invented in INVENTED:
        assert invented not in kept
    assert not any(w in kept for w in ("banana", "zebra", "secretly"))
    assert all("not found" in d.reason for d in result.dropped)
    dropped_quotes = [d.item["quote"] for d in result.dropped]
    assert any(q in INVENTED for q in dropped_quotes)
    assert result.grounding.dropped == len(result.dropped) >= 3
    names = {a.name for a in result.actors}
    assert all(s.actor in names for s in result.stances)
    assert all(c.speaker in names for c in result.claims if c.speaker)
