"""The command line: parse options, call one library function, render, exit.

Domain logic lives in modules that never import typer. Heavy imports (openai, pydantic
models, llama.cpp, spaCy) happen inside commands so `--help` stays fast. Each command
module registers itself on `app` when imported.
"""

from __future__ import annotations

from summarize.cli import article, batch, evaluate, feeds, output
from summarize.cli.app import app

__all__ = ["app", "article", "batch", "evaluate", "feeds", "main", "output"]


def main() -> None:
    """Console-script entry point."""
    app()
