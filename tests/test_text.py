"""summarize.text: one sentence rule and one word list per idea, for every stage."""

from __future__ import annotations

import pytest

from summarize.text import (
    has_quote,
    is_demonym,
    is_hedged,
    is_title,
    sentence_ends,
    sentence_spans,
    sentences,
    split_title,
    words,
)


def test_sentences_end_at_final_punctuation_before_a_capital() -> None:
    text = 'Mr. Smith went to Washington. He said: "No." Then U.S. officials met George W. Bush! Why? 3 cats.'
    assert sentences(text) == [
        "Mr. Smith went to Washington.",
        'He said: "No."',
        "Then U.S. officials met George W. Bush!",
        "Why?",
        "3 cats.",
    ]


def test_lines_are_paragraphs_and_spans_index_the_text() -> None:
    text = "Headline without a stop\n\n  First one. Second one…\nLast"
    spans = sentence_spans(text)
    assert [text[s.start : s.end] for s in spans] == [
        "Headline without a stop",
        "First one.",
        "Second one…",
        "Last",
    ]
    assert list(sentence_ends(text))[:2] == [23, 37]


def test_a_lower_case_continuation_is_not_a_new_sentence() -> None:
    assert sentences("It cost 3.5 million. the rest is history.") == [
        "It cost 3.5 million. the rest is history."
    ]


@pytest.mark.parametrize("word", ["President", "sen.", "Spokeswoman", "Dr"])
def test_titles(word: str) -> None:
    assert is_title(word)


def test_title_split_and_word_lists() -> None:
    assert split_title(["Russian", "President", "Vladimir", "Putin"]) == (
        ["Russian", "President"],
        ["Vladimir", "Putin"],
    )
    assert split_title(["President"]) == ([], ["President"])
    assert is_demonym("Belarusian") and is_demonym("Chinese") and not is_demonym("Britain")
    assert is_hedged("He allegedly said") and is_hedged("according to officials") and not is_hedged("He said")
    assert has_quote("“Yes,” she said") and not has_quote("it's fine")
    assert words("Putin's U.S. visit") == ["putin", "s", "u", "s", "visit"]
