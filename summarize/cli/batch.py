"""The batch command: every article under a folder, resumable."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from summarize.cli.app import app, edge
from summarize.cli.engine import Address, Engine, EngineOpt, Workers, check_engine, run_ray, source
from summarize.cli.options import Verbose, with_settings
from summarize.config import Settings

if TYPE_CHECKING:
    from summarize.batch import BatchConfig
    from summarize.batch.provider import ProviderOptions


class BatchFormat(str, Enum):
    json = "json"
    csv = "csv"


class Via(str, Enum):
    live = "live"
    batch_api = "batch-api"
    jsonl = "jsonl"


class Reask(str, Enum):
    batch = "batch"
    live = "live"


_R = "Run"
Directory = Annotated[
    str,
    typer.Argument(
        help="Folder of articles (searched recursively); with --engine ray also s3://, gs://, ...",
        metavar="DIR",
        callback=source,
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
_J = "Provider batch jobs"
ViaOption = Annotated[
    Via | None,
    typer.Option(
        "--via",
        help="live: requests now [default]; batch-api: the endpoint's Files + Batches API (half price, "
        "results within 24 h); jsonl: request files for a runner of your own (vLLM run_batch).",
        rich_help_panel=_J,
    ),
]
Wait = Annotated[
    bool, typer.Option("--wait", help="Poll until every article is done (batch-api).", rich_help_panel=_J)
]
Poll = Annotated[
    float,
    typer.Option(
        "--poll", min=0, metavar="SECONDS", help="Seconds between polls with --wait.", rich_help_panel=_J
    ),
]
Cancel = Annotated[
    bool,
    typer.Option("--cancel", help="Cancel the job's open batches; keep what finished.", rich_help_panel=_J),
]
Collect = Annotated[
    list[Path] | None,
    typer.Option(
        "--collect",
        exists=True,
        dir_okay=False,
        metavar="FILE",
        help="Take in your runner's output files (--via jsonl); more FILEs may follow.",
        rich_help_panel=_J,
    ),
]
More = Annotated[list[Path] | None, typer.Argument(hidden=True, exists=True, dir_okay=False)]
ReaskOption = Annotated[
    Reask,
    typer.Option(
        "--reask", help="Follow-up rounds and failed lines: another batch, or live.", rich_help_panel=_J
    ),
]
MaxEnqueued = Annotated[
    int | None,
    typer.Option(
        "--max-enqueued-tokens",
        min=1,
        metavar="N",
        help="Estimated tokens in open batches at most: the provider's enqueued-token limit.",
        rich_help_panel=_J,
    ),
]
Discount = Annotated[
    float,
    typer.Option(
        "--batch-discount",
        min=0,
        max=1,
        help="Batch API price factor for cost estimates.",
        rich_help_panel=_J,
    ),
]


@app.command("batch")
@with_settings()
def batch_cmd(
    directory: Directory,
    files: More = None,
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
    via: ViaOption = None,
    wait: Wait = False,
    poll: Poll = 60.0,
    cancel: Cancel = False,
    collect: Collect = None,
    reask: ReaskOption = Reask.batch,
    max_enqueued_tokens: MaxEnqueued = None,
    batch_discount: Discount = 0.5,
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
    token budget stopped the run), 130 interrupted.

    --via batch-api submits the requests as provider batches and returns (or, with
    --wait, polls until done); run the same command again to continue the job: it
    exits 0 while the job is unfinished. --via jsonl writes OUTDIR/requests/*.jsonl for
    vLLM's run_batch; --collect takes its outputs in. See docs/BATCH.md.

    --engine ray runs the same batch on Ray Data, on a local Ray or the cluster at
    --address, from and to folders or object storage (s3://, gs://, ...). See docs/SCALE.md.

    \b
    Examples:
      summarize batch articles/ -o digests/ --base-url http://localhost:8000/v1 --model qwen -j 16
      summarize batch articles/ --dry-run
      find articles -name '*.txt' -printf '%P\\n' | summarize batch articles/ --from-file -
      summarize batch articles/ -o digests/ --model gpt-4o-mini --via batch-api --wait
      summarize batch articles/ -o digests/ --model qwen --via jsonl
      summarize batch articles/ -o digests/ --model qwen --collect digests/vllm-out/*.out.jsonl
      summarize batch s3://news/2024/ -o s3://news/digests/ --engine ray --address 10.0.0.5:6379 -j 64
    """
    job = _job_options(via, files, collect, cancel, wait, reask, max_enqueued_tokens, poll)
    on_ray = check_engine(engine, directory, output, workers, dry_run=dry_run, provider=job is not None)
    with edge(verbose):
        from summarize.batch import BatchConfig

        config = BatchConfig(
            root=Path(directory), outdir=None if output is None else Path(output),
            patterns=tuple(glob or ()), excludes=tuple(exclude or ()),
            from_file=from_file, concurrency=concurrency, force=force, csv=fmt is BatchFormat.csv,
            max_tokens_total=max_tokens_total, price_in=price_in, price_out=price_out,
            price_factor=batch_discount if job and job.via == "batch-api" else 1.0,
        )  # fmt: skip
        if dry_run:
            _dry_run(config, settings())
            return
        from summarize.fsio import output_errors

        with output_errors(output or config.out):  # a full or read-only OUTDIR: one line, exit 1
            if on_ray:
                from summarize.batch.ray_engine import RayOptions

                options = RayOptions(directory, output, address, workers, log_to_driver=verbose)
                code = run_ray(config, settings(), options, quiet=quiet, verbose=verbose)
            elif job is not None:
                code = _run_provider(config, settings(), job, quiet=quiet, verbose=verbose)
            else:
                code = _run_threads(config, settings(), quiet=quiet, verbose=verbose)
    if code:
        raise typer.Exit(code)


