"""Scoring one summary against gold: the rules behind every figure of `summarize eval`."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

from summarize.errors import UserError
from summarize.evaluate.datasets import ENTITY_TYPES, MIN_SUMMARY_COVERAGE, Example
from summarize.schemas import Actor, ArticleSummary
from summarize.text import PRONOUNS, sentences, split_title, words
from summarize.text.names import two_people

CONTENT_F1 = 0.5
# Tokens that carry no identity when comparing a speaker with a gold source.
_FILLER = PRONOUNS | frozenset(
    ("the", "a", "an", "of", "for", "to", "and", "in", "on", "at", "mr", "mrs", "ms", "dr", "s")
)

RULES = {
    "all": (
        "grounding before repair = located/proposed; after repair = (located+repaired)/proposed; "
        "dropped = dropped/proposed (sums over ok articles). Articles longer than max_chars are cut "
        "at the last paragraph, line or sentence end before it; gold items outside the kept text "
        "are ignored. Quality metrics are over ok articles; failed articles are counted apart."
    ),
    "conll2003": (
        "Text fed as is (tokenised, one sentence per line). Gold PER/ORG/LOC entities deduped per "
        "article by (type, lower-cased text). Found if, after lower-casing and splitting into \\w+ "
        "tokens, the entity equals or is a contiguous token subsequence of an actor name or alias, "
        "or the name/alias is one of the entity (names made only of pronouns/fillers ignored). "
        "Recall is micro-averaged over entities. Type accuracy, on found entities, compares the "
        "type of the best-matching actor (equal tokens before containment): PER -> person; "
        "ORG -> organization or group; LOC -> country, group or other. Actor precision: the share "
        "of our actors whose name or an alias matches (same token rule) any gold entity of the "
        "article, MISC included; an actor matching none (a demonym, a heading, an event) counts "
        "against us."
    ),
    "polnear": (
        "Content recall: a gold attribution (both relation types) is found when some claim's "
        "evidence span overlaps one of its content spans by >= 1 char, or the claim quote has "
        f"token F1 >= {CONTENT_F1} with the content text; the best such claim is the match. "
        "Speaker accuracy: on gold relations of type Attribution (Attribution-no-source excluded) "
        "whose source is not only "
        "pronouns/determiners (he, she, they, we, you, I, it, this, who...); correct when the "
        "matched claim's speaker or an alias of that actor shares a non-filler token (e.g. the "
        "surname) with the gold source text, case-insensitively. Reported over matched eligible "
        "attributions (accuracy) and over all eligible ones (end to end). Two full names (no "
        "gold needed): actors whose name forms hold two different full names of one surname "
        '(different given names or initials, summarize.text.names.two_people), e.g. "Hillary '
        'Clinton" with the alias "Bill Clinton".'
    ),
    "gum": (
        "Gold: GUM coreference chains. A chain is named when its type is person, organization "
        "or place and one of its mentions holds a proper noun; its name forms are those proper "
        "mentions (at most 6 tokens), compared as \\w+ tokens without fillers (the, a, of, 's, "
        "pronouns, honorifics) and without titles before a full name. An actor matches a chain "
        "exactly when one of its names equals a name form, loosely when one contains the other. "
        "Actor precision: the share of our actors "
        "matching a person/organization/place chain (exactly, or loosely when no chain of another "
        "type matches exactly): an actor that is an event, a work or nothing counts against us. "
        "Type accuracy, on found named chains (best actor: exact before loose): person -> person "
        "or group; organization -> organization or group; place -> country or other. Merges: "
        "actors whose names equal full-name forms (two tokens or more) of two person chains with "
        "different Wikipedia identities (or no identity) and different names. Splits: named "
        "chains that two or more of our actors match exactly. Two full names: as for polnear."
    ),
    "bbc-summary": (
        "ROUGE-1 and ROUGE-L F1 (rouge-score, Porter stemming) of the summary against the "
        f"reference summary; records with summary_recovery_coverage < {MIN_SUMMARY_COVERAGE} are "
        "skipped. Lead-3 = first 3 sentences of the text fed to the model, scored the same way on "
        "the same ok articles. The title is passed to the model as the title. Invented names or "
        "numbers: capitalised words and numbers of the summary that the article does not contain "
        "(numbers compared without thousands separators; a capitalised sentence opener may occur "
        "in lower case)."
    ),
    "factru": (
        "Articles read as Russian (source.language ru). Gold: factRuEval-2016 PER/ORG/LOC chains (LocOrg "
        "as LOC) with a mention inside the kept text. Names are compared as lower-cased \\w+ tokens "
        "with \u0451 as \u0435. An actor matches a chain with strength 2 when its name or an alias "
        "equals a mention or "
        "the canonical name, 1 when a mention or the canonical name is a contiguous token subsequence of "
        "a name or alias. Recall per type: chains some actor matches. Type accuracy, on found chains, "
        "of the best-matching actor (strength, then first listed), as for conll2003. Actor precision: "
        "the share of our actors whose name or an alias matches a gold chain in either direction "
        "(one contains the other). Names in base form: on found PER chains with a canonical name, the "
        "best actor's name holds every canonical token (order free) and at most one more (a "
        "patronymic). Merged: actors that are the best match of two or more PER chains; split: PER "
        "chains matched by two or more person actors."
    ),
    "ner-uk": (
        "Articles read as Ukrainian (source.language uk). ner-uk 2.0 has no coreference: gold mentions "
        "are deduped per article by (type, lower-cased text) and scored with the conll2003 rules."
    ),
}


def token_f1(a: str, b: str) -> float:
    """Bag-of-tokens F1 of two strings (1.0 when both have no tokens)."""
    ta, tb = Counter(words(a)), Counter(words(b))
    if not ta and not tb:
        return 1.0
    common = sum((ta & tb).values())
    if not common:
        return 0.0
    precision, recall = common / sum(ta.values()), common / sum(tb.values())
    return 2 * precision * recall / (precision + recall)


def _contains(seq: Sequence[str], sub: Sequence[str]) -> bool:
    n = len(sub)
    return n > 0 and any(list(seq[i : i + n]) == list(sub) for i in range(len(seq) - n + 1))


TYPE_OK: dict[str, frozenset[str]] = {
    "PER": frozenset({"person"}),
    "ORG": frozenset({"organization", "group"}),
    "LOC": frozenset({"country", "group", "other"}),
}


def _actor_names(actor: Actor) -> list[list[str]]:
    names = [words(n) for n in (actor.name, *actor.aliases)]
    return [n for n in names if any(t not in _FILLER for t in n)]


def _strength(actor: Actor, want: list[str]) -> int:
    """2 when a name of ACTOR equals the entity's tokens, 1 when one contains the other."""
    best = 0
    for name in _actor_names(actor):
        if name == want:
            return 2
        if _contains(name, want) or _contains(want, name):
            best = 1
    return best


