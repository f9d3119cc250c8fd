"""The eval command: quality figures on gold sets."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from summarize.cli.app import app, edge
from summarize.cli.options import Verbose, with_settings
from summarize.config import Settings


class Dataset(str, Enum):
    conll2003 = "conll2003"
    polnear = "polnear"
    bbc_summary = "bbc-summary"
    gum = "gum"
    factru = "factru"
    ner_uk = "ner-uk"


@app.command("eval")
@with_settings()
def eval_cmd(
    dataset: Annotated[
        Dataset,
        typer.Argument(
            help="Gold set: conll2003, polnear, bbc-summary, gum, factru or ner-uk.", metavar="DATASET"
        ),
    ],
    path: Annotated[
        Path, typer.Argument(help="The set's folder (e.g. ../shared/data/polnear) or JSONL.", metavar="PATH")
    ],
    limit: Annotated[int | None, typer.Option("--limit", "-n", min=1, help="Articles to run [all].")] = None,
    offset: Annotated[int, typer.Option("--offset", min=0, help="Skip this many articles first.")] = 0,
    max_chars: Annotated[
        int, typer.Option("--max-chars", min=0, help="Cut longer articles at a sentence end; 0: no cut.")
    ] = 3000,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Also write a JSON report (rewritten per article).")
    ] = None,
    verbose: Verbose = False,
    *,
    settings: Callable[[], Settings],
) -> None:
    """Run the pipeline on a gold set and print grounding and quality figures (docs/QUALITY.md).

    The first N articles after --offset, in file order. Progress on stderr, table on stdout.

    \b
    Examples:
      summarize eval conll2003 ../shared/data/conll2003 --limit 30 --local
      summarize eval polnear ../shared/data/polnear -n 30 -o polnear.json --base-url http://localhost:8000/v1
      summarize eval bbc-summary ../shared/data/bbc-summary -n 30 --max-chars 2000
      summarize eval gum ../shared/data/gum --offset 9 --max-chars 0 --local
      summarize eval factru ../shared/data/factru --offset 60 --local
    """
    with edge(verbose):
        from summarize import evaluate
        from summarize.fsio import write_output_text
        from summarize.pipeline import Summarizer

        cut = max_chars or None
        examples = evaluate.load_examples(dataset.value, path, limit=limit, offset=offset, max_chars=cut)
        summarizer = Summarizer.from_settings(settings())
        report = evaluate.Report(dataset.value, str(path), summarizer.model, cut, offset)

        def save() -> None:
            if output is not None:
                write_output_text(output, report.to_json())

        def progress(i: int, result: evaluate.ArticleResult) -> None:
            report.results.append(result)
            status = "ok" if result.ok else f"failed: {result.error}"
            typer.echo(f"[{i + 1}/{len(examples)}] {result.id} {result.seconds:.1f}s {status}", err=True)
            save()

        save()  # an -o that cannot take the report fails here, before any model time
        evaluate.run_eval(dataset.value, examples, summarizer, on_article=progress)
        typer.echo(report.table())
