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
    from summarize.batch.ray_engine import RayOptions


class BatchFormat(str, Enum):
    json = "json"
    csv = "csv"


class Engine(str, Enum):
    threads = "threads"
    ray = "ray"


def _is_uri(where: str) -> bool:
    from summarize.batch.ray_engine.places import is_uri

    return is_uri(where)


def _source(where: str) -> str:
    """A folder that exists, or an object-store URI (checked once the engine is known)."""
    if not _is_uri(where) and not Path(where).is_dir():
        raise typer.BadParameter(f"{where!r} is not a folder.")
    return where


_R = "Run"
_C = "Cluster (--engine ray)"
Directory = Annotated[
    str,
    typer.Argument(
        help="Folder of articles (searched recursively); with --engine ray also s3://, gs://, ...",
        metavar="DIR",
        callback=_source,
    ),
]
Output = Annotated[
    str | None,
    typer.Option(
        "-o", "--output", help="OUTDIR for results (or a URI) [default: DIR/../<DIR name>.summaries]."
    ),
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
    int,
    typer.Option(
        "--concurrency",
        "-j",
        min=1,
        help="Requests in flight (with Ray: across the cluster).",
        rich_help_panel=_R,
    ),
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
EngineOpt = Annotated[
    Engine,
    typer.Option("--engine", help="threads here, or Ray Data (the ray extra).", rich_help_panel=_C),
]
Address = Annotated[
    str | None,
    typer.Option(
        "--address",
        envvar="RAY_ADDRESS",
        help="Ray cluster to join [default: a local Ray on this machine].",
        rich_help_panel=_C,
    ),
]
Workers = Annotated[
    int | None,
    typer.Option("--workers", min=1, help="Ray actors, one client each [one per CPU].", rich_help_panel=_C),
]


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
    engine: EngineOpt = Engine.threads,
    address: Address = None,
    workers: Workers = None,
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
      summarize batch s3://news/2024/ -o s3://news/digests/ --engine ray --address 10.0.0.5:6379 -j 64
    """
    on_ray = _check_engine(engine, directory, output, workers, dry_run)
    with edge(verbose):
        from summarize.batch import BatchConfig

        config = BatchConfig(
            root=Path(directory), outdir=None if output is None else Path(output),
            patterns=tuple(glob or ()), excludes=tuple(exclude or ()),
            from_file=from_file, concurrency=concurrency, force=force, csv=fmt is BatchFormat.csv,
            max_tokens_total=max_tokens_total, price_in=price_in, price_out=price_out,
        )  # fmt: skip
        if dry_run:
            _dry_run(config, settings())
            return
        if on_ray:
            from summarize.batch.ray_engine import RayOptions

            options = RayOptions(directory, output, address, workers, log_to_driver=verbose)
            code = _run_ray(config, settings(), options, quiet=quiet, verbose=verbose)
        else:
            code = _run_threads(config, settings(), quiet=quiet, verbose=verbose)
    if code:
        raise typer.Exit(code)


def _check_engine(engine: Engine, src: str, dest: str | None, workers: int | None, dry_run: bool) -> bool:
    """Whether the run is on Ray; a usage error (exit 2) for options the engine cannot take."""
    if engine is Engine.ray:
        if dry_run and _is_uri(src):
            raise typer.BadParameter("--dry-run reads a folder, not object storage.", param_hint="DIR")
        return True
    if _is_uri(src) or (dest is not None and _is_uri(dest)):
        raise typer.BadParameter("object storage needs --engine ray.", param_hint="DIR / -o")
    if workers is not None:
        raise typer.BadParameter("--workers needs --engine ray.", param_hint="--workers")
    return False


def _dry_run(config: BatchConfig, settings: Settings) -> None:
    from summarize.batch import plan, progress

    for line in progress.dry_run_lines(plan(config, settings)):
        typer.echo(line)


def _run_ray(
    config: BatchConfig, settings: Settings, options: RayOptions, *, quiet: bool, verbose: bool
) -> int:
    from summarize.batch import progress
    from summarize.batch.ray_engine import run_on_ray

    reporter = progress.make_reporter(config, quiet=quiet, verbose=verbose, count=False)
    try:
        stats = run_on_ray(config, settings, options, reporter)
    finally:
        reporter.close()
    typer.echo("\n".join(progress.summary_lines(stats, config, results=options.dest_uri)), err=True)
    return stats.exit_code


def _run_threads(config: BatchConfig, settings: Settings, *, quiet: bool, verbose: bool) -> int:
    from summarize.batch import progress, run_batch

    reporter = progress.make_reporter(config, quiet=quiet, verbose=verbose)
    try:
        stats = run_batch(config, settings, reporter)
    finally:
        reporter.close()
    typer.echo("\n".join(progress.summary_lines(stats, config)), err=True)
    return stats.exit_code