def best_actor(result: ArticleSummary, entity: str) -> Actor | None:
    """The actor that matches ENTITY best (equal tokens first, then the first listed)."""
    want = words(entity)
    scored = [(_strength(a, want), -i, a) for i, a in enumerate(result.actors)]
    found = [s for s in scored if s[0] > 0]
    return max(found, key=lambda s: s[:2])[2] if found else None


def score_conll(result: ArticleSummary, gold: dict[str, Any]) -> dict[str, list[int]]:
    """Per entity type [found, total] and [typed right, found]; "precision": [our actors
    matching a gold entity, our actors]."""
    counts: dict[str, list[int]] = {t: [0, 0] for t in ENTITY_TYPES}
    counts |= {f"typed {t}": [0, 0] for t in ENTITY_TYPES}
    for ent in gold["entities"]:
        actor = best_actor(result, ent["text"])
        counts[ent["type"]][0] += actor is not None
        counts[ent["type"]][1] += 1
        if actor is not None:
            counts[f"typed {ent['type']}"][0] += actor.type in TYPE_OK[ent["type"]]
            counts[f"typed {ent['type']}"][1] += 1
    known = [words(e["text"]) for e in gold["entities"]] + [words(m) for m in gold.get("misc", [])]
    hits = [any(_strength(actor, g) for g in known if g) for actor in result.actors]
    counts["precision"] = [sum(hits), len(hits)]
    return counts


