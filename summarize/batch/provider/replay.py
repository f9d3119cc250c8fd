"""One article's conversation, driven as far as the replies collected so far go.

The conversation (`Summarizer.conversation`) is deterministic: given the same completions
it asks the same requests. So an article needs no saved state but its replies: each run
starts its conversation again and answers every round from the replies, until a round has
a request with no final result. That request is either new (its line is submitted), in a
batch still running (wait), or failed in a way worth another try (resubmitted, or with
--reask live sent live). A round is answered only when every request in it has a final
result, so the replay never depends on the order in which results arrived: the first
error of the round, in request order, is thrown into the conversation (a context-length
refusal makes it re-plan; any other error ends the article), as the live path does.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from summarize.backends.base import Completion, Request
from summarize.backends.openai_compat import parse_completion
from summarize.batch.jobs import LineError, RequestLine
from summarize.batch.jobs.manifest import Variant
from summarize.draft.conversation import Conversation
from summarize.draft.sender import UsageMeter
from summarize.errors import BatchJobError, SummarizeError
from summarize.schemas import ArticleSummary, Usage

from .bodies import Bodies, failure, retryable
from .replies import LIVE, Replies, Reply, ReplyStore, canonical, custom_id

MAX_SUBMISSIONS = 3
"""Batches a request may be in before the article fails (expired, cancelled, 5xx, 429)."""

Answer = Completion | SummarizeError | None
"""A request's completion, its final error, or None while it has no final result."""
LiveSend = Callable[[Request, UsageMeter], Completion]


class JobView(Protocol):
    """What the replay needs to know of the job."""

    def shard_of(self, custom_id: str) -> str | None:
        """The latest shard holding the request, or None if it is in none."""
        ...

    def closed(self, shard: str) -> str | None:
        """Why no more results can come from SHARD (its batch ended, or it was withheld), or None."""
        ...

    def attempts(self, custom_id: str) -> int:
        """Shards the request has been in."""
        ...


@dataclass(frozen=True)
class Policy:
    """How the replay may go on when a request has no result."""

    reask_live: bool = False
    """Send follow-up rounds and failed requests live instead of in another batch."""
    max_submissions: int = MAX_SUBMISSIONS


@dataclass
class Replayed:
    """Where an article stands: finished (summary or error), or what it needs next."""

    summary: ArticleSummary | None = None
    error: SummarizeError | None = None
    usage: Usage = field(default_factory=Usage)
    new: list[RequestLine] = field(default_factory=list)
    """Requests in no shard yet: submit them."""
    resubmit: list[str] = field(default_factory=list)
    """Requests of ended batches to send again (never ran, or failed in a way worth another try)."""
    needs_live: bool = False
    """Requests to send live (--reask live), which this replay could not send."""
    started: bool = False
    """Whether the job already holds a request or a result of this article."""

    @property
    def finished(self) -> bool:
        """Whether the article has its outcome."""
        return self.summary is not None or self.error is not None


class Replay:
    """Drive one article's conversation from its replies (and, if given LIVE, the live path)."""

    def __init__(
        self,
        article: str,
        replies: Replies,
        bodies: Bodies,
        job: JobView,
        policy: Policy,
        live: tuple[LiveSend, ReplyStore] | None = None,
    ) -> None:
        self.article = article
        self.replies = replies
        self.bodies = bodies
        self.job = job
        self.policy = policy
        self.live = live
        self.out = Replayed()
        self._seen: Counter[str] = Counter()
        self._asked: set[str] = set()
        self._failed_live = Usage()
        self._first = True

    def run(self, conversation: Conversation[ArticleSummary]) -> Replayed:
        """Answer CONVERSATION's rounds while the replies go; where the article stands."""
        try:
            requests = next(conversation)
            while True:
                answers = [self._answer(r) for r in requests]
                if any(a is None for a in answers):
                    return self.out
                self._first = False
                error = next((a for a in answers if isinstance(a, SummarizeError)), None)
                if error is not None:
                    requests = conversation.throw(error)
                else:
                    requests = conversation.send([a for a in answers if isinstance(a, Completion)])
        except StopIteration as stop:
            self.out.summary = stop.value
        except SummarizeError as exc:
            self.out.error = exc
        finally:
            conversation.close()
        self.out.usage = self.replies.usage(self._asked).add(self._failed_live)
        return self.out

    def _answer(self, request: Request) -> Answer:
        first_body = canonical(self.bodies.body(request, self.bodies.variants[0]))
        occurrence = self._seen[first_body]
        self._seen[first_body] += 1
        return self._resolve(request, occurrence)

    def _resolve(self, request: Request, occurrence: int) -> Answer:
        variants = self.bodies.variants
        bodies = [self.bodies.body(request, v) for v in variants]
        ids = [custom_id(self.article, canonical(b), occurrence) for b in bodies]
        self._asked.update(ids)
        for variant, cid in zip(variants, ids, strict=True):
            if (reply := self.replies.answer(cid)) is not None:
                self.out.started = True
                return _completion(reply, variant)
        cid, shard = ids[-1], self.job.shard_of(ids[-1])
        if shard is None:
            if self._first or not self.policy.reask_live:
                self.out.new.append(RequestLine(cid, bodies[-1]))
                return None
            return self._send_live(request, cid)
        self.out.started = True
        result = self.replies.from_shard(cid, shard)
        if result is not None and result.error is not None:
            if self.bodies.step_down(result.error, variants[-1]):
                return self._resolve(request, occurrence)
            if not retryable(result.error):
                return failure(result.error)
            return self._again(request, cid, _describe(result.error))
        why = self.job.closed(shard)
        return None if why is None else self._again(request, cid, why)

    def _again(self, request: Request, cid: str, why: str) -> Answer:
        """A request of an ended batch without an answer: live, another batch, or give up."""
        if self.policy.reask_live:
            return self._send_live(request, cid)
        attempts = self.job.attempts(cid)
        if attempts < self.policy.max_submissions:
            self.out.resubmit.append(cid)
            return None
        return BatchJobError(
            f"a request of this article got no answer in {attempts} batches (last: {why}). "
            "Run the same command with --reask live to send what is left live"
        )

    def _send_live(self, request: Request, cid: str) -> Answer:
        if self.live is None:
            self.out.needs_live = True
            return None
        send, store = self.live
        meter = UsageMeter()
        try:
            completion = send(request, meter)
        except SummarizeError as exc:
            # Not stored: a rerun retries it, as the live path retries a failed article.
            self._failed_live = self._failed_live.add(meter.usage)
            return exc
        reply = Reply(
            cid, LIVE, completion=Completion(completion.text, completion.finish_reason, meter.usage)
        )
        store.add(reply)
        self.replies.add(reply)
        return completion


def _completion(reply: Reply, variant: Variant) -> Completion | SummarizeError:
    if reply.completion is not None:
        return reply.completion
    try:
        return parse_completion(reply.body or {}, variant.mode)
    except SummarizeError as exc:  # the model refused: the article ends, as live
        return exc


def _describe(error: LineError) -> str:
    status = f"HTTP {error.status} " if error.status else ""
    return f"{status}{error.code}: {error.message}"[:200]
