"""How a batch looks to a person: a rich progress bar on stderr and the end-of-run summary."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterable, Iterator
from typing import IO

from summarize.batch.config import BatchConfig, Stats, count_articles
from summarize.batch.plan import Planned


class BarReporter:
    """A rich progress bar: done, failed, cached, in flight, tokens, ETA."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(
            TextColumn("[bold]batch"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[info]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=Console(file=stream or sys.stderr),
            transient=False,
        )
        self._task = self._progress.add_task("batch", total=None, info="")
        self._progress.start()

    def set_total(self, total: int | None) -> None:
        """The article count, once a background walk has found it."""
        if total is not None:
            self._progress.update(self._task, total=total)

    def update(self, stats: Stats) -> None:
        """Redraw with STATS."""
        info = (
            f"ok {stats.ok}  failed {stats.failed}  cached {stats.cached}  "
            f"in flight {stats.in_flight}  tokens {stats.tokens:,}"
        )
        self._progress.update(self._task, completed=stats.processed, info=info)

    def close(self) -> None:
        """Stop redrawing."""
        self._progress.stop()


class LineReporter:
    """No terminal: one line every EVERY articles (only with --verbose)."""

    def __init__(self, stream: IO[str] | None = None, every: int = 100) -> None:
        self.stream = stream or sys.stderr
        self.every = every
        self._next = every

    def set_total(self, total: int | None) -> None:
        """Unused without a bar."""

    def update(self, stats: Stats) -> None:
        """Print a line when another EVERY articles are done."""
        if stats.processed >= self._next:
            self._next = stats.processed + self.every
            print(
                f"batch: {stats.processed} done (ok {stats.ok}, failed {stats.failed}, "
                f"cached {stats.cached}), {stats.tokens:,} tokens",
                file=self.stream,
                flush=True,
            )

    def close(self) -> None:
        """Nothing to stop."""


def start_counting(config: BatchConfig, reporter: BarReporter) -> None:
    """Count the articles in a background thread so the bar gets a total and an ETA."""

    def count() -> None:
        reporter.set_total(count_articles(config))

    threading.Thread(target=count, name="batch-count", daemon=True).start()


def summary_lines(stats: Stats, config: BatchConfig, *, results: str | None = None) -> list[str]:
    """The end-of-run summary: counts, tokens, requests, retries, time, cost, failures; RESULTS
    names where they are when that is not a local OUTDIR (object storage)."""
    u = stats.usage
    lines = [
        f"Done in {stats.seconds:.1f} s: {stats.ok} ok, {stats.failed} failed, "
        f"{stats.cached} cached (skipped), {stats.not_started} not started.",
        f"Tokens: {u.prompt_tokens:,} prompt + {u.completion_tokens:,} completion; "
        f"{u.requests:,} requests ({stats.retries:,} beyond one per article: retries, re-asks, passes)"
        + (f"; {stats.rate_limited} rate-limited" if stats.rate_limited else "")
        + ".",
    ]
    cost = stats.cost(*config.prices)
    if cost is not None:
        lines.append(f"Estimated cost: {cost:.4f} ({price_note(config)}).")
    if stats.failures:
        lines.append("Failed:")
        lines += [f"  {error}" if path in error else f"  {path}: {error}" for path, error in stats.failures]
        more = stats.failed - len(stats.failures)
        if more > 0:
            lines.append(f"  ... and {more} more (see results.jsonl)")
    lines.append(f"Results: {results or config.out}")
    if stats.budget_reached:
        lines.append(
            f"Stopped: the token budget (--max-tokens-total {config.max_tokens_total:,}) was reached; "
            f"{stats.not_started} article(s) not started. Rerun with a higher budget to continue."
        )
    if stats.interrupted:
        lines.append(
            f"Interrupted: {stats.processed} done, {stats.not_started} left. "
            "Run the same command again to resume."
        )
    return lines


def price_note(config: BatchConfig) -> str:
    """How an estimated cost was priced: the given prices, and the batch discount if any."""
    note = "at the given --price-in/--price-out per million tokens"
    if config.price_factor != 1.0:
        note += f", times {config.price_factor:g} for the provider's batch discount"
    return note


def make_reporter(
    config: BatchConfig, *, quiet: bool, verbose: bool, count: bool = True
) -> BarReporter | LineReporter | _Silent:
    """A bar on a terminal; a line per 100 articles with --verbose otherwise; else nothing.
    With COUNT, the articles are counted in the background for the bar's total (an engine
    that lists them first gives the total itself)."""
    if not quiet and sys.stderr.isatty():
        bar = BarReporter()
        if count:
            start_counting(config, bar)
        return bar
    if verbose:
        return LineReporter()
    return _Silent()


class _Silent:
    def set_total(self, total: int | None) -> None:
        """Nothing to show."""

    def update(self, stats: Stats) -> None:
        """Nothing to show."""

    def close(self) -> None:
        """Nothing to stop."""


def dry_run_lines(planned: Iterable[Planned], config: BatchConfig | None = None) -> Iterator[str]:
    """A tab-separated listing of what a run would send, then the totals (and, with prices in
    CONFIG, the estimated cost of the prompt tokens of the first requests)."""
    yield "path\tchars\test_prompt_tokens\tstatus"
    n = send = tokens = 0
    for p in planned:
        n += 1
        if p.problem:
            status = f"fails: {p.problem}"
        elif p.cached:
            status = "cached"
        else:
            status = "send"
            send += 1
            tokens += p.prompt_tokens
        yield f"{p.rel}\t{p.chars}\t{p.prompt_tokens}\t{status}"
    yield (
        f"# {n} article(s): {send} to send (about {tokens:,} prompt tokens, plus re-asks and "
        f"completions), {n - send} cached or failing. No model was called."
    )
    price_in = config.prices[0] if config is not None else None
    if config is not None and price_in is not None:
        yield (
            f"# Estimated prompt cost of the first requests: {tokens * price_in / 1_000_000:.4f} "
            f"({price_note(config)}; completions and re-asks come on top)."
        )
