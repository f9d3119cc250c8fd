"""The single-file HTML report: actors, stance matrix, claims and highlighted articles.

One self-contained file: the CSS and the script are inline and allowed by hash in a strict
Content-Security-Policy (no network, no inline event handlers, no eval); the data is JSON in
`<script type="application/json">` blocks that the page script renders with DOM APIs and
textContent only. Article texts sit in one block each and are parsed only when an
article is opened, so a report of 1,000 articles opens fast.

Every string from an article or a model reply is untrusted: it reaches the HTML only
inside those JSON blocks, where `<` is written `\\u003c` so no `</script>` or `<!--` can
end or change a block. Rows are JSON arrays whose field names the page reads from `fields`
(`FIELDS` below), so the file stays small without a second copy of the schema in the script.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import resources
from itertools import accumulate
from pathlib import Path
from typing import Any

from summarize.fsio import write_output_text
from summarize.output.corpus import Article, Text, iso_day, missing_note, read_batch
from summarize.output.crossref import Resolution, resolve
from summarize.output.topics import Topics, group_topics, topic_of
from summarize.schemas import ArticleSummary, Dropped, Evidence

SCRIPTS = ("util.js", "data.js", "views.js", "article.js", "main.js")
FIELDS: dict[str, tuple[str, ...]] = {
    "actor": ("name", "type", "role", "aliases", "articles", "claims", "stances"),
    "topic": ("label", "wordings", "stances"),
    "article": (
        "path", "title", "site", "date", "day", "author", "summary", "model", "hasText", "note",
        "mentions", "claims", "stances", "dropped", "url",
    ),
    "mention": ("actor", "name", "role"),
    "claim": ("actor", "name", "text", "kind", "cue", "hedged", "quote", "start", "end"),
    "stance": ("actor", "name", "topic", "wording", "position", "target", "quote", "start", "end"),
    "dropped": ("kind", "reason", "who", "quote", "what"),
}  # fmt: skip
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_SLOT = re.compile(r"\{\{(csp|style|data|texts|script)\}\}")


@dataclass(frozen=True)
class ReportStats:
    """What a report holds."""

    articles: int
    without_text: int
    actors: int
    topics: int
    failed: int
    bytes: int
    without_text_paths: tuple[str, ...] = ()

    def describe(self, path: Path) -> str:
        """One line for people: what the report holds, and what is missing."""
        size = f"{self.bytes / 1_000_000:.1f} MB" if self.bytes >= 100_000 else f"{self.bytes / 1000:.0f} kB"
        line = f"{path}: {self.articles} articles, {self.actors} actors, {self.topics} topics, {size}."
        return line + missing_note(self.failed, self.without_text_paths)


@dataclass(frozen=True)
class Rendered:
    """A report's HTML and how many actors and topics it found."""

    html: str
    actors: int
    topics: int


def write_report(outdir: Path, output: Path, *, articles_dir: Path | None = None) -> ReportStats:
    """Write the report of the batch in OUTDIR to OUTPUT (atomically)."""
    batch = read_batch(outdir, articles_dir=articles_dir)
    pairs = [(a, batch.sources.text_of(a)) for a in batch.articles]
    meta = {"source": str(outdir), "failed": batch.failed, "unreadable": batch.unreadable}
    rendered = render(pairs, meta)
    write_output_text(output, rendered.html)
    missing = tuple(a.path for a, t in pairs if t.text is None)
    return ReportStats(
        articles=len(pairs),
        without_text=len(missing),
        actors=rendered.actors,
        topics=rendered.topics,
        failed=batch.failed,
        bytes=len(rendered.html.encode("utf-8")),
        without_text_paths=missing,
    )


def article_report(summary: ArticleSummary, text: str) -> str:
    """The report of one article whose clean text is at hand (`summarize file --format html`)."""
    article = Article(summary.source.path, summary)
    return render([(article, Text("ok", text))], {"source": summary.source.path}).html


def render(pairs: Sequence[tuple[Article, Text]], meta: dict[str, Any]) -> Rendered:
    """The report for these articles and their texts."""
    summaries = [a.summary for a, _ in pairs]
    resolution = resolve(summaries, [a.path for a, _ in pairs])
    topics = group_topics(s.topic for summary in summaries for s in summary.stances)
    data = report_data(pairs, resolution, topics, meta)
    html = fill_template(data, [t.text for _, t in pairs])
    return Rendered(html, len(resolution.actors), len(topics.topics))


