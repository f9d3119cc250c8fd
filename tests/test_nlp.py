"""summarize.text.nlp: the program's share of a digest, on hand-written texts, the seed
article (the news page the project was born from, with the expectations of issue 11) and
the example article."""

from __future__ import annotations

from pathlib import Path

import pytest

from summarize.evaluate import unsupported
from summarize.text import nlp
from summarize.text.nlp.types import Analysis, Attribution
from tests.fakes import FIXTURES

SEED = FIXTURES / "seed_article.txt"
EXAMPLE = Path(__file__).parent.parent / "examples" / "article.txt"
NOT_ACTORS = (
    "Soviet",
    "Union",
    "Slavic",
    "Western",
    "West",
    "World Cup",
    "OLDER BROTHER",
    "COVID",
    "Iskander-M",
)


def _names(analysis: Analysis) -> set[str]:
    return {n for a in analysis.actors for n in (a.name, *a.aliases)}


def _about(analysis: Analysis, words: str) -> list[Attribution]:
    """Attributions whose sentence contains WORDS."""
    return [a for a in analysis.attributions if words in a.sentence.of(analysis.text)]


def _type(analysis: Analysis, name: str) -> str | None:
    actor = analysis.actor(name)
    return actor.type if actor else None


@pytest.fixture(scope="module")
def seed() -> Analysis:
    text = SEED.read_text(encoding="utf-8")
    return nlp.analyze(text[: text.index("Share this article")])  # the body, without site boilerplate


@pytest.fixture(scope="module")
def example() -> Analysis:
    return nlp.analyze(EXAMPLE.read_text(encoding="utf-8"))


# --- seed article --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "type_"),
    [
        ("Vladimir Putin", "person"),
        ("Alexander Lukashenko", "person"),
        ("Ned Price", "person"),
        ("Dmitry Peskov", "person"),
        ("Valery Zaluzhniy", "person"),
        ("Russia", "country"),
        ("Belarus", "country"),
        ("Ukraine", "country"),
        ("US State Department", "organization"),
        ("Kremlin", "organization"),
    ],
)
def test_seed_actor_types(seed: Analysis, name: str, type_: str) -> None:
    assert _type(seed, name) == type_


def test_seed_surnames_merge_into_full_names(seed: Analysis) -> None:
    putin = seed.actor("Putin")
    assert putin is not None and putin.name == "Vladimir Putin"
    assert seed.actor("Lukashenko") == seed.actor("Alexander Lukashenko")


@pytest.mark.parametrize("word", NOT_ACTORS)
def test_seed_non_actors(seed: Analysis, word: str) -> None:
    assert word not in _names(seed)


def test_seed_roles(seed: Analysis) -> None:
    price, general = seed.actor("Ned Price"), seed.actor("Valery Zaluzhniy")
    assert price is not None and price.role == "spokesperson for the US State Department"
    assert general is not None and general.role == "the top Ukrainian general"
    putin = seed.actor("Vladimir Putin")
    assert putin is not None and putin.role == "Russian President"


def test_seed_quote_continuation_is_putins(seed: Analysis) -> None:
    found = _about(seed, "This is simply not a matter of expediency")
    assert found and found[0].speaker == "Vladimir Putin" and found[0].continuation
    assert found[0].kind == "direct_quote"


def test_seed_ned_price_speaks_twice(seed: Analysis) -> None:
    first = _about(seed, "heights of irony")
    second = _about(seed, "Washington would continue to monitor")
    assert first[0].speaker == "Ned Price" and first[0].cue == "said"
    assert second[0].speaker == "Ned Price"


def test_seed_peskov_and_zaluzhniy(seed: Analysis) -> None:
    peskov = _about(seed, "stupid, unfounded fabrications")[0]
    assert (peskov.speaker, peskov.cue) == ("Dmitry Peskov", "described")
    zaluzhniy = _about(seed, "told the Economist")[0]
    assert (zaluzhniy.speaker, zaluzhniy.cue) == ("Valery Zaluzhniy", "told")
    assert "200,000 troops" in zaluzhniy.content.of(seed.text)


