"""A batch job run in a process of its own, for the kill -9 tests of tests/test_batch_jobs.py.

    python tests/batch_job_child.py FOLDER BASE_URL CONSUMER_FILE

Submits the same 25 request lines (shards of at most 4), polls until every batch finished,
appends every collected result to CONSUMER_FILE (one JSON line each), submits a second-round
request for every even article collected (a re-ask, say; read back from CONSUMER_FILE, which
outlives a kill as the provider driver's reply store does), resubmits what never ran, and
goes round until nothing is left. With SUMMARIZE_TEST_KILL_AT=STEP:N it kills itself
with SIGKILL the Nth time the job reports STEP.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import openai
from kill_switch import killer

from summarize.batch.jobs import BatchJob, RequestLine, ShardLimits

LINES = 25
PER_SHARD = 4


def line(i: int, kind: str) -> RequestLine:
    """The request of article I in round KIND, the same every time."""
    text = f"<article>\nArticle {i} reports news. More text.\n</article>"
    body = {
        "model": "fake-model",
        "messages": [
            {"role": "system", "content": f"Summarize ({kind})."},
            {"role": "user", "content": text},
        ],
        "temperature": 0.0,
        "max_tokens": 256,
    }
    return RequestLine(f"article-{i:03d}:{kind}", body)


def lines() -> list[RequestLine]:
    """The first round."""
    return [line(i, "draft") for i in range(LINES)]


def reasks(consumer: Path) -> list[RequestLine]:
    """The second round: a request for every even article whose draft was collected."""
    lines = []
    for raw in consumer.read_text(encoding="utf-8").splitlines():
        number, _, kind = json.loads(raw)["custom_id"].removeprefix("article-").partition(":")
        if kind == "draft" and int(number) % 2 == 0:
            lines.append(line(int(number), "reask"))
    return lines


def main() -> None:
    folder, base_url, consumer = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    client = openai.OpenAI(base_url=base_url, api_key="x", max_retries=0)
    with BatchJob.open(folder, client, limits=ShardLimits(max_lines=PER_SHARD), on_step=killer()) as job:
        job.submit(lines())
        while True:
            job.wait(0.0)
            with open(consumer, "a", encoding="utf-8") as out:
                for item in job.collect():
                    out.write(json.dumps({"custom_id": item.custom_id, "ok": item.error is None}) + "\n")
                    out.flush()
            new = job.resubmit() if job.pending_resubmit() else []
            new += job.submit(reasks(consumer))  # requests already in a shard are skipped
            if not new:
                break


if __name__ == "__main__":
    main()
