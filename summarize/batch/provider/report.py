"""How a provider job looks to a person: per batch its status and counts, what is left, what to do.

The CLI prints these lines (on stderr, before the run summary); the library never prints.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from summarize.batch.config import BatchConfig
from summarize.batch.jobs import BatchView

from .driver import RUNNER_OUT
from .options import ProviderReport, runner_requests

MAX_ROWS = 30
VLLM = "python -m vllm.entrypoints.openai.run_batch"


def state_lines(report: ProviderReport, config: BatchConfig) -> list[str]:
    """The job as it stands: per batch (or request file) its status and counts."""
    lines = _batches(report) if report.options.via == "batch-api" else _files(report, config)
    if report.state.unmatched:
        lines += _unmatched(report)
    return lines


def _batches(report: ProviderReport) -> list[str]:
    state = report.state
    mode = report.variants[-1].mode if report.variants else "?"
    lines = [f"Job {state.job_id} ({report.folder}): {len(state.batches)} batch(es), {mode} mode."]
    rows = [f"  {b.shard}  {b.batch_id or '-':<14} {_status(b):<12} {_counts(b)}" for b in state.batches]
    lines += _capped(rows)
    if report.cancelled:
        lines.append(f"Cancelled {len(report.cancelled)} batch(es): {', '.join(report.cancelled)}.")
    return lines


def _status(view: BatchView) -> str:
    if view.phase == "written":
        return "queued"
    if view.phase == "withheld":
        return "withheld"
    return view.status or view.phase


def _counts(view: BatchView) -> str:
    if view.settled is not None:
        s = view.settled
        text = f"{view.lines:,} requests: {s.ok:,} answered, {s.errors:,} failed"
        return text + (f", {s.not_run:,} never ran" if s.not_run else "")
    if view.phase == "written":
        return (
            f"{view.lines:,} requests, ~{view.tokens:,} tokens (waits for room under --max-enqueued-tokens)"
        )
    if view.phase == "withheld":
        return f"{view.lines:,} requests (job cancelled)"
    if view.total:
        return f"{view.completed:,}/{view.total:,} done, {view.failed:,} failed"
    return f"{view.lines:,} requests"


def _files(report: ProviderReport, config: BatchConfig) -> list[str]:
    requests = runner_requests(config.out)
    lines = [f"Request files in {requests} (OpenAI batch lines; one file per GPU node):"]
    rows = [
        f"  {b.shard}  {b.lines:,} requests, {report.outputs.get(b.shard, 0):,} with output collected"
        + ("  (new)" if b.shard in report.written else "")
        for b in report.state.batches
    ]
    lines += _capped(rows or ["  (none yet)"])
    if report.collected_files:
        lines.append(
            f"Collected: {', '.join(report.collected_files)} (copied into {report.folder / 'outputs'})."
        )
    return lines


def _unmatched(report: ProviderReport) -> list[str]:
    lines = [f"{report.state.unmatched:,} output line(s) named no request of this job and were left out:"]
    lines += [f"  {u.file} line {u.line}: {u.reason}" for u in report.unmatched[:5]]
    return lines


def next_lines(report: ProviderReport, config: BatchConfig) -> list[str]:
    """What is left and what to do about it (nothing when the job is finished)."""
    if report.stats.interrupted:
        return []
    if report.options.cancel:
        return [
            "The job is stopped; what finished is in the results. Run the same command without --cancel "
            "to send the rest as new batches."
        ]
    if report.options.via == "jsonl":
        return _jsonl_next(report, config)
    if not report.unfinished:
        return []
    return [
        f"Not finished: {report.waiting:,} article(s) wait for the job. Run the same command again to "
        "continue (it polls, collects and submits what is left), or add --wait to wait here."
    ]


def _jsonl_next(report: ProviderReport, config: BatchConfig) -> list[str]:
    if report.needs_round:
        return [
            f"{report.needs_round:,} article(s) need another round (re-asks, repairs, merges, failed lines): "
            "run the same command with --via jsonl instead of --collect to write their requests."
        ]
    if report.written:
        return _commands(report, config)
    if report.waiting:
        waiting = [
            f"{b.shard} ({b.lines - report.outputs.get(b.shard, 0):,} without output)"
            for b in report.state.batches
            if report.outputs.get(b.shard, 0) < b.lines
        ]
        return [
            f"Nothing new to write: {report.waiting:,} article(s) wait for the outputs of "
            f"{', '.join(waiting[:10])}. Run vLLM on those files and pass the outputs to --collect."
        ]
    return []


def _commands(report: ProviderReport, config: BatchConfig) -> list[str]:
    """The runner commands for the files this run wrote, then the collect command."""
    outputs = config.out / RUNNER_OUT
    outs = [outputs / name.replace(".jsonl", ".out.jsonl") for name in report.written]
    lines = [
        f"Run each new file with vLLM's batch runner, one per GPU node (--model must be {report.model!r}, "
        "the model the requests name, or add --served-model-name with it):"
    ]
    for name, out in zip(report.written, outs, strict=True):
        source = runner_requests(config.out) / name
        lines.append(f"  {VLLM} -i {_q(source)} -o {_q(out)} --model {shlex.quote(report.model)}")
    lines.append("Then take the outputs in (add your usual options):")
    lines.append(
        f"  summarize batch {_q(config.root)} -o {_q(config.out)} --collect {' '.join(_q(o) for o in outs)}"
    )
    return lines


def _capped(rows: list[str]) -> list[str]:
    if len(rows) <= MAX_ROWS:
        return rows
    return [*rows[:MAX_ROWS], f"  ... and {len(rows) - MAX_ROWS} more (see the job's manifest.json)"]


def _q(path: Path) -> str:
    return shlex.quote(str(path))
