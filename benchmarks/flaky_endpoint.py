"""`summarize file` on a real article against an endpoint that fails a third of requests.

The loopback fake server answers each request at random: ~1/3 transport faults (429 with
Retry-After, 500, dropped connection), ~1/5 bad output (malformed JSON, truncated with
finish_reason=length, schema-invalid JSON), the rest a valid draft whose quotes are real
sentences of the article. Prints, per run: exit code, whether the output is valid and
grounded, usage.requests against the requests the server saw, and wall time.

    python benchmarks/flaky_endpoint.py [ARTICLE ...] [--runs 5] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from summarize.testing import FakeOpenAIServer, Reply, chat_completion

DEFAULT = Path(__file__).resolve().parents[1].parent / "shared" / "seed" / "belarus-putin-lukashenko.txt"


def extractive_draft(article: str) -> dict[str, Any]:
    """A valid draft: quoted sentences become claims, capitalised names become actors."""
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+", article) if s.strip()]
    quoted = [s for s in sentences if re.search(r"[“\"]", s)][:6]
    names = sorted(set(re.findall(r"\b[A-Z][a-z]+ [A-Z][a-z]+\b", article)))[:8]
    actors = [{"name": n, "type": "person", "role": None, "aliases": [n.split()[-1]]} for n in names]
    claims = []
    for s in quoted:
        speaker = next((n for n in names if n.split()[-1] in s), None)
        claims.append(
            {
                "speaker": speaker,
                "text": s[:80],
                "kind": "direct_quote",
                "cue": "said",
                "hedged": False,
                "quote": s,
            }
        )
    return {"summary": " ".join(sentences[:2]), "actors": actors, "stances": [], "claims": claims}


def flaky(rng: random.Random):  # type: ignore[no-untyped-def]
    def respond(body: dict[str, Any]) -> Reply:
        user = body["messages"][1]["content"]
        m = re.search(r"<article>\n(.*)\n</article>", user, re.S)
        good = json.dumps(extractive_draft(m.group(1) if m else ""))
        r = rng.random()
        if r < 0.12:
            return Reply(429, {"error": {"message": "rate limited"}}, headers={"retry-after": "0.2"})
        if r < 0.23:
            return Reply(500, {"error": {"message": "internal error"}})
        if r < 0.34:
            return Reply(drop=True)
        if r < 0.41:
            return Reply(200, chat_completion(good[: len(good) // 2]))
        if r < 0.48:
            return Reply(200, chat_completion(good[: len(good) // 3], finish_reason="length"))
        if r < 0.54:
            return Reply(200, chat_completion('{"summary": 3}'))
        return Reply(200, chat_completion(good))

    return respond


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("articles", nargs="*", type=Path, default=[DEFAULT])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if not all(a.exists() for a in args.articles):
        print("article not found; pass a path", file=sys.stderr)
        sys.exit(0)
    print(f"{'article':32} {'run':>3} {'exit':>4} {'grounded':>8} {'usage.req':>9} {'server':>6} {'s':>6}")
    for article in args.articles:
        for run in range(args.runs):
            with FakeOpenAIServer(responder=flaky(random.Random(args.seed + run))) as server:
                t0 = time.perf_counter()
                out = subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "summarize",
                        "file",
                        str(article),
                        "--base-url",
                        server.base_url,
                        "--model",
                        "flaky",
                        "--max-retries",
                        "6",
                    ],
                    capture_output=True,
                    text=True,
                )
                seconds = time.perf_counter() - t0
                seen = len(server.requests)
            requests, grounded = "-", "-"
            if out.returncode == 0:
                data = json.loads(out.stdout)
                text = subprocess.run(
                    [sys.executable, "-m", "summarize", "text", str(article)],
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
                ok = all(
                    text[i["evidence"]["start"] : i["evidence"]["end"]] == i["evidence"]["quote"]
                    for i in data["claims"] + data["stances"]
                )
                grounded, requests = ("yes" if ok else "NO"), data["usage"]["requests"]
            else:
                grounded = out.stderr.strip()[:60]
            print(
                f"{article.name[:32]:32} {run:>3} {out.returncode:>4} {grounded:>8} {requests!s:>9} "
                f"{seen:>6} {seconds:6.2f}"
            )


if __name__ == "__main__":
    main()
