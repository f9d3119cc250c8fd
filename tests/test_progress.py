"""summarize.batch.progress: what a person sees of a batch."""

from __future__ import annotations

import io
from pathlib import Path

from summarize.batch.config import BatchConfig, Stats
from summarize.batch.plan import Planned
from summarize.batch.progress import LineReporter, dry_run_lines, summary_lines
from summarize.schemas import Usage


def test_summary_lines_say_counts_tokens_cost_failures_and_how_to_resume(tmp_path: Path) -> None:
    stats = Stats(ok=3, failed=1, cached=2, not_started=4, interrupted=True, seconds=12.5)
    stats.usage = Usage(prompt_tokens=1000, completion_tokens=200, requests=6)
    stats.failures = [("b.txt", "the endpoint answered HTTP 500")]
    config = BatchConfig(root=tmp_path, outdir=tmp_path / "out", price_in=0.15, price_out=0.6)
    text = "\n".join(summary_lines(stats, config))
    assert "Done in 12.5 s: 3 ok, 1 failed, 2 cached (skipped), 4 not started." in text
    assert "1,000 prompt + 200 completion" in text and "6 requests" in text
    assert "Estimated cost: 0.0003" in text
    assert "  b.txt: the endpoint answered HTTP 500" in text
    assert "Run the same command again to resume." in text


def test_line_reporter_prints_every_n_articles() -> None:
    out = io.StringIO()
    reporter = LineReporter(out, every=2)
    for ok in (1, 2, 3, 4):
        reporter.update(Stats(ok=ok))
    assert out.getvalue().count("batch: ") == 2


def test_dry_run_lists_and_totals() -> None:
    planned = [
        Planned("a.txt", 100, 500, False),
        Planned("b.txt", 90, 450, True),
        Planned("c", 0, 0, False, "bad"),
    ]
    lines = list(dry_run_lines(planned))
    assert lines[0] == "path\tchars\test_prompt_tokens\tstatus"
    assert lines[1:4] == ["a.txt\t100\t500\tsend", "b.txt\t90\t450\tcached", "c\t0\t0\tfails: bad"]
    assert "3 article(s): 1 to send (about 500 prompt tokens" in lines[-1]
