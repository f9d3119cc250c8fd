"""Remove site furniture from article text: share prompts, disclaimers, headline lists, nav.

General rules only, never per-site ones (docs/INGEST.md explains and measures them):

- A line is *boilerplate* when it is short (<= 12 words) and opens with a known phrase
  (at most two words before it: "Please share this article"; phrases: "share this",
  "subscribe", "all rights reserved", ...), or when it contains two different known
  phrases at any length (a publisher disclaimer, a cookie banner).
- A line is a *marker* when it is only punctuation ("-", "|", "***"), a relative time
  ("4 days ago") or a bare date: the glue of headline lists.
- Trailing block: the earliest boilerplate or marker line after which every line is
  boilerplate, a marker, a short line that is not a sentence (a headline), or a short
  line next to a marker (a list item). The block must hold a boilerplate line or three markers.
  A run of three or more headline-like lines just above it goes with it.
- Leading block: boilerplate lines, separators and runs of three or more tiny (<= 3 words)
  lines (a navigation menu) before the first other line. Headings and kickers stay.
- Anywhere, first: lines that are exactly an ad slot ("Advertisement", "Continue reading the
  main story"), which copied pages scatter through the body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from summarize.text.lexicon import CLOSERS

_PHRASES: tuple[str, ...] = (
    r"share (this|the|on|via)\b",
    r"\bshare:?$",
    r"follow us\b",
    r"follow @?\w+ on (twitter|x|facebook|instagram)",
    r"\bsubscribe\b",
    r"\bsign up\b",
    r"\bnewsletters?\b",
    r"\bcookies?\b",
    r"all rights reserved",
    r"^©|^\(c\) |\bcopyright ©?\s*\d{4}",
    r"terms (and|&) conditions",
    r"terms of (use|service)",
    r"privacy (policy|notice|settings)",
    r"related (articles?|stories|posts|topics|content|coverage|news)",
    r"^related:?$",
    r"read more\b",
    r"^more (from|on|stories|news)\b",
    r"most (read|popular|viewed|shared)",
    r"you (may|might) (also )?like",
    r"recommended (for you|stories|articles|reading)",
    r"\badvertisement\b",
    r"\bsponsored\b",
    r"click here",
    r"download (our|the) app",
    r"^(log|sign) (in|out)\b",
    r"skip to (main )?content",
    r"back to top",
    r"leave a (comment|reply)",
    r"^\d*\s*comments?$",
    r"^(print|email) (this|article)",
    r"^tags?:",
    r"^filed under",
    r"not necessarily (those|the views|reflect)",
    r"for more information",
    r"(editorial|ai|a\.i\.) (policy|standards|guidelines)",
    r"accept (all|cookies)",
    r"we use cookies",
    r"(report|suggest) (a|an) (correction|error|typo)",
    r"(support|donate to) (our|independent) journalism",
    r"get the latest",
    r"this (article|story) (was|has been) (updated|corrected)",
)
_PHRASE_RES = tuple(re.compile(p, re.I) for p in _PHRASES)

_AD_SLOTS = frozenset(
    {
        "advertisement",
        "advertisement:",
        "ad",
        "skip advertisement",
        "story continues below advertisement",
        "article continues below advertisement",
        "continue reading the main story",
        "continue reading below",
        "scroll to continue with content",
    }
)
_SEPARATOR = re.compile(r"^[\W_]{1,8}$")
_RELATIVE_TIME = re.compile(
    r"\d+\s*(sec|secs|seconds?|min|mins|minutes?|h|hrs?|hours?|days?|weeks?|months?|years?)\s+ago\b",
    re.I,
)
_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE_ONLY = re.compile(
    rf"^(\w+,?\s+)?(\d{{1,2}}\s+{_MONTH},?\s+\d{{4}}|{_MONTH}\s+\d{{1,2}},?\s+\d{{4}}"
    r"|\d{4}-\d{2}-\d{2}|\d{1,2}[./]\d{1,2}[./]\d{2,4})([\sT,]+[\d:]+\s*(am|pm)?\s*\w{0,4})?$",
    re.I,
)
_SENTENCE_END = re.compile(rf"[.!?\u2026][{re.escape(CLOSERS)}]*$")
_WORD = re.compile(r"\w+")

SHORT_WORDS = 25
BOILER_SHORT_WORDS = 12
LEAD_WORDS = 2  # words allowed before the phrase: "Please share this"
NAV_WORDS = 3
NAV_RUN = 3
HEADLINE_RUN = 3
MIN_MARKERS = 3  # two rules ("___") can be a correction note's frame, three make a list


@dataclass(frozen=True)
class Cleaned:
    """Text after removal, and each removed block verbatim (for --verbose)."""

    text: str
    removed: list[str]


def _words(line: str) -> int:
    return len(_WORD.findall(line))


def _phrase_matches(line: str) -> list[re.Match[str]]:
    """Matches of known phrases, one per phrase, dropping any that overlap an earlier one."""
    found = sorted((m for m in (rx.search(line) for rx in _PHRASE_RES) if m), key=lambda m: m.start())
    kept: list[re.Match[str]] = []
    for match in found:
        if not kept or match.start() >= kept[-1].end():
            kept.append(match)
    return kept


def phrase_hits(line: str) -> int:
    """How many different, non-overlapping known boilerplate phrases LINE contains."""
    return len(_phrase_matches(line))


def is_boilerplate(line: str) -> bool:
    """A short line that opens with a known phrase, or any line with two different ones.

    "Share this article:", "Please subscribe to our newsletter." count; a reporter's line
    that merely contains a phrase ("...was among the most popular policies") does not.
    """
    s = line.strip().lstrip("-*\u2022>|#[( ").strip()
    found = _phrase_matches(s)
    if len(found) >= 2:
        return True
    if len(found) == 1 and _words(s) <= BOILER_SHORT_WORDS:
        return _words(s[: found[0].start()]) <= LEAD_WORDS
    return False


def is_marker(line: str) -> bool:
    """Separators, relative times and bare dates: the glue of headline lists."""
    s = line.strip()
    if _SEPARATOR.match(s):
        return True
    if _words(s) <= 8 and _RELATIVE_TIME.search(s):
        return True
    return bool(_DATE_ONLY.match(s))


def _is_short(line: str) -> bool:
    return _words(line) <= SHORT_WORDS and len(line) <= 250


def _is_headline(line: str) -> bool:
    """Short and not ending like a sentence: a heading, a link text, a list item."""
    s = line.strip()
    return _is_short(s) and not _SENTENCE_END.search(s)


def _trailing_start(lines: list[str]) -> int | None:
    """Index of the first line of the trailing boilerplate block, or None."""
    idx = [i for i, line in enumerate(lines) if line.strip()]
    kinds = {i: ("B" if is_boilerplate(lines[i]) else "M" if is_marker(lines[i]) else "") for i in idx}
    start: int | None = None
    boilers = markers = 0
    best: int | None = None
    for pos in range(len(idx) - 1, -1, -1):
        i = idx[pos]
        line = lines[i]
        near_marker = any(0 <= p < len(idx) and kinds[idx[p]] == "M" for p in (pos - 1, pos + 1))
        ok = bool(kinds[i]) or _is_headline(line) or (_is_short(line) and near_marker)
        if not ok:
            break
        boilers += kinds[i] == "B"
        markers += kinds[i] == "M"
        start = pos
        if kinds[i] and (boilers >= 1 or markers >= MIN_MARKERS):
            best = pos
    if best is None or start is None:
        return None
    # A run of headline-like lines right above the block is the top of the same list.
    pos = best
    run = 0
    while pos - run - 1 >= 0 and _is_headline(lines[idx[pos - run - 1]]):
        run += 1
    if run >= HEADLINE_RUN:
        pos -= run
    return idx[pos]


def _leading_end(lines: list[str]) -> int:
    """Index of the first line after the leading boilerplate block (0 when none)."""
    i = 0
    n = len(lines)
    while i < n:
        s = lines[i].strip()
        if not s or is_boilerplate(s) or _SEPARATOR.match(s):
            i += 1
            continue
        run = i
        while (
            run < n
            and lines[run].strip()
            and _words(lines[run]) <= NAV_WORDS
            and not _SENTENCE_END.search(lines[run].strip())
        ):
            run += 1
        if run - i >= NAV_RUN:
            i = run
            continue
        break
    return i


def strip_boilerplate(text: str) -> Cleaned:
    """Remove ad-slot, trailing and leading boilerplate from newline-separated TEXT."""
    removed: list[str] = []
    lines: list[str] = []
    for line in text.split("\n"):
        if line.strip().lower() in _AD_SLOTS:
            removed.append(line.strip())
        else:
            lines.append(line)
    end = _trailing_start(lines)
    if end is not None:
        removed.append("\n".join(lines[end:]).strip())
        lines = lines[:end]
    begin = _leading_end(lines)
    if begin:
        removed.insert(0, "\n".join(lines[:begin]).strip())
        lines = lines[begin:]
    return Cleaned(text="\n".join(lines).strip(), removed=[r for r in removed if r])


def guess_title(text: str) -> str | None:
    """The headline: the first line if it reads like one, skipping a one-to-three-word kicker."""
    lines = [line.strip() for line in text.split("\n") if line.strip()][:3]
    if len(lines) < 2:
        return None
    first = lines[0].lstrip("#").strip()
    second = lines[1].lstrip("#").strip()
    if _words(first) <= NAV_WORDS and len(lines) >= 3 and _looks_like_title(second):
        return second
    return first if _looks_like_title(first) else None


def _looks_like_title(line: str) -> bool:
    n = _words(line)
    return 2 <= n <= SHORT_WORDS and len(line) <= 200 and not re.search(r"[.,;:]$", line)
