"""Resolving actors: merging duplicates, canonical names, attaching stances and claims."""

from __future__ import annotations

import pytest

from summarize.resolve import (
    REASON_DUPLICATE_CLAIM,
    REASON_NO_ACTOR,
    ActorIndex,
    attach,
    is_reporter,
    resolve_actors,
    same_person,
)
from summarize.schemas import (
    ActorType,
    Claim,
    Draft,
    DraftActor,
    Evidence,
    Stance,
)
from summarize.text.names import two_people

TEXT = (
    "Finance Minister Greta Lindqvist said on Tuesday that the harbour bill was \u201can "
    "expensive mistake\u201d. Opposition leader Tomas Varga called the criticism "
    "\u201cshort-sighted\u201d. Mr Varga\u2019s party, the Civic Alliance (CA), backs the bill. "
    "The finance ministry spokesman, Ole Brandt, said Lindqvist would not resign. "
    "Senator Ada Brook, a critic of both, said the port was \u201cbroke\u201d. "
    "Harbour chief Ivo Varga, the opposition leader's brother, declined to comment."
)


def actor(
    name: str, type_: ActorType = "person", role: str | None = None, aliases: list[str] | None = None
) -> DraftActor:
    return DraftActor(name=name, type=type_, role=role, aliases=aliases or [])


def index_of(*actors: DraftActor) -> ActorIndex:
    return resolve_actors(Draft(summary="s", actors=list(actors), stances=[], claims=[]), TEXT)


def names(index: ActorIndex) -> list[str]:
    return [a.name for a in index.actors]


# --- merging -------------------------------------------------------------------------------


def test_same_name_case_insensitively_is_merged() -> None:
    index = index_of(actor("Greta Lindqvist"), actor("greta lindqvist", role="minister"))
    assert names(index) == ["Greta Lindqvist"]
    assert index.actors[0].role == "minister"
    assert index.actors[0].aliases == []


def test_name_that_is_another_actors_alias_is_merged() -> None:
    index = index_of(
        actor("Ole Brandt", aliases=["the finance ministry spokesman"]),
        actor("the finance ministry spokesman", "other"),
    )
    assert names(index) == ["Ole Brandt"]
    assert index.actors[0].type == "person"
    assert index.actors[0].aliases == ["the finance ministry spokesman"]


def test_surname_only_is_merged_into_the_full_name() -> None:
    index = index_of(actor("Lindqvist"), actor("Greta Lindqvist", role="Finance Minister"))
    assert names(index) == ["Greta Lindqvist"]
    assert index.actors[0].aliases == ["Lindqvist"]
    assert index.actors[0].role == "Finance Minister"


@pytest.mark.parametrize(
    "short", ["Minister Lindqvist", "Finance Minister Lindqvist", "Ms. Lindqvist", "Dr Lindqvist"]
)
def test_title_and_surname_is_merged(short: str) -> None:
    index = index_of(actor(short), actor("Greta Lindqvist"))
    assert names(index) == ["Greta Lindqvist"]


def test_title_and_full_name_is_merged_and_the_bare_name_is_canonical() -> None:
    index = index_of(actor("Finance Minister Greta Lindqvist"), actor("Greta Lindqvist"))
    assert names(index) == ["Greta Lindqvist"]
    assert index.actors[0].aliases == ["Finance Minister Greta Lindqvist"]


def test_canonical_is_the_longest_full_proper_name_among_aliases() -> None:
    index = index_of(actor("Lindqvist", aliases=["Greta Lindqvist", "the minister", "Lindqvist"]))
    assert names(index) == ["Greta Lindqvist"]
    assert index.actors[0].aliases == ["Lindqvist", "the minister"]


def test_ambiguous_surname_is_not_merged() -> None:
    index = index_of(actor("Tomas Varga"), actor("Ivo Varga"), actor("Varga"))
    assert names(index) == ["Tomas Varga", "Ivo Varga", "Varga"]
    assert index.canonical("Varga") == "Varga"
    assert index.canonical("Tomas Varga") == "Tomas Varga"


def test_different_people_with_one_surname_stay_apart() -> None:
    index = index_of(actor("Tomas Varga"), actor("Ivo Varga"))
    assert names(index) == ["Tomas Varga", "Ivo Varga"]


def test_acronym_is_merged_into_the_organisation() -> None:
    index = index_of(actor("Civic Alliance", "organization"), actor("CA", "organization"))
    assert names(index) == ["Civic Alliance"]
    assert index.actors[0].aliases == ["CA"]


def test_organisation_names_are_not_taken_for_surnames() -> None:
    index = index_of(actor("Bank of Eastport", "organization"), actor("Eastport", "country"))
    assert names(index) == ["Bank of Eastport", "Eastport"]


def test_most_specific_type_is_kept() -> None:
    index = index_of(actor("Ole Brandt", "other"), actor("Brandt", "person"))
    assert index.actors[0].type == "person"