def test_seed_they_traps(seed: Analysis) -> None:
    turned = next(s for s in seed.sentence_actors if "They then turned" in s.span.of(seed.text))
    assert set(turned.actors) == {"Vladimir Putin", "Alexander Lukashenko"}
    # "They fear ..." is the opposition of the sentence before: an unnamed group that speaks.
    (fear,) = _about(seed, "They fear")
    assert fear.speaker is not None and "opposition" in fear.speaker and fear.source_text == "They"
    assert _type(seed, fear.speaker) == "group"


def test_seed_rejection_has_two_agents(seed: Analysis) -> None:
    cue = next(c for c in seed.stance_cues if c.lemma == "reject")
    assert cue.agents == ("Vladimir Putin", "Alexander Lukashenko")
    assert cue.polarity == "oppose" and cue.target is not None
    assert cue.target.of(seed.text) == "The idea"


def test_seed_lukashenko_pronouns(seed: Analysis) -> None:
    said = _about(seed, "Russia can manage without our help")[0]
    assert said.speaker == "Alexander Lukashenko"
    leader = _about(seed, "The Belarusian veteran leader claimed")[0]
    assert leader.speaker == "Alexander Lukashenko" and leader.hedged


# --- example article -----------------------------------------------------------------------


def test_example_vogt(example: Analysis) -> None:
    vogt = example.actor("Lena Vogt")
    assert vogt is not None and vogt.type == "person"
    assert vogt.role == "Westmark's transport minister"
    assert _about(example, "a model for other cities")[0].speaker == "Lena Vogt"


def test_example_norport_is_a_place_not_the_association(example: Analysis) -> None:
    association = example.actor("Norport Traders' Association")
    assert association is not None and association.type == "organization"
    assert "Norport" not in association.aliases
    norport = next(a for a in (*example.actors, *example.places) if a.name == "Norport")
    assert norport.type in ("country", "other")


def test_example_speakers(example: Analysis) -> None:
    assert _about(example, "a victory for every commuter")[0].speaker == "Helena Brandt"
    assert _about(example, "blank cheque")[0].speaker == "Tomas Ekberg"
    according = _about(example, "According to the city's transport authority")[0]
    assert according.cue == "According to" and according.hedged
    assert according.speaker == "city's transport authority"  # an unnamed institution speaks
    assert _type(example, "city's transport authority") == "organization"
    shops = _about(example, "reportedly fear")[0]
    assert shops.speaker == "Local shop owners" and shops.hedged  # an unnamed group speaks


# --- hand-written fixtures -----------------------------------------------------------------


def test_pronoun_follows_gender_and_subject() -> None:
    a = nlp.analyze("Mary Jones met Peter Hall in Oslo on Monday. She said the talks had gone well.")
    assert a.attributions[0].speaker == "Mary Jones"
    assert a.attributions[0].source_text == "She"
    assert a.actor("Oslo") is None  # only where the meeting happened


def test_inverted_and_passive_sources() -> None:
    a = nlp.analyze(
        '"We will not give up," said Tomas Berg, the union leader.\n'
        "The minister, Anna Lind, was quoted as saying that the plan was dead."
    )
    berg, lind = (
        a.attributions[0],
        next(x for x in a.attributions if "plan was dead" in x.sentence.of(a.text)),
    )
    assert berg.speaker == "Tomas Berg" and berg.kind == "direct_quote"
    assert lind.speaker == "Anna Lind"
    berg_actor = a.actor("Tomas Berg")
    assert berg_actor is not None and berg_actor.role == "the union leader"


def test_nominal_speaker_resolves_by_role() -> None:
    a = nlp.analyze(
        "Jan Novak, a spokesman for the Transport Ministry, announced the plan on Friday. "
        "The spokesman said that work would start in May."
    )
    said = _about(a, "work would start")[0]
    assert said.speaker == "Jan Novak" and said.source_text == "The spokesman"


def test_acronym_is_an_alias() -> None:
    a = nlp.analyze(
        "The European Union (EU) imposed new tariffs on steel. The EU said the measures were temporary."
    )
    eu = a.actor("EU")
    assert eu is not None and eu.name == "European Union" and eu.type == "organization"


