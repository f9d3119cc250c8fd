"""Grounding under fabrication: an endpoint that invents a third of its strings.

The loopback fake server answers every article with a draft whose claims quote real
sentences of the article, plus one fabricated claim for every two real ones (an invented
sentence, or a real one with a third of its words replaced) under a speaker that may not
be an actor, and a stance with an invented quote. The repair request gets the same
answer. For the seed article and N real political articles (PolNeAR), the table shows:
items proposed, fabricated, fabricated items that survived (must be 0), kept items not
grounded in `summarize text` (must be 0), references to a missing actor (must be 0).

    python benchmarks/fabrication.py [--data ../shared/data] [--n 20]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

from summarize.config import Settings
from summarize.ingest import load_document
from summarize.pipeline import Summarizer
from summarize.testing import FakeOpenAIServer, Reply, chat_completion

sys.path.insert(0, str(Path(__file__).parent))
from flaky_endpoint import extractive_draft

INVENTED = (
    "The senator promised to resign if the bill failed by a single vote.",
    "Officials said the border would be closed to all traffic for five years.",
    "“We will never allow this in our country,” the governor shouted at the crowd.",
)
FABRICATED: set[str] = set()


def _garble(sentence: str, rng: random.Random) -> str:
    words = sentence.split()
    for i in rng.sample(range(len(words)), k=max(2, len(words) // 3)):
        words[i] = rng.choice(["banana", "secretly", "zebra", "millions"])
    return " ".join(words)


def fabricating(rng: random.Random):  # type: ignore[no-untyped-def]
    def respond(body: dict[str, Any]) -> Reply:
        user = body["messages"][1]["content"]
        m = re.search(r"<article>\n(.*)\n</article>", user, re.S)
        text = m.group(1) if m else ""
        draft = extractive_draft(text)
        sentences = [s for s in re.split(r"(?<=[.!?”])\s+", text) if len(s.split()) > 6][:12]
        claims = []
        for i, s in enumerate(sentences):
            speaker = draft["actors"][i % len(draft["actors"])]["name"] if draft["actors"] else None
            claims.append(
                {
                    "speaker": speaker,
                    "text": s[:60],
                    "kind": "indirect",
                    "cue": "said",
                    "hedged": False,
                    "quote": s,
                }
            )
            if i % 2 == 0:
                fake = rng.choice(INVENTED) if i % 4 == 0 else _garble(s, rng)
                FABRICATED.add(fake)
                claims.append(
                    {
                        "speaker": rng.choice([speaker, "Governor Ann Lowe"]),
                        "text": "x",
                        "kind": "indirect",
                        "cue": "said",
                        "hedged": False,
                        "quote": fake,
                    }
                )
        stance_quote = rng.choice(INVENTED)
        FABRICATED.add(stance_quote)
        draft["claims"] = claims
        draft["stances"] = [
            {
                "actor": "The Governor",
                "topic": "the bill",
                "position": "oppose",
                "target": None,
                "quote": stance_quote,
            }
        ]
        return Reply(200, chat_completion(json.dumps(draft)))

    return respond


def articles(data: Path, n: int, seed_file: Path) -> list[Path]:
    tmp = Path(tempfile.mkdtemp(prefix="fabrication-"))
    paths = [seed_file] if seed_file.exists() else []
    polnear = data / "polnear" / "polnear.jsonl"
    if polnear.exists():
        with polnear.open(encoding="utf-8") as f:
            for i, line in zip(range(n), f, strict=False):
                doc = json.loads(line)
                p = tmp / f"polnear-{i:02d}.txt"
                p.write_text(doc["text"][:6000], encoding="utf-8")
                paths.append(p)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    parser.add_argument("--n", type=int, default=20)
    args = parser.parse_args()
    seed = args.data.parent / "seed" / "belarus-putin-lukashenko.txt"
    paths = articles(args.data, args.n, seed)
    if not paths:
        print(f"no data under {args.data}; skipping")
        return
    rng = random.Random(7)
    totals = dict.fromkeys(("proposed", "fabricated", "survived", "ungrounded", "missing_actor"), 0)
    print(
        f"{'article':34} {'proposed':>8} {'fabric.':>7} {'kept':>5} {'dropped':>7} {'survived':>8} "
        f"{'ungrnd':>6} {'no-actor':>8}"
    )
    with FakeOpenAIServer(responder=fabricating(rng)) as server:
        summarizer = Summarizer.from_settings(Settings(base_url=server.base_url, model="fabricator"))
        for path in paths:
            FABRICATED.clear()
            doc = load_document(str(path))
            r = summarizer.summarize(doc)
            items = [*r.claims, *r.stances]
            survived = sum(
                1
                for i in items
                if i.evidence.quote in FABRICATED or any(w in i.evidence.quote for w in ("banana", "zebra"))
            )
            ungrounded = sum(
                1 for i in items if doc.text[i.evidence.start : i.evidence.end] != i.evidence.quote
            )
            names = {a.name for a in r.actors}
            missing = sum(1 for s in r.stances if s.actor not in names) + sum(
                1 for c in r.claims if c.speaker and c.speaker not in names
            )
            row = {
                "proposed": r.grounding.proposed,
                "fabricated": len(FABRICATED),
                "survived": survived,
                "ungrounded": ungrounded,
                "missing_actor": missing,
            }
            for k, v in row.items():
                totals[k] += v
            print(
                f"{path.name[:34]:34} {r.grounding.proposed:8} {len(FABRICATED):7} {len(items):5} "
                f"{len(r.dropped):7} {survived:8} {ungrounded:6} {missing:8}"
            )
    print(
        f"{'TOTAL (' + str(len(paths)) + ' articles)':34} {totals['proposed']:8} {totals['fabricated']:7} "
        f"{'':5} {'':7} {totals['survived']:8} {totals['ungrounded']:6} {totals['missing_actor']:8}"
    )


if __name__ == "__main__":
    main()
