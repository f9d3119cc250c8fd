"""summarize.output.render: the contract's JSON and the Markdown digest."""

from __future__ import annotations

import json

from summarize.output.render import to_json, to_markdown
from summarize.schemas import ArticleSummary


def result() -> ArticleSummary:
    ev = {"quote": "“It is a victory,” Brandt said.", "start": 10, "end": 41}
    return ArticleSummary.model_validate(
        {
            "summary": "Norport approved a tram line.",
            "actors": [{"name": "Helena Brandt", "type": "person", "role": "Mayor", "aliases": ["Brandt"]}],
            "stances": [
                {"actor": "Helena Brandt", "topic": "the tram line", "position": "support", "evidence": ev}
            ],
            "claims": [
                {"speaker": "Helena Brandt", "text": "It is a victory.", "hedged": True, "evidence": ev}
            ],
            "dropped": [
                {"kind": "claim", "item": {"quote": "x"}, "reason": "quote not found in the article"}
            ],
            "source": {"path": "a.txt", "sha256": "0" * 64, "title": "Tram approved"},
            "model": "m",
            "usage": {"prompt_tokens": 100, "completion_tokens": 20, "requests": 2},
        }
    )


def test_json_round_trips_and_keeps_non_ascii() -> None:
    text = to_json(result())
    assert "“It is a victory,”" in text and text.endswith("}\n")
    assert ArticleSummary.model_validate(json.loads(text)) == result()


def test_markdown_digest_reads_like_a_brief() -> None:
    md = to_markdown(result())
    assert md.startswith("# Tram approved\n\nNorport approved a tram line.")
    assert "- **Helena Brandt** (person, Mayor) (also: Brandt)" in md
    assert "- **Helena Brandt** _(hedged)_: It is a victory." in md
    assert "> “It is a victory,” Brandt said. [10:41]" in md
    assert "- **Helena Brandt**: support on the tram line" in md
    assert "_1 proposed item(s) dropped as ungrounded._" in md
    assert "2 request(s), 100 prompt + 20 completion tokens" in md


def test_a_claim_without_speaker_is_the_reporters_or_an_unnamed_sources() -> None:
    base = result()
    own = base.claims[0].model_copy(update={"speaker": None, "kind": "reporter_assertion"})
    unnamed = base.claims[0].model_copy(update={"speaker": None, "kind": "indirect"})
    md = to_markdown(base.model_copy(update={"claims": [own, unnamed]}))
    assert "- **Reporter** _(hedged)_: It is a victory." in md
    assert "- **Unnamed source** _(hedged)_: It is a victory." in md
