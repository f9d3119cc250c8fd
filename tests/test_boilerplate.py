"""Boilerplate rules one by one: what counts as furniture, what stays article."""

from __future__ import annotations

import pytest

from summarize.ingest.boilerplate import guess_title, is_boilerplate, is_marker, strip_boilerplate

ARTICLE = (
    "The council approved the budget on Tuesday after a six-hour debate.\n"
    "Opposition members said the cuts to libraries went too far and promised to fight them.\n"
)


@pytest.mark.parametrize(
    "line",
    [
        "Share this article:",
        "Please share this story",
        "Follow us on Twitter",
        "Subscribe to our newsletter.",
        "© 2024 Example Media. All rights reserved.",
        "Related articles",
        "Read more:",
        "Most read",
        "We use cookies to improve your experience. See our privacy policy.",
    ],
)
def test_boilerplate_lines(line: str) -> None:
    assert is_boilerplate(line)


@pytest.mark.parametrize(
    "line",
    [
        "He urged residents to subscribe to the new flood warning service.",
        "was among the most popular policy statements tested, with",
        "The bank changed its terms and conditions without telling customers, the regulator said.",
        "Opposition members said the cuts went too far.",
    ],
)
def test_article_lines_are_not_boilerplate(line: str) -> None:
    assert not is_boilerplate(line)


@pytest.mark.parametrize("line", ["-", "|", "* * *", "Environment4 days ago", "19 December 2022"])
def test_markers(line: str) -> None:
    assert is_marker(line)


def test_related_heading_takes_its_headline_list() -> None:
    text = ARTICLE + "Related stories\nLibrary opening hours cut\nNew mayor sworn in\nBus fares to rise\n"
    cleaned = strip_boilerplate(text)
    assert cleaned.text == ARTICLE.strip()
    assert cleaned.removed == [
        "Related stories\nLibrary opening hours cut\nNew mayor sworn in\nBus fares to rise"
    ]


def test_headline_run_just_above_a_copyright_line_goes_too() -> None:
    text = ARTICLE + "Library opening hours cut\nNew mayor sworn in\nBus fares to rise\n© 2024 Example Media"
    assert strip_boilerplate(text).text == ARTICLE.strip()


def test_correction_note_between_two_rules_is_kept() -> None:
    text = ARTICLE + "___\nThis version corrects the spelling of the mayor's name.\n___\n"
    assert "corrects the spelling" in strip_boilerplate(text).text


def test_subheadings_inside_the_article_are_kept() -> None:
    text = "Budget day\n" + ARTICLE + "What happens next\n" + ARTICLE
    cleaned = strip_boilerplate(text)
    assert cleaned.text == text.strip()
    assert cleaned.removed == []


def test_leading_navigation_menu_is_removed_and_headline_stays() -> None:
    text = "Home\nNews\nSport\nWeather\nPutin visits Minsk for talks\n" + ARTICLE
    cleaned = strip_boilerplate(text)
    assert cleaned.text.startswith("Putin visits Minsk for talks\n")
    assert cleaned.removed == ["Home\nNews\nSport\nWeather"]


def test_a_lone_kicker_above_the_headline_stays() -> None:
    text = "Belarus\nPutin visits Minsk for talks\n" + ARTICLE
    assert strip_boilerplate(text).text == text.strip()


def test_guess_title_skips_a_kicker() -> None:
    assert guess_title("Belarus\nPutin visits Minsk for talks\n" + ARTICLE) == (
        "Putin visits Minsk for talks"
    )
    assert guess_title("Putin visits Minsk for talks\n" + ARTICLE) == "Putin visits Minsk for talks"
    assert guess_title(ARTICLE) is None
    assert guess_title("## Putin visits Minsk\n" + ARTICLE) == "Putin visits Minsk"
