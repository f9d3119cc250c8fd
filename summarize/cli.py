"""The command line: parse options, call one library function, render, exit.

Domain logic lives in modules that never import typer. Heavy imports (openai,
pydantic models, llama.cpp) happen inside commands so `--help` stays fast.
"""

from __future__ import annotations

import functools
import inspect
import logging
import sys
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar, cast

import typer

# Cheap (standard library only); needed at run time to resolve the commands' annotations.
from summarize.config import Settings

if TYPE_CHECKING:
    from summarize.schemas import ArticleSummary

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    help="Turn news articles into validated, grounded, structured digests.\n\n"
    "With no endpoint configured it runs the embedded local model (no key, no network).",
)


class Format(str, Enum):
    json = "json"
    markdown = "markdown"
    html = "html"


class ModeChoice(str, Enum):
    auto = "auto"
    json_schema = "json_schema"
    json_object = "json_object"
    tools = "tools"


_E = "Endpoint"
_L = "Local model"
# Options shared by every command that calls a model: declared once, used by `file` and `batch`.
BaseUrl = Annotated[
    str | None,
    typer.Option("--base-url", help="OpenAI-compatible endpoint [env: OPENAI_BASE_URL].", rich_help_panel=_E),
]
ApiKey = Annotated[
    str | None,
    typer.Option("--api-key", help="API key [env: OPENAI_API_KEY]. Never printed.", rich_help_panel=_E),
]
Model = Annotated[
    str | None, typer.Option("--model", help="Model name [env: SUMMARIZE_MODEL].", rich_help_panel=_E)
]
ModeOpt = Annotated[
    ModeChoice,
    typer.Option("--mode", help="Structured-output mode; auto steps down when refused.", rich_help_panel=_E),
]
MaxRetries = Annotated[
    int | None,
    typer.Option(
        "--max-retries",
        help="Transport retries per request [6]; all retries of a request stop after 40 s.",
        rich_help_panel=_E,
    ),
]
Timeout = Annotated[
    float | None, typer.Option("--timeout", help="Seconds per request [120].", rich_help_panel=_E)
]
ContextTokens = Annotated[
    int | None,
    typer.Option("--context-tokens", help="Endpoint context window, for chunking.", rich_help_panel=_E),
]
MaxTokens = Annotated[
    int | None, typer.Option("--max-tokens", help="Completion token limit per request [2048].")
]
Local = Annotated[bool, typer.Option("--local", help="Force the embedded local model.", rich_help_panel=_L)]
ModelPath = Annotated[
    str | None,
    typer.Option("--model-path", help="GGUF file [env: SUMMARIZE_LOCAL_MODEL].", rich_help_panel=_L),
]
Threads = Annotated[int | None, typer.Option("--threads", help="CPU threads.", rich_help_panel=_L)]
Ctx = Annotated[int | None, typer.Option("--ctx", help="Context tokens.", rich_help_panel=_L)]
PromptsDir = Annotated[
    Path | None, typer.Option("--prompts", help="Folder with system.md, article.md, reask.md, repair.md.")
]
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="Log progress and show tracebacks.")]
Raw = Annotated[bool, typer.Option("--raw", help="Keep the text as is: no boilerplate removal.")]
MaxBytes = Annotated[
    int, typer.Option("--max-bytes", min=1, help="Refuse input files larger than this [5 MB].")
]
_MAX_BYTES = 5 * 1024 * 1024

# The options every model-calling command takes, declared once. `@model_options` appends
# them to a command's signature (typer reads `__signature__`) and hands the command one
# Settings built from them, so no command repeats a dozen parameters.
_MODEL_OPTIONS = (
    ("base_url", BaseUrl, None),
    ("api_key", ApiKey, None),
    ("model", Model, None),
    ("mode", ModeOpt, ModeChoice.auto),
    ("max_retries", MaxRetries, None),
    ("timeout", Timeout, None),
    ("context_tokens", ContextTokens, None),
    ("max_tokens", MaxTokens, None),
    ("local", Local, False),
    ("model_path", ModelPath, None),
    ("threads", Threads, None),
    ("ctx", Ctx, None),
    ("prompts_dir", PromptsDir, None),
)
_Command = TypeVar("_Command", bound=Callable[..., None])