def report_data(
    pairs: Sequence[tuple[Article, Text]], res: Resolution, topics: Topics, meta: dict[str, Any]
) -> dict[str, Any]:
    """Everything the page shows except the article texts, as compact JSON-ready rows."""
    claims = [0] * len(res.actors)
    stances = [0] * len(res.actors)
    topic_uses = [0] * len(topics.topics)
    rows = []
    for n, (article, text) in enumerate(pairs):
        row = _article_row(n, article, text, res, topics)
        for c in row[FIELDS["article"].index("claims")]:
            if c[0] is not None:
                claims[c[0]] += 1
        for s in row[FIELDS["article"].index("stances")]:
            stances[s[0]] += 1
            topic_uses[s[2]] += 1
        rows.append(row)
    models = sorted({a.summary.model for a, _ in pairs})
    return {
        "fields": FIELDS,
        "meta": {
            **meta,
            "models": models,
            "generated": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        },
        "actors": [
            [a.name, a.type, a.role, a.aliases, len(a.articles), claims[i], stances[i]]
            for i, a in enumerate(res.actors)
        ],
        "topics": [[t.label, t.wordings, topic_uses[i]] for i, t in enumerate(topics.topics)],
        "articles": rows,
    }


def _article_row(n: int, article: Article, text: Text, res: Resolution, topics: Topics) -> list[Any]:
    s = article.summary
    span = _spans(text.text)
    mentions = [[res.actor_of(n, a.name), a.name, a.role] for a in s.actors]
    claims = [
        [res.actor_of(n, c.speaker), c.speaker, c.text, c.kind, c.cue, int(c.hedged), c.evidence.quote,
         *span(c.evidence)]
        for c in s.claims
    ]  # fmt: skip
    stances = [
        [res.actor_of(n, st.actor), st.actor, topic_of(topics, st.topic), st.topic, st.position, st.target,
         st.evidence.quote, *span(st.evidence)]
        for st in s.stances
    ]  # fmt: skip
    return [
        article.path, s.source.title, s.source.site, s.source.date, iso_day(s.source.date),
        s.source.author, s.summary, s.model, int(text.text is not None), text.note, mentions, claims,
        stances, [_dropped(d) for d in s.dropped], _web_url(s.source.url),
    ]  # fmt: skip


def _web_url(url: str | None) -> str | None:
    """URL when it is an http(s) address: the page shows it as text, never as a link."""
    return url if url and url.startswith(("http://", "https://")) else None


def _spans(text: str | None) -> Callable[[Evidence], tuple[int, int]]:
    """Evidence offsets for the page: UTF-16 units (JavaScript strings), or (-1, -1) when the
    text is unknown or does not hold the quote there, so nothing is highlighted."""
    # Characters beyond the BMP take two UTF-16 units: count them before every offset.
    extra = None
    if text is not None and _ASTRAL.search(text):
        extra = [0, *accumulate(int(ord(ch) > 0xFFFF) for ch in text)]

    def span(ev: Evidence) -> tuple[int, int]:
        if text is None or text[ev.start : ev.end] != ev.quote:
            return (-1, -1)
        if extra is None:
            return (ev.start, ev.end)
        return (ev.start + extra[ev.start], ev.end + extra[ev.end])

    return span


def _dropped(d: Dropped) -> list[Any]:
    item = d.item
    who = item.get("actor") if d.kind == "stance" else item.get("speaker")
    what = item.get("topic") if d.kind == "stance" else item.get("text")
    quote = item.get("quote") or (item.get("evidence") or {}).get("quote")
    return [d.kind, d.reason, _str(who), _str(quote), _str(what)]


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def script_json(value: object) -> str:
    """JSON safe inside a <script> element: no `<` at all, so no `</script>` and no `<!--`."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")


def _csp_hash(source: str) -> str:
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def _asset(name: str) -> str:
    return (resources.files(__package__) / "assets" / name).read_text(encoding="utf-8")


def fill_template(data: dict[str, Any], texts: Sequence[str | None]) -> str:
    """The page: template + inline style and script (allowed by hash) + the JSON blocks."""
    style = _asset("report.css")
    script = '"use strict";\n(() => {\n' + "\n".join(_asset(n) for n in SCRIPTS) + "\n})();\n"
    csp = (
        f"default-src 'none'; script-src {_csp_hash(script)}; style-src {_csp_hash(style)}; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )
    blocks = "".join(
        f'<script type="application/json" id="text-{i}">{script_json(t)}</script>\n'
        for i, t in enumerate(texts)
        if t is not None
    )
    slots = {"csp": csp, "style": style, "script": script, "data": script_json(data), "texts": blocks}
    # One pass: a slot's content is never scanned again, so an article that contains
    # "{{script}}" stays text.
    return _SLOT.sub(lambda m: slots[m.group(1)], _asset("report.html"))
