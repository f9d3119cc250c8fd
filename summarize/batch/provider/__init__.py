"""The provider batch path: articles through a provider's Batch API, or request files for a runner.

`run_provider` drives rounds (`driver`): each article's conversation is replayed from the
replies collected so far (`replay`, `replies`) and asks for what it needs next as request
lines of a `summarize.batch.jobs.BatchJob`, the crash-safe transport below it.
"""

from __future__ import annotations

from .driver import run_provider
from .options import ProviderOptions, ProviderReport

__all__ = ["ProviderOptions", "ProviderReport", "run_provider"]