def test_empty_names_and_whitespace() -> None:
    index = index_of(actor("  "), actor("  Ada   Brook ", aliases=[" ", "Senator  Brook", "Ada Brook"]))
    assert names(index) == ["Ada Brook"]
    assert index.actors[0].aliases == ["Senator Brook"]


def test_reporter_listed_as_an_actor_is_not_an_actor() -> None:
    assert names(index_of(actor("the reporter", "other"), actor("Ada Brook"))) == ["Ada Brook"]


# --- lookup --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("Greta Lindqvist", "Greta Lindqvist"),
        ("GRETA LINDQVIST", "Greta Lindqvist"),
        ("greta  lindqvist", "Greta Lindqvist"),
        ("Lindqvist", "Greta Lindqvist"),
        ("Lindqvist's", "Greta Lindqvist"),
        ("Minister Lindqvist", "Greta Lindqvist"),
        ("Finance Minister Greta Lindqvist", "Greta Lindqvist"),
        ("the finance minister", "Greta Lindqvist"),
        ("Civic Alliance", "Civic Alliance"),
        ("the Civic Alliance", "Civic Alliance"),
        ("CA", "Civic Alliance"),
        ("Tomas Varga", "Tomas Varga"),
        ("Varga", None),  # two Vargas: ambiguous
        ("Ada Brook", None),
        ("", None),
        (None, None),
    ],
)
def test_canonical_lookup(name: str | None, canonical: str | None) -> None:
    index = index_of(
        actor("Greta Lindqvist", aliases=["the finance minister"]),
        actor("Civic Alliance", "organization"),
        actor("Tomas Varga"),
        actor("Ivo Varga"),
    )
    assert index.canonical(name) == canonical


@pytest.mark.parametrize(
    "name",
    [None, "", "  ", "reporter", "The Reporter", "the author", "the article", "journalist", "null"],
)
def test_reporter_voice(name: str | None) -> None:
    assert is_reporter(name)


@pytest.mark.parametrize("name", ["Ada Brook", "the ministry", "officials"])
def test_not_reporter_voice(name: str) -> None:
    assert not is_reporter(name)


# --- attaching ------------------------------------------------------------------------------


def ev(quote: str) -> Evidence:
    start = TEXT.index(quote)
    return Evidence(quote=quote, start=start, end=start + len(quote))


def stance(who: str, target: str | None = None, quote: str = "an expensive mistake") -> Stance:
    return Stance(actor=who, topic="harbour bill", position="oppose", target=target, evidence=ev(quote))


def claim(speaker: str | None, quote: str = "broke") -> Claim:
    return Claim(speaker=speaker, text="The port is broke.", evidence=ev(quote))


def check_invariant(stances: list[Stance], claims: list[Claim], actor_names: set[str]) -> None:
    for s in stances:
        assert s.actor in actor_names
        assert s.target is None or s.target in actor_names
    for c in claims:
        assert c.speaker is None or c.speaker in actor_names


def test_attach_maps_aliases_adds_missing_and_nulls_the_reporter() -> None:
    index = index_of(
        actor("Lindqvist", aliases=["Greta Lindqvist", "the finance minister"]),
        actor("Tomas Varga", role="Opposition leader"),
    )
    out = attach(
        [
            stance("the finance minister"),
            stance("Mr Varga", target="Lindqvist", quote="short-sighted"),
            stance("the reporter", quote="harbour bill"),
            stance("", quote="backs the bill"),
        ],
        [
            claim("Senator Ada Brook"),
            claim("Ada Brook", quote="a critic of both"),
            claim("Ole Brandt", quote="Lindqvist would not resign"),
            claim("Civic Alliance", quote="backs the bill"),
            claim("the author", quote="declined to comment"),
            claim(None, quote="Harbour chief"),
        ],
        index,
    )
    assert [(s.actor, s.target) for s in out.stances] == [
        ("Greta Lindqvist", None),
        ("Tomas Varga", "Greta Lindqvist"),
    ]
    assert [d.reason for d in out.dropped] == [REASON_NO_ACTOR, REASON_NO_ACTOR]
    assert [c.speaker for c in out.claims] == [
        "Ada Brook",
        "Ada Brook",
        "Ole Brandt",
        "Civic Alliance",
        None,
        None,
    ]
    added = {a.name: a for a in out.actors[2:]}
    assert added["Ada Brook"].type == "person"
    assert added["Ada Brook"].role == "Senator"
    assert added["Ada Brook"].aliases == ["Senator Ada Brook"]
    assert added["Ole Brandt"].type == "other"  # nothing in the text says so in a known shape
    assert added["Civic Alliance"].type == "other"
    check_invariant(out.stances, out.claims, {a.name for a in out.actors})