def _folded(text: str) -> list[str]:
    return [w.replace("\u0451", "\u0435") for w in words(text)]  # yo as ye


def _chain_strength(actor: Actor, forms: Sequence[list[str]]) -> int:
    names = [_folded(n) for n in (actor.name, *actor.aliases)]
    names = [n for n in names if n]
    if any(n == f for n in names for f in forms):
        return 2
    return 1 if any(_contains(n, f) for n in names for f in forms) else 0


def _related(actor: Actor, forms: Sequence[list[str]]) -> bool:
    """Whether a name of ACTOR and a form of the chain contain one another."""
    names = [n for n in (_folded(n) for n in (actor.name, *actor.aliases)) if n]
    return any(_contains(n, f) or _contains(f, n) for n in names for f in forms)


def _base_form(name: str, canonical: str) -> bool:
    have, want = _folded(name), _folded(canonical)
    return set(want) <= set(have) and len(have) <= len(want) + 1


def score_factru(result: ArticleSummary, gold: dict[str, Any]) -> dict[str, list[int]]:
    """Per type [found, total] and [typed right, found]; "precision"; "base form" [right, PER
    found]; "merged" [actors holding 2+ persons, person actors]; "split" [PER chains matched by
    2+ person actors, PER found]."""
    counts: dict[str, list[int]] = {t: [0, 0] for t in ENTITY_TYPES}
    counts |= {f"typed {t}": [0, 0] for t in ENTITY_TYPES}
    counts |= {"base form": [0, 0], "base form all": [0, 0], "split": [0, 0]}
    chains = gold["chains"]
    forms = [[f for f in (_folded(m) for m in (*c["mentions"], c["canonical"])) if f] for c in chains]
    best_of: dict[int, list[int]] = {}
    for n, (chain, chain_forms) in enumerate(zip(chains, forms, strict=True)):
        scored = [(_chain_strength(a, chain_forms), -i) for i, a in enumerate(result.actors)]
        found = [s for s in scored if s[0] > 0]
        kind = chain["type"]
        counts[kind][1] += 1
        if not found:
            continue
        actor = result.actors[-max(found)[1]]
        counts[kind][0] += 1
        counts[f"typed {kind}"][0] += actor.type in TYPE_OK[kind]
        counts[f"typed {kind}"][1] += 1
        if chain["canonical"]:
            right = _base_form(actor.name, chain["canonical"])
            counts["base form all"][0] += right
            counts["base form all"][1] += 1
            if kind == "PER":
                counts["base form"][0] += right
                counts["base form"][1] += 1
        if kind == "PER":
            best_of.setdefault(-max(found)[1], []).append(n)
            matched = [i for s, i in found if result.actors[-i].type == "person"]
            counts["split"][0] += len(matched) > 1
            counts["split"][1] += 1
    people = [a for a in result.actors if a.type == "person"]
    counts["merged"] = [sum(len(v) > 1 for v in best_of.values()), len(people)]
    hits = [any(_related(a, f) for f in forms) for a in result.actors]
    counts["precision"] = [sum(hits), len(hits)]
    return counts


def named_source(att: dict[str, Any]) -> bool:
    """Whether a gold attribution counts for speaker accuracy (a named or noun-phrase source)."""
    if att["relation_type"] != "Attribution" or not att.get("source"):
        return False
    return any(t not in PRONOUNS for t in words(att["source"]))


