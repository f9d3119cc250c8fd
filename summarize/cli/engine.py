"""The batch command's choice of engine: threads in this process, or Ray Data (`--engine ray`).

Declared apart from the batch command so that command stays readable; nothing here imports
Ray (it is imported by the engine, once chosen).
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from summarize.config import Settings
from summarize.fsio import is_uri

if TYPE_CHECKING:
    from summarize.batch import BatchConfig
    from summarize.batch.ray_engine import RayOptions


class Engine(str, Enum):
    threads = "threads"
    ray = "ray"


def source(where: str) -> str:
    """A folder that exists, or an object-store URI (checked once the engine is known)."""
    if not is_uri(where) and not Path(where).is_dir():
        raise typer.BadParameter(f"{where!r} is not a folder.")
    return where


_C = "Cluster (--engine ray)"
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


def check_engine(
    engine: Engine, src: str, dest: str | None, workers: int | None, *, dry_run: bool, provider: bool
) -> bool:
    """Whether the run is on Ray; a usage error (exit 2) for options the engine cannot take."""
    if engine is Engine.ray:
        if provider:
            raise typer.BadParameter("provider batch jobs run without Ray.", param_hint="--via / --engine")
        if dry_run and is_uri(src):
            raise typer.BadParameter("--dry-run reads a folder, not object storage.", param_hint="DIR")
        return True
    if is_uri(src) or (dest is not None and is_uri(dest)):
        raise typer.BadParameter("object storage needs --engine ray.", param_hint="DIR / -o")
    if workers is not None:
        raise typer.BadParameter("--workers needs --engine ray.", param_hint="--workers")
    return False


def run_ray(
    config: BatchConfig, settings: Settings, options: RayOptions, *, quiet: bool, verbose: bool
) -> int:
    """Run the batch on Ray with the thread engine's progress and summary; the exit code."""
    from summarize.batch import progress
    from summarize.batch.ray_engine import run_on_ray

    reporter = progress.make_reporter(config, quiet=quiet, verbose=verbose, count=False)
    try:
        stats = run_on_ray(config, settings, options, reporter)
    finally:
        reporter.close()
    typer.echo("\n".join(progress.summary_lines(stats, config, results=options.dest_uri)), err=True)
    return stats.exit_code
