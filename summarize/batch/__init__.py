"""Folders of articles: walk, schedule, resume, write results atomically.

`run_batch` is the thread engine (`run.py`); `plan` the dry run. Around them: `discover`
walks the folder, `store` owns OUTDIR (results.jsonl, per-article JSON, run.json, CSV),
`throttle` bounds requests in flight, `progress` shows it to a person.
"""

from __future__ import annotations

from summarize.batch.config import BatchConfig, Outcome, Stats
from summarize.batch.plan import Planned, plan
from summarize.batch.run import run_batch

__all__ = ["BatchConfig", "Outcome", "Planned", "Stats", "plan", "run_batch"]
