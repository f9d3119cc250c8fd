"""Render an ArticleSummary for people: JSON or a readable Markdown digest."""

from __future__ import annotations

import re

from summarize.fsio import dumps, shown
from summarize.schemas import ArticleSummary


def to_json(result: ArticleSummary) -> str:
    """The contract's JSON, indented, non-ASCII kept (a file name's undecodable bytes escaped:
    summarize.fsio.dumps)."""
    return dumps(result.model_dump(mode="json"), indent=2) + "\n"


# Characters Markdown (CommonMark, GFM) gives a meaning to inside a line: links and images
# ([, ], !), emphasis, code, tables, strike-through, headings' closing #, raw HTML and entities.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}!|~#])")
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_LINE_START = re.compile(r"^([-+=]|\d+(?=[.)]))")


def md(text: str | None) -> str:
    """TEXT (the article's or the model's) as inert Markdown: on one line (a quote cannot leave
    its `>` block, an article's `## x` cannot become a heading), every character that could make
    a link, an image, HTML or emphasis escaped, and nothing at its start that opens a list."""
    flat = shown(" ".join((text or "").split()))
    flat = _MD_SPECIAL.sub(r"\\\1", flat)
    flat = "".join(_HTML.get(ch, ch) for ch in flat)
    return _LINE_START.sub(_escape_start, flat, count=1)


def _escape_start(m: re.Match[str]) -> str:
    # `1.` opens a list by its dot, `-` by itself.
    start = m.group(1)
    return start + "\\" if start[0].isdigit() else "\\" + start


def to_markdown(result: ArticleSummary) -> str:
    """A digest an analyst can read: summary, actors, claims and stances with their quotes (all of
    their text escaped: `md`)."""
    title = md(result.source.title or result.source.path)
    lines = [f"# {title}", "", md(result.summary), ""]
    if result.actors:
        lines += ["## Actors", ""]
        for a in result.actors:
            extra = f", {md(a.role)}" if a.role else ""
            alias = f" (also: {', '.join(md(x) for x in a.aliases)})" if a.aliases else ""
            lines.append(f"- **{md(a.name)}** ({a.type}{extra}){alias}")
        lines.append("")
    if result.claims:
        lines += ["## Claims", ""]
        for c in result.claims:
            # No speaker: the reporter's own voice, or a source the article does not name.
            who = (
                md(c.speaker)
                if c.speaker
                else ("Reporter" if c.kind == "reporter_assertion" else "Unnamed source")
            )
            hedge = " _(hedged)_" if c.hedged else ""
            lines.append(f"- **{who}**{hedge}: {md(c.text)}")
            lines.append(f"  > {md(c.evidence.quote)} [{c.evidence.start}:{c.evidence.end}]")
        lines.append("")
    if result.stances:
        lines += ["## Stances", ""]
        for s in result.stances:
            target = f" (towards {md(s.target)})" if s.target else ""
            lines.append(f"- **{md(s.actor)}**: {s.position} on {md(s.topic)}{target}")
            lines.append(f"  > {md(s.evidence.quote)} [{s.evidence.start}:{s.evidence.end}]")
        lines.append("")
    if result.dropped:
        lines += [f"_{len(result.dropped)} proposed item(s) dropped as ungrounded._", ""]
    u = result.usage
    lines.append(
        f"_Model {md(result.model)}; {u.requests} request(s), "
        f"{u.prompt_tokens} prompt + {u.completion_tokens} completion tokens._"
    )
    return "\n".join(lines) + "\n"