def model_options(command: _Command) -> _Command:
    """Give COMMAND the shared endpoint and local-model options as a `settings` argument.

    The options are resolved (CLI > env > defaults) only when the command runs, inside its
    own error handling: the command receives a zero-argument function returning Settings.
    """
    own = [p for p in inspect.signature(command, eval_str=True).parameters.values() if p.name != "settings"]
    shared = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)
        for name, annotation, default in _MODEL_OPTIONS
    ]

    @functools.wraps(command)
    def wrapper(**kwargs: Any) -> None:
        values = {name: kwargs.pop(name) for name, _, _ in _MODEL_OPTIONS}
        command(settings=lambda: _settings(**values), **kwargs)

    signature = inspect.Signature([*own, *shared])
    wrapper.__signature__ = signature  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in signature.parameters.values()}
    return cast(_Command, wrapper)


def main() -> None:
    """Console-script entry point."""
    app()


def _fail(exc: BaseException, verbose: bool) -> NoReturn:
    if verbose:
        import traceback

        traceback.print_exception(exc)
    message = str(exc).strip().rstrip(".") or type(exc).__name__
    # One line, always: a newline in a file name or an error body must not start a second one.
    message = message.translate({10: "\\n", 13: "\\r"})
    typer.echo(f"Error: {message}.", err=True)
    raise typer.Exit(1) from None


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("httpx", "httpx2", "openai", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _settings(**cli: object) -> Settings:
    from summarize.config import resolve

    mode = cli.get("mode")
    if isinstance(mode, Enum):
        cli["mode"] = mode.value
    if cli.get("prompts_dir") is not None:
        cli["prompts_dir"] = str(cli["prompts_dir"])
    return resolve(cli)


def _write(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    from summarize.fsio import atomic_write_text

    atomic_write_text(output, text)


@app.command("file")
@model_options
def file_cmd(
    path: Annotated[str, typer.Argument(help="Article file (.txt, .md, .html, .htm), or - for stdin.")],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write here, not stdout.")] = None,
    fmt: Annotated[
        Format, typer.Option("--format", help="json, markdown, or html (the report of one article).")
    ] = Format.json,
    raw: Raw = False,
    max_bytes: MaxBytes = _MAX_BYTES,
    verbose: Verbose = False,
    *,
    settings: Callable[[], Settings],
) -> None:
    """Summarize one article and print its ArticleSummary JSON.

    \b
    Examples:
      summarize file article.txt                      # embedded local model, offline
      summarize file page.html --format markdown
      summarize file page.html --format html -o page.report.html
      OPENAI_API_KEY=sk-... summarize file article.txt --model gpt-4o-mini
      summarize file article.txt --base-url http://localhost:11434/v1 --model llama3.1
    """
    _setup_logging(verbose)
    try:
        from summarize.api import options_from
        from summarize.backends import make_backend
        from summarize.extract import summarize_document
        from summarize.ingest import load_document
        from summarize.prompts import Prompts

        resolved = settings()
        doc = load_document(path, raw=raw, max_bytes=max_bytes)
        prompts = Prompts.load(resolved.prompts_dir)
        for block in doc.removed:
            logging.getLogger("summarize.ingest").info("removed boilerplate: %.120r", block)
        result = summarize_document(
            doc, make_backend(resolved), prompts=prompts, options=options_from(resolved)
        )
        _write(_rendered(result, fmt, doc.text), output)
    except Exception as exc:  # the edge: every failure becomes one line
        _fail(exc, verbose)


def _rendered(result: ArticleSummary, fmt: Format, text: str) -> str:
    if fmt is Format.html:
        from summarize.output.report import article_report

        return article_report(result, text)
    from summarize.render import to_json, to_markdown

    return to_markdown(result) if fmt is Format.markdown else to_json(result)


@app.command("text")
def text_cmd(
    path: Annotated[str, typer.Argument(help="Article file, or - for stdin.")],
    raw: Raw = False,
    max_bytes: MaxBytes = _MAX_BYTES,
    verbose: Verbose = False,
) -> None:
    """Print the clean article text the model would see; evidence offsets index into it."""
    _setup_logging(verbose)
    try:
        from summarize.ingest import load_document

        doc = load_document(path, raw=raw, max_bytes=max_bytes)
        if verbose:
            for block in doc.removed:
                typer.echo(f"removed: {block[:120]!r}", err=True)
        sys.stdout.write(doc.text)
        if not doc.text.endswith("\n"):
            sys.stdout.write("\n")
    except Exception as exc:
        _fail(exc, verbose)


@app.command("schema")
def schema_cmd(
    draft: Annotated[bool, typer.Option("--draft", help="The shape the model fills instead.")] = False,
) -> None:
    """Print the JSON Schema of ArticleSummary (the output of `file` and `batch`)."""
    import json

    from summarize.schemas import ArticleSummary, draft_json_schema

    schema = draft_json_schema() if draft else ArticleSummary.model_json_schema()
    sys.stdout.write(json.dumps(schema, indent=2, ensure_ascii=False) + "\n")


class BatchFormat(str, Enum):
    json = "json"
    csv = "csv"


@app.command("batch")
@model_options
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
    raw: Raw = False,
    max_bytes: MaxBytes = _MAX_BYTES,
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
    _setup_logging(verbose)
    try:
        from summarize import batch, progress

        resolved = settings()
        config = batch.BatchConfig(
            root=directory, outdir=output, patterns=tuple(glob or ()),
            excludes=tuple(exclude or ()), from_file=from_file, concurrency=concurrency, force=force,
            raw=raw, max_bytes=max_bytes, csv=fmt is BatchFormat.csv, max_tokens_total=max_tokens_total,
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
    except Exception as exc:
        _fail(exc, verbose)
    if stats.exit_code:
        raise typer.Exit(stats.exit_code)


class Dataset(str, Enum):
    conll2003 = "conll2003"
    polnear = "polnear"
    bbc_summary = "bbc-summary"


@app.command("eval")
@model_options
def eval_cmd(
    dataset: Annotated[
        Dataset, typer.Argument(help="Gold set: conll2003, polnear or bbc-summary.", metavar="DATASET")
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
    max_reasks: Annotated[
        int | None,
        typer.Option("--max-reasks", min=0, help="Re-asks after an invalid or cut-off reply [2]."),
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
    """
    _setup_logging(verbose)
    try:
        from summarize import evaluate
        from summarize.api import options_from
        from summarize.backends import make_backend
        from summarize.fsio import atomic_write_text
        from summarize.prompts import Prompts

        resolved = settings().with_overrides(max_reasks=max_reasks)
        cut = max_chars or None
        examples = evaluate.load_examples(dataset.value, path, limit=limit, offset=offset, max_chars=cut)
        backend = make_backend(resolved)
        report = evaluate.Report(dataset.value, str(path), backend.model_name, cut, offset)

        def progress(i: int, result: evaluate.ArticleResult) -> None:
            report.results.append(result)
            status = "ok" if result.ok else f"failed: {result.error}"
            typer.echo(f"[{i + 1}/{len(examples)}] {result.id} {result.seconds:.1f}s {status}", err=True)
            if output is not None:
                atomic_write_text(output, report.to_json())

        evaluate.run_eval(
            dataset.value, examples, backend, prompts=Prompts.load(resolved.prompts_dir),
            options=options_from(resolved), on_article=progress,
        )  # fmt: skip
        typer.echo(report.table())
    except Exception as exc:
        _fail(exc, verbose)


# --- looking at the results: SQLite and the HTML report (docs/REPORT.md) ----------------------

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
    _setup_logging(verbose)
    try:
        from summarize.output.sqlite import export

        stats = export(outdir, sqlite, articles_dir=articles)
    except Exception as exc:
        _fail(exc, verbose)
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
    _setup_logging(verbose)
    try:
        from summarize.output.report import write_report

        target = output or outdir / "report.html"
        stats = write_report(outdir, target, articles_dir=articles)
    except Exception as exc:
        _fail(exc, verbose)
    typer.echo(stats.describe(target), err=True)
