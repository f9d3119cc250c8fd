"""Locating the model's quotes: exact, normalized, fuzzy, not found; offsets always exact."""

from __future__ import annotations

import random

import pytest

from summarize.ground import (
    REASON_EMPTY,
    REASON_NOT_FOUND,
    REASON_TOO_SHORT,
    Span,
    fuzzy_score,
    ground,
    invented_words,
    is_hedged,
    locate,
    unlocated_reason,
)
from summarize.ground.locate import _fold
from summarize.schemas import Draft, DraftActor, DraftClaim, DraftStance

# A short invented article: curly quotes, an em dash, an ellipsis, a non-breaking space.
ARTICLE = (
    "Harbour Bill splits coalition\n\n"
    "Finance Minister Greta Lindqvist said on Tuesday that the harbour bill was \u201can "
    "expensive mistake\u201d and warned that \u201cthe port cannot carry another decade of "
    "debt.\u201d\n"
    "Opposition leader Tomas Varga \u2014 who has backed the bill since March \u2014 called "
    "the criticism \u201cshort-sighted\u201d. \u201cWe will build it, and we will build it "
    "on time,\u201d Varga told reporters in Eastport.\n"
    "Lindqvist\u2019s office later said the minister \u201cremains open to talks\u2026 but not "
    "at any price.\u201d The harbour authority has reportedly spent\u00a0\u20ac40 million on "
    "planning already.\n"
    "Varga said the bill would create 2,000 jobs. Lindqvist said the bill would create debt.\n"
)

OTHER_ARTICLE_SENTENCE = "The central bank kept interest rates unchanged for a third month."


def check(quote: str, text: str = ARTICLE, **kw: object) -> Span | None:
    """locate() with the invariant checked on every result."""
    span = locate(quote, text, **kw)  # type: ignore[arg-type]
    if span is not None:
        found = text[span.start : span.end]
        assert found, "span is empty"
        assert found == found.strip(), "span starts or ends with whitespace"
        assert 0 <= span.start < span.end <= len(text)
    return span


def found(quote: str, text: str = ARTICLE) -> str:
    span = check(quote, text)
    assert span is not None, quote
    return text[span.start : span.end]


# --- exact ----------------------------------------------------------------------------------


def test_exact_match() -> None:
    span = check("an expensive mistake")
    assert span is not None and span.match == "exact"
    assert ARTICLE[span.start : span.end] == "an expensive mistake"


def test_exact_match_ignores_outer_whitespace() -> None:
    span = check("  called the criticism \n")
    assert span is not None and span.match == "exact"
    assert ARTICLE[span.start : span.end] == "called the criticism"


@pytest.mark.parametrize("quote", ["", "   ", "\n\t"])
def test_empty_quote_is_not_located(quote: str) -> None:
    assert check(quote) is None
    assert unlocated_reason(quote) == REASON_EMPTY


# --- normalized -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quote", "expected"),
    [
        # the seed case: the model turns the article's curly quotes into straight ones
        (
            '"We will build it, and we will build it on time," Varga told reporters',
            "\u201cWe will build it, and we will build it on time,\u201d Varga told reporters",
        ),
        # curly apostrophe made straight
        ("Lindqvist's office later said", "Lindqvist\u2019s office later said"),
        # em dash written as a spaced hyphen
        ("Tomas Varga - who has backed the bill", "Tomas Varga \u2014 who has backed the bill"),
        # em dash written without spaces
        ("Varga--who has backed", "Varga \u2014 who has backed"),
        # ellipsis written as three dots
        ("remains open to talks... but not at any price", "remains open to talks\u2026 but not at any price"),
        # case changed
        ("FINANCE MINISTER GRETA LINDQVIST", "Finance Minister Greta Lindqvist"),
        # a line break and a double space in the model's quote
        ("the port cannot carry\nanother  decade of debt", "the port cannot carry another decade of debt"),
        # NBSP in the article, plain space in the quote
        ("reportedly spent \u20ac40 million", "reportedly spent\u00a0\u20ac40 million"),
        # a trailing full stop the article does not have there
        ("Opposition leader Tomas Varga.", "Opposition leader Tomas Varga"),
        # quotation marks the model added around words the article does not quote
        ('"Opposition leader Tomas Varga"', "Opposition leader Tomas Varga"),
        ("'Opposition leader Tomas Varga'", "Opposition leader Tomas Varga"),
    ],
)
def test_normalized_match_returns_the_exact_original_span(quote: str, expected: str) -> None:
    span = check(quote)
    assert span is not None
    assert span.match == "normalized"
    assert ARTICLE[span.start : span.end] == expected


def test_quote_marks_the_model_kept_are_taken_in_when_the_article_has_them() -> None:
    assert found('"an expensive mistake"') == "\u201can expensive mistake\u201d"


def test_quote_marks_the_model_dropped_are_not_needed() -> None:
    span = check("We will build it, and we will build it on time,")
    assert span is not None and span.match == "exact"


