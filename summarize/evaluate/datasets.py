"""The gold sets behind `summarize eval`: load them as the pipeline will see them.

- conll2003: Reuters news with gold PER/ORG/LOC/MISC entities.
- polnear: US political news with gold attributions (source, cue, content).
- bbc-summary: BBC news with extractive reference summaries.
- gum: Wikinews news and interviews (GUM) with gold coreference chains, entity types and
  Wikipedia identities.
- factru: Russian news (factRuEval-2016) with gold PER/ORG/LOC chains and nominative names.
- ner-uk: Ukrainian texts (ner-uk 2.0) with gold PER/ORG/LOC mentions.

See ../shared/data/README.md. Articles longer than max_chars are cut at a paragraph, line
or sentence end, and gold items outside the kept text are dropped.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from summarize.errors import InputError, UserError
from summarize.text import sentence_ends

DATASETS = ("conll2003", "polnear", "bbc-summary", "gum", "factru", "ner-uk")
FILES = {
    "conll2003": "conll2003_docs.jsonl",
    "polnear": "polnear.jsonl",
    "bbc-summary": "bbc_news_summary.jsonl",
    "gum": "gum_dev.jsonl",
    "factru": "factru_dev.jsonl",
    "ner-uk": "neruk_dev.jsonl",
}
LANGUAGES = {"factru": "ru", "ner-uk": "uk"}
"""The language of every article of a set: a factRuEval text is Russian by definition."""
DEFAULT_MAX_CHARS = 3000
ENTITY_TYPES = ("PER", "ORG", "LOC")
# The bbc-summary references were recovered from lower-cased CSVs; below this share of
# recovered characters the reference is incomplete (SOURCE.txt), so ROUGE would be unfair.
MIN_SUMMARY_COVERAGE = 0.97


@dataclass(frozen=True)
class Example:
    """One gold article as fed to the model; `gold` keeps only items inside `text`."""

    id: str
    text: str
    full_chars: int
    title: str | None = None
    gold: dict[str, Any] = field(default_factory=dict)
    language: str | None = None
    """ISO 639-1 code when the set says it (factru: "ru"); None: the pipeline decides."""

    @property
    def truncated(self) -> bool:
        """Whether the article was cut to fit max_chars."""
        return len(self.text) < self.full_chars


def dataset_file(dataset: str, path: Path | str) -> Path:
    """The JSONL file of DATASET at PATH (the file itself, or the folder holding it)."""
    if dataset not in FILES:
        raise UserError(f"unknown dataset {dataset!r}. Use one of {', '.join(DATASETS)}")
    p = Path(path)
    if p.is_dir():
        p = p / FILES[dataset]
    if not p.is_file():
        raise InputError(f"{p} not found. Pass the {dataset} folder or its {FILES[dataset]} file")
    return p


def load_examples(
    dataset: str,
    path: Path | str,
    *,
    limit: int | None = None,
    offset: int = 0,
    max_chars: int | None = DEFAULT_MAX_CHARS,
) -> list[Example]:
    """The first LIMIT usable records of DATASET after OFFSET, in file order, cut to MAX_CHARS."""
    file = dataset_file(dataset, path)
    make = _MAKERS[dataset]
    examples: list[Example] = []
    usable = 0
    for record in _read_jsonl(file):
        example = make(record, max_chars)
        if example is None:
            continue
        usable += 1
        if usable <= offset:
            continue
        examples.append(example)
        if limit is not None and len(examples) >= limit:
            break
    return examples


def _read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{path}:{number} is not valid JSON ({exc.msg})") from None


def truncate(text: str, max_chars: int | None) -> str:
    """TEXT cut to at most MAX_CHARS at a paragraph, line or sentence end (else a space)."""
    if max_chars is None or len(text) <= max_chars:
        return text
    head = text[:max_chars]
    for mark in ("\n\n", "\n"):
        cut = head.rfind(mark)
        if cut >= max_chars // 2:
            return text[:cut].rstrip()
    ends = list(sentence_ends(head))
    if ends and ends[-1] >= max_chars // 2:
        return head[: ends[-1]]
    cut = head.rfind(" ")
    return head[: cut if cut > 0 else max_chars].rstrip()


def _conll(record: dict[str, Any], max_chars: int | None) -> Example:
    text = truncate(record["text"], max_chars)
    seen: dict[tuple[str, str], dict[str, str]] = {}
    misc: dict[str, str] = {}
    for ent in record.get("entities", []):
        if ent["end"] > len(text):
            continue
        if ent["type"] in ENTITY_TYPES:
            seen.setdefault((ent["type"], ent["text"].lower()), {"text": ent["text"], "type": ent["type"]})
        else:  # MISC: not an actor to find, but no spurious actor either (actor precision)
            misc.setdefault(ent["text"].lower(), ent["text"])
    gold = {"entities": list(seen.values()), "misc": list(misc.values())}
    return Example(record["id"], text, len(record["text"]), None, gold)


def _polnear(record: dict[str, Any], max_chars: int | None) -> Example:
    text = truncate(record["text"], max_chars)
    kept = []
    for att in record.get("attributions", []):
        content = att.get("content") or {}
        source = att.get("source") or {}
        spans = [tuple(s) for s in content.get("spans", [])] + [tuple(s) for s in source.get("spans", [])]
        if not content.get("spans") or any(end > len(text) for _, end in spans):
            continue
        kept.append(
            {
                "content": content.get("text", ""),
                "spans": content["spans"],
                "source": source.get("text"),
                "relation_type": att.get("relation_type", "Attribution"),
            }
        )
    return Example(record["id"], text, len(record["text"]), None, {"attributions": kept})


def _bbc(record: dict[str, Any], max_chars: int | None) -> Example | None:
    if float(record.get("summary_recovery_coverage", 1.0)) < MIN_SUMMARY_COVERAGE:
        return None
    text = truncate(record["text"], max_chars)
    gold = {"reference": record["summary"]}
    return Example(record["id"], text, len(record["text"]), record.get("title"), gold)


def _gum(record: dict[str, Any], max_chars: int | None) -> Example:
    """Gold chains cut to the kept text; a chain with no mention left is dropped."""
    text = truncate(record["text"], max_chars)
    entities = []
    for ent in record.get("entities", []):
        mentions = [m for m in ent.get("mentions", []) if m["end"] <= len(text)]
        if mentions:
            entities.append({"type": ent["type"], "identity": ent.get("identity"), "mentions": mentions})
    title = record.get("title")
    return Example(record["id"], text, len(record["text"]), title, {"entities": entities})


def _chains(record: dict[str, Any], max_chars: int | None) -> tuple[str, list[dict[str, Any]]]:
    """The kept text and the gold chains with at least one mention inside it."""
    text = truncate(record["text"], max_chars)
    chains = []
    for ent in record.get("entities", []):
        mentions = [m["text"] for m in ent.get("mentions", []) if m["end"] <= len(text)]
        if mentions and ent["type"] in ENTITY_TYPES:
            chains.append(
                {"type": ent["type"], "canonical": ent.get("canonical") or "", "mentions": mentions}
            )
    return text, chains


def _factru(record: dict[str, Any], max_chars: int | None) -> Example:
    text, chains = _chains(record, max_chars)
    return Example(record["id"], text, len(record["text"]), None, {"chains": chains}, language="ru")


def _neruk(record: dict[str, Any], max_chars: int | None) -> Example:
    """ner-uk has no coreference: its mentions are deduped per article as conll2003's are."""
    text, chains = _chains(record, max_chars)
    seen: dict[tuple[str, str], dict[str, str]] = {}
    for chain in chains:
        for mention in chain["mentions"]:
            seen.setdefault((chain["type"], mention.lower()), {"text": mention, "type": chain["type"]})
    gold = {"entities": list(seen.values()), "misc": []}
    return Example(record["id"], text, len(record["text"]), None, gold, language="uk")


_MAKERS: dict[str, Callable[[dict[str, Any], int | None], Example | None]] = {
    "conll2003": _conll,
    "polnear": _polnear,
    "bbc-summary": _bbc,
    "gum": _gum,
    "factru": _factru,
    "ner-uk": _neruk,
}
