"""What a batch run is asked to do, and what it did: config, per-article outcomes, totals."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Literal, Protocol

from summarize.batch.discover import DEFAULT_PATTERNS, Found, Rules, from_list, walk
from summarize.errors import UserError
from summarize.schemas import Usage

Status = Literal["ok", "failed", "cached", "not_started"]
# How long in-flight articles may finish after Ctrl-C / SIGTERM before they are abandoned.
GRACE_SECONDS = 5.0
MAX_LISTED_FAILURES = 20


@dataclass(frozen=True)
class BatchConfig:
    """What to summarize, where to write it, and how hard to push."""

    root: Path
    outdir: Path | None = None
    patterns: tuple[str, ...] = ()
    """File patterns; empty means DEFAULT_PATTERNS."""
    excludes: tuple[str, ...] = ()
    from_file: IO[str] | None = None
    concurrency: int = 8
    force: bool = False
    csv: bool = False
    max_tokens_total: int | None = None
    price_in: float | None = None
    price_out: float | None = None
    price_factor: float = 1.0
    """What the prices are multiplied by: the provider's batch discount (0.5) for --via batch-api."""
    grace_seconds: float = GRACE_SECONDS

    @property
    def prices(self) -> tuple[float | None, float | None]:
        """--price-in and --price-out per million tokens as this run pays them (discount applied)."""
        factor = self.price_factor
        return (
            None if self.price_in is None else self.price_in * factor,
            None if self.price_out is None else self.price_out * factor,
        )

    @property
    def out(self) -> Path:
        """OUTDIR: as given, or a sibling `<DIR name>.summaries` that the walk never enters."""
        if self.outdir is not None:
            return self.outdir
        root = self.root.resolve()
        return root.parent / f"{root.name}.summaries"


def articles(config: BatchConfig) -> Iterator[Found]:
    """The articles of the run, streamed: from --from-file's list, or a walk of DIR."""
    if config.from_file is not None:
        return from_list(config.root, config.from_file)
    if not config.root.is_dir():
        raise UserError(f"{config.root} is not a folder. Pass the folder that holds the articles")
    out = config.out.resolve()
    if out == config.root.resolve():
        # The walk never enters OUTDIR, so it would find nothing at all.
        raise UserError(
            f"-o {config.out} is DIR itself, and the walk never enters the output folder. "
            "Pass another -o OUTDIR (by default DIR/../<DIR name>.summaries)"
        )
    rules = Rules(patterns=config.patterns or DEFAULT_PATTERNS, excludes=config.excludes, prune=(out,))
    return walk(config.root, rules)


def count_articles(config: BatchConfig) -> int | None:
    """A second, cheap walk that only counts (for the progress bar's total); None for a list."""
    if config.from_file is not None:
        return None
    try:
        return sum(1 for _ in articles(config))
    except (OSError, UserError):
        return None


@dataclass(frozen=True)
class Outcome:
    """What became of one article."""

    rel: str
    status: Status
    key: str | None = None
    result: dict[str, object] | None = None
    error: str | None = None
    usage: Usage = field(default_factory=Usage)
    seconds: float = 0.0


@dataclass
class Stats:
    """Running totals of a batch, shown by the progress bar and returned at the end."""

    ok: int = 0
    failed: int = 0
    cached: int = 0
    in_flight: int = 0
    not_started: int = 0
    usage: Usage = field(default_factory=Usage)
    failures: list[tuple[str, str]] = field(default_factory=list)
    interrupted: bool = False
    budget_reached: bool = False
    seconds: float = 0.0
    rate_limited: int = 0
    limit_decreases: int = 0
    failed_with_requests: int = 0

    @property
    def processed(self) -> int:
        """Articles finished this run, cached ones included."""
        return self.ok + self.failed + self.cached

    @property
    def tokens(self) -> int:
        """Prompt plus completion tokens spent this run."""
        return self.usage.prompt_tokens + self.usage.completion_tokens

    @property
    def retries(self) -> int:
        """Requests beyond one per summarized article: transport retries, re-asks, repairs, and
        the extra passes of the embedded model."""
        return max(0, self.usage.requests - self.ok - self.failed_with_requests)

    @property
    def exit_code(self) -> int:
        """130 interrupted, 1 when an article failed or the token budget stopped the run, else 0."""
        if self.interrupted:
            return 130
        return 1 if self.failed or self.budget_reached else 0

    def cost(self, price_in: float | None, price_out: float | None) -> float | None:
        """Estimated cost from per-million-token prices, when given."""
        if price_in is None and price_out is None:
            return None
        u = self.usage
        return (u.prompt_tokens * (price_in or 0.0) + u.completion_tokens * (price_out or 0.0)) / 1_000_000

    def record(self, outcome: Outcome) -> None:
        """Count OUTCOME."""
        self.usage = self.usage.add(outcome.usage)
        if outcome.status == "not_started":
            self.not_started += 1
        elif outcome.status == "cached":
            self.cached += 1
        elif outcome.status == "ok":
            self.ok += 1
        else:
            self.failed += 1
            self.failed_with_requests += outcome.usage.requests > 0
            if len(self.failures) < MAX_LISTED_FAILURES:
                self.failures.append((outcome.rel, outcome.error or "unknown error"))


class Reporter(Protocol):
    """Receives progress; the CLI's is a rich progress bar."""

    def set_total(self, total: int | None) -> None:
        """How many articles the run has, once known."""
        ...

    def update(self, stats: Stats) -> None:
        """Totals changed."""
        ...
