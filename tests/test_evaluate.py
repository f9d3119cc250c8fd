"""summarize.evaluate and `summarize eval`, on tiny self-written sets in the real JSONL shapes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from summarize import evaluate
from summarize.cli import app
from summarize.errors import InputError, UserError
from summarize.evaluate import Example, load_examples, run_eval, truncate
from summarize.schemas import Actor, ArticleSummary, Claim, Evidence, Source, Usage
from summarize.testing import FakeBackend, FakeOpenAIServer, echo_responder, ok
from tests.fakes import pipeline

CONLL_TEXT = (
    "Germany 's Werner Zwingmann said on Wednesday consumers should buy sheepmeat .\n"
    "The European Commission disagreed , a spokesman told reporters in Brussels .\n"
    "Zwingmann was not available ."
)
POLNEAR_TEXT = (
    "Senate vote delayed.\n\n"
    "Senator Mary Clark said the bill would fail without more votes. "
    "He added that talks would continue on Monday.\n\n"
    "Officials at the White House declined to comment."
)
BBC_TEXT = (
    "Ministers have approved a new rail line.\n\n"
    "The line will link two northern cities. Work starts next year. "
    "Critics say the cost is too high.\n\n"
    "The government says the line will create jobs."
)


def _spans(text: str, part: str) -> list[list[int]]:
    start = text.index(part)
    return [[start, start + len(part)]]


def _entity(text: str, part: str, kind: str) -> dict[str, Any]:
    start = text.index(part)
    return {"text": part, "type": kind, "start": start, "end": start + len(part)}


def _write(path: Path, records: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture
def conll(tmp_path: Path) -> Path:
    entities = [
        _entity(CONLL_TEXT, "Germany", "LOC"),
        _entity(CONLL_TEXT, "Werner Zwingmann", "PER"),
        _entity(CONLL_TEXT, "European Commission", "ORG"),
        _entity(CONLL_TEXT, "Brussels", "LOC"),
        _entity(CONLL_TEXT, "Zwingmann", "PER"),
        {"text": "EU", "type": "MISC", "start": 0, "end": 2},
    ]
    # A second "Zwingmann" later in the text deduplicates with the first.
    last = CONLL_TEXT.rindex("Zwingmann")
    entities.append({"text": "Zwingmann", "type": "PER", "start": last, "end": last + 9})
    records = [
        {"id": "train-0000", "split": "train", "text": CONLL_TEXT, "entities": entities},
        {"id": "train-0001", "split": "train", "text": "Paris .", "entities": []},
        {"id": "train-0002", "split": "train", "text": "Rome .", "entities": []},
    ]
    return _write(tmp_path / "conll2003" / "conll2003_docs.jsonl", records).parent


@pytest.fixture
def polnear(tmp_path: Path) -> Path:
    t = POLNEAR_TEXT

    def att(source: str | None, cue: str, content: str, kind: str = "Attribution") -> dict[str, Any]:
        out: dict[str, Any] = {
            "cue": {"text": cue, "spans": _spans(t, cue)},
            "content": {"text": content, "spans": _spans(t, content)},
            "relation_type": kind,
        }
        if source is not None:
            out["source"] = {"text": source, "spans": _spans(t, source)}
        return out

    attributions = [
        att("Senator Mary Clark", "said", "the bill would fail without more votes"),
        att("He", "added", "talks would continue on Monday"),
        att("Officials at the White House", "declined", "to comment"),
        att(None, "delayed", "Senate vote", "Attribution-no-source"),
    ]
    record = {
        "id": "nyt_2016-01-01_x",
        "split": "train",
        "publisher": "nyt",
        "title": "Senate vote delayed",
        "text": t,
        "attributions": attributions,
        "other_annotations": {},
    }
    return _write(tmp_path / "polnear" / "polnear.jsonl", [record])


@pytest.fixture
def bbc(tmp_path: Path) -> Path:
    summary = "The line will link two northern cities. Critics say the cost is too high."
    records = [
        {"id": "politics/001", "category": "politics", "title": "Rail", "text": "Bad. " * 40,
         "summary": "Bad.", "summary_recovery_coverage": 0.5},
        {"id": "politics/002", "category": "politics", "title": "Rail line approved", "text": BBC_TEXT,
         "summary": summary, "summary_recovery_coverage": 1.0},
    ]  # fmt: skip
    return _write(tmp_path / "bbc-summary" / "bbc_news_summary.jsonl", records).parent


def _summary(text: str, actors: list[Actor], claims: list[tuple[str | None, str]]) -> ArticleSummary:
    built = []
    for speaker, quote in claims:
        start = text.index(quote)
        built.append(
            Claim(
                speaker=speaker,
                text=quote,
                evidence=Evidence(quote=quote, start=start, end=start + len(quote)),
            )
        )
    return ArticleSummary(
        summary="s", actors=actors, stances=[], claims=built,
        source=Source(path="x", sha256="0"), model="m", usage=Usage(),
    )  # fmt: skip


# --- loading -------------------------------------------------------------------------------


def test_truncate_cuts_at_a_paragraph_then_a_sentence() -> None:
    assert truncate("short", 100) == "short"
    assert truncate(BBC_TEXT, None) == BBC_TEXT
    assert truncate(BBC_TEXT, 80) == "Ministers have approved a new rail line."
    text = "One sentence here. Two sentences here. Three sentences here."
    assert truncate(text, 45) == "One sentence here. Two sentences here."


def test_load_takes_the_first_n_after_offset_from_folder_or_file(conll: Path) -> None:
    first = load_examples("conll2003", conll, limit=2)
    assert [e.id for e in first] == ["train-0000", "train-0001"]
    again = load_examples("conll2003", conll / "conll2003_docs.jsonl", limit=5, offset=1)
    assert [e.id for e in again] == ["train-0001", "train-0002"]


def test_load_errors_name_the_dataset_and_file(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="unknown dataset"):
        load_examples("squad", tmp_path)
    with pytest.raises(InputError, match=r"polnear\.jsonl"):
        load_examples("polnear", tmp_path)


def test_conll_gold_is_deduped_per_type_and_kept_inside_the_cut(conll: Path) -> None:
    (full,) = load_examples("conll2003", conll, limit=1, max_chars=None)
    assert sorted((e["type"], e["text"]) for e in full.gold["entities"]) == [
        ("LOC", "Brussels"), ("LOC", "Germany"), ("ORG", "European Commission"),
        ("PER", "Werner Zwingmann"), ("PER", "Zwingmann"),
    ]  # fmt: skip
    (cut,) = load_examples("conll2003", conll, limit=1, max_chars=100)
    assert cut.truncated and cut.text == CONLL_TEXT.splitlines()[0]
    assert {e["text"] for e in cut.gold["entities"]} == {"Germany", "Werner Zwingmann", "Zwingmann"}


def test_bbc_skips_incomplete_references(bbc: Path) -> None:
    assert [e.id for e in load_examples("bbc-summary", bbc)] == ["politics/002"]


# --- scoring -------------------------------------------------------------------------------


def test_actor_recall_matches_token_subsequences_both_ways(conll: Path) -> None:
    (ex,) = load_examples("conll2003", conll, limit=1)
    actors = [
        Actor(name="Zwingmann", type="person", aliases=["he"]),  # inside "Werner Zwingmann"
        Actor(name="the european commission", type="organization"),  # contains the entity
        Actor(name="Germany 's representative", type="person"),
    ]
    counts = evaluate.score_conll(_summary(ex.text, actors, []), ex.gold)
    assert {t: counts[t] for t in ("PER", "ORG", "LOC")} == {"PER": [2, 2], "ORG": [1, 1], "LOC": [1, 2]}
    # "Germany 's representative" found Germany, but as a person: a LOC typed wrong.
    assert counts["typed LOC"] == [0, 1] and counts["typed PER"] == [2, 2]
    assert counts["precision"] == [3, 3]


def test_actor_precision_counts_actors_that_match_no_gold_entity(conll: Path) -> None:
    (ex,) = load_examples("conll2003", conll, limit=1)
    actors = [
        Actor(name="Werner Zwingmann", type="person"),
        Actor(name="OLDER BROTHER", type="group"),  # a heading, not an actor
        Actor(name="Soviet", type="group"),  # a demonym
    ]
    counts = evaluate.score_conll(_summary(ex.text, actors, []), ex.gold)
    assert counts["precision"] == [1, 3]


def test_invented_names_and_numbers_are_caught() -> None:
    article = "The council of Norport approved 40,000 euros on Tuesday. Mayor Brandt agreed."
    assert evaluate.unsupported("Norport approved 40000 euros. The mayor agreed.", article) == []
    assert evaluate.unsupported("Hamburg approved 50,000 euros, Brandt said.", article) == [
        "50,000",
        "Hamburg",
    ]


def test_polnear_content_recall_and_speaker_accuracy(polnear: Path) -> None:
    (ex,) = load_examples("polnear", polnear)
    actors = [Actor(name="Mary Clark", type="person", aliases=["Senator Clark"])]
    result = _summary(
        ex.text,
        actors,
        [
            ("Mary Clark", "the bill would fail"),  # overlaps content 1; surname matches
            (None, "talks would continue on Monday"),  # content 2 (pronoun source: not eligible)
            ("Mary Clark", "declined to comment"),  # content 3 matched, wrong speaker
        ],
    )
    scores = evaluate.score_polnear(result, ex.gold)
    assert scores == {
        "content_found": 3, "content_total": 4, "eligible": 2, "matched": 2, "correct": 1, "two_people": 0,
    }  # fmt: skip


def test_content_matches_by_token_f1_without_overlap() -> None:
    text = "Clark said taxes will rise. Later: taxes will rise, Clark repeated."
    quote = "taxes will rise, Clark repeated"
    gold = {"attributions": [{"content": "taxes will rise", "spans": _spans(text, "taxes will rise"),
                              "source": "Clark", "relation_type": "Attribution"}]}  # fmt: skip
    result = _summary(text, [Actor(name="Clark", type="person")], [("Clark", quote)])
    assert evaluate.score_polnear(result, gold)["correct"] == 1
    assert evaluate.token_f1("taxes will rise", quote) >= evaluate.CONTENT_F1


def test_named_source_excludes_pronouns_and_no_source() -> None:
    assert evaluate.named_source({"source": "Officials", "relation_type": "Attribution"})
    assert evaluate.named_source({"source": "his campaign", "relation_type": "Attribution"})
    assert not evaluate.named_source({"source": "they", "relation_type": "Attribution"})
    assert not evaluate.named_source({"source": None, "relation_type": "Attribution-no-source"})


def test_lead3_and_rouge_on_the_same_text(bbc: Path) -> None:
    (ex,) = load_examples("bbc-summary", bbc)
    assert evaluate.lead3(ex.text) == (
        "Ministers have approved a new rail line. The line will link two northern cities. "
        "Work starts next year."
    )
    scores = evaluate.score_bbc(ex.gold["reference"], ex, evaluate.rouge_scorer())
    assert scores["rouge1"] == pytest.approx(1.0)
    assert 0 < scores["lead3_rougeL"] < 1


def test_missing_rouge_score_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    def missing(name: str) -> Any:
        raise ImportError(name)

    monkeypatch.setattr(importlib, "import_module", missing)
    with pytest.raises(UserError, match="pip install rouge-score"):
        evaluate.rouge_scorer()


# --- running -------------------------------------------------------------------------------


def test_run_counts_a_failure_and_goes_on(conll: Path) -> None:
    examples = load_examples("conll2003", conll, limit=2)
    draft = {
        "summary": "A German official advised against British lamb.",
        "actors": [{"name": "Werner Zwingmann", "type": "person", "role": None, "aliases": []}],
        "stances": [],
        "claims": [
            {"speaker": "Werner Zwingmann", "text": "Buy other sheepmeat.", "kind": "indirect",
             "cue": "said", "hedged": False, "quote": "consumers should buy sheepmeat"},
            {"speaker": None, "text": "Invented.", "kind": "reporter_assertion", "cue": None,
             "hedged": False, "quote": "this sentence is not in the article"},
        ],
    }  # fmt: skip
    fake = FakeBackend()
    fake.enqueue(json.dumps(draft), "not json at all")
    seen: list[int] = []
    results = run_eval(
        "conll2003", examples, pipeline(fake, max_reasks=0, repair=False),
        on_article=lambda i, r: seen.append(i),
    )  # fmt: skip
    assert seen == [0, 1]
    ok, failed = results
    assert ok.ok and (ok.proposed, ok.located, ok.dropped) == (2, 1, 1)
    assert ok.scores["PER"] == [2, 2]
    assert not failed.ok and failed.error and failed.output_tail == "not json at all"
    rows = dict(evaluate.metric_rows("conll2003", results))
    assert rows["ok / failed"] == "1 / 1"
    assert rows["grounding before repair"].startswith("0.500")
    assert rows["dropped rate"].startswith("0.500")
    assert rows["actor recall PER"].startswith("1.000")


def test_eval_command_prints_the_table_and_writes_the_report(polnear: Path, tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    with FakeOpenAIServer(responder=echo_responder) as srv:
        result = CliRunner().invoke(
            app,
            ["eval", "polnear", str(polnear), "-n", "1", "--max-chars", "60", "-o", str(report),
             "--base-url", srv.base_url, "--model", "m"],
        )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "attribution content recall" in result.stdout
    assert "[1/1] nyt_2016-01-01_x" in result.stderr
    data = json.loads(report.read_text())
    assert data["max_chars"] == 60 and data["articles"][0]["truncated"]
    assert "Attribution-no-source" in data["rules"]["polnear"]
    again = evaluate.Report.from_json(report.read_text())
    assert again.table().splitlines()[1:] == result.stdout.strip().splitlines()[1:]


def test_eval_command_checks_the_report_path_before_any_model_call(polnear: Path, tmp_path: Path) -> None:
    folder = tmp_path / "report.json"
    folder.mkdir()
    with FakeOpenAIServer(responder=echo_responder) as srv:
        result = CliRunner().invoke(
            app,
            ["eval", "polnear", str(polnear), "-n", "1", "-o", str(folder),
             "--base-url", srv.base_url, "--model", "m"],
        )  # fmt: skip
        assert srv.requests == []
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: cannot write {folder} (")
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_eval_command_refuses_an_unknown_set(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["eval", "squad", str(tmp_path)])
    assert result.exit_code == 2


def test_example_truncated_flag() -> None:
    assert Example("a", "abc", 3).truncated is False
    assert Example("a", "ab", 3).truncated is True


def test_eval_command_max_reasks_bounds_the_requests(conll: Path) -> None:
    with FakeOpenAIServer(responder=echo_responder) as srv:
        srv.enqueue(ok("not json"))
        result = CliRunner().invoke(
            app,
            ["eval", "conll2003", str(conll), "-n", "2", "--max-reasks", "0",
             "--base-url", srv.base_url, "--model", "m"],
        )  # fmt: skip
        assert len(srv.requests) == 2
    assert result.exit_code == 0, result.output
    assert "failed" in result.stderr
    assert "1 / 1" in result.stdout


# --- GUM: gold chains, and people merged without gold (issue 17) ----------------------------

GUM_TEXT = (
    "Bush meets Bush\n\n"
    "Former President George H. W. Bush met George W. Bush in Riga on Unity Day. "
    "The University of Helsinki said Bush spoke first."
)


def _mention(text: str, part: str, proper: bool = True, nth: int = 0) -> dict[str, Any]:
    start = -1
    for _ in range(nth + 1):
        start = text.index(part, start + 1)
    return {"text": part, "start": start, "end": start + len(part), "proper": proper}


@pytest.fixture
def gum(tmp_path: Path) -> Path:
    t = GUM_TEXT
    entities = [
        {"eid": 1, "type": "person", "identity": "George_H._W._Bush",
         "mentions": [_mention(t, "Former President George H. W. Bush")]},
        {"eid": 2, "type": "person", "identity": "George_W._Bush",
         "mentions": [_mention(t, "George W. Bush"), _mention(t, "Bush", nth=3)]},
        {"eid": 3, "type": "place", "identity": "Riga", "mentions": [_mention(t, "Riga")]},
        {"eid": 4, "type": "event", "identity": None, "mentions": [_mention(t, "Unity Day")]},
        {"eid": 5, "type": "organization", "identity": "University_of_Helsinki",
         "mentions": [_mention(t, "The University of Helsinki"),
                      {"text": "it", "start": len(t) + 5, "end": len(t) + 7, "proper": False}]},
    ]  # fmt: skip
    record = {
        "id": "GUM_news_bush",
        "title": "Bush meets Bush",
        "text": t,
        "summary": "s",
        "entities": entities,
    }
    return _write(tmp_path / "gum" / "gum_dev.jsonl", [record]).parent


def test_gum_loads_chains_inside_the_text(gum: Path) -> None:
    (ex,) = load_examples("gum", gum)
    assert ex.title == "Bush meets Bush"
    assert [len(e["mentions"]) for e in ex.gold["entities"]] == [1, 2, 1, 1, 1]
    assert ex.gold["entities"][0]["identity"] == "George_H._W._Bush"


def test_gum_scores_types_precision_merges_and_splits(gum: Path) -> None:
    (ex,) = load_examples("gum", gum)
    actors = [
        Actor(name="George H. W. Bush", type="person", aliases=["George W. Bush"]),  # two people
        Actor(name="Bush", type="person"),  # George W. Bush again: a split
        Actor(name="Riga", type="person"),  # a place typed a person
        Actor(name="Unity Day", type="person"),  # an event: not an actor
        Actor(name="University of Helsinki", type="organization"),
    ]
    scores = evaluate.score_gum(_summary(ex.text, actors, []), ex.gold)
    assert scores["found"] == [4, 4]
    assert scores["typed"] == [3, 4]  # Riga
    assert scores["precision"] == [4, 5]  # Unity Day
    assert scores["merges"] == [1, 5]
    assert scores["splits"] == [1, 4]  # George W. Bush: two actors
    assert scores["two_people"] == [1, 5]


def test_same_surname_different_people_count_without_gold() -> None:
    actors = [
        Actor(name="Hillary Clinton", type="person", aliases=["Clinton", "Bill Clinton"]),
        Actor(name="Hillary Rodham Clinton", type="person", aliases=["Mrs. Clinton", "Clinton"]),
        Actor(name="Enrique Pe\u00f1a Nieto", type="person", aliases=["Mr. Pe\u00f1a Nieto"]),
        Actor(name="Larry King", type="person", aliases=["Mr. King"]),
    ]
    assert evaluate.merged_people(actors) == 1


def test_eval_command_tabulates_gum(gum: Path) -> None:
    with FakeOpenAIServer(responder=echo_responder) as srv:
        result = CliRunner().invoke(
            app, ["eval", "gum", str(gum), "--base-url", srv.base_url, "--model", "m"]
        )
    assert result.exit_code == 0, result.output
    assert "actors holding two gold people" in result.stdout
    assert "type accuracy (found chains)" in result.stdout