def test_missing_speaker_with_an_honorific_in_the_text_is_a_person() -> None:
    out = attach([], [claim("Tomas Varga")], index_of())
    assert [(a.name, a.type) for a in out.actors] == [("Tomas Varga", "person")]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Senator Ada Brook", ("Ada Brook", "person", "Senator")),
        ("Harbour chief Ivo Varga", ("Ivo Varga", "person", "Harbour chief")),
        ("Mr. Nobody", ("Nobody", "person", "Mr.")),
        ("General Motors", ("General Motors", "other", None)),
        ("the finance ministry spokesman", ("the finance ministry spokesman", "other", None)),
    ],
)
def test_missing_speaker_with_a_title(name: str, expected: tuple[str, str, str | None]) -> None:
    out = attach([], [claim(name)], index_of())
    assert [(a.name, a.type, a.role) for a in out.actors] == [expected]
    assert out.claims[0].speaker == expected[0]


def test_missing_speaker_without_a_cue_is_other() -> None:
    out = attach([], [claim("Harbour Authority")], index_of())
    assert [(a.name, a.type) for a in out.actors] == [("Harbour Authority", "other")]


def test_a_missing_speaker_is_added_once() -> None:
    out = attach([], [claim("Harbour Authority"), claim("harbour authority", "Harbour")], index_of())
    assert [a.name for a in out.actors] == ["Harbour Authority"]
    assert [c.speaker for c in out.claims] == ["Harbour Authority", "Harbour Authority"]


def test_duplicates_after_resolution_are_dropped_with_a_reason() -> None:
    index = index_of(actor("Greta Lindqvist"))
    out = attach([], [claim("Lindqvist"), claim("Greta Lindqvist")], index)
    assert len(out.claims) == 1
    assert [d.reason for d in out.dropped] == [REASON_DUPLICATE_CLAIM]


def test_invariant_holds_for_any_names() -> None:
    index = index_of(actor("Greta Lindqvist"), actor("Tomas Varga"), actor("Ivo Varga"))
    speakers = [None, "", "Varga", "Lindqvist", "X", "the article", "  Y  ", "Mr Nobody", "CA"]
    out = attach(
        [stance(s or "Z", target=s) for s in speakers],
        [claim(s) for s in speakers],
        index,
    )
    check_invariant(out.stances, out.claims, {a.name for a in out.actors})
    assert all(a.name == a.name.strip() and a.name for a in out.actors)


# --- one name rule: never two people as one (issue 17) -----------------------------------


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("Clinton", "Hillary Clinton", True),
        ("Mrs. Clinton", "Hillary Clinton", True),
        ("Hillary Rodham Clinton", "Hillary Clinton", True),
        ("G. Thorpe", "Graham Thorpe", True),
        ("President Bill Clinton", "Bill Clinton", True),
        ("Bill Clinton", "Hillary Clinton", False),
        ("George H. W. Bush", "George W. Bush", False),
        ("Mrs. Trump", "Donald Trump", False),
        ("Melania Trump", "Donald Trump", False),
        ("Donald Trump Jr.", "Donald Trump", False),
        ("Tom Nides", "Hillary Clinton", False),
    ],
)
def test_same_person_tells_one_person_from_two(a: str, b: str, same: bool) -> None:
    assert same_person(a, b) is same
    assert same_person(b, a) is same


def test_two_people_sees_two_full_names_of_one_surname() -> None:
    assert two_people(["Hillary Clinton", "Clinton", "Bill Clinton"])
    assert two_people(["George W. Bush", "George H. W. Bush"])
    assert not two_people(["Hillary Clinton", "Mrs. Clinton", "Hillary Rodham Clinton", "Clinton"])


def test_a_shared_surname_alias_never_joins_two_people() -> None:
    index = index_of(
        actor("Hillary Clinton", aliases=["Clinton", "Mrs. Clinton"]),
        actor("Bill Clinton", aliases=["Clinton", "President Bill Clinton"]),
        actor("Melania Trump", aliases=["Mrs. Trump", "Trump"]),
        actor("Donald Trump", aliases=["Trump"]),
    )
    assert names(index) == ["Hillary Clinton", "Bill Clinton", "Melania Trump", "Donald Trump"]
    assert index.canonical("Clinton") is None  # the text cannot say which: kept apart
    assert index.canonical("Mrs. Clinton") == "Hillary Clinton"
    assert index.canonical("President Bill Clinton") == "Bill Clinton"


def test_a_surname_form_of_two_people_stays_apart() -> None:
    index = index_of(actor("George H. W. Bush"), actor("George W. Bush"), actor("Bush"))
    assert names(index) == ["George H. W. Bush", "George W. Bush", "Bush"]


def test_mr_never_joins_a_woman() -> None:
    index = index_of(actor("Greta Lindqvist"), actor("Mr. Lindqvist"))
    assert names(index) == ["Greta Lindqvist", "Mr. Lindqvist"]