def test_shared_surname_goes_to_nearest_full_name() -> None:
    a = nlp.analyze(
        "Hillary Clinton spoke in Iowa on Monday. Bill Clinton stayed in New York. "
        "Clinton told reporters that he was tired."
    )
    told = _about(a, "he was tired")[0]
    assert told.speaker == "Bill Clinton"
    assert a.actor("Hillary Clinton") != a.actor("Bill Clinton")


def test_party_noun_is_a_group_and_caps_heading_is_not_an_actor() -> None:
    a = nlp.analyze("'FAIR DEAL'\nThe Republicans said they would block the bill in the Senate.")
    assert _type(a, "Republicans") == "group"
    assert "FAIR DEAL" not in _names(a)


def test_an_unnamed_group_that_speaks_is_a_group_actor() -> None:
    a = nlp.analyze(
        "Local farmers said the plan would fail. Some advocates for stem cell research "
        "said the ban went too far. Police announced the suspect's name on Monday. "
        "An official said the talks had failed."
    )
    speakers = [x.speaker for x in a.attributions]
    assert speakers[:3] == ["Local farmers", "advocates for stem cell research", "Police"]
    assert all(_type(a, name) == "group" for name in speakers[:3] if name)
    assert speakers[3] is None  # one unnamed official is not a group
    farmers = a.actor("Local farmers")
    assert farmers is not None and farmers.mentions[0].of(a.text) == "Local farmers"
    named = nlp.analyze("Officials of the White House said the plan would pass.")
    assert named.attributions[0].speaker == "White House"  # a named organisation speaks for them


def test_a_speaker_named_by_a_noun_phrase_is_an_actor() -> None:
    a = nlp.analyze(
        "The Ministry of Defence announced new drills on Monday. The ministry said the exercises "
        "were routine. The minister's closest allies said he would stay. The opposition has said "
        "the drills are a provocation. Twenty percent of voters said they were worried."
    )
    speakers = {x.sentence.of(a.text)[:12]: x.speaker for x in a.attributions}
    assert speakers["The ministry"] == "Ministry of Defence"  # the ministry named before
    assert speakers["The minister"] == "minister's closest allies"
    assert _type(a, "minister's closest allies") == "group"
    assert speakers["The oppositi"] == "opposition" and _type(a, "opposition") == "group"
    assert speakers["Twenty perce"] == "voters"  # the group a share is of
    unnamed = nlp.analyze("The state news agency reported that the talks had failed.")
    assert unnamed.attributions[0].speaker == "state news agency"
    assert _type(unnamed, "state news agency") == "organization"
    issued = nlp.analyze("A poll by the Pew Research Center found that voters were tired.")
    assert issued.attributions[0].speaker == "Pew Research Center"  # a document speaks for its issuer


def test_a_phrasal_verb_is_not_a_verb_of_saying() -> None:
    a = nlp.analyze("Farmers wrote off the costs of new equipment. The union called off the strike.")
    assert a.attributions == ()
    said = nlp.analyze("Farmers wrote that the costs were too high.")
    assert said.attributions[0].speaker == "Farmers"


def test_a_newsroom_label_before_a_colon_is_no_speaker() -> None:
    a = nlp.analyze("The Latest: Bernie Sanders says he will stay in the race.")
    assert a.attributions[0].speaker == "Bernie Sanders"
    assert "The Latest" not in _names(a)


def test_according_to_and_hedge() -> None:
    a = nlp.analyze("According to Reuters, the talks collapsed on Sunday. Officials reportedly fled.")
    according = a.attributions[0]
    assert according.speaker == "Reuters" and according.hedged and according.cue == "According to"
    assert according.content.of(a.text) == "the talks collapsed on Sunday"
    assert a.attributions[1].kind == "reporter_assertion"


def test_multi_sentence_quote_after_colon() -> None:
    a = nlp.analyze('Ms Rossi wrote on Twitter: "This is a disgrace. We will fight it."')
    assert [(x.speaker, x.continuation) for x in a.attributions] == [("Rossi", False), ("Rossi", True)]
    assert _type(a, "Twitter") == "organization"
    rossi = a.actor("Ms Rossi")
    assert rossi is not None and rossi.role is None  # an honorific is no role


