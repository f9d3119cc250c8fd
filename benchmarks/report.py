"""How long do `summarize export` and `summarize report` take over 10,000 results, how big and how
hungry are they, and how fast does the report open in Chromium?

Synthetic batch: N results sampled (with repeats) from real BBC articles, each written as a
file under the source folder so the texts can be recovered, with fake but grounded
extractions: actors are capitalised name runs of the text, claims are sentences with a
reporting verb, stances are sentences naming an actor, every quote is a span of the clean
text. results.jsonl and run.json look like a batch's.

Each step runs in a fresh Python process that reports its own time and peak RSS; the
baseline is the plainest read of the same results (json.loads of every line of
results.jsonl). Then the reports of 1,000 and N articles are opened in Chromium (median of
RUNS): navigation start -> load event, -> the page's first render, and opening one article.

    python benchmarks/report.py                          # 10,000 results, BBC texts
    python benchmarks/report.py -n 2000 --data /work/shared/data/bbc
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

RUNS = 5
CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
TOPICS = {
    "business": ["interest rates", "the economy", "oil prices", "the takeover", "job cuts", "the euro"],
    "politics": ["the election", "tax cuts", "immigration", "the budget", "ID cards", "the war in Iraq"],
    "sport": ["the transfer", "the referee's decision", "the coach", "doping tests", "the Six Nations"],
    "tech": ["broadband", "piracy", "mobile phones", "video games", "spam", "software patents"],
    "entertainment": ["the Oscars", "the box office", "the new album", "TV ratings", "music downloads"],
}
_NAME = re.compile(r"\b[A-Z][a-z]+(?: [A-Z][a-z]+)+\b")
_ACRONYM = re.compile(r"\b[A-Z]{2,5}\b")
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]")
_CUE = re.compile(r"\b(said|told|warned|added|argued|claimed|insisted)\b")

# One step, in its own process: prints {"seconds", "rss_mb", ...}.
STEP = """
import json, resource, sys, time
from pathlib import Path
step, outdir, target = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
started = time.perf_counter()
extra = {}
if step == "json.loads":
    with open(outdir / "results.jsonl", encoding="utf-8") as fh:
        records = [json.loads(line) for line in fh]
    extra["records"] = len(records)
elif step.startswith("export"):
    from summarize.output.sqlite import export
    stats = export(outdir, target)
    extra = {"added": stats.added, "unchanged": stats.unchanged, "actors": stats.actors}
else:
    from summarize.output.report import write_report
    extra["actors"] = write_report(outdir, target).actors
