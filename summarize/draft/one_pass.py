"""The one-pass drafter: the whole Draft in one request, re-asked when invalid, repaired
when quotes cannot be found.

Round by round: the draft request; a re-ask with the errors (a new message list holding
the bad reply) while the reply is not a valid Draft, or the same request with twice the
room when it was cut off; then one repair request listing the quotes that could not be
located. What is still unlocated ends in `dropped`.
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace

from pydantic import ValidationError

from summarize.backends.base import Message, Request
from summarize.draft import DraftOptions, Part
from summarize.draft.conversation import Conversation, ask
from summarize.errors import UnexpectedModelBehavior
from summarize.ground import Grounded, ground
from summarize.ingest import Document
from summarize.prompts import Prompts, as_data
from summarize.schemas import Draft, draft_json_schema

log = logging.getLogger(__name__)


class OnePass:
    """The drafter for capable models."""

    name = "one-pass"
    needs_reader = False  # the model reads every language itself

    def __init__(self, prompts: Prompts, options: DraftOptions) -> None:
        self.prompts = prompts
        self.options = options
        self.schema = draft_json_schema()

    def messages(self, doc: Document) -> tuple[Message, ...]:
        """The system and user messages for DOC."""
        return (
            Message(
                "system", self.prompts.render("system", schema=json.dumps(self.schema, ensure_ascii=False))
            ),
            Message(
                "user",
                self.prompts.render(
                    "article",
                    title=as_data(doc.title or "(none)"),
                    article=as_data(doc.text),
                    language=_language_label(doc.language, "the article's own language"),
                    summary_language=_language_label(
                        self.options.summary_language or doc.language, "the language of the article"
                    ),
                ),
            ),
        )

    def overhead(self, doc: Document) -> str:
        """The prompt without the article."""
        return "".join(m.content for m in self.messages(replace(doc, text="")))

    def request(self, messages: tuple[Message, ...], max_tokens: int | None = None) -> Request:
        """A request for a Draft with MESSAGES."""
        return Request(
            messages=messages,
            schema=self.schema,
            max_tokens=max_tokens or self.options.max_tokens,
            temperature=self.options.temperature,
        )

    def draft(self, doc: Document) -> Conversation[Part]:
        """Draft, ground and repair DOC."""
        base = self.messages(doc)
        draft, reply = yield from self._draft_with_reasks(base)
        grounded = ground(draft, doc.text)
        located = len(grounded.stances) + len(grounded.claims)
        if self.options.repair and (grounded.unlocated_stances or grounded.unlocated_claims):
            repaired = yield from self._repair(base, reply, grounded)
            if repaired is not None:
                merge_repair(grounded, ground(repaired, doc.text))
        total = len(grounded.stances) + len(grounded.claims)
        return Part(draft, grounded, located, total - located)

    def _draft_with_reasks(self, base: tuple[Message, ...]) -> Conversation[tuple[Draft, str]]:
        """Ask until the reply is a valid Draft, re-asking with the errors at most max_reasks times."""
        options = self.options
        messages, max_tokens = base, options.max_tokens
        last, problem, cut_off = "", "", False
        for _ in range(options.max_reasks + 1):
            completion = yield from ask(self.request(messages, max_tokens))
            last = completion.text
            cut_off = completion.finish_reason == "length"
            if cut_off:
                if max_tokens >= options.max_tokens_cap:
                    break
                # Cut off: the same question with more room, not a lecture about JSON.
                max_tokens = min(options.max_tokens_cap, max_tokens * 2)
                log.info("reply cut off; asking again with max_tokens=%d", max_tokens)
                messages = base
                continue
            try:
                return parse_draft(completion.text), completion.text
            except ValueError as exc:
                problem = str(exc)
                log.info("invalid reply, re-asking: %s", problem)
                reask = self.prompts.render("reask", errors=problem)
                messages = (
                    *base,
                    Message("assistant", completion.text or "(empty reply)"),
                    Message("user", reask),
                )
        raise _gave_up(cut_off, max_tokens, problem, options.max_reasks + 1, last)

    def _repair(
        self, base: tuple[Message, ...], reply: str, grounded: Grounded
    ) -> Conversation[Draft | None]:
        """One request listing the unlocated items; None when its reply is unusable."""
        items = [{"kind": "stance", **s.model_dump()} for s in grounded.unlocated_stances] + [
            {"kind": "claim", **c.model_dump()} for c in grounded.unlocated_claims
        ]
        listing = "\n".join(json.dumps(i, ensure_ascii=False) for i in items)
        messages = (
            *base,
            Message("assistant", reply),
            Message("user", self.prompts.render("repair", items=listing)),
        )
        completion = yield from ask(self.request(messages))
        try:
            return parse_draft(completion.text)
        except ValueError as exc:
            log.info("repair reply unusable: %s", _first_line(str(exc)))
            return None


def _language_label(code: str | None, unknown: str) -> str:
    """'Russian (ru)' for the prompt; UNKNOWN when the language is not known."""
    from summarize.text.languages import language_name

    return f"{language_name(code)} ({code})" if code else unknown


def _gave_up(
    cut_off: bool, max_tokens: int, problem: str, attempts: int, last: str
) -> UnexpectedModelBehavior:
    if cut_off:
        return UnexpectedModelBehavior(
            f"the model's answer was cut off at {max_tokens} tokens. Raise --max-tokens, "
            "use a model with a larger output limit, or --strategy passes for a small model",
            last_output=last,
        )
    return UnexpectedModelBehavior(
        f"the model gave no valid summary after {attempts} attempts "
        f"(last problem: {_first_line(problem)}). Try --mode json_schema, a stronger model, "
        "or --strategy passes (made for small models: the program proposes, the model labels)",
        last_output=last,
    )


def merge_repair(grounded: Grounded, again: Grounded) -> None:
    """Add what the repair located; an item it left out or missed again stays unlocated."""
    have_stances = {(s.actor, s.evidence.start, s.evidence.end) for s in grounded.stances}
    have_claims = {(c.speaker, c.evidence.start, c.evidence.end) for c in grounded.claims}
    # A repair reply that repeats items already grounded must not duplicate them.
    new_stances = [
        s for s in again.stances if (s.actor, s.evidence.start, s.evidence.end) not in have_stances
    ]
    new_claims = [c for c in again.claims if (c.speaker, c.evidence.start, c.evidence.end) not in have_claims]
    fixed_stances = {(s.actor, s.topic) for s in new_stances}
    fixed_claims = {(c.speaker, c.text) for c in new_claims}
    grounded.stances.extend(new_stances)
    grounded.claims.extend(new_claims)
    grounded.unlocated_stances = [
        s for s in grounded.unlocated_stances if (s.actor, s.topic) not in fixed_stances
    ]
    grounded.unlocated_claims = [
        c for c in grounded.unlocated_claims if (c.speaker, c.text) not in fixed_claims
    ]


def parse_draft(text: str) -> Draft:
    """Parse and validate a reply; ValueError lists every problem as `field.path: message` lines."""
    body = strip_fences(text)
    if not body:
        raise ValueError("the reply was empty")
    try:
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        raise ValueError(f"the reply is not valid JSON: {exc}") from None
    try:
        return Draft.model_validate(data)
    except ValidationError as exc:
        raise ValueError(validation_lines(exc)) from None


def validation_lines(exc: ValidationError) -> str:
    """Pydantic errors as `field.path: message` lines."""
    return "\n".join(
        f"{'.'.join(str(p) for p in err['loc']) or '(root)'}: {err['msg']}" for err in exc.errors()
    )


def strip_fences(text: str) -> str:
    """The JSON object inside a reply that wrapped it in ``` fences or prose."""
    s = text.strip()
    if s.startswith("```"):
        s = s.split("\n", 1)[1] if "\n" in s else ""
        s = s.rsplit("```", 1)[0]
    start, end = s.find("{"), s.rfind("}")
    if start > 0 and end > start:
        s = s[start : end + 1]
    return s.strip()


def _first_line(text: str) -> str:
    return text.splitlines()[0] if text else ""