def test_quote_split_by_its_cue_keeps_one_speaker() -> None:
    a = nlp.analyze(
        'Anna Rossi, the party leader, spoke on Monday. "This is a disgrace. '
        'We will fight it," she said. "Nobody asked us."'
    )
    main = [x for x in a.attributions if not x.outer_source and x.speaker]
    assert {x.speaker for x in main} == {"Anna Rossi"}
    assert sum(x.continuation for x in main) == 2


def test_offsets_are_exact() -> None:
    text = "  Anna Berg, the mayor, said the budget was fine.\n\nThe council agreed.  "
    a = nlp.analyze(text)
    assert [s.of(text) for s in a.sentences] == [
        "Anna Berg, the mayor, said the budget was fine.",
        "The council agreed.",
    ]
    for actor in a.actors:
        for m in actor.mentions:
            assert m.of(text) in (actor.name, *actor.aliases)


def test_extractive_summary_is_ordered_and_verbatim() -> None:
    text = (
        "Storm hits coast\n\n"
        "A powerful storm hit the northern coast on Tuesday, cutting power to thousands of homes. "
        "Emergency crews worked through the night to restore power to the coast. "
        "The weather service said the storm would weaken by Thursday. "
        "Schools in the area will stay closed until the power is back. "
        "Local football matches were also called off."
    )
    a = nlp.analyze(text)
    spans = nlp.extractive_summary(text, a, 3, title="Storm hits coast")
    assert 2 <= len(spans) <= 3 and spans == sorted(spans)
    summary = " ".join(s.of(text) for s in spans)
    assert "Storm hits coast" not in summary
    assert unsupported(summary, text) == []


def test_unsupported_flags_new_names_and_numbers() -> None:
    article = "Putin met Lukashenko in Minsk in 2022. Trade rose to 40,000 tonnes."
    assert unsupported("Putin met Biden in 2021. Trade rose to 40000 tonnes.", article) == [
        "2021",
        "Biden",
    ]


def test_a_model_other_than_the_pinned_one_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    import spacy

    from summarize.errors import UserError

    blank = spacy.blank("en")
    monkeypatch.setattr(spacy, "load", lambda name: blank)
    nlp.pipeline.cache_clear()
    try:
        with pytest.raises(UserError, match=r"not en_core_web_sm 3\.8\.0.*force-reinstall"):
            nlp.pipeline()
    finally:
        nlp.pipeline.cache_clear()


def test_a_missing_model_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import spacy

    from summarize.errors import UserError

    def missing(name: str) -> None:
        raise OSError(f"[E050] Can't find model '{name}'")

    monkeypatch.setattr(spacy, "load", missing)
    nlp.pipeline.cache_clear()
    try:
        with pytest.raises(UserError, match=r"summarize\[local\]"):
            nlp.pipeline()
    finally:
        nlp.pipeline.cache_clear()


# --- issue 17: who is who (the `who` helper's cases) ---------------------------------------


def _actor_of(analysis: Analysis, name: str) -> tuple[str, ...]:
    """The name and aliases of the actor called NAME."""
    found = next(a for a in analysis.actors if a.name == name)
    return (found.name, *found.aliases)


def test_two_people_of_one_surname_stay_two_actors() -> None:
    analysis = nlp.analyze(
        "Hillary Clinton met voters in Ohio. Her husband, former President Bill Clinton, spoke later. "
        "Mrs. Clinton said she was pleased.\n\n"
        "Melania Trump spoke on Monday. Donald Trump praised her speech. Mrs. Trump said she wrote it.\n\n"
        "Former President George H. W. Bush met his son George W. Bush on Friday."
    )
    assert "Mrs. Clinton" in _actor_of(analysis, "Hillary Clinton")
    assert not {"Mrs. Clinton", "Hillary Clinton"} & set(_actor_of(analysis, "Bill Clinton"))
    assert "Mrs. Trump" in _actor_of(analysis, "Melania Trump")
    assert not {"Mrs. Trump", "Melania Trump"} & set(_actor_of(analysis, "Donald Trump"))
    assert "George W. Bush" not in _actor_of(analysis, "George H. W. Bush")
