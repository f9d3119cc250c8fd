"""What a provider batch run is asked to do, and what it leaves behind."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from summarize.batch.config import Stats
from summarize.batch.jobs import JobState
from summarize.batch.jobs.manifest import Unmatched, Variant
from summarize.config import Settings
from summarize.errors import UserError

Via = Literal["batch-api", "jsonl"]
Reask = Literal["batch", "live"]
# Request files for a runner of your own name a model but reach no server: a placeholder
# endpoint lets the pipeline be built as for a server (model name, context size), never called.
OFFLINE_BASE_URL = "http://runner.invalid/v1"


@dataclass(frozen=True)
class ProviderOptions:
    """How the provider batch path runs (the `summarize batch` options of --via batch-api | jsonl)."""

    via: Via = "batch-api"
    wait: bool = False
    """Poll until every article is finished (batch-api)."""
    poll: float = 60.0
    """Seconds between polls with --wait."""
    cancel: bool = False
    """Cancel the open batches and withhold queued shards; collect what finished; submit nothing."""
    collect: tuple[Path, ...] = ()
    """Output files of a runner of your own (vLLM's run_batch) to take in (jsonl)."""
    reask: Reask = "batch"
    """Where follow-up rounds and failed requests go: another batch, or the live path."""
    max_enqueued_tokens: int | None = None

    @property
    def submitting(self) -> bool:
        """Whether this run writes and sends new requests (not when cancelling or collecting)."""
        return not (self.cancel or self.collect)

    def folder(self, out: Path) -> Path:
        """The job folder inside OUTDIR."""
        return out / ("batch-api" if self.via == "batch-api" else "batch-jsonl")

    def requests_dir(self, out: Path) -> Path | None:
        """Where the shards go: OUTDIR/requests for a runner of your own, else inside the job folder."""
        return runner_requests(out) if self.via == "jsonl" else None


def runner_requests(out: Path) -> Path:
    """OUTDIR/requests: the request files --via jsonl writes for a runner of your own."""
    return out / "requests"


def provider_settings(settings: Settings, options: ProviderOptions) -> Settings:
    """SETTINGS for a provider job; the embedded model is refused with what to pass instead."""
    if options.via == "batch-api" and settings.uses_local:
        raise UserError(
            "--via batch-api needs an endpoint with a Batch API, not the embedded local model. "
            "Pass --base-url URL and --model NAME (or set OPENAI_API_KEY for OpenAI)"
        )
    if options.via == "jsonl" and (settings.local or (settings.uses_local and not settings.model)):
        raise UserError(
            "--via jsonl writes requests for a model server, not the embedded local model. "
            "Pass --model NAME (the name your runner serves) or --base-url URL --model NAME"
        )
    if options.reask == "live" and settings.uses_local:
        raise UserError("--reask live sends requests to an endpoint. Pass --base-url URL and --model NAME")
    if settings.uses_local:  # --via jsonl --model NAME: nothing is contacted
        return replace(settings, base_url=OFFLINE_BASE_URL)
    return settings


@dataclass
class ProviderReport:
    """Where the job stands after one run, and what this run did."""

    options: ProviderOptions
    folder: Path
    stats: Stats
    state: JobState
    waiting: int = 0
    """Articles waiting for results of the job."""
    needs_round: int = 0
    """Articles whose next requests this run did not write (--collect, --cancel)."""
    written: list[str] = field(default_factory=list)
    """Shards written by this run."""
    resubmitted: int = 0
    cancelled: list[str] = field(default_factory=list)
    collected_files: list[str] = field(default_factory=list)
    unmatched: list[Unmatched] = field(default_factory=list)
    variants: list[Variant] = field(default_factory=list)
    model: str = ""
    outputs: dict[str, int] = field(default_factory=dict)
    """Per request file of --via jsonl: its requests with an output collected."""

    @property
    def unfinished(self) -> bool:
        """Whether some article still waits for the job (or for its next round to be written), or a
        batch is still queued or running."""
        running = self.options.via == "batch-api" and not self.state.done
        return running or self.waiting > 0 or self.needs_round > 0

    @property
    def exit_code(self) -> int:
        """130 interrupted; 0 while the job is unfinished; then as the live batch: 1 if any failed."""
        if self.stats.interrupted:
            return 130
        if self.unfinished and not self.stats.budget_reached:
            return 0
        return self.stats.exit_code

    def ledger(self) -> dict[str, Any]:
        """What run.json says of the job, besides the live batch's fields."""
        state = self.state
        return {
            "via": self.options.via,
            "job": state.job_id,
            "job_folder": str(self.folder),
            "waiting": self.waiting,
            "needs_round": self.needs_round,
            "mode": self.variants[-1].mode if self.variants else None,
            "batches": [
                {"shard": b.shard, "batch_id": b.batch_id, "status": b.status or b.phase, "lines": b.lines}
                for b in state.batches
            ],
            "unmatched_lines": state.unmatched,
        }
