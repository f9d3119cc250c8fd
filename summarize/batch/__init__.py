"""Folders of articles: walk, schedule, resume, write results atomically.

`run_batch` is the thread engine (`run.py`); `plan` the dry run. Around them: `discover`
walks the folder, `store` owns OUTDIR (results.jsonl, per-article JSON, run.json, CSV),
`throttle` bounds requests in flight, `progress` shows it to a person.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from summarize.batch.config import BatchConfig, Outcome, Stats
from summarize.batch.plan import Planned, plan

if TYPE_CHECKING:
    from summarize.batch.run import run_batch

__all__ = ["BatchConfig", "Outcome", "Planned", "Stats", "plan", "run_batch"]


def __getattr__(name: str) -> object:
    """`run_batch` on first use: it brings the pipeline, tenacity and the OpenAI client, which
    `summarize export` and `report` (readers of OUTDIR through `store`) never need."""
    if name == "run_batch":
        from summarize.batch.run import run_batch

        return run_batch
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