def test_accents_are_folded() -> None:
    text = "Minister José Núñez said the vote was “a disgrace” on Friday."
    span = check("Minister Jose Nunez said the vote", text)
    assert span is not None and span.match == "normalized"
    assert text[span.start : span.end] == "Minister José Núñez said the vote"


def test_elided_quote_spans_the_skipped_words() -> None:
    span = check('"the port cannot carry ... decade of debt"')
    assert span is not None and span.match == "fuzzy"
    assert ARTICLE[span.start : span.end].startswith("the port cannot carry another")


# --- fuzzy ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quote", "expected"),
    [
        # a dropped word
        (
            "We will build it, and we will build it, Varga told reporters",
            "We will build it, and we will build it on time,\u201d Varga told reporters",
        ),
        ("the port cannot carry another of debt", "the port cannot carry another decade of debt"),
        # changed tense
        (
            "Varga says the bill would create 2,000 jobs",
            "Varga said the bill would create 2,000 jobs",
        ),
        # a word added
        (
            "the harbour bill was an very expensive mistake",
            "the harbour bill was \u201can expensive mistake",
        ),
        # singular/plural slip and trailing punctuation
        (
            "Lindqvist said the bills would create debt!",
            "Lindqvist said the bill would create debt",
        ),
    ],
)
def test_fuzzy_match_on_realistic_model_errors(quote: str, expected: str) -> None:
    span = check(quote)
    assert span is not None, fuzzy_score(quote, ARTICLE)
    assert span.match == "fuzzy"
    assert ARTICLE[span.start : span.end] == expected


@pytest.mark.parametrize(
    "quote",
    [
        # paraphrase of what Lindqvist said: same meaning, different words
        "Lindqvist argued the port would be crushed by ten more years of borrowing",
        "Varga promised the harbour would be finished on schedule",
        # a sentence from another article
        OTHER_ARTICLE_SENTENCE,
        # invented words attributed to a real speaker
        "We will never accept a harbour paid for by our grandchildren",
    ],
)
def test_paraphrase_or_foreign_quote_is_not_located(quote: str) -> None:
    assert check(quote) is None
    assert unlocated_reason(quote) == REASON_NOT_FOUND


@pytest.mark.parametrize("quote", ["Varga sad", "bill wuold", "Lindqvst"])
def test_very_short_quotes_never_match_fuzzily(quote: str) -> None:
    assert check(quote) is None
    assert unlocated_reason(quote) == REASON_TOO_SHORT


def test_short_quotes_still_match_exactly() -> None:
    span = check("Varga")
    assert span is not None and span.match == "exact"


def test_threshold_is_a_parameter() -> None:
    quote = "Varga says the bill would create 2,000 jobs"
    assert check(quote, threshold=100.0) is None
    assert check(quote, threshold=50.0) is not None


def test_quote_longer_than_the_article() -> None:
    text = "Varga said no."
    assert check("Varga said no to the bill on Tuesday in Eastport", text) is None


# --- several occurrences ------------------------------------------------------------------


def test_first_occurrence_without_near() -> None:
    span = check("the bill would create")
    assert span is not None
    assert span.start == ARTICLE.index("the bill would create")


def test_occurrence_nearest_to_near() -> None:
    second = ARTICLE.index("Lindqvist said the bill")
    span = check("the bill would create", near=second)
    assert span is not None
    assert span.start == ARTICLE.index("the bill would create", second)


def test_near_accepts_several_anchors() -> None:
    first = ARTICLE.index("Varga said the bill")
    span = check("the bill would create", near=[first, len(ARTICLE) + 500])
    assert span is not None
    assert span.start == ARTICLE.index("the bill would create", first)


def test_near_applies_to_normalized_matches() -> None:
    second = ARTICLE.index("Lindqvist said the bill")
    span = check("THE BILL WOULD CREATE", near=second)
    assert span is not None and span.match == "normalized"
    assert span.start == ARTICLE.index("the bill would create", second)


def test_whole_word_occurrence_preferred() -> None:
    text = "The plan was planned badly, and the plan failed."
    span = check("plan", text)
    assert span is not None and span.start == text.index("plan")
    span = check("plan", text, near=text.index("planned"))
    assert span is not None and text[span.start : span.end + 1] == "plan "


def test_deterministic() -> None:
    spans = {check("the bill would create", near=100) for _ in range(5)}
    assert len(spans) == 1


# --- the invariant on random perturbations ------------------------------------------------


def _perturb(rng: random.Random, sentence: str) -> str:
    words = sentence.split()
    choice = rng.randrange(5)
    if choice == 0 and len(words) > 4:
        del words[rng.randrange(len(words))]
    elif choice == 1:
        return sentence.replace("\u201c", '"').replace("\u201d", '"').replace("\u2019", "'")
    elif choice == 2:
        return sentence.upper()
    elif choice == 3:
        return '"' + sentence + '"'
    return " ".join(words) + ","


