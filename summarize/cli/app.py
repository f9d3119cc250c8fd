"""The typer app and its edge: how a command's failure reaches the person.

A `SummarizeError` is a failure the program understood: one `Error: <what>. <what to
do>.` line, exit 1 (a traceback too with --verbose). Anything else is a bug: its traceback,
and a line that says so. Ctrl-C exits 130.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import typer

from summarize.errors import SummarizeError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    help="Turn news articles into validated, grounded, structured digests.\n\n"
    "With no endpoint configured it runs the embedded local model (no key, no network).",
)


@contextmanager
def edge(verbose: bool) -> Iterator[None]:
    """Run a command body: set up logging, turn failures into one line and an exit code."""
    setup_logging(verbose)
    try:
        yield
    except (typer.Exit, typer.Abort):
        raise
    except SummarizeError as exc:
        fail(exc, verbose)
    except KeyboardInterrupt:
        typer.echo("Interrupted.", err=True)
        raise typer.Exit(130) from None
    except Exception as exc:
        traceback.print_exception(exc)
        typer.echo(
            f"Error: internal error ({type(exc).__name__}). This is a bug in summarize: "
            "please report it with the traceback above.",
            err=True,
        )
        raise typer.Exit(1) from None


def fail(exc: BaseException, verbose: bool) -> NoReturn:
    """Print EXC as one `Error:` line (and its traceback with --verbose); exit 1."""
    if verbose:
        traceback.print_exception(exc)
    message = str(exc).strip().rstrip(".") or type(exc).__name__
    # One line, always: a newline in a file name or an error body must not start a second one.
    message = message.translate({10: "\\n", 13: "\\r"})
    typer.echo(f"Error: {message}.", err=True)
    raise typer.Exit(1) from None


def setup_logging(verbose: bool) -> None:
    """INFO with --verbose, WARNING otherwise, on stderr; HTTP libraries kept quiet."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("httpx", "httpx2", "openai", "httpcore", "httpcore2"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def write_output(text: str, output: Path | None) -> None:
    """TEXT to OUTPUT (atomically), or to stdout."""
    if output is None:
        sys.stdout.write(text)
        return
    from summarize.fsio import write_output_text

    write_output_text(output, text)
