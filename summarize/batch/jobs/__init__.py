"""Provider batch jobs: request lines -> JSONL shards -> Files + Batches API -> results, each once.

The layer below the summarizing pipeline: it knows request lines, custom_ids and batches,
not articles. See `BatchJob` for the life of a job and `lines` for the formats.
"""

from __future__ import annotations

from .job import STEPS, BatchJob
from .lines import CHAT_URL, BadLine, LineError, OutputLine, RequestLine, parse_output_line, read_output_lines
from .outputs import Finished, Leftover
from .shards import MAX_BYTES, MAX_LINES, ShardLimits, estimate_tokens
from .state import BatchView, JobState

__all__ = [
    "CHAT_URL",
    "MAX_BYTES",
    "MAX_LINES",
    "STEPS",
    "BadLine",
    "BatchJob",
    "BatchView",
    "Finished",
    "JobState",
    "Leftover",
    "LineError",
    "OutputLine",
    "RequestLine",
    "ShardLimits",
    "estimate_tokens",
    "parse_output_line",
    "read_output_lines",
]
