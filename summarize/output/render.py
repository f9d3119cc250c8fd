"""Render an ArticleSummary for people: JSON or a readable Markdown digest."""

from __future__ import annotations

from summarize.fsio import dumps
from summarize.schemas import ArticleSummary


def to_json(result: ArticleSummary) -> str:
    """The contract's JSON, indented, non-ASCII kept (a file name's undecodable bytes escaped:
    summarize.fsio.dumps)."""
    return dumps(result.model_dump(mode="json"), indent=2) + "\n"


def to_markdown(result: ArticleSummary) -> str:
    """A digest an analyst can read: summary, actors, claims and stances with their quotes."""
    title = result.source.title or result.source.path
    lines = [f"# {title}", "", result.summary, ""]
    if result.actors:
        lines += ["## Actors", ""]
        for a in result.actors:
            extra = f", {a.role}" if a.role else ""
            alias = f" (also: {', '.join(a.aliases)})" if a.aliases else ""
            lines.append(f"- **{a.name}** ({a.type}{extra}){alias}")
        lines.append("")
    if result.claims:
        lines += ["## Claims", ""]
        for c in result.claims:
            # No speaker: the reporter's own voice, or a source the article does not name.
            who = c.speaker or ("Reporter" if c.kind == "reporter_assertion" else "Unnamed source")
            hedge = " _(hedged)_" if c.hedged else ""
            lines.append(f"- **{who}**{hedge}: {c.text}")
            lines.append(f"  > {c.evidence.quote} [{c.evidence.start}:{c.evidence.end}]")
        lines.append("")
    if result.stances:
        lines += ["## Stances", ""]
        for s in result.stances:
            target = f" (towards {s.target})" if s.target else ""
            lines.append(f"- **{s.actor}**: {s.position} on {s.topic}{target}")
            lines.append(f"  > {s.evidence.quote} [{s.evidence.start}:{s.evidence.end}]")
        lines.append("")
    if result.dropped:
        lines += [f"_{len(result.dropped)} proposed item(s) dropped as ungrounded._", ""]
    u = result.usage
    lines.append(
        f"_Model {result.model}; {u.requests} request(s), "
        f"{u.prompt_tokens} prompt + {u.completion_tokens} completion tokens._"
    )
    return "\n".join(lines) + "\n"
