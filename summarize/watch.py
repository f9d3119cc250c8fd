"""Follow sources as they publish: each cycle fetches what is new, summarizes it as `batch`
would, and brings the database and the report up to date.

A cycle is: `sources.fetch` into ARTICLES -> `batch.run_batch` over ARTICLES into OUTDIR
(the same journal, cache and options as `summarize batch ARTICLES -o OUTDIR`) -> `export`
to the database and `write_report`, when asked. Every step is resumable on its own (the
fetch state, results.jsonl, one export transaction, an atomic report), so a process killed
at any point loses nothing and duplicates nothing: the next cycle finishes the work.

A cycle that fetched nothing new, after a cycle that finished cleanly with the same
settings, skips the batch: re-reading every saved article only to find it cached would cost
an HTML extraction each. ARTICLES/.fetch/watch.json remembers that last clean cycle.
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from summarize.backends import Backend
from summarize.batch import BatchConfig, Stats
from summarize.config import Settings
from summarize.errors import UserError
from summarize.fsio import atomic_write_text
from summarize.sources.client import ClientOptions
from summarize.sources.fetch import Fetcher, FetchReport

WATCH = Path(".fetch") / "watch.json"


@dataclass(frozen=True)
class WatchOptions:
    """What to follow and where everything goes."""

    sources: tuple[str, ...]
    outdir: Path
    articles: Path | None = None
    """Where fetched pages are kept [default: `<OUTDIR>.articles` beside OUTDIR]."""
    client: ClientOptions = field(default_factory=ClientOptions)
    sqlite: Path | None = None
    report: Path | None = None
    concurrency: int = 8

    @property
    def folder(self) -> Path:
        """The articles folder."""
        return self.articles or default_articles(self.outdir)


def default_articles(outdir: Path) -> Path:
    """`<OUTDIR>.articles`, beside OUTDIR (never inside it, where the tool's own files live)."""
    outdir = outdir.resolve()
    return outdir.parent / f"{outdir.name}.articles"


@dataclass
class Cycle:
    """What one cycle did."""

    number: int
    fetched: FetchReport
    stats: Stats | None = None
    """The batch's totals; None when the batch was skipped (nothing new)."""
    exported: bool = False
    reported: bool = False
    seconds: float = 0.0

    @property
    def interrupted(self) -> bool:
        """Whether a signal cut the cycle short."""
        return self.fetched.interrupted or bool(self.stats and self.stats.interrupted)

    @property
    def exit_code(self) -> int:
        """130 interrupted, 1 when an item or an article failed, else 0."""
        if self.interrupted:
            return 130
        return 1 if self.fetched.failed or (self.stats and self.stats.exit_code) else 0

    def line(self) -> str:
        """The cycle on one line: new / unchanged / failed / summarized, tokens, time."""
        f, s = self.fetched, self.stats
        summarized = f"{s.ok} summarized, {s.failed} failed" if s else "0 summarized"
        tokens = s.tokens if s else 0
        return (
            f"cycle {self.number}: {len(f.saved)} new, {f.unchanged} unchanged ({f.not_modified} sources "
            f"not modified), {f.duplicates} duplicate, {len(f.skipped)} skipped, {len(f.failed)} failed; "
            f"{summarized}; {tokens:,} tokens; {self.seconds:.1f} s"
        )


class Watcher:
    """Runs cycles for one set of options and settings."""

    def __init__(
        self,
        options: WatchOptions,
        settings: Settings,
        *,
        stop: threading.Event | None = None,
        backend: Backend | None = None,
    ) -> None:
        if options.folder.resolve() == options.outdir.resolve():
            raise UserError("the articles folder cannot be OUTDIR. Pass another --articles folder")
        self.options = options
        self.settings = settings
        self.stop = stop or threading.Event()
        self.backend = backend
        self.cycles = 0

    def cycle(self) -> Cycle:
        """Fetch, summarize what is new, export and report; the cycle's totals."""
        from summarize.batch import run_batch

        started = time.monotonic()
        self.cycles += 1
        opts = self.options
        fetched = Fetcher(opts.folder, opts.client, stop=self.stop).run(opts.sources)
        cycle = Cycle(self.cycles, fetched)
        # No folder yet: nothing was ever saved (every source failed so far), nothing to summarize.
        clean = self._clean()
        if opts.folder.is_dir() and not self.stop.is_set() and (fetched.saved or not clean):
            # After a clean cycle only this cycle's new articles can need the model: list them
            # instead of walking (and reading) every article ever saved.
            listed = io.StringIO("\n".join(fetched.saved)) if clean else None
            config = BatchConfig(
                root=opts.folder, outdir=opts.outdir, concurrency=opts.concurrency, from_file=listed
            )
            cycle.stats = run_batch(config, self.settings, None, stop=self.stop, backend=self.backend)
        if not cycle.interrupted:
            self._outputs(cycle)
        if not cycle.interrupted and not (cycle.stats and cycle.stats.exit_code):
            self._remember_clean()
        cycle.seconds = round(time.monotonic() - started, 3)
        return cycle

    def _outputs(self, cycle: Cycle) -> None:
        """Bring the database and the report up to date, when the batch changed anything (or
        they are missing)."""
        changed = cycle.stats is not None and (cycle.stats.ok or cycle.stats.failed)
        results = self.options.outdir / "results.jsonl"
        if not results.exists():
            return  # nothing summarized yet: no batch to export
        db, report = self.options.sqlite, self.options.report
        if db is not None and (changed or not db.exists()):
            from summarize.output.sqlite import export

            export(self.options.outdir, db, articles_dir=self.options.folder)
            cycle.exported = True
        if report is not None and (changed or not report.exists()):
            from summarize.output.report import write_report

            write_report(self.options.outdir, report, articles_dir=self.options.folder)
            cycle.reported = True

    def _fingerprint(self) -> str:
        """What must stay the same for a cycle with nothing new to skip the batch."""
        o = self.options
        text = repr((self.settings, str(o.outdir.resolve()), o.sqlite, o.report))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def _clean(self) -> bool:
        try:
            last = json.loads((self.options.folder / WATCH).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return isinstance(last, dict) and last.get("clean") == self._fingerprint()

    def _remember_clean(self) -> None:
        atomic_write_text(self.options.folder / WATCH, json.dumps({"clean": self._fingerprint()}) + "\n")

    def sleep(self, seconds: float) -> bool:
        """Wait SECONDS or until stopped; whether to go on."""
        return not self.stop.wait(seconds)
