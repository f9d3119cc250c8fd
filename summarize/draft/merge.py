"""One summary of a long article from the summaries of its chunks: one more request."""

from __future__ import annotations

import json
from typing import Any

from summarize.backends.base import Message, Request
from summarize.draft import DraftOptions, Part
from summarize.draft.conversation import Conversation, ask
from summarize.draft.one_pass import strip_fences
from summarize.prompts import Prompts

MERGE_ATTEMPTS = 2
SUMMARY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"summary": {"type": "string", "description": "Neutral 2-4 sentence summary."}},
    "required": ["summary"],
    "additionalProperties": False,
}


def merge_summaries(parts: list[Part], prompts: Prompts, options: DraftOptions) -> Conversation[str]:
    """Ask for one summary of the whole article; fall back to the parts' own summaries."""
    listing = "\n".join(f"{i}. {p.draft.summary.strip()}" for i, p in enumerate(parts, 1))
    messages = (
        Message("system", prompts.render("system", schema=json.dumps(SUMMARY_SCHEMA))),
        Message("user", prompts.render("merge", count=str(len(parts)), summaries=listing)),
    )
    request = Request(
        messages=messages,
        schema=SUMMARY_SCHEMA,
        max_tokens=options.max_tokens,
        temperature=options.temperature,
    )
    for _ in range(MERGE_ATTEMPTS):
        completion = yield from ask(request)
        try:
            summary = json.loads(strip_fences(completion.text))["summary"]
        except (ValueError, KeyError, TypeError):
            continue
        if isinstance(summary, str) and summary.strip():
            return summary
    # The parts' own summaries are still a faithful, if longer, account.
    return " ".join(p.draft.summary.strip() for p in parts)