def _job_options(
    via: Via | None,
    files: list[Path] | None,
    collect: list[Path] | None,
    cancel: bool,
    wait: bool,
    reask: Reask,
    max_enqueued: int | None,
    poll: float,
) -> ProviderOptions | None:
    """The provider job's options (None for the live path); a usage error (exit 2) when they clash."""
    chosen = via.value if via else "jsonl" if collect else "batch-api" if cancel else "live"
    if files and not collect:
        raise typer.BadParameter("only --collect takes more than one file", param_hint="FILE")
    if collect and chosen != "jsonl":
        raise typer.BadParameter("output files of a runner belong to --via jsonl", param_hint="--collect")
    if (cancel or wait) and chosen != "batch-api":
        raise typer.BadParameter("--cancel and --wait apply to --via batch-api", param_hint="--via")
    if chosen == "live":
        if reask is not Reask.batch or max_enqueued is not None:
            raise typer.BadParameter("--reask and --max-enqueued-tokens apply to --via batch-api or jsonl")
        return None
    from summarize.batch.provider import ProviderOptions

    return ProviderOptions(
        via="jsonl" if chosen == "jsonl" else "batch-api",
        wait=wait,
        poll=poll,
        cancel=cancel,
        collect=(*(collect or ()), *(files or ())),
        reask="live" if reask is Reask.live else "batch",
        max_enqueued_tokens=max_enqueued,
    )


def _dry_run(config: BatchConfig, settings: Settings) -> None:
    from summarize.batch import plan, progress

    for line in progress.dry_run_lines(plan(config, settings), config):
        typer.echo(line)


def _run_provider(
    config: BatchConfig, settings: Settings, options: ProviderOptions, *, quiet: bool, verbose: bool
) -> int:
    from summarize.batch import progress
    from summarize.batch.provider import run_provider
    from summarize.batch.provider.report import next_lines, state_lines

    reporter = progress.make_reporter(config, quiet=quiet or not options.wait, verbose=verbose)
    try:
        report = run_provider(config, settings, options, reporter)
    finally:
        reporter.close()
    summary = progress.summary_lines(report.stats, config)
    lines = state_lines(report, config) + summary + next_lines(report, config)
    typer.echo("\n".join(lines), err=True)
    return report.exit_code


def _run_threads(config: BatchConfig, settings: Settings, *, quiet: bool, verbose: bool) -> int:
    from summarize.batch import progress, run_batch

    reporter = progress.make_reporter(config, quiet=quiet, verbose=verbose)
    try:
        stats = run_batch(config, settings, reporter)
    finally:
        reporter.close()
    typer.echo("\n".join(progress.summary_lines(stats, config)), err=True)
    return stats.exit_code
