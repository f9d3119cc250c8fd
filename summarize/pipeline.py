"""The pipeline builder: one object that knows how to summarize an article.

`Summarizer.from_settings(settings)` is the only place the pipeline is assembled: the
backend (built on first use, so a cached batch never loads a model), the prompts, the
drafter (chosen here, from the settings and what is known of the model), the context
budget, and the model label. `file`, `eval`, the batch engines, `--dry-run` and the
Python API all hold one.

One article: ingest -> plan chunks -> draft each chunk (a conversation of request
rounds) -> ground -> merge chunk summaries -> resolve actors -> ArticleSummary. The
conversation is driven live here (`summarize`), or round by round by provider batch jobs.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from typing import TypeVar

from summarize.backends import Backend, context_size, is_small, labels_positions, make_backend, model_label
from summarize.backends.openai_compat import estimate_tokens
from summarize.config import Settings, check, check_endpoint, resolve, result_shaping
from summarize.draft import Drafter, DraftOptions, Part
from summarize.draft.budget import ContextBudget
from summarize.draft.chunking import Chunk, plan_chunks
from summarize.draft.conversation import Conversation, in_parallel, run_live
from summarize.draft.merge import merge_summaries
from summarize.draft.one_pass import OnePass
from summarize.draft.passes import Passes
from summarize.draft.retry import RetryPolicy
from summarize.draft.sender import Limiter, Sender, UsageMeter
from summarize.errors import ContextLengthError, SummarizeError
from summarize.ingest import Document, load_document, parse_document, with_language
from summarize.prompts import Prompts
from summarize.resolve import attach, resolve_actors
from summarize.schemas import SCHEMA_VERSION, ArticleSummary, Claim, GroundingStats, Source, Stance, Usage
from summarize.text.readers import UnsupportedLanguage, has_reader

MAX_CONTEXT_LEARNING = 3


def choose_drafter(settings: Settings, prompts: Prompts, *, own_backend: bool = False) -> Drafter:
    """`--strategy`, or under auto: candidate passes for a small model, one pass otherwise.

    With OWN_BACKEND (a backend given by the caller, not the one the settings select) the
    model is unknown, so auto means one pass.
    """
    options = DraftOptions.from_settings(settings, label_positions=own_backend or labels_positions(settings))
    strategy = settings.strategy
    if strategy == "auto":
        strategy = "passes" if not own_backend and is_small(settings) else "one-pass"
    return Passes(prompts, options) if strategy == "passes" else OnePass(prompts, options)


@dataclass
class Summarizer:
    """Everything one article needs; safe to share between threads."""

    settings: Settings
    prompts: Prompts
    drafter: Drafter
    model: str
    budget: ContextBudget
    retry: RetryPolicy
    limiter: Limiter | None = None
    """Shared by every article of a batch: requests in flight adapt to rate limits."""
    _backend: Backend | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def from_settings(
        cls,
        settings: Settings | None = None,
        *,
        backend: Backend | None = None,
        limiter: Limiter | None = None,
    ) -> Summarizer:
        """The pipeline SETTINGS describe (default: the environment's); BACKEND replaces the
        one they select (a fake, or a wrapped one); LIMITER bounds the requests in flight of
        every article that shares this pipeline (a batch's AIMD)."""
        settings = settings or resolve()
        check(settings)  # a hand-built Settings is checked like the resolved ones
        if backend is None:
            check_endpoint(settings)
        prompts = Prompts.load(settings.prompts_dir)
        context = backend.context_tokens if backend is not None else context_size(settings)
        return cls(
            settings=settings,
            prompts=prompts,
            drafter=choose_drafter(settings, prompts, own_backend=backend is not None),
            model=backend.model_name if backend is not None else model_label(settings),
            budget=ContextBudget(context),
            retry=RetryPolicy.from_settings(settings),
            limiter=limiter,
            _backend=backend,
        )

    @property
    def backend(self) -> Backend:
        """The backend, built (and a local model loaded) on first use."""
        with self._lock:
            if self._backend is None:
                self._backend = make_backend(self.settings)
            return self._backend

    @functools.cached_property
    def fingerprint(self) -> str:
        """What, besides the article, decides the result: model (its label and its file), prompts,
        drafter, schema, and every setting that shapes the requests (config.result_shaping)."""
        shaping = json.dumps(result_shaping(self.settings), sort_keys=True, default=str)
        h = hashlib.sha256()
        for part in (self.model, self.prompts.fingerprint, self.drafter.name, SCHEMA_VERSION, shaping):
            h.update(part.encode("utf-8", "surrogateescape") + b"\0")
        h.update(model_file_identity(self.settings).encode("utf-8", "surrogateescape"))
        return h.hexdigest()

    def cache_key(self, doc: Document) -> str:
        """The batch cache key of DOC: its clean text, its metadata (title, date, author, site,
        url, language, kind: what the prompt and `source` carry) and the fingerprint."""
        h = hashlib.sha256(doc.text.encode("utf-8") + b"\0")
        h.update(json.dumps(document_metadata(doc), sort_keys=True).encode("utf-8", "surrogateescape"))
        h.update(b"\0" + self.fingerprint.encode())
        return h.hexdigest()

    def load(self, path: str, label: str | None = None) -> Document:
        """Read and clean the article at PATH as the settings say (--raw, --max-bytes,
        --language); LABEL (default PATH) is the name it goes by in the result and in errors."""
        doc = load_document(path, raw=self.settings.raw, max_bytes=self.settings.max_bytes, label=label)
        return self.with_language(doc)

    def parse(self, data: bytes, label: str) -> Document:
        """Clean the article bytes DATA (read elsewhere, e.g. from object storage) named LABEL."""
        doc = parse_document(data, label, raw=self.settings.raw, max_bytes=self.settings.max_bytes)
        return self.with_language(doc)

    def with_language(self, doc: Document) -> Document:
        """DOC with its language: --language when given, else the one it has, else detected."""
        return with_language(doc, self.settings.language)

    def refuse_unreadable(self, doc: Document) -> None:
        """Refuse DOC when the drafter must read it and has no reader for its language, before
        any model is loaded (UnsupportedLanguage: one line that says to use an endpoint)."""
        if self.drafter.needs_reader and not has_reader(doc.language):
            raise UnsupportedLanguage(doc.language or "")

    def summarize(self, doc: Document) -> ArticleSummary:
        """Summarize DOC live; `usage` counts every request, failed attempts included."""
        doc = self.with_language(doc)
        self.refuse_unreadable(doc)
        meter = UsageMeter()
        try:
            result = run_live(self.conversation(doc), Sender(self.backend, self.retry, meter, self.limiter))
        except SummarizeError as exc:
            exc.usage = meter.usage
            raise
        return result.model_copy(update={"usage": meter.usage})

    def cancel(self) -> None:
        """Stop a generation in progress, when the backend can (the embedded model): an
        abandoned article must not keep the CPU busy or hold up the exit."""
        cancel = getattr(self._backend, "cancel", None)
        if callable(cancel):
            cancel()

    def summarize_file(self, path: str) -> ArticleSummary:
        """Ingest PATH and summarize it."""
        return self.summarize(self.load(path))

    def conversation(
        self, doc: Document, count: Callable[[str], int] | None = None, budget: ContextBudget | None = None
    ) -> Conversation[ArticleSummary]:
        """The requests that summarize DOC, round by round (usage is left for the driver).

        COUNT measures tokens for chunk planning: the backend's own count by default, the
        offline estimate when no model may be loaded (dry runs, batch jobs). BUDGET is the
        context to plan with and to learn into: the shared one by default; a provider batch
        job gives each article its own, so that its replay depends on its own replies only.
        """
        doc = self.with_language(doc)
        self.refuse_unreadable(doc)
        count = count or (lambda text: self.backend.count_tokens(text))
        budget = budget or self.budget
        for _ in range(MAX_CONTEXT_LEARNING + 1):
            chunks = self._plan(doc, count, budget)
            try:
                parts = yield from in_parallel([self._draft_chunk(doc, c) for c in chunks])
                break
            except ContextLengthError as exc:
                if not budget.learn(exc, self._largest_request(doc, chunks, count)):
                    raise
        else:
            raise ContextLengthError(
                "the model kept rejecting the prompt as too long. Pass a smaller --context-tokens"
            )
        summary = (
            parts[0].draft.summary
            if len(parts) == 1
            else (yield from merge_summaries(parts, self.prompts, DraftOptions.from_settings(self.settings)))
        )
        return assemble(doc, parts, summary, self.model)

    def first_round_tokens(self, doc: Document) -> int:
        """Prompt tokens of DOC's first round, estimated offline (no model is loaded)."""
        conversation = self.conversation(doc, estimate_tokens)
        try:
            requests = next(conversation)
        except StopIteration:
            return 0  # the program alone could answer: no request at all
        finally:
            conversation.close()
        return sum(estimate_tokens("".join(m.content for m in r.messages)) for r in requests)

    def _plan(self, doc: Document, count: Callable[[str], int], budget: ContextBudget) -> list[Chunk]:
        overhead = count(self.drafter.overhead(doc))
        return plan_chunks(
            doc.text,
            context=budget.tokens,
            overhead=overhead,
            answer=self.settings.max_tokens,
            count=count,
        )

    def _draft_chunk(self, doc: Document, chunk: Chunk) -> Conversation[Part]:
        """Draft one chunk; its evidence offsets index the full text."""
        if (chunk.start, chunk.end) == (0, len(doc.text)):
            return (yield from self.drafter.draft(doc))
        part = yield from self.drafter.draft(replace(doc, text=doc.text[chunk.start : chunk.end]))
        return shifted(part, chunk.start)

    def _largest_request(self, doc: Document, chunks: list[Chunk], count: Callable[[str], int]) -> int:
        """Our estimate of the largest request just sent: prompt plus room for the answer."""
        largest = max(count(doc.text[c.start : c.end]) for c in chunks)
        return count(self.drafter.overhead(doc)) + largest + self.settings.max_tokens


# Document fields the key leaves out: the text is hashed on its own; the path is the journal's
# own key (a moved DIR must not redo every article); `removed` is what ingestion cut away.
_NOT_METADATA = frozenset({"text", "path", "removed"})


def document_metadata(doc: Document) -> dict[str, object]:
    """DOC's metadata, every Document field but its text, path and removed lines."""
    return {f.name: getattr(doc, f.name) for f in fields(doc) if f.name not in _NOT_METADATA}


def model_file_identity(settings: Settings) -> str:
    """The local model file as the cache knows it: a bundled model by its SHA-256, a file of your
    own by size and modification time (replaced under the same name: a new key); '' for an endpoint."""
    if not settings.uses_local:
        return ""
    from summarize.backends.model_files import bundled_for

    bundled = bundled_for(settings.model_path)
    if bundled is not None:
        return bundled.sha256
    try:
        st = os.stat(os.path.expanduser(str(settings.model_path)))
    except OSError:
        return "missing"
    return f"{st.st_size}:{st.st_mtime_ns}"


def shifted(part: Part, offset: int) -> Part:
    """PART with its evidence offsets moved by OFFSET (a chunk's start in the full text)."""
    grounded = part.grounded
    grounded.stances = [_shift(x, offset) for x in grounded.stances]
    grounded.claims = [_shift(x, offset) for x in grounded.claims]
    return part


_Item = TypeVar("_Item", Stance, Claim)


def _shift(item: _Item, offset: int) -> _Item:
    ev = item.evidence
    moved = ev.model_copy(update={"start": ev.start + offset, "end": ev.end + offset})
    return item.model_copy(update={"evidence": moved})


def assemble(doc: Document, parts: list[Part], summary: str, model: str) -> ArticleSummary:
    """The ArticleSummary of DOC from its grounded parts: actors resolved, stances and claims
    pointed at them, duplicates and unlocated items in `dropped`."""
    stances = [st for part in parts for st in part.grounded.stances]
    claims = [c for part in parts for c in part.grounded.claims]
    dropped = [d for part in parts for d in part.grounded.dropped()]
    attached = attach(stances, claims, resolve_actors([a for p in parts for a in p.draft.actors], doc.text))
    dropped.extend(attached.dropped)
    stats = GroundingStats(
        proposed=sum(len(p.draft.stances) + len(p.draft.claims) for p in parts),
        located=sum(p.located for p in parts),
        repaired=sum(p.repaired for p in parts),
        dropped=len(dropped),
    )
    source = Source(
        path=doc.path,
        sha256=doc.sha256,
        title=doc.title,
        author=doc.author,
        date=doc.date,
        site=doc.site,
        language=doc.language,
        url=doc.url,
    )
    return ArticleSummary(
        summary=summary.strip(),
        actors=attached.actors,
        stances=attached.stances,
        claims=attached.claims,
        dropped=dropped,
        source=source,
        model=model,
        usage=Usage(),
        grounding=stats,
        chunks=len(parts),
    )