def _overlap(a: tuple[int, int], b: Sequence[int]) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def _match_claim(result: ArticleSummary, att: dict[str, Any]) -> int | None:
    """Index of the claim that best covers the attribution's content, if any qualifies."""
    best: tuple[int, float, int] | None = None
    for i, claim in enumerate(result.claims):
        ev = (claim.evidence.start, claim.evidence.end)
        chars = max((_overlap(ev, span) for span in att["spans"]), default=0)
        f1 = token_f1(claim.evidence.quote, att["content"])
        if (chars >= 1 or f1 >= CONTENT_F1) and (best is None or (chars, f1) > best[:2]):
            best = (chars, f1, i)
    return None if best is None else best[2]


def speaker_matches(result: ArticleSummary, speaker: str | None, source: str) -> bool:
    """Whether SPEAKER (or an alias of that actor) shares a non-filler token with SOURCE."""
    if not speaker:
        return False
    names = [speaker]
    for actor in result.actors:
        if actor.name.lower() == speaker.lower():
            names.extend(actor.aliases)
    want = {t for t in words(source) if t not in _FILLER}
    return any(want & set(words(name)) for name in names)


def merged_people(actors: Sequence[Actor]) -> int:
    """Actors holding two different full names of one surname: two people as one (no gold)."""
    return sum(two_people([a.name, *a.aliases]) for a in actors if a.type in ("person", "other"))


def score_polnear(result: ArticleSummary, gold: dict[str, Any]) -> dict[str, int]:
    """Counts for content recall and speaker accuracy, and actors holding two people."""
    c = dict.fromkeys(("content_found", "content_total", "eligible", "matched", "correct"), 0)
    c["two_people"] = merged_people(result.actors)
    for att in gold["attributions"]:
        index = _match_claim(result, att)
        c["content_total"] += 1
        c["content_found"] += index is not None
        if not named_source(att):
            continue
        c["eligible"] += 1
        if index is not None:
            c["matched"] += 1
            c["correct"] += speaker_matches(result, result.claims[index].speaker, att["source"])
    return c


ACTING_TYPES = frozenset({"person", "organization", "place"})
GUM_TYPE_OK: dict[str, frozenset[str]] = {
    "person": frozenset({"person", "group"}),
    "organization": frozenset({"organization", "group"}),
    "place": frozenset({"country", "other"}),
}
_MAX_FORM_TOKENS = 6


def _form(text: str) -> tuple[str, ...]:
    """A name as tokens without fillers, and without the titles before a full name
    ("Former President George H. W. Bush" -> george h w bush)."""
    form = [t for t in words(text) if t not in _FILLER]
    title, rest = split_title(form)
    return tuple(rest if title and len(rest) >= 2 else form)


def _chain_forms(entity: dict[str, Any]) -> set[tuple[str, ...]]:
    """The name forms of a gold chain: its proper mentions, short enough to be names."""
    forms = {_form(m["text"]) for m in entity["mentions"] if m.get("proper")}
    return {f for f in forms if f and len(f) <= _MAX_FORM_TOKENS}


def _actor_forms(actor: Actor) -> set[tuple[str, ...]]:
    return {f for f in map(_form, (actor.name, *actor.aliases)) if f}


def _loose(a: set[tuple[str, ...]], b: set[tuple[str, ...]]) -> bool:
    return any(_contains(x, y) or _contains(y, x) for x in a for y in b)


