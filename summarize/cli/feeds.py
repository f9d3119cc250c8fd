"""Commands that follow sources: fetch (feeds, sitemaps, URLs -> article files) and watch
(fetch, summarize, export and report, cycle after cycle)."""

from __future__ import annotations

import re
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from summarize.cli.app import app, edge
from summarize.cli.options import Verbose, with_settings
from summarize.config import DEFAULTS, Settings

if TYPE_CHECKING:
    from summarize.sources.client import ClientOptions
    from summarize.sources.fetch import FetchReport

_P = "Politeness"
Sources = Annotated[
    list[str] | None,
    typer.Argument(help="Feed (RSS, Atom, JSON Feed), sitemap or article URLs.", metavar="SOURCE..."),
]
UrlsFile = Annotated[
    Path | None,
    typer.Option(
        "--urls", exists=True, dir_okay=False, metavar="FILE", help="More SOURCEs, one a line (# comments)."
    ),
]
PerHost = Annotated[
    int,
    typer.Option("--per-host", min=1, metavar="N", help="Requests in flight per host.", rich_help_panel=_P),
]
Delay = Annotated[
    float,
    typer.Option(
        "--delay",
        min=0,
        metavar="SECONDS",
        help="Pause of each slot between requests to a host (robots.txt Crawl-delay wins when longer).",
        rich_help_panel=_P,
    ),
]
Timeout = Annotated[
    float,
    typer.Option(
        "--fetch-timeout",
        min=0.1,
        metavar="SECONDS",
        help="Connect and read timeout of fetches.",
        rich_help_panel=_P,
    ),
]
MaxPage = Annotated[
    int | None,
    typer.Option(
        "--max-page-bytes", min=1, metavar="N", help="Drop larger pages [--max-bytes].", rich_help_panel=_P
    ),
]
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$", re.I)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def client_options(per_host: int, delay: float, timeout: float, max_bytes: int) -> ClientOptions:
    """The fetch client's options from the command line."""
    from summarize.sources.client import ClientOptions

    return ClientOptions(
        per_host=per_host, delay=delay, max_bytes=max_bytes, connect_timeout=timeout, read_timeout=timeout
    )


@app.command("fetch")
def fetch_cmd(
    sources: Sources = None,
    output: Annotated[
        Path, typer.Option("-o", "--output", help="ARTICLES folder: <host>/<slug>.html per article.")
    ] = Path("articles"),
    urls: UrlsFile = None,
    per_host: PerHost = 2,
    delay: Delay = 1.0,
    fetch_timeout: Timeout = 30.0,
    max_page_bytes: MaxPage = None,
    verbose: Verbose = False,
) -> None:
    """Save the new articles of feeds, sitemaps and article URLs as files that batch reads.

    Each new item becomes ARTICLES/<host>/<slug>.html: the page as fetched, with its URL,
    canonical URL, feed, title and publication date in `summarize:*` meta tags, so that
    `summarize batch ARTICLES` fills source.url, title, date and site. Rerun to get what is
    new: feeds are asked "changed since?" (ETag / Last-Modified), saved articles are never
    fetched again, failed ones are retried. Honours robots.txt; at most --per-host requests
    in flight per host. Exit 0, 1 when an item failed, 130 interrupted. See docs/FEEDS.md.

    \b
    Examples:
      summarize fetch https://example.org/feed.xml -o articles/
      summarize fetch https://example.org/sitemap.xml --urls more-feeds.txt -o articles/
      summarize batch articles/ -o digests/
    """
    todo = _sources(sources, urls)
    with edge(verbose):
        from summarize.sources.fetch import Fetcher

        options = client_options(per_host, delay, fetch_timeout, max_page_bytes or DEFAULTS.max_bytes)
        with _signals() as stop:
            report = Fetcher(output, options, stop=stop).run(todo)
        _print_report(report, verbose)
    if report.interrupted:
        raise typer.Exit(130)
    if report.failed:
        raise typer.Exit(1)


