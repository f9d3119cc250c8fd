"""Commands that look at a finished batch: export (SQLite) and report (one HTML file)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from summarize.cli.app import app, edge
from summarize.cli.options import Verbose

BatchOut = Annotated[
    Path,
    typer.Argument(
        help="Output folder of `summarize batch` (holds results.jsonl).",
        metavar="OUTDIR",
        file_okay=False,
        exists=True,
    ),
]
ArticlesDir = Annotated[
    Path | None,
    typer.Option(
        "--articles",
        help="Folder of the articles, when they moved since the batch [run.json's dir].",
        file_okay=False,
    ),
]


@app.command("export")
def export_cmd(
    outdir: BatchOut,
    sqlite: Annotated[
        Path, typer.Option("--sqlite", help="SQLite database to create or update.", metavar="DB")
    ],
    articles: ArticlesDir = None,
    verbose: Verbose = False,
) -> None:
    """Write a batch's results to a SQLite database that Datasette opens; rerun to update it.

    Tables articles, actors (one row per actor across articles), topics, mentions, claims,
    stances, dropped, with foreign keys and full-text search. Only changed articles are
    rewritten. See docs/REPORT.md.

    \b
    Examples:
      summarize export digests/ --sqlite news.db
      datasette news.db
    """
    with edge(verbose):
        from summarize.batch.store import refuse_own
        from summarize.output.sqlite import export

        refuse_own(outdir, sqlite)
        stats = export(outdir, sqlite, articles_dir=articles)
        typer.echo(stats.describe(sqlite), err=True)


@app.command("report")
def report_cmd(
    outdir: BatchOut,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="HTML file [default: OUTDIR/report.html].")
    ] = None,
    articles: ArticlesDir = None,
    verbose: Verbose = False,
) -> None:
    """Write one self-contained HTML report of a batch: actors, stances, claims, highlighted texts.

    Opens offline in any browser; nothing is loaded from the network. See docs/REPORT.md.

    \b
    Examples:
      summarize report digests/ -o report.html
      summarize report digests/ --articles moved/articles/
    """
    with edge(verbose):
        from summarize.batch.store import REPORT, refuse_own
        from summarize.output.report import write_report

        target = output or outdir / REPORT
        refuse_own(outdir, target, allowed=(REPORT,))
        stats = write_report(outdir, target, articles_dir=articles)
        typer.echo(stats.describe(target), err=True)