def score_gum(result: ArticleSummary, gold: dict[str, Any]) -> dict[str, list[int]]:
    """[numerator, denominator] pairs: "found" and "typed" over named chains, "precision" over
    our actors, "merges" (actors holding two gold people), "splits" (named chains held by two
    actors or more), "two_people" (the no-gold count), see RULES["gum"]."""
    chains = [(e, _chain_forms(e)) for e in gold["entities"]]
    named = [(e, f) for e, f in chains if e["type"] in ACTING_TYPES and f]
    actors = [(a, _actor_forms(a)) for a in result.actors]
    c = {k: [0, 0] for k in ("found", "typed", "precision", "merges", "splits", "two_people")}

    def count(key: str, hit: bool) -> None:
        c[key][0] += hit
        c[key][1] += 1

    for entity, forms in named:
        exact = [a for a, names in actors if names & forms]
        best = next(iter(exact or [a for a, names in actors if _loose(names, forms)]), None)
        count("found", best is not None)
        if best is not None:
            count("typed", best.type in GUM_TYPE_OK[entity["type"]])
        count("splits", len(exact) >= 2)
    for _, names in actors:
        acting_exact = any(names & f for _, f in named)
        other_exact = any(names & f for e, f in chains if e["type"] not in ACTING_TYPES)
        count("precision", acting_exact or (not other_exact and any(_loose(names, f) for _, f in named)))
        count("merges", _holds_two_people(names, named))
    c["two_people"] = [merged_people(result.actors), len(actors)]
    return c


def _holds_two_people(names: set[tuple[str, ...]], named: Sequence[tuple[dict[str, Any], set[Any]]]) -> bool:
    """Whether NAMES equal full names of two person chains that are two people."""
    held = [
        (n, e.get("identity"), form)
        for n, (e, forms) in enumerate(named)
        if e["type"] == "person"
        for form in forms & names
        if len(form) >= 2
    ]
    return any(
        na != nb and fa != fb and (ia is None or ib is None or ia != ib)
        for i, (na, ia, fa) in enumerate(held)
        for nb, ib, fb in held[i + 1 :]
    )


def lead3(text: str) -> str:
    """The first three sentences."""
    return " ".join(sentences(text)[:3])


ROUGE_HINT = "ROUGE needs the rouge-score package. Run `pip install rouge-score` (or the dev extra)"


def rouge_scorer() -> Any:
    """A ROUGE-1/ROUGE-L scorer with stemming; a clear error when rouge-score is missing."""
    try:
        import importlib

        module = importlib.import_module("rouge_score.rouge_scorer")
    except ImportError:
        raise UserError(ROUGE_HINT) from None
    return module.RougeScorer(["rouge1", "rougeL"], use_stemmer=True)


_NUMBER = re.compile(r"\d[\d,.]*\d|\d")
_CAPITALISED = re.compile(r"(?<![A-Za-z0-9])[A-Z][A-Za-z0-9]*")
_OPENER = re.compile(r"(?:^|[.!?]\s+|[\"\u201c(]\s*)$")


def unsupported(summary: str, article: str) -> list[str]:
    """Capitalised words and numbers of SUMMARY that ARTICLE does not contain: invented names
    and figures. A sentence opener may occur in lower case ("The"); "40,000" equals "40000"."""
    known = set(re.findall(r"[A-Za-z0-9]+", article))
    lowered = {w.lower() for w in known}
    numbers = {n.replace(",", "").rstrip(".") for n in _NUMBER.findall(article)}
    out = [n for n in _NUMBER.findall(summary) if n.replace(",", "").rstrip(".") not in numbers]
    for m in _CAPITALISED.finditer(summary):
        word = m.group()
        opener = _OPENER.search(summary[: m.start()]) is not None
        if word not in known and not (opener and word.lower() in lowered):
            out.append(word)
    return list(dict.fromkeys(out))


def score_bbc(summary: str, example: Example, scorer: Any) -> dict[str, float]:
    """ROUGE-1/ROUGE-L F of SUMMARY and of Lead-3 against the reference."""
    reference = example.gold["reference"]
    ours = scorer.score(reference, summary)
    base = scorer.score(reference, lead3(example.text))
    return {
        "rouge1": ours["rouge1"].fmeasure,
        "rougeL": ours["rougeL"].fmeasure,
        "lead3_rouge1": base["rouge1"].fmeasure,
        "lead3_rougeL": base["rougeL"].fmeasure,
        "unsupported": float(len(unsupported(summary, example.text))),
        "sentences": float(len(sentences(summary))),
    }
