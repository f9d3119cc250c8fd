"""The round driver: `summarize batch --via batch-api | jsonl`, one invocation of a job.

    poll the job -> collect every new result into its article's replies -> one pass over
    the articles: replay each (finish it, fail it, or emit the requests it needs next) ->
    write those as new shards and send what fits -> with --wait, again after --poll seconds

Articles are streamed: a pass holds one article at a time (the job keeps per-request state
on disk), so memory stays flat at any corpus size. Passes after the first of a --wait loop
replay only the articles that got new results. Results land through the live path's own
code (`Worker.prepare` for ingest and the cache, `Worker.finish` for the JSON,
`result_line` for results.jsonl), so both paths write the same files.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from summarize.backends.base import Completion, Request
from summarize.backends.openai_compat import estimate_tokens as count_tokens
from summarize.batch.config import BatchConfig, Outcome, Reporter, articles
from summarize.batch.discover import Found, from_list
from summarize.batch.driver import Run
from summarize.batch.jobs import BatchJob, RequestLine, ShardLimits
from summarize.batch.jobs.shards import estimate_tokens
from summarize.batch.store import ResultLog, note_done
from summarize.batch.throttle import AIMD
from summarize.batch.worker import Ready, Worker
from summarize.config import Settings
from summarize.draft.budget import ContextBudget
from summarize.draft.retry import RetryPolicy
from summarize.draft.sender import Sender, UsageMeter
from summarize.fsio import atomic_writer
from summarize.pipeline import Summarizer

from .bodies import Bodies, checked
from .options import ProviderOptions, ProviderReport, provider_settings
from .replay import Policy, Replay, Replayed
from .replies import Reply, ReplyStore, article_id, article_of
from .view import JobLookup, handed, waiting_tokens

if TYPE_CHECKING:
    import openai

log = logging.getLogger(__name__)
RUNNER_OUT = "vllm-out"
"""OUTDIR/vllm-out: where the printed runner commands of --via jsonl write their outputs."""


def run_provider(
    config: BatchConfig,
    settings: Settings,
    options: ProviderOptions,
    reporter: Reporter | None = None,
    *,
    stop: threading.Event | None = None,
    client: openai.OpenAI | None = None,
    policy: RetryPolicy | None = None,
    sleep: Callable[[float], None] | None = None,
    on_step: Callable[[str], None] | None = None,
) -> ProviderReport:
    """Run one invocation of the provider batch job in CONFIG's OUTDIR; where it stands after.

    CLIENT, POLICY and SLEEP replace the Batch API client, its retry policy and the wait
    between polls (tests); ON_STEP sees each step (the job's, and reply-stored,
    result-written, result-recorded): for progress, and for crash tests.
    """
    settings = provider_settings(settings, options)
    limiter = AIMD(config.concurrency) if options.reask == "live" else None
    summarizer = Summarizer.from_settings(settings, limiter=limiter)
    if client is None and options.via == "batch-api":
        from summarize.backends.openai_compat import make_client

        client = make_client(settings, deadline=False)
    # The job applies --max-tokens-total itself, before it sends: what it spends comes in batches.
    with Run(config, ResultLog(config.out), reporter, stop=stop, budget=False) as run:
        job = BatchJob.open(
            options.folder(config.out),
            client,
            requests_dir=options.requests_dir(config.out),
            limits=ShardLimits(max_tokens=options.max_enqueued_tokens),
            policy=policy,
            sleep=sleep or time.sleep,
            on_step=on_step,
        )
        with job, run.signals():
            rounds = _Run(config, options, summarizer, job, run, on_step)
            rounds.go(sleep or _waiter(run.stop))
    run.write(summarizer, **rounds.report.ledger())
    return rounds.report


class _Run:
    """One invocation: the job, the results log, and this run's totals."""

    def __init__(
        self,
        config: BatchConfig,
        options: ProviderOptions,
        summarizer: Summarizer,
        job: BatchJob,
        run: Run,
        on_step: Callable[[str], None] | None,
    ) -> None:
        self.config = config
        self.options = options
        self.summarizer = summarizer
        self.job = job
        self.run = run
        self.done = run.index.done
        self.stop = run.stop
        self.notify = on_step or (lambda step: None)
        self.worker = Worker(config, summarizer, self.done)
        self.bodies = Bodies(job.manifest, summarizer.model, summarizer.settings.mode, job.save)
        self.store = ReplyStore(job.path("replies"))
        self.lookup = JobLookup(job)
        self.policy = Policy(reask_live=options.reask == "live")
        self.report = ProviderReport(options, job.folder, run.stats, job.state(), model=summarizer.model)
        self.stats = self.report.stats
        self.live: list[Found] = []
        self.resubmit: list[str] = []
        self.spent = 0
        self._listed = _keep_list(config, job)

    # --- the loop -----------------------------------------------------------------------

    def go(self, sleep: Callable[[float], None]) -> None:
        """Poll, collect, replay, submit; with --wait, again until every article is finished."""
        if self.options.cancel:
            self.report.cancelled = self.job.cancel()
        for path in self.options.collect:
            self.report.collected_files.append(self.job.add_output(path))
        first = True
        while True:
            if self.options.via == "batch-api" and self.job.manifest.shards:
                self.job.poll()
            touched = self._collect()
            submitted = self._pass(None if first else touched)
            first = False
            self._show(force=True)
            if not self.options.wait or self.stop.is_set() or (self.job.state().done and not submitted):
                break
            log.info("%d article(s) waiting; next poll in %g s", self.report.waiting, self.options.poll)
            sleep(self.options.poll)
        self._close()

    def _close(self) -> None:
        self.stats.interrupted = self.stop.is_set()
        self.stats.in_flight = 0
        self.report.state = self.job.state()
        self.report.unmatched = list(self.job.manifest.unmatched)
        self.report.variants = list(self.job.manifest.variants)
        if self.options.via == "jsonl":
            self.report.outputs = {r.name: handed(self.job, r.name) for r in self.job.manifest.shards}

    def _collect(self) -> set[str]:
        """Store every result not handed out before in its article's replies; the articles touched
        (those with new results, and those with requests that will never get one: to resubmit)."""
        touched = {article_of(left.custom_id) for left in self.job.pending_resubmit()}
        for item in self.job.collect():
            error = checked(item.body, item.error)
            reply = Reply(item.custom_id, item.shard, None if error else item.body, error)
            self.store.add(reply)
            usage = reply.usage
            self.job.manifest.tokens_used += usage.prompt_tokens + usage.completion_tokens
            touched.add(article_of(item.custom_id))
            self.notify("reply-stored")
        self.job.save()
        return touched

    # --- one pass -----------------------------------------------------------------------

    def _pass(self, only: set[str] | None) -> bool:
        """Replay the articles (all, or those in ONLY); write and send what they need. Whether
        anything was submitted."""
        self.live, self.resubmit = [], []
        self.spent = self.job.manifest.tokens_used + waiting_tokens(self.job)
        lines = self._replay_all(only)
        written: list[str] = []
        if self.options.submitting:
            written = self.job.write(lines)
        else:
            for _ in lines:
                pass  # --collect and --cancel write nothing: the lines only count articles
        self._live_remainder()
        if self.options.submitting and self.resubmit:
            written += self.job.resubmit(self.resubmit)
            self.report.resubmitted += len(self.resubmit)
        self.report.written += written
        if written and self.options.via == "jsonl":
            (self.config.out / RUNNER_OUT).mkdir(exist_ok=True)  # where the printed runner commands write
        if self.options.via == "batch-api" and self.options.submitting and not self.stop.is_set():
            self.job.launch()
        return bool(written)

    def _replay_all(self, only: set[str] | None) -> Iterator[RequestLine]:
        if only is None:
            self.report.waiting = self.report.needs_round = 0
        items = from_list(self.config.root, _lines(self._listed)) if self._listed else articles(self.config)
        for item in items:
            if self.stop.is_set():
                break
            self._show()
            if only is not None and article_id(item.rel) not in only:
                continue
            yield from self._article(item, later=only is not None)

    def _article(self, item: Found, later: bool) -> Iterator[RequestLine]:
        started = time.monotonic()
        ready = self.worker.prepare(item)
        if isinstance(ready, Outcome) and ready.status == "cached":
            self.run.record(ready)
            return
        if later:  # it was waiting: count it again by what it is now
            self.report.waiting = max(0, self.report.waiting - 1)
        if isinstance(ready, Outcome):
            self._record(ready)
            return
        replayed = self._replay(ready, live=False)
        if replayed is None or replayed.finished:
            self._finish(ready, replayed, started)
        elif replayed.needs_live:
            self.live.append(item)
        elif not replayed.started and not self._affordable(replayed.new):
            self.stats.budget_reached = True
            self.run.record(Outcome(item.rel, "not_started"))
        else:
            yield from self._pending(replayed)

    def _pending(self, replayed: Replayed) -> Iterator[RequestLine]:
        if not self.options.submitting:
            wants = bool(replayed.new or replayed.resubmit)
            self.report.needs_round += wants
            self.report.waiting += not wants
            return
        self.report.waiting += 1
        self.resubmit.extend(replayed.resubmit)
        yield from replayed.new

    def _affordable(self, lines: list[RequestLine]) -> bool:
        """Whether a new article's first requests fit under --max-tokens-total (and count them if so)."""
        cost = sum(estimate_tokens(line.body) for line in lines)
        cap = self.config.max_tokens_total
        if cap is not None and self.spent + cost > cap:
            return False
        self.spent += cost
        return True

    def _replay(self, ready: Ready, *, live: bool) -> Replayed | None:
        """READY's replay (its own context budget: a replay depends on its own replies only);
        None after a bug, which is logged and fails the article."""
        aid = article_id(ready.item.rel)
        sender = (self._send_live, self.store) if live else None
        replay = Replay(aid, self.store.load(aid), self.bodies, self.lookup, self.policy, sender)
        budget = ContextBudget(self.summarizer.budget.tokens)
        try:
            return replay.run(self.summarizer.conversation(ready.doc, count_tokens, budget))
        except Exception:  # one article's bug must not sink the job; the log keeps the traceback
            log.exception("unexpected error replaying %s", ready.item.rel)
            return None

    def _send_live(self, request: Request, meter: UsageMeter) -> Completion:
        s = self.summarizer
        return Sender(s.backend, s.retry, meter, s.limiter).send(request)

    def _live_remainder(self) -> None:
        """Finish the articles whose next requests go live (--reask live), N at a time."""
        if self.options.cancel:  # a cancelled job spends nothing more
            self.report.needs_round += len(self.live)
        if not self.live or self.options.cancel:
            self.live = []
            return
        with ThreadPoolExecutor(self.config.concurrency, thread_name_prefix="reask-live") as pool:
            for started, ready, replayed in pool.map(self._live_one, self.live):
                if ready is None:
                    continue
                if replayed is None or replayed.finished:
                    self._finish(ready, replayed, started)
                else:
                    self.report.waiting += 1  # other requests of its round are still in a batch
                    self.resubmit.extend(replayed.resubmit)
        self.live = []

    def _live_one(self, item: Found) -> tuple[float, Ready | None, Replayed | None]:
        started = time.monotonic()
        ready = self.worker.prepare(item)
        if self.stop.is_set() or isinstance(ready, Outcome):
            return started, None, None
        return started, ready, self._replay(ready, live=True)

    def _show(self, *, force: bool = False) -> None:
        """Redraw the progress (twice a second at most)."""
        self.stats.in_flight = self.report.waiting
        self.run.show(force=force)

    # --- outcomes -----------------------------------------------------------------------

    def _finish(self, ready: Ready, replayed: Replayed | None, started: float) -> None:
        if replayed is None:
            outcome = Outcome(ready.item.rel, "failed", ready.key, error="internal error (see the log)")
        elif replayed.summary is not None:
            summary = replayed.summary.model_copy(update={"usage": replayed.usage})
            outcome = self.worker.finish(ready, summary, started)
            self.notify("result-written")
        else:
            error = replayed.error or RuntimeError("no summary and no error")
            outcome = self.worker.failed(ready, error, replayed.usage, started)
        self._record(outcome)

    def _record(self, outcome: Outcome) -> None:
        """Count OUTCOME and give it its results.jsonl line (this process is the only writer)."""
        line = self.run.record(outcome)
        if line is not None:
            note_done(self.done, line)
        self.notify("result-recorded")


def _keep_list(config: BatchConfig, job: BatchJob) -> Path | None:
    """--from-file's list, kept in the job folder: every pass reads it again (stdin cannot be)."""
    if config.from_file is None:
        return None
    path = job.path("articles.txt")
    with atomic_writer(path) as out:
        for line in config.from_file:
            out.write(line.encode("utf-8"))
    return path


def _lines(path: Path) -> Iterator[str]:
    with open(path, encoding="utf-8") as fh:
        yield from fh


def _waiter(stop: threading.Event) -> Callable[[float], None]:
    """A wait between polls that a signal cuts short."""

    def wait(seconds: float) -> None:
        stop.wait(seconds)

    return wait
