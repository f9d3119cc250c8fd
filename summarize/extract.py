"""The pipeline for one article: render -> call -> validate -> re-ask -> ground -> resolve."""

from __future__ import annotations

import json
import logging
import re
import threading
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from pydantic import ValidationError

from summarize.actors import attach, resolve_actors
from summarize.backends.base import PASSES, Backend, Completion, Message, Request
from summarize.chunking import Chunk, split_text
from summarize.errors import ContextLengthError, SummarizeError, UnexpectedModelBehavior
from summarize.grounding import Grounded, ground
from summarize.ingest import Document
from summarize.passes import draft_article
from summarize.prompts import Prompts, as_data
from summarize.retry import RetryPolicy, call_with_retries
from summarize.schemas import (
    ArticleSummary,
    Claim,
    Draft,
    GroundingStats,
    Source,
    Stance,
    Usage,
    draft_json_schema,
)

log = logging.getLogger(__name__)

CONTEXT_MARGIN = 64
MIN_CHUNK_TOKENS = 256
MAX_CONTEXT_LEARNING = 3
_SUMMARY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"summary": {"type": "string", "description": "Neutral 2-4 sentence summary."}},
    "required": ["summary"],
    "additionalProperties": False,
}


@dataclass(frozen=True)
class ExtractOptions:
    """Knobs of the pipeline for one article."""

    max_reasks: int = 2
    max_tokens: int = 2048
    max_tokens_cap: int = 8192
    repair: bool = True
    temperature: float = 0.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)


class UsageMeter:
    """Adds up every request made for one article, failed attempts included."""

    def __init__(self) -> None:
        self.usage = Usage()
        self._lock = threading.Lock()

    def add(self, usage: Usage) -> None:
        """Count a completed request (or several, when a backend stepped down a mode)."""
        with self._lock:
            self.usage = self.usage.add(usage)

    def failed(self, _exc: BaseException) -> None:
        """Count a request that failed in transport."""
        self.add(Usage(requests=1))


class _Caller:
    """Sends requests through the transport retry loop and meters them."""

    def __init__(self, backend: Backend, options: ExtractOptions, meter: UsageMeter) -> None:
        self.backend = backend
        self.options = options
        self.meter = meter
        self.schema = draft_json_schema()

    def __call__(
        self, messages: tuple[Message, ...], max_tokens: int, schema: dict[str, Any] | None = None
    ) -> Completion:
        request = Request(
            messages=messages,
            schema=schema or self.schema,
            max_tokens=max_tokens,
            temperature=self.options.temperature,
        )
        completion = call_with_retries(
            lambda: self.backend.complete(request), self.options.retry, self.meter.failed
        )
        self.meter.add(completion.usage)
        return completion


def summarize_document(
    doc: Document,
    backend: Backend,
    *,
    prompts: Prompts | None = None,
    options: ExtractOptions | None = None,
) -> ArticleSummary:
    """Summarize one ingested article with BACKEND; every request is counted in `usage`."""
    prompts = prompts or Prompts.load()
    options = options or ExtractOptions()
    meter = UsageMeter()
    caller = _Caller(backend, options, meter)
    try:
        return _run(doc, backend, prompts, options, caller, meter)
    except SummarizeError as exc:
        exc.usage = meter.usage
        raise


def _run(
    doc: Document,
    backend: Backend,
    prompts: Prompts,
    options: ExtractOptions,
    caller: _Caller,
    meter: UsageMeter,
) -> ArticleSummary:
    for _ in range(MAX_CONTEXT_LEARNING + 1):
        chunks = plan_chunks(doc, backend, prompts, options)
        try:
            parts = [_extract_part(doc, chunk, prompts, options, caller) for chunk in chunks]
            break
        except ContextLengthError as exc:
            if not _learn_context(backend, exc, _request_tokens(doc, chunks, backend, prompts, options)):
                raise
    else:
        raise ContextLengthError(
            "the endpoint kept rejecting the prompt as too long. Pass a smaller --context-tokens",
            status=400,
        )
    summary = parts[0].draft.summary if len(parts) == 1 else _merge_summaries(parts, caller, prompts)
    actors = [a for part in parts for a in part.draft.actors]
    stances = [st for part in parts for st in part.grounded.stances]
    claims = [c for part in parts for c in part.grounded.claims]
    dropped = [d for part in parts for d in part.grounded.dropped()]
    attached = attach(stances, claims, resolve_actors(actors, doc.text))
    dropped.extend(attached.dropped)
    stats = GroundingStats(
        proposed=sum(len(p.draft.stances) + len(p.draft.claims) for p in parts),
        located=sum(p.located for p in parts),
        repaired=sum(p.repaired for p in parts),
        dropped=len(dropped),
    )
    return ArticleSummary(
        summary=summary.strip(),
        actors=attached.actors,
        stances=attached.stances,
        claims=attached.claims,
        dropped=dropped,
        source=Source(
            path=doc.path,
            sha256=doc.sha256,
            title=doc.title,
            author=doc.author,
            date=doc.date,
            site=doc.site,
        ),
        model=backend.model_name,
        usage=meter.usage,
        grounding=stats,
        chunks=len(parts),
    )


