"""A small newsroom for the export and report tests: articles, grounded drafts, a real batch run.

The batch goes through the real pipeline (`run_batch` -> openai client -> loopback
FakeOpenAIServer), so results.jsonl is genuine pipeline output. The drafts exercise the
cross-article rules (Putin under three names, two different Smiths, a surname-only Smith),
topic grouping, overlapping evidence, a dropped item, an astral character before the
evidence (UTF-16 offsets in the browser), a failed article, and a hostile article whose
text, file name, metadata and extractions carry HTML and script.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from summarize.batch import BatchConfig, Stats, run_batch
from summarize.config import Settings
from summarize.testing import FakeOpenAIServer, Reply, ok

MODEL = "fake-model"
HOSTILE_PATH = '"><img src=x onerror=alert(1)>.md'
PWN = "window.__pwned = 1"

ARTICLES: dict[str, str] = {
    "world/putin-sanctions.md": """---
title: Putin warns Europe over new sanctions
site: Northern Courier
date: 2024-03-04
author: Anna Lind
---
Russian President Vladimir Putin warned on Monday that new European sanctions would "hurt Europe \
more than Russia". The rouble fell 2% \U0001f4c9 on the news.

Speaking in Moscow, Mr Putin said the measures were "economic aggression" and promised a response \
within weeks.

The European Union agreed the package last week. EU foreign policy chief Josep Borrell said the \
sanctions were "a necessary answer to the invasion of Ukraine".

Analysts reportedly expect further measures before the summer.
""",
    "world/kremlin-response.md": """---
title: Kremlin says sanctions are illegal
site: Northern Courier
date: 2024-03-06
---
President Putin told officials on Wednesday that Russia would "find new markets" for its oil and gas.

Kremlin spokesman Dmitry Peskov said the sanctions were "illegal under international law". Putin \
also criticised NATO for what he called "endless expansion".

The EU said it would review the measures in June.
""",
    "uk/labour-smith.md": """---
title: Labour MP attacks budget
site: Daily Ledger
date: 5 March 2024
---
Labour MP John Smith said the budget "fails working families" and called it a missed chance.

Smith called for a windfall tax on energy companies to pay for lower bills.

Chancellor Rachel Reeves rejected the criticism, saying the plan was "fully funded".
""",
    "uk/budget-reaction.md": """---
title: Budget row goes on
site: Daily Ledger
date: 2024-03-07
---
Smith, speaking to reporters outside Parliament, repeated that the budget was "a mistake".

Chancellor Reeves said she would not change course and that growth would follow.
""",
    "science/sea-levels.txt": """Sea levels rising faster than expected, study finds

Dr Jane Smith, a climate scientist at Norport University, said sea levels were rising faster than \
expected.

The study, published on Thursday, found that coastal cities face "serious flooding risks" within \
decades. Smith urged governments to act quickly.
""",
    HOSTILE_PATH: f"""---
title: <script>{PWN}</script> Council meeting {{{{data}}}}
site: <b>Evil</b> Gazette
date: 2024-03-08
---
The council met on Tuesday to discuss the notice board. A resident had written \
<script>{PWN}</script> on the agenda.

Another resident posted <img src=x onerror="{PWN}"> and a link \
<a href="javascript:{PWN}">click me</a> in the minutes.

Someone typed </textarea></script><!-- and ]]> into the web form, which "broke nothing at all" \
according to the clerk, Mallory <b>Bold</b>.
""",
    "broken/fails.txt": """Council fails to agree