@app.command("watch")
@with_settings()
def watch_cmd(
    sources: Sources = None,
    output: Annotated[
        Path, typer.Option("-o", "--output", help="OUTDIR for results, as `summarize batch` writes it.")
    ] = Path("digests"),
    urls: UrlsFile = None,
    articles: Annotated[
        Path | None,
        typer.Option("--articles", file_okay=False, help="Where fetched pages are kept [<OUTDIR>.articles]."),
    ] = None,
    every: Annotated[
        str, typer.Option("--every", metavar="DURATION", help="Time between cycles: 90s, 15m, 2h, 1d.")
    ] = "15m",
    once: Annotated[bool, typer.Option("--once", help="Run one cycle and exit (cron, CI).")] = False,
    sqlite: Annotated[
        Path | None, typer.Option("--sqlite", metavar="DB", help="Keep this SQLite database up to date.")
    ] = None,
    report: Annotated[
        Path | None, typer.Option("--report", metavar="FILE", help="Keep this HTML report up to date.")
    ] = None,
    concurrency: Annotated[
        int, typer.Option("--concurrency", "-j", min=1, help="Model requests in flight.")
    ] = 8,
    per_host: PerHost = 2,
    delay: Delay = 1.0,
    fetch_timeout: Timeout = 30.0,
    max_page_bytes: MaxPage = None,
    verbose: Verbose = False,
    *,
    settings: Callable[[], Settings],
) -> None:
    """Follow feeds: fetch what is new, summarize it into OUTDIR, update the database and report.

    Each cycle runs `fetch` into the articles folder, then `batch` over it into OUTDIR
    (same journal, cache and options), then `export` and `report` when asked. One line per
    cycle on stderr. Ctrl-C ends after the article in progress (exit 130); a killed watch
    loses nothing and repeats nothing when started again. With --once: exit 0, or 1 when
    an item or an article failed. See docs/FEEDS.md.

    \b
    Examples:
      summarize watch https://example.org/feed.xml -o digests/ --every 15m --sqlite news.db
      summarize watch --urls feeds.txt -o digests/ --once --report report.html   # from cron
    """
    seconds = _duration(every)
    todo = _sources(sources, urls)
    with edge(verbose):
        from summarize.watch import Watcher, WatchOptions

        resolved = settings()
        options = WatchOptions(
            sources=tuple(todo),
            outdir=output,
            articles=articles,
            client=client_options(per_host, delay, fetch_timeout, max_page_bytes or resolved.max_bytes),
            sqlite=sqlite,
            report=report,
            concurrency=concurrency,
        )
        with _signals() as stop:
            watcher = Watcher(options, resolved, stop=stop)
            while True:
                cycle = watcher.cycle()
                typer.echo(cycle.line(), err=True)
                for _, error in cycle.fetched.failed[:20] if verbose else ():
                    typer.echo(f"  failed: {error}", err=True)
                if once or cycle.interrupted or not watcher.sleep(seconds):
                    break
        code = 130 if stop.is_set() else cycle.exit_code if once else 0
    if code:
        raise typer.Exit(code)


def _sources(sources: list[str] | None, urls: Path | None) -> list[str]:
    found = list(sources or ())
    if urls is not None:
        for line in urls.read_text(encoding="utf-8").splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                found.append(line)
    if not found:
        raise typer.BadParameter("give at least one SOURCE, or --urls FILE", param_hint="SOURCE")
    bad = [s for s in found if not s.startswith(("http://", "https://"))]
    if bad:
        raise typer.BadParameter(f"{bad[0]} is not an http(s) URL", param_hint="SOURCE")
    return found


def _duration(text: str) -> float:
    match = _DURATION.match(text)
    if not match or float(match.group(1)) <= 0:
        raise typer.BadParameter(f"{text!r} is not a duration such as 90s, 15m, 2h", param_hint="--every")
    return float(match.group(1)) * _UNITS[(match.group(2) or "s").lower()]


@contextmanager
def _signals() -> Iterator[threading.Event]:
    """A stop event that SIGINT and SIGTERM set (the work in progress finishes first)."""
    stop = threading.Event()
    old: dict[signal.Signals, Any] = {}

    def handle(signum: int, frame: object) -> None:
        if stop.is_set():
            raise KeyboardInterrupt  # a second Ctrl-C: leave now
        stop.set()

    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            old[sig] = signal.signal(sig, handle)
    try:
        yield stop
    finally:
        for signum, handler in old.items():
            signal.signal(signum, handler)


def _print_report(report: FetchReport, verbose: bool) -> None:
    typer.echo(report.line(), err=True)
    for _, error in report.failed[: None if verbose else 10]:
        typer.echo(f"  failed: {error}", err=True)
    for _, why in report.skipped[: None if verbose else 10] if verbose else ():
        typer.echo(f"  skipped: {why}", err=True)