@dataclass
class _Part:
    draft: Draft
    grounded: Grounded
    located: int = 0
    repaired: int = 0


def _extract_part(
    doc: Document, chunk: Chunk, prompts: Prompts, options: ExtractOptions, caller: _Caller
) -> _Part:
    """Draft, ground and repair one chunk; evidence offsets index the full text."""
    text = doc.text[chunk.start : chunk.end]
    part_doc = replace(doc, text=text) if (chunk.start, chunk.end) != (0, len(doc.text)) else doc
    if caller.backend.draft_strategy == PASSES:
        # Small local models: candidates come from the text and every quote is a sentence
        # of it, so there is nothing to re-ask or repair.
        draft, usage = draft_article(part_doc, caller.backend, prompts)
        caller.meter.add(usage)
        grounded = ground(draft, text)
        located = len(grounded.stances) + len(grounded.claims)
        return _Part(draft, _shifted(grounded, chunk.start), located, 0)
    base = base_messages(part_doc, prompts, caller.schema)
    draft, reply = draft_with_reasks(base, caller, prompts)
    grounded = ground(draft, text)
    located = len(grounded.stances) + len(grounded.claims)
    if options.repair and (grounded.unlocated_stances or grounded.unlocated_claims):
        repaired = _repair(base, reply, grounded, caller, prompts)
        if repaired is not None:
            _merge_repair(grounded, ground(repaired, text))
    repaired_count = len(grounded.stances) + len(grounded.claims) - located
    return _Part(draft, _shifted(grounded, chunk.start), located, repaired_count)


def _shifted(grounded: Grounded, offset: int) -> Grounded:
    """Evidence offsets of a chunk moved to index the full text."""
    if offset:
        grounded.stances = [_shift(x, offset) for x in grounded.stances]
        grounded.claims = [_shift(x, offset) for x in grounded.claims]
    return grounded


def _merge_repair(grounded: Grounded, again: Grounded) -> None:
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


_Item = TypeVar("_Item", Stance, Claim)


def _shift(item: _Item, offset: int) -> _Item:
    ev = item.evidence
    moved = ev.model_copy(update={"start": ev.start + offset, "end": ev.end + offset})
    return item.model_copy(update={"evidence": moved})


def plan_chunks(doc: Document, backend: Backend, prompts: Prompts, options: ExtractOptions) -> list[Chunk]:
    """The whole article as one chunk when it fits the backend's context, else overlapping chunks."""
    whole = [Chunk(0, len(doc.text))]
    if backend.context_tokens is None:
        return whole
    overhead = _prompt_overhead(doc, backend, prompts)
    budget = backend.context_tokens - overhead - options.max_tokens - CONTEXT_MARGIN
    if backend.count_tokens(doc.text) <= budget:
        return whole
    if budget < MIN_CHUNK_TOKENS:
        raise ContextLengthError(
            f"the model's context ({backend.context_tokens} tokens) leaves only {max(budget, 0)} "
            "tokens for the article after the prompt and the answer. Use a model with a larger "
            "context (--ctx / --context-tokens) or lower --max-tokens",
            status=400,
        )
    chunks = split_text(doc.text, budget, backend.count_tokens)
    log.info("article of %d chars split into %d chunks of <= %d tokens", len(doc.text), len(chunks), budget)
    return chunks


def _prompt_overhead(doc: Document, backend: Backend, prompts: Prompts) -> int:
    """Tokens of the prompt without the article."""
    empty = base_messages(replace(doc, text=""), prompts, draft_json_schema())
    return backend.count_tokens("".join(m.content for m in empty))


def _request_tokens(
    doc: Document, chunks: list[Chunk], backend: Backend, prompts: Prompts, options: ExtractOptions
) -> int:
    """Our estimate of the largest request just sent: prompt plus room for the answer."""
    overhead = _prompt_overhead(doc, backend, prompts)
    largest = max(backend.count_tokens(doc.text[c.start : c.end]) for c in chunks)
    return overhead + largest + options.max_tokens


