"""Actors across articles (summarize.output.crossref) and topic grouping (summarize.output.topics)."""

from __future__ import annotations

from summarize.output.crossref import Resolution, distinctive, resolve, surname
from summarize.output.topics import group_topics, signature
from summarize.schemas import Actor, ActorType, ArticleSummary, Claim, Evidence, Source, Usage


def summary(*actors: tuple[str, ActorType, list[str]], speakers: tuple[str, ...] = ()) -> ArticleSummary:
    ev = Evidence(quote="x", start=0, end=1)
    return ArticleSummary(
        summary="s",
        actors=[Actor(name=n, type=t, aliases=a) for n, t, a in actors],
        stances=[],
        claims=[Claim(speaker=s, text="t", evidence=ev) for s in speakers],
        source=Source(path="p", sha256="0"),
        model="m",
        usage=Usage(),
    )


def resolved(*articles: ArticleSummary) -> Resolution:
    return resolve(articles, [f"a{i}.txt" for i in range(len(articles))])


def names(res: Resolution) -> list[str]:
    return sorted(a.name for a in res.actors)


def test_full_name_surname_and_title_forms_are_one_person() -> None:
    res = resolved(
        summary(("Vladimir Putin", "person", ["Putin"])),
        summary(("Putin", "person", [])),
        summary(("President Putin", "person", [])),
        summary(("Russian President Vladimir Putin", "person", [])),
    )
    assert names(res) == ["Vladimir Putin"]
    assert res.actors[0].articles == [0, 1, 2, 3]
    assert res.actor_of(1, "Putin") == res.actor_of(2, "President Putin") == 0


def test_two_people_sharing_a_surname_stay_apart() -> None:
    res = resolved(
        summary(("John Smith", "person", ["Smith"])),
        summary(("Jane Smith", "person", ["Smith"])),
        summary(("Smith", "person", [])),
    )
    assert names(res) == ["Jane Smith", "John Smith", "Smith"]


def test_a_surname_joins_the_full_name_of_its_own_article_first() -> None:
    res = resolved(
        summary(("John Smith", "person", [])),
        summary(("Jane Smith", "person", []), ("Smith", "person", [])),
    )
    assert names(res) == ["Jane Smith", "John Smith"]
    assert res.actors[res.actor_of(1, "Smith") or 0].name == "Jane Smith"


def test_surnames_without_any_full_name_stay_apart() -> None:
    res = resolved(summary(("Smith", "person", [])), summary(("Smith", "person", [])))
    assert len(res.actors) == 2 and {a.key for a in res.actors} == {"smith@a0.txt", "smith@a1.txt"}


def test_shared_alias_is_evidence_and_descriptions_are_not() -> None:
    res = resolved(
        summary(("Ole Brandt", "person", ["the finance ministry spokesman"])),
        summary(("Ole Brandt", "person", [])),
        summary(("Kari Lund", "person", ["the finance ministry spokesman"])),
    )
    assert names(res) == ["Kari Lund", "Ole Brandt"]


def test_organisations_merge_by_name_and_acronym_but_generic_words_do_not() -> None:
    res = resolved(
        summary(("European Union", "organization", ["EU"]), ("the government", "organization", [])),
        summary(("EU", "organization", []), ("the government", "organization", [])),
        summary(("North Atlantic Treaty Organization", "organization", [])),
        summary(("NATO", "organization", [])),
    )
    assert names(res) == [
        "European Union",
        "North Atlantic Treaty Organization",
        "the government",
        "the government",
    ]
    nato = next(a for a in res.actors if a.aliases == ["NATO"])
    assert nato.articles == [2, 3]  # the longer name wins a tie


def test_speakers_the_actor_list_lacks_are_still_actors() -> None:
    res = resolved(summary(("Ada Brook", "person", [])), summary(speakers=("Ada Brook", "Mr Nobody")))
    assert names(res) == ["Ada Brook", "Mr Nobody"]
    assert res.actor_of(1, "Ada Brook") == res.actor_of(0, "Ada Brook")
    assert res.actor_of(1, None) is None


def test_name_rules() -> None:
    assert distinctive("Vladimir Putin", "person") and distinctive("President Vladimir Putin", "person")
    assert not distinctive("Putin", "person") and not distinctive("President Putin", "person")
    assert not distinctive("Putin", "other")  # an unlisted speaker may be a surname
    assert distinctive("NATO", "organization") and not distinctive("police", "organization")
    assert [surname(n) for n in ("Putin", "Mr. Smith", "Russian President Putin", "the president")] == [
        "putin", "smith", "putin", None,
    ]  # fmt: skip


def test_topics_worded_alike_are_one_group() -> None:
    topics = group_topics(
        ["sanctions on Russia", "Russia sanctions", "the new sanctions against Russia", "the tram line",
         "tram line costs", "taxes", "tax", "Belarus joining the war"]
    )  # fmt: skip
    groups = {t.label: set(t.wordings) for t in topics.topics}
    assert groups["Russia sanctions"] == {
        "sanctions on Russia",
        "Russia sanctions",
        "the new sanctions against Russia",
    }
    assert groups["the tram line"] == {"the tram line", "tram line costs"}
    assert groups["tax"] == {"tax", "taxes"}
    assert groups["Belarus joining the war"] == {"Belarus joining the war"}
    assert signature("Policies") == signature("policy") and signature("the") == frozenset({"the"})


def test_one_word_topics_do_not_absorb_longer_ones() -> None:
    topics = group_topics(["tax", "tax rises", "energy"])
    assert len(topics.topics) == 3


def test_two_people_of_one_surname_are_never_one_actor_across_articles() -> None:
    res = resolved(
        summary(("Hillary Clinton", "person", ["Bill Clinton"])),  # one article's wrong merge
        summary(("Bill Clinton", "person", ["President Bill Clinton"])),
        summary(("Hillary Clinton", "person", ["Clinton"])),
        summary(("George W. Bush", "person", [])),
        summary(("George H. W. Bush", "person", ["Bush"])),
    )
    assert res.actor_of(1, "Bill Clinton") != res.actor_of(2, "Hillary Clinton")
    assert res.actor_of(3, "George W. Bush") != res.actor_of(4, "George H. W. Bush")