seconds = time.perf_counter() - started
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "rss_mb": rss, **extra}))
"""


def fake_result(text: str, category: str, path: str, sha256: str, rng: random.Random) -> dict[str, Any]:
    """A grounded ArticleSummary (as JSON) for TEXT: every quote is a span of it."""
    people = list(dict.fromkeys(_NAME.findall(text)))[:6]
    orgs = list(dict.fromkeys(_ACRONYM.findall(text)))[:3]
    actors = [{"name": p, "type": "person", "role": None, "aliases": [p.split()[-1]]} for p in people]
    actors += [{"name": o, "type": "organization", "role": None, "aliases": []} for o in orgs]
    spans = [(m.start(), m.end()) for m in _SENTENCE.finditer(text)]
    claims, stances = [], []
    for start, end in spans:
        sentence = text[start:end].strip()
        start = text.index(sentence, start)
        ev = {"quote": sentence, "start": start, "end": start + len(sentence), "match": "exact"}
        speaker = next((p for p in people if p in sentence or p.split()[-1] in sentence), None)
        cue = _CUE.search(sentence)
        if cue and len(claims) < 6:
            kind = "direct_quote" if '"' in sentence else "indirect"
            hedged = "reportedly" in sentence or "allegedly" in sentence
            claims.append({"speaker": speaker, "text": sentence[:120], "kind": kind, "cue": cue.group(1),
                           "hedged": hedged, "evidence": ev})  # fmt: skip
        elif speaker and len(stances) < 3:
            position = rng.choice(["support", "oppose", "oppose", "neutral", "mixed"])
            stances.append({"actor": speaker, "topic": rng.choice(TOPICS[category]), "position": position,
                            "target": None, "evidence": ev})  # fmt: skip
    dropped = []
    if rng.random() < 0.1:
        item = {"actor": "Someone", "topic": "anything", "quote": "words that are not in the article"}
        dropped.append({"kind": "stance", "item": item, "reason": "quote not found in the article"})
    title = text.split("\n", 1)[0]
    return {
        "summary": " ".join(text[s:e].strip() for s, e in spans[:2]),
        "actors": actors, "stances": stances, "claims": claims, "dropped": dropped,
        "source": {"path": path, "sha256": sha256, "title": title, "author": None,
                   "date": f"2005-0{1 + rng.randrange(3)}-{1 + rng.randrange(28):02d}", "site": "BBC News"},
        "model": "fake-model", "usage": {"prompt_tokens": 1000, "completion_tokens": 300, "requests": 1},
    }  # fmt: skip


def prepare(data: Path, work: Path, n: int, seed: int = 13) -> tuple[Path, float]:
    """Write N articles and a batch output folder over them; return OUTDIR and the seconds taken."""
    from summarize.ingest import load_document

    started = time.perf_counter()
    rng = random.Random(seed)
    rows = [json.loads(line) for line in (data / "bbc_fulltext.jsonl").open(encoding="utf-8")]
    root, outdir = work / "articles", work / "out"
    outdir.mkdir(parents=True)
    cleaned: dict[int, tuple[str, str]] = {}
    with (outdir / "results.jsonl").open("w", encoding="utf-8") as out:
        for i in range(n):
            k = rng.randrange(len(rows))
            rel = f"{rows[k]['category']}/{i:05d}.txt"
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(rows[k]["title"] + "\n\n" + rows[k]["text"], encoding="utf-8")
            if k not in cleaned:
                doc = load_document(str(root / rel))
                cleaned[k] = (doc.text, doc.sha256)
            text, sha = cleaned[k]
            result = fake_result(text, rows[k]["category"], str(root / rel), sha, rng)
            record = {"path": rel, "status": "ok", "result": result, "error": None, "key": sha}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    run = {"dir": str(root), "raw": False, "max_bytes": 5 * 1024 * 1024}
    (outdir / "run.json").write_text(json.dumps(run), encoding="utf-8")
    return outdir, time.perf_counter() - started


def subset(outdir: Path, n: int) -> Path:
    """Another output folder holding the first N results of OUTDIR (same sources)."""
    small = outdir.parent / f"out-{n}"
    small.mkdir()
    lines = (outdir / "results.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)[:n]
    (small / "results.jsonl").write_text("".join(lines), encoding="utf-8")
    (small / "run.json").write_text((outdir / "run.json").read_text(encoding="utf-8"), encoding="utf-8")
    return small


def step(name: str, outdir: Path, target: Path) -> dict[str, Any]:
    kind = name.split()[0]
    done = subprocess.run(
        [sys.executable, "-c", STEP, kind, str(outdir), str(target)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    result["size_mb"] = target.stat().st_size / 1e6 if target.exists() else None
    return result


def open_times(html: Path) -> dict[str, float]:
    """Median over RUNS fresh pages: load event, first render (the page's mark), one article opened."""
    from playwright.sync_api import sync_playwright

    samples: dict[str, list[float]] = {"load": [], "ready": [], "article": []}
    with sync_playwright() as p, tempfile.TemporaryDirectory() as profile:
        context = p.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, args=FLAGS)
        for _ in range(RUNS):
            page = context.new_page()
            page.goto(html.as_uri(), wait_until="load")
            page.wait_for_selector("body[data-ready=true]")
            timing = page.evaluate(
                "() => [performance.getEntriesByType('navigation')[0].loadEventEnd,"
                " performance.getEntriesByName('summarize:ready')[0].startTime]"
            )
            samples["load"].append(timing[0])
            samples["ready"].append(timing[1])
            page.click("[role=tab][data-view=articles]")
            started = page.evaluate("() => performance.now()")
            page.locator("button.article-link").first.click()
            page.wait_for_selector(".doc-text")
            samples["article"].append(page.evaluate("() => performance.now()") - started)
            page.close()
        context.close()
    return {k: statistics.median(v) for k, v in samples.items()}


def table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table: the first column left-aligned, the others right-aligned."""
    lines = ["| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=Path("/work/shared/data/bbc"))
    parser.add_argument("-n", type=int, default=10_000, help="results in the big batch")
    parser.add_argument("--browser-n", type=int, default=1_000, help="articles in the report opened first")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        outdir, prep = prepare(args.data, work, args.n)
        print(f"prepared {args.n:,} results over {args.data.name} texts in {prep:.1f} s (not in the table)\n")
        steps = [
            ("json.loads (baseline)", work / "none"),
            ("export (new database)", work / "news.db"),
            ("export (rerun, nothing changed)", work / "news.db"),
            ("report", work / "report.html"),
        ]
        results = [(name, step(name, outdir, target)) for name, target in steps]
        base = results[0][1]["seconds"]
        rows = [
            [name, f"{args.n:,}", f"{r['seconds']:.2f}", f"{r['seconds'] / base:.1f}", f"{r['rss_mb']:.0f}",
             "-" if r["size_mb"] is None else f"{r['size_mb']:.1f}"]
            for name, r in results
        ]  # fmt: skip
        print(table(["step", "results", "seconds", "x baseline", "peak RSS MB", "output MB"], rows))
        step("report", subset(outdir, args.browser_n), work / "small.html")
        rows = []
        for n, html in ((args.browser_n, work / "small.html"), (args.n, work / "report.html")):
            t = open_times(html)
            mb = html.stat().st_size / 1e6
            rows.append(
                [
                    html.name,
                    f"{n:,}",
                    f"{mb:.1f}",
                    f"{t['load']:.0f}",
                    f"{t['ready']:.0f}",
                    f"{t['article']:.0f}",
                ]
            )
        header = [
            "report in Chromium",
            "articles",
            "MB",
            "load event ms",
            "first render ms",
            "open an article ms",
        ]
        print("\n" + table(header, rows))


if __name__ == "__main__":
    main()