The council failed to agree on anything at its meeting on Friday, officials said.
""",
}


def _actor(name: str, type_: str = "person", role: str | None = None, *aliases: str) -> dict[str, Any]:
    return {"name": name, "type": type_, "role": role, "aliases": list(aliases)}


def _stance(actor: str, topic: str, position: str, quote: str, target: str | None = None) -> dict[str, Any]:
    return {"actor": actor, "topic": topic, "position": position, "target": target, "quote": quote}


def _claim(
    speaker: str | None, text: str, quote: str, kind: str = "indirect", cue: str | None = "said",
    hedged: bool = False,
) -> dict[str, Any]:  # fmt: skip
    return {"speaker": speaker, "text": text, "kind": kind, "cue": cue, "hedged": hedged, "quote": quote}


# Keyed by a phrase only that article holds. Every quote is copied from the clean text,
# except the one meant to be dropped.
DRAFTS: dict[str, dict[str, Any]] = {
    "hurt Europe": {
        "summary": "Vladimir Putin warned that new EU sanctions would hurt Europe more than Russia; "
        "the EU's Josep Borrell defended them.",
        "actors": [
            _actor("Vladimir Putin", "person", "Russian President", "Putin", "Mr Putin"),
            _actor("European Union", "organization", None, "EU"),
            _actor("Josep Borrell", "person", "EU foreign policy chief", "Borrell"),
        ],
        "stances": [
            _stance("Vladimir Putin", "new European sanctions", "oppose", "hurt Europe more than Russia"),
            _stance(
                "Josep Borrell",
                "sanctions on Russia",
                "support",
                "a necessary answer to the invasion of Ukraine",
            ),
            _stance(
                "European Union", "the sanctions against Russia", "support", "agreed the package last week"
            ),
            _stance(
                "Vladimir Putin", "gas supplies", "oppose", "Putin threatened to cut gas supplies to Europe"
            ),
        ],
        "claims": [
            _claim(
                "Vladimir Putin",
                "New sanctions will hurt Europe more than Russia.",
                'new European sanctions would "hurt Europe more than Russia"',
                cue="warned",
            ),
            _claim(
                "Vladimir Putin",
                "The measures are economic aggression.",
                'Mr Putin said the measures were "economic aggression"',
                kind="direct_quote",
            ),
            _claim(
                None,
                "Analysts expect further measures.",
                "Analysts reportedly expect further measures before the summer",
                cue=None,
                hedged=True,
                kind="reporter_assertion",
            ),
        ],
    },
    "find new markets": {
        "summary": "President Putin said Russia would find new markets; "
        "the Kremlin called the sanctions illegal.",
        "actors": [
            _actor("President Putin", "person", None, "Putin"),
            _actor("Dmitry Peskov", "person", "Kremlin spokesman", "Peskov"),
            _actor("NATO", "organization"),
            _actor("EU", "organization"),
        ],
        "stances": [
            _stance("Dmitry Peskov", "Russia sanctions", "oppose", "illegal under international law"),
            _stance("President Putin", "NATO expansion", "oppose", "Putin also criticised NATO", "NATO"),
            _stance(
                "EU", "sanctions on Russia", "neutral", "The EU said it would review the measures in June"
            ),
        ],
        "claims": [
            _claim(
                "President Putin",
                "Russia will find new markets for its oil.",
                'Russia would "find new markets" for its oil and gas',
                cue="told",
            ),
            _claim(
                "Dmitry Peskov",
                "The sanctions are illegal.",
                'Peskov said the sanctions were "illegal under international law"',
                kind="direct_quote",
            ),
        ],
    },
    "fails working families": {
        "summary": "Labour MP John Smith attacked the budget; Chancellor Rachel Reeves defended it.",
        "actors": [
            _actor("John Smith", "person", "Labour MP", "Smith"),
            _actor("Rachel Reeves", "person", "Chancellor", "Reeves"),
        ],
        "stances": [
            _stance("John Smith", "the budget", "oppose", "fails working families"),
            _stance(
                "John Smith",
                "a windfall tax on energy companies",
                "support",
                "Smith called for a windfall tax on energy companies",
            ),
            _stance("Rachel Reeves", "the budget", "support", "fully funded"),
        ],
        "claims": [
            _claim(
                "John Smith",
                "The budget fails working families.",
                'John Smith said the budget "fails working families"',
                kind="direct_quote",
            ),
            _claim(
                "Rachel Reeves",
                "The plan is fully funded.",
                'saying the plan was "fully funded"',
                cue="saying",
                kind="direct_quote",
            ),
        ],
    },
    "speaking to reporters outside Parliament": {
        "summary": "Smith repeated that the budget was a mistake; Chancellor Reeves will not change course.",
        "actors": [_actor("Smith", "person"), _actor("Chancellor Reeves", "person", "Chancellor")],
        "stances": [
            _stance("Smith", "the budget", "oppose", 'the budget was "a mistake"'),
            _stance("Chancellor Reeves", "budgets", "support", "she would not change course"),
        ],
        "claims": [
            _claim(
                "Smith",
                "The budget was a mistake.",
                'repeated that the budget was "a mistake"',
                cue="repeated",
            ),
            _claim("Chancellor Reeves", "Growth will follow.", "growth would follow"),
        ],
    },
    "serious flooding risks": {
        "summary": "A study led by Dr Jane Smith finds sea levels rising faster than expected.",
        "actors": [
            _actor("Jane Smith", "person", "climate scientist", "Dr Jane Smith", "Smith"),
            _actor("Norport University", "organization"),
        ],
        "stances": [
            _stance("Jane Smith", "climate action", "support", "Smith urged governments to act quickly")
        ],
        "claims": [
            _claim(
                "Jane Smith",
                "Sea levels are rising faster than expected.",
                "sea levels were rising faster than expected",
            ),
        ],
    },
    "notice board": {
        "summary": f"<script>{PWN}</script> The council met; residents wrote markup on the notice board.",
        "actors": [
            _actor("Mallory <b>Bold</b>", "person", "<i>clerk</i>", f'<img src=x onerror="{PWN}">'),
            _actor("The council", "organization"),
            _actor("Robert'); DROP TABLE claims;--", "person"),
        ],
        "stances": [
            _stance(
                "Mallory <b>Bold</b>",
                f"<script>{PWN}</script> notice board",
                "support",
                '"broke nothing at all"',
            ),
        ],
        "claims": [
            _claim(
                None,
                f"A resident wrote <script>{PWN}</script>.",
                f"A resident had written <script>{PWN}</script> on the agenda",
                kind="reporter_assertion",
                cue=None,
            ),
            _claim(
                None,
                "A resident posted an image tag and a javascript: link.",
                f'<img src=x onerror="{PWN}"> and a link <a href="javascript:{PWN}">click me</a>',
                kind="reporter_assertion",
                cue=None,
            ),
            _claim(
                "Mallory <b>Bold</b>",
                "</textarea> broke nothing.",
                "Someone typed </textarea></script><!-- and ]]> into the web form",
                kind="indirect",
                cue="according to",
            ),
        ],
    },
}
FAILING = "failed to agree on anything"


def _article_of(body: dict[str, Any]) -> str:
    user = next((m.get("content") or "" for m in body.get("messages") or [] if m.get("role") == "user"), "")
    found = re.search(r"<article>\n?(.*?)\n?</article>", user, re.S)
    return found.group(1) if found else user


def responder(body: dict[str, Any]) -> Reply:
    """The scripted draft of the article in the request; a repair request gets no new items."""
    article = _article_of(body)
    if FAILING in article:
        return Reply(400, {"error": {"message": "this article is refused"}})
    draft = next(d for marker, d in DRAFTS.items() if marker in article)
    if len([m for m in body.get("messages") or [] if m.get("role") == "user"]) > 1:
        draft = {**draft, "stances": [], "claims": []}  # the repair: nothing more to locate
    return ok(json.dumps(draft, ensure_ascii=False), prompt_tokens=200, completion_tokens=80)


def write_articles(root: Path, articles: dict[str, str] = ARTICLES) -> None:
    """Write ARTICLES (relative path -> content) under ROOT."""
    for rel, text in articles.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


@dataclass
class Newsroom:
    """A source folder and the output folder of a batch over it."""

    articles: Path
    outdir: Path

    def run(self) -> Stats:
        """Run `summarize batch` over the folder (again), against a loopback server."""
        with FakeOpenAIServer(responder=responder) as server:
            settings = Settings(base_url=server.base_url, model=MODEL)
            return run_batch(BatchConfig(root=self.articles, outdir=self.outdir, concurrency=2), settings)

    def results(self) -> list[dict[str, Any]]:
        """The `ok` results of results.jsonl."""
        lines = (self.outdir / "results.jsonl").read_text(encoding="utf-8").splitlines()
        records = [json.loads(line) for line in lines]
        return [r["result"] for r in records if r["status"] == "ok"]


def newsroom(tmp: Path) -> Newsroom:
    """Write the articles under TMP/news and run a batch into TMP/out."""
    room = Newsroom(tmp / "news", tmp / "out")
    write_articles(room.articles)
    room.run()
    return room


class Page(HTMLParser):
    """The tags of a page, and the text of each <script> and <style>."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.styles: list[str] = []
        self._open: tuple[str, dict[str, str | None]] | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("script", "style"):
            self._open = (tag, dict(attrs))

    def handle_data(self, data: str) -> None:
        if self._open is None:
            return
        tag, attrs = self._open
        if tag == "script":
            self.scripts.append((attrs, data))
        else:
            self.styles.append(data)
        self._open = None

    def json_block(self, id_: str) -> Any:
        return json.loads(next(text for attrs, text in self.scripts if attrs.get("id") == id_))

    def csp(self) -> str:
        return next(a["content"] or "" for t, a in self.tags if t == "meta" and a.get("http-equiv"))
