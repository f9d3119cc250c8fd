"""A provider batch run in a process of its own, for the kill -9 tests of tests/test_batch_api_cli.py.

    python tests/provider_child.py SRC OUTDIR BASE_URL

Runs the batch path with --wait (no pause between polls) until every article is finished.
With SUMMARIZE_TEST_KILL_AT=STEP:N it kills itself with SIGKILL the Nth time STEP happens
(the job's steps, and reply-stored, result-written, result-recorded).
"""

from __future__ import annotations

import sys
from pathlib import Path

from kill_switch import killer

from summarize.batch import BatchConfig
from summarize.batch.provider import ProviderOptions, run_provider
from summarize.config import Settings
from summarize.draft.retry import RetryPolicy

CONTEXT_TOKENS = 4400  # as tests/provider_fakes.py: the long article is read in chunks, then merged


def main() -> None:
    src, out, base_url = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    settings = Settings(base_url=base_url, api_key="x", model="fake-model", context_tokens=CONTEXT_TOKENS)
    report = run_provider(
        BatchConfig(root=src, outdir=out),
        settings,
        ProviderOptions(wait=True, poll=0.0),
        policy=RetryPolicy(max_retries=4, budget_seconds=60, initial=0.001, maximum=0.002),
        sleep=lambda seconds: None,
        on_step=killer(),
    )
    sys.exit(report.exit_code)


if __name__ == "__main__":
    main()