def _learn_context(backend: Backend, exc: ContextLengthError, sent_tokens: int) -> bool:
    """Lower the backend's context after the endpoint said a request of SENT_TOKENS was too long."""
    said = re.search(r"(?:context length|context window|maximum)[^0-9]{0,40}(\d{3,7})", str(exc))
    current = min(backend.context_tokens or sent_tokens, sent_tokens)
    # Our offline token counts are estimates: always shrink below what was just refused.
    learned = int(current * 0.6)
    if said:
        learned = min(learned, int(said.group(1)))
    if learned < MIN_CHUNK_TOKENS:
        return False
    log.warning("endpoint context seems to be about %d tokens; splitting the article to fit", learned)
    backend.context_tokens = learned
    return True


def _merge_summaries(parts: list[_Part], caller: _Caller, prompts: Prompts) -> str:
    """One summary of the whole article from the summaries of its chunks."""
    listing = "\n".join(f"{i}. {p.draft.summary.strip()}" for i, p in enumerate(parts, 1))
    messages = (
        Message("system", prompts.render("system", schema=json.dumps(_SUMMARY_SCHEMA))),
        Message("user", prompts.render("merge", count=str(len(parts)), summaries=listing)),
    )
    for _ in range(2):
        completion = caller(messages, caller.options.max_tokens, schema=_SUMMARY_SCHEMA)
        try:
            summary = json.loads(_strip_fences(completion.text))["summary"]
            if isinstance(summary, str) and summary.strip():
                return summary
        except (ValueError, KeyError, TypeError):
            continue
    # The parts' own summaries are still a faithful, if longer, account.
    return " ".join(p.draft.summary.strip() for p in parts)


def base_messages(doc: Document, prompts: Prompts, schema: dict[str, object]) -> tuple[Message, ...]:
    """The system and user messages for DOC."""
    return (
        Message("system", prompts.render("system", schema=json.dumps(schema, ensure_ascii=False))),
        Message(
            "user",
            prompts.render("article", title=as_data(doc.title or "(none)"), article=as_data(doc.text)),
        ),
    )


def draft_with_reasks(base: tuple[Message, ...], caller: _Caller, prompts: Prompts) -> tuple[Draft, str]:
    """Call until the reply is a valid Draft, re-asking with the errors at most max_reasks times."""
    options = caller.options
    messages = base
    max_tokens = options.max_tokens
    last, problem, cut_off, cut_at = "", "", False, max_tokens
    for _ in range(options.max_reasks + 1):
        completion = caller(messages, max_tokens)
        last = completion.text
        cut_off, cut_at = completion.finish_reason == "length", max_tokens
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
            messages = (
                *base,
                Message("assistant", completion.text or "(empty reply)"),
                Message("user", prompts.render("reask", errors=problem)),
            )
    if cut_off:
        raise UnexpectedModelBehavior(
            f"the model's answer was cut off at {cut_at} tokens. Raise --max-tokens "
            "or use a model with a larger output limit",
            last_output=last,
        )
    raise UnexpectedModelBehavior(
        f"the model gave no valid summary after {options.max_reasks + 1} attempts "
        f"(last problem: {_first_line(problem)}). Try --mode json_schema or a stronger model",
        last_output=last,
    )


def parse_draft(text: str) -> Draft:
    """Parse and validate a reply; ValueError lists every problem as `field.path: message` lines."""
    body = _strip_fences(text)
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
    lines = []
    for err in exc.errors():
        path = ".".join(str(p) for p in err["loc"]) or "(root)"
        lines.append(f"{path}: {err['msg']}")
    return "\n".join(lines)


def _strip_fences(text: str) -> str:
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


def _repair(
    base: tuple[Message, ...],
    reply: str,
    grounded: Grounded,
    caller: _Caller,
    prompts: Prompts,
) -> Draft | None:
    items = [{"kind": "stance", **s.model_dump()} for s in grounded.unlocated_stances] + [
        {"kind": "claim", **c.model_dump()} for c in grounded.unlocated_claims
    ]
    listing = "\n".join(json.dumps(i, ensure_ascii=False) for i in items)
    messages = (*base, Message("assistant", reply), Message("user", prompts.render("repair", items=listing)))
    try:
        completion = caller(messages, caller.options.max_tokens)
        return parse_draft(completion.text)
    except ValueError as exc:
        log.info("repair reply unusable: %s", _first_line(str(exc)))
        return None
