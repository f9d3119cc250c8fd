"""Shared by the provider batch path tests: articles that need every kind of round, a responder
that answers them deterministically, and helpers to run the live and the batch path on them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from summarize.batch import BatchConfig, Stats, run_batch
from summarize.batch.provider import ProviderOptions, ProviderReport, run_provider
from summarize.config import Settings
from summarize.draft.retry import RetryPolicy
from summarize.testing import FakeOpenAIServer, Reply, echo_responder, ok

FAST = RetryPolicy(max_retries=4, budget_seconds=60, initial=0.001, maximum=0.002)
# With the project's prompts (~1,650 tokens with the schema) and 2,048 for the answer, this
# leaves ~640 tokens (~2,500 characters) of article per request: LONG is read in 3 chunks.
CONTEXT_TOKENS = 4400
REASK = "REASK-ME"
REPAIR = "REPAIR-ME"


def article(i: int, extra: str = "") -> str:
    return (
        f"Council number {i} approves plan\n\nThe council of town {i} approved a plan on Monday. "
        f"The mayor said the plan number {i} would help commuters. {extra}\n"
    )


def long_article() -> str:
    paragraphs = [
        f"Paragraph {n}: the regional assembly debated the harbour budget for the {n}th time this year. "
        f"Delegates from district {n} said the costs had risen again and asked for an audit."
        for n in range(60)
    ]
    return "Harbour budget debate drags on\n\n" + "\n\n".join(paragraphs) + "\n"


def make_corpus(root: Path, n: int = 5, *, long: bool = True) -> list[str]:
    """N short articles (one needs a re-ask, one a repair) and a long one; their relative paths."""
    files = {f"a{i:02d}.txt": article(i) for i in range(n)}
    files["a01.txt"] = article(1, REASK)
    files["sub/a02.txt"] = article(2, REPAIR)
    if long:
        files["long.txt"] = long_article()
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return sorted(files)


def responder(body: dict[str, Any]) -> Reply:
    """echo_responder, except: invalid JSON at the first ask of a REASK article, and an unlocatable
    quote at the first ask of a REPAIR article (the repair request gets the right one)."""
    messages = body.get("messages") or []
    first_ask = len(messages) == 2
    text = "".join(str(m.get("content") or "") for m in messages if m.get("role") == "user")
    if first_ask and REASK in text:
        return ok("{this is not json", prompt_tokens=len(text) // 4, completion_tokens=5)
    if first_ask and REPAIR in text:
        reply = json.loads(echo_responder(body).body["choices"][0]["message"]["content"])
        reply["claims"].append(dict(reply["claims"][0], text="Invented.", quote="words that are not there"))
        return ok(json.dumps(reply), prompt_tokens=len(text) // 4, completion_tokens=60)
    return echo_responder(body)


def settings(base_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"base_url": base_url, "api_key": "x", "model": "fake-model"}
    values.update(overrides)
    return Settings(**values)


def run_live(src: Path, out: Path, **overrides: Any) -> Stats:
    """The live path on SRC with the same responder."""
    with FakeOpenAIServer(responder=responder) as server:
        return run_batch(BatchConfig(root=src, outdir=out), settings(server.base_url, **overrides))


def run_job(
    src: Path, out: Path, base_url: str, *, config: dict[str, Any] | None = None, **options: Any
) -> ProviderReport:
    """One run of the batch path (by default with --wait and no pause between polls)."""
    options.setdefault("wait", True)
    options.setdefault("poll", 0.0)
    overrides = options.pop("settings", {})
    return run_provider(
        BatchConfig(root=src, outdir=out, **(config or {})),
        settings(base_url, **overrides),
        ProviderOptions(**options),
        policy=FAST,
        sleep=lambda seconds: None,
    )


def results(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]


def outputs(out: Path) -> dict[str, str]:
    """Every per-article JSON under OUT, by relative path."""
    return {
        str(p.relative_to(out)): p.read_text()
        for p in sorted(out.rglob("*.json"))
        if p.name != "run.json" and not p.relative_to(out).parts[0].startswith("batch-")
    }
