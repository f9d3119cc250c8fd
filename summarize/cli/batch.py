"""The batch command: every article under a folder, resumable."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from summarize.cli.app import app, edge
from summarize.cli.options import Verbose, with_settings
from summarize.config import Settings


class BatchFormat(str, Enum):
    json = "json"
    csv = "csv"


@app.command("batch")
@with_settings()
def batch_cmd(
    directory: Annotated[
        Path,
        typer.Argument(
            help="Folder of articles (searched recursively).", metavar="DIR", file_okay=False, exists=True
        ),
    ],
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="OUTDIR for results [default: DIR/../<DIR name>.summaries]."),
    ] = None,
    glob: Annotated[
        list[str] | None,
        typer.Option("--glob", help="File pattern, repeatable [*.txt *.md *.html *.htm *.html.gz]."),
    ] = None,
    exclude: Annotated[
        list[str] | None, typer.Option("--exclude", help="Skip matching files/folders, repeatable.")
    ] = None,
    from_file: Annotated[
        typer.FileText | None,
        typer.Option("--from-file", help="Read article paths (relative to DIR) from this file, - for stdin."),
    ] = None,
    concurrency: Annotated[int, typer.Option("--concurrency", "-j", min=1, help="Articles at a time.")] = 8,
    force: Annotated[bool, typer.Option("--force", help="Redo every article, cached or not.")] = False,
    fmt: Annotated[
        BatchFormat, typer.Option("--format", help="csv also writes actors/stances/claims.csv.")
    ] = BatchFormat.json,
    max_tokens_total: Annotated[
        int | None, typer.Option("--max-tokens-total", min=1, help="Stop starting articles past this.")
    ] = None,
    price_in: Annotated[float | None, typer.Option("--price-in", help="Price per 1M prompt tokens.")] = None,
    price_out: Annotated[
        float | None, typer.Option("--price-out", help="Price per 1M completion tokens.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what would be sent; call no model.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
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
        from summarize import batch
        from summarize.batch import progress

        resolved = settings()
        config = batch.BatchConfig(
            root=directory, outdir=output, patterns=tuple(glob or ()),
            excludes=tuple(exclude or ()), from_file=from_file, concurrency=concurrency, force=force,
            csv=fmt is BatchFormat.csv, max_tokens_total=max_tokens_total,
            price_in=price_in, price_out=price_out,
        )  # fmt: skip
        if dry_run:
            for line in progress.dry_run_lines(batch.plan(config, resolved)):
                typer.echo(line)
            return
        reporter = progress.make_reporter(config, quiet=quiet, verbose=verbose)
        try:
            stats = batch.run_batch(config, resolved, reporter)
        finally:
            reporter.close()
        typer.echo("\n".join(progress.summary_lines(stats, config)), err=True)
    if stats.exit_code:
        raise typer.Exit(stats.exit_code)
