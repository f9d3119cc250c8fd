"""The batch command: every article under a folder, resumable."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from summarize.cli.app import app, edge
from summarize.cli.options import Verbose, with_settings
from summarize.config import Settings

if TYPE_CHECKING:
    from summarize.batch import BatchConfig


class BatchFormat(str, Enum):
    json = "json"
    csv = "csv"


_R = "Run"
Directory = Annotated[
    Path,
    typer.Argument(
        help="Folder of articles (searched recursively).", metavar="DIR", file_okay=False, exists=True
    ),
]
Output = Annotated[
    Path | None,
    typer.Option("-o", "--output", help="OUTDIR for results [default: DIR/../<DIR name>.summaries]."),
]
Glob = Annotated[
    list[str] | None,
    typer.Option("--glob", help="File pattern, repeatable [*.txt *.md *.html *.htm *.html.gz]."),
]
Exclude = Annotated[
    list[str] | None, typer.Option("--exclude", help="Skip matching files/folders, repeatable.")
]
FromFile = Annotated[
    typer.FileText | None,
    typer.Option("--from-file", help="Read article paths (relative to DIR) from this file, - for stdin."),
]
Concurrency = Annotated[
    int, typer.Option("--concurrency", "-j", min=1, help="Requests in flight at a time.", rich_help_panel=_R)
]
Force = Annotated[
    bool, typer.Option("--force", help="Redo every article, cached or not.", rich_help_panel=_R)
]
Format = Annotated[BatchFormat, typer.Option("--format", help="csv also writes actors/stances/claims.csv.")]
MaxTokensTotal = Annotated[
    int | None,
    typer.Option("--max-tokens-total", min=1, help="Stop starting articles past this.", rich_help_panel=_R),
]
PriceIn = Annotated[
    float | None, typer.Option("--price-in", help="Price per 1M prompt tokens.", rich_help_panel=_R)
]
PriceOut = Annotated[
    float | None, typer.Option("--price-out", help="Price per 1M completion tokens.", rich_help_panel=_R)
]
DryRun = Annotated[bool, typer.Option("--dry-run", help="List what would be sent; call no model.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")]


@app.command("batch")
@with_settings()
def batch_cmd(
    directory: Directory,
    output: Output = None,
    glob: Glob = None,
    exclude: Exclude = None,
    from_file: FromFile = None,
    concurrency: Concurrency = 8,
    force: Force = False,
    fmt: Format = BatchFormat.json,
    max_tokens_total: MaxTokensTotal = None,
    price_in: PriceIn = None,
    price_out: PriceOut = None,
    dry_run: DryRun = False,
    quiet: Quiet = False,
    verbose: Verbose = False,
    *,
    settings: Callable[[], Settings],
) -> None:
    """Summarize every article under DIR, N at a time; rerun the same command to resume.

    Writes OUTDIR/<relative path>.json per article, one line per article to
    OUTDIR/results.jsonl, and OUTDIR/run.json. Exit 0 all ok, 1 any failed (or the
    token budget stopped the run), 130 interrupted. See docs/BATCH.md.

    \b
    Examples:
      summarize batch articles/ -o digests/ --base-url http://localhost:8000/v1 --model qwen -j 16
      summarize batch articles/ --dry-run
      find articles -name '*.txt' -printf '%P\\n' | summarize batch articles/ --from-file -
    """
    with edge(verbose):
        from summarize.batch import BatchConfig

        config = BatchConfig(
            root=directory, outdir=output, patterns=tuple(glob or ()), excludes=tuple(exclude or ()),
            from_file=from_file, concurrency=concurrency, force=force, csv=fmt is BatchFormat.csv,
            max_tokens_total=max_tokens_total, price_in=price_in, price_out=price_out,
        )  # fmt: skip
        if dry_run:
            _dry_run(config, settings())
            return
        code = _run_threads(config, settings(), quiet=quiet, verbose=verbose)
    if code:
        raise typer.Exit(code)


def _dry_run(config: BatchConfig, settings: Settings) -> None:
    from summarize.batch import plan, progress

    for line in progress.dry_run_lines(plan(config, settings)):
        typer.echo(line)


def _run_threads(config: BatchConfig, settings: Settings, *, quiet: bool, verbose: bool) -> int:
    from summarize.batch import progress, run_batch

    reporter = progress.make_reporter(config, quiet=quiet, verbose=verbose)
    try:
        stats = run_batch(config, settings, reporter)
    finally:
        reporter.close()
    typer.echo("\n".join(progress.summary_lines(stats, config)), err=True)
    return stats.exit_code