def test_invariant_on_many_perturbed_quotes() -> None:
    rng = random.Random(7)
    sentences = [s for s in ARTICLE.replace("\n", " ").split(". ") if len(s) > 20]
    for _ in range(300):
        sentence = rng.choice(sentences)
        start = rng.randrange(len(sentence) // 2)
        quote = _perturb(rng, sentence[start:])
        check(quote)
        check(quote, near=rng.randrange(len(ARTICLE)))


# --- hedges ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("span", "hedged"),
    [
        ("The authority has reportedly spent 40 million", True),
        ("the minister allegedly took a bribe", True),
        ("according to two officials", True),
        ("he claimed the port was bankrupt", True),
        ("the report is said to name three firms", True),
        ("Varga told reporters in Eastport", False),
        ("We will build it", False),
        ("the reporter asked", False),
    ],
)
def test_is_hedged(span: str, hedged: bool) -> None:
    assert is_hedged(span) is hedged


# --- grounding a draft ---------------------------------------------------------------------


def _draft(stances: list[DraftStance], claims: list[DraftClaim]) -> Draft:
    return Draft(
        summary="A harbour bill splits the coalition.",
        actors=[
            DraftActor(name="Greta Lindqvist", type="person", role="Finance Minister", aliases=["Lindqvist"]),
            DraftActor(name="Tomas Varga", type="person", role="Opposition leader", aliases=[]),
        ],
        stances=stances,
        claims=claims,
    )


def _claim(speaker: str | None, quote: str, hedged: bool = False) -> DraftClaim:
    return DraftClaim(speaker=speaker, text="...", kind="indirect", cue="said", hedged=hedged, quote=quote)


def test_ground_keeps_located_items_and_lists_the_rest_with_reasons() -> None:
    draft = _draft(
        [
            DraftStance(
                actor="Greta Lindqvist",
                topic="harbour bill",
                position="oppose",
                target=None,
                quote='"an expensive mistake"',
            ),
            DraftStance(actor="Tomas Varga", topic="harbour bill", position="support", target=None, quote=""),
        ],
        [
            _claim("Tomas Varga", '"We will build it, and we will build it on time,"'),
            _claim("Greta Lindqvist", "The harbour must be scrapped entirely, she insisted"),
            _claim(None, "The harbour authority has reportedly spent \u20ac40 million"),
        ],
    )
    g = ground(draft, ARTICLE)
    assert [s.evidence.quote for s in g.stances] == ["\u201can expensive mistake\u201d"]
    assert len(g.claims) == 2
    for item in [*g.stances, *g.claims]:
        ev = item.evidence
        assert ARTICLE[ev.start : ev.end] == ev.quote
    assert g.claims[1].hedged is True  # "reportedly", though the model said False
    dropped = g.dropped()
    assert [(d.kind, d.reason) for d in dropped] == [
        ("stance", REASON_EMPTY),
        ("claim", REASON_NOT_FOUND),
    ]
    assert [d.reason for d in g.dropped("still not found after repair")] == [
        "still not found after repair"
    ] * 2


def test_ground_prefers_the_occurrence_near_the_speaker() -> None:
    draft = _draft([], [_claim("Greta Lindqvist", "the bill would create")])
    g = ground(draft, ARTICLE)
    start = g.claims[0].evidence.start
    assert start == ARTICLE.index("the bill would create", ARTICLE.index("Lindqvist said the"))


def test_the_article_is_folded_once_for_all_its_quotes() -> None:
    """What keeps grounding fast: 30 quotes in a 10k-character article fold the article once."""
    rng = random.Random(3)
    text = (ARTICLE * 12)[:10_000] + " unique tail"
    sentences = [s for s in text.replace("\n", " ").split(". ") if len(s) > 30]
    claims = [_claim("Tomas Varga", _perturb(rng, rng.choice(sentences))) for _ in range(30)]
    before = _fold.cache_info()
    g = ground(_draft([], claims), text)
    after = _fold.cache_info()
    assert after.misses - before.misses == 1
    assert len(g.claims) + len(g.unlocated_claims) == 30
    assert len(g.claims) >= 25
    for claim in g.claims:
        assert text[claim.evidence.start : claim.evidence.end] == claim.evidence.quote


# --- the fuzzy gate: omissions pass, invented words do not ----------------------------------


def test_quote_with_two_words_left_out_is_located_in_full() -> None:
    span = check("the port cannot carry decade of debt")
    assert span is not None and span.match == "fuzzy"
    assert ARTICLE[span.start : span.end] == "the port cannot carry another decade of debt"


def test_splice_of_two_sentences_is_not_located() -> None:
    quote = "We will build it, and we will build it with the port cannot carry another decade"
    assert check(quote) is None


def test_quote_with_invented_words_in_a_row_is_not_located() -> None:
    assert check("We will build it, and we will never ever stop building it on time") is None


@pytest.mark.parametrize(
    ("quote", "span", "expected"),
    [
        ("a b c d", "a b c d", (0, 0)),
        ("a b x d", "a b c d", (1, 1)),
        ("a x y d", "a b c d", (2, 2)),
        ("a b d", "a b c d", (0, 0)),
        ("A, b; d!", "a b d", (0, 0)),
    ],
)
def test_invented_words(quote: str, span: str, expected: tuple[int, int]) -> None:
    assert invented_words(quote, span) == expected
