"""`summarize export`: SQLite tables against the JSON, FTS, cross-article actors, reruns, Datasette."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from summarize.cli import app
from summarize.ingest import load_document
from summarize.output.sqlite import FOREIGN_KEYS, export, table_counts
from tests.newsroom import ARTICLES, HOSTILE_PATH, Newsroom, newsroom, write_articles


@pytest.fixture(scope="module")
def room(tmp_path_factory: pytest.TempPathFactory) -> Newsroom:
    """One batch shared by the read-only tests of this module."""
    return newsroom(tmp_path_factory.mktemp("export"))


@pytest.fixture(scope="module")
def db(room: Newsroom, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("db") / "news.db"
    export(room.outdir, path)
    return path


def rows(db: Path, sql: str, *params: object) -> list[dict[str, Any]]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute(sql, params)]


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- the tables hold what the JSON holds ------------------------------------------------------


def test_row_counts_equal_the_json(room: Newsroom, db: Path) -> None:
    results = room.results()
    counts = table_counts(db)
    assert counts["articles"] == len(results) == len(ARTICLES) - 1  # one article failed
    assert counts["mentions"] == sum(len(r["actors"]) for r in results)
    assert counts["claims"] == sum(len(r["claims"]) for r in results)
    assert counts["stances"] == sum(len(r["stances"]) for r in results)
    assert counts["dropped"] == sum(len(r["dropped"]) for r in results) == 1


def test_every_row_matches_its_json_item(room: Newsroom, db: Path) -> None:
    by_path = {r["source"]["path"]: r for r in room.results()}
    claims = rows(
        db,
        "SELECT a.path, c.speaker, c.text, c.kind, c.cue, c.hedged, c.quote, c.start, c.[end] "
        "FROM claims c JOIN articles a ON a.id = c.article_id ORDER BY c.id",
    )
    for c in claims:
        source = next(r for p, r in by_path.items() if p.endswith(c["path"]))
        item = next(x for x in source["claims"] if x["evidence"]["start"] == c["start"])
        assert (c["speaker"], c["text"], c["kind"], c["cue"], bool(c["hedged"])) == (
            item["speaker"], item["text"], item["kind"], item["cue"], item["hedged"],
        )  # fmt: skip
        assert (c["quote"], c["end"]) == (item["evidence"]["quote"], item["evidence"]["end"])


def test_article_text_is_the_clean_text_the_offsets_index(room: Newsroom, db: Path) -> None:
    for article in rows(db, "SELECT path, sha256, text, text_status FROM articles"):
        doc = load_document(str(room.articles / article["path"]))
        assert (article["text"], article["text_status"], article["sha256"]) == (doc.text, "ok", doc.sha256)
    # Offsets count characters, in Python and in SQLite's substr alike (the 📉 included).
    sql = (
        "SELECT count(*) AS n FROM {0} x JOIN articles a ON a.id = x.article_id "
        "WHERE substr(a.text, x.start + 1, x.[end] - x.start) {1} x.quote"
    )
    for table in ("claims", "stances"):
        assert rows(db, sql.format(table, "!=")) == [{"n": 0}]
        assert rows(db, sql.format(table, "=")) == [{"n": table_counts(db)[table]}]


def test_foreign_keys_are_declared_and_hold(db: Path) -> None:
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        for table, keys in FOREIGN_KEYS.items():
            declared = {(r[3], r[2], r[4]) for r in conn.execute(f"PRAGMA foreign_key_list([{table}])")}
            assert declared == set(keys)


def test_full_text_search_over_claims_and_articles(db: Path) -> None:
    said = rows(
        db,
        "SELECT actors.name, claims.quote FROM claims_fts JOIN claims ON claims.rowid = claims_fts.rowid "
        "JOIN actors ON actors.id = claims.speaker_id WHERE claims_fts MATCH ?",
        "aggression",
    )
    assert said == [
        {"name": "Vladimir Putin", "quote": 'Mr Putin said the measures were "economic aggression"'}
    ]
    # Porter stemming: "rouble" is only in the article text, "sanction" finds "sanctions".
    found = rows(db, "SELECT path FROM articles_fts JOIN articles ON articles.rowid = articles_fts.rowid "
                     "WHERE articles_fts MATCH ?", "rouble")  # fmt: skip
    assert [r["path"] for r in found] == ["world/putin-sanctions.md"]
    assert len(rows(db, "SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'sanction'")) == 2


def test_actors_are_resolved_across_articles(db: Path) -> None:
    actors = {r["key"]: r for r in rows(db, "SELECT * FROM actors")}
    putin = actors["name:vladimir putin"]
    assert putin["articles"] == 2 and putin["claims"] == 3
    assert {"Putin", "President Putin", "Mr Putin"} <= set(json.loads(putin["aliases"]))
    assert actors["name:rachel reeves"]["articles"] == 2  # "Chancellor Reeves" in the other article
    smiths = sorted(r["name"] for r in actors.values() if r["name"].endswith("Smith"))
    assert smiths == ["Jane Smith", "John Smith", "Smith"]  # the bare "Smith" has two candidates
    assert actors["name:european union"]["articles"] == 2  # "EU" alone in the other article
    said_by = rows(db, "SELECT DISTINCT speaker FROM claims WHERE speaker_id = ?", putin["id"])
    assert {r["speaker"] for r in said_by} == {"Vladimir Putin", "Putin"}  # as each article names him


def test_topics_group_wordings_across_articles(db: Path) -> None:
    topics = {r["name"]: json.loads(r["wordings"]) for r in rows(db, "SELECT name, wordings FROM topics")}
    assert set(topics["sanctions on Russia"]) == {
        "sanctions on Russia",
        "Russia sanctions",
        "the sanctions against Russia",
    }
    opposing = rows(
        db,
        "SELECT actors.name FROM stances JOIN actors ON actors.id = stances.actor_id "
        "JOIN topics ON topics.id = stances.topic_id WHERE topics.name = ? AND position = 'oppose'",
        "the budget",
    )
    assert sorted(r["name"] for r in opposing) == ["John Smith", "Smith"]


def test_hostile_strings_are_stored_verbatim(db: Path) -> None:
    (article,) = rows(db, "SELECT * FROM articles WHERE path = ?", HOSTILE_PATH)
    assert article["title"].startswith("<script>")
    names = {r["name"] for r in rows(db, "SELECT name FROM mentions WHERE article_id = ?", article["id"])}
    assert "Robert'); DROP TABLE claims;--" in names
    assert table_counts(db)["claims"] > 0


# --- reruns -------------------------------------------------------------------------------------


def test_an_object_storage_dest_copied_to_a_folder_reads_from_its_shards(
    room: Newsroom, db: Path, tmp_path: Path
) -> None:
    """A Ray run to s3:// keeps results.jsonl's lines in results/<run>-...-<n>.jsonl shards."""
    copy = tmp_path / "dest"
    shutil.copytree(room.outdir, copy)
    lines = (copy / "results.jsonl").read_bytes().splitlines(keepends=True)
    (copy / "results.jsonl").unlink()
    (copy / "results").mkdir()
    (copy / "results" / "000001-20261128T120000Z-ab12cd34-00001.jsonl").write_bytes(b"".join(lines[:2]))
    (copy / "results" / "000001-20261128T120000Z-ab12cd34-00002.jsonl").write_bytes(b"".join(lines[2:]))
    sharded = tmp_path / "sharded.db"
    export(copy, sharded)
    assert table_counts(sharded) == table_counts(db)


def test_rerun_changes_nothing(room: Newsroom, tmp_path: Path) -> None:
    path = tmp_path / "news.db"
    first = export(room.outdir, path)
    before = file_hash(path)
    again = export(room.outdir, path)
    assert (first.added, again.added, again.updated, again.removed) == (6, 0, 0, 0)
    assert again.unchanged == 6
    assert file_hash(path) == before  # not a byte written


def test_second_batch_run_updates_only_changed_articles(tmp_path: Path) -> None:
    room = newsroom(tmp_path)
    path = tmp_path / "news.db"
    export(room.outdir, path)
    of_article = "SELECT c.id, c.text FROM claims c JOIN articles a ON a.id = c.article_id WHERE a.path = ?"
    keep = rows(path, of_article, "uk/labour-smith.md")
    ids = {r["path"]: r["id"] for r in rows(path, "SELECT id, path FROM articles")}
    # One article's text changes; a new article names Vladimir Putin again.
    changed = ARTICLES["uk/budget-reaction.md"].replace("a mistake", "a grave mistake")
    write_articles(room.articles, {"uk/budget-reaction.md": changed})
    write_articles(
        room.articles, {"world/again.md": ARTICLES["world/putin-sanctions.md"].replace("Monday", "Friday")}
    )
    room.run()
    stats = export(room.outdir, path)
    assert (stats.added, stats.updated, stats.unchanged, stats.removed) == (1, 1, 5, 0)
    assert rows(path, of_article, "uk/labour-smith.md") == keep
    assert {
        r["path"]: r["id"] for r in rows(path, "SELECT id, path FROM articles") if r["path"] in ids
    } == ids
    (putin,) = rows(path, "SELECT articles FROM actors WHERE key = 'name:vladimir putin'")
    assert putin["articles"] == 3
    fresh = tmp_path / "fresh.db"
    export(room.outdir, fresh)
    assert table_counts(path) == table_counts(fresh)
    query = (
        "SELECT a.path, c.speaker, c.text, c.quote, s.name AS actor FROM claims c "
        "JOIN articles a ON a.id = c.article_id LEFT JOIN actors s ON s.id = c.speaker_id ORDER BY 1, 4"
    )
    assert rows(path, query) == rows(fresh, query)
    before = file_hash(path)  # and one more export is again a no-op

    export(room.outdir, path)
    assert file_hash(path) == before


def test_moved_sources_leave_text_null_until_articles_dir_is_given(tmp_path: Path) -> None:
    room = newsroom(tmp_path)
    moved = tmp_path / "moved"
    shutil.move(room.articles, moved)
    path = tmp_path / "news.db"
    stats = export(room.outdir, path)
    assert len(stats.without_text) == 6
    assert {r["text_status"] for r in rows(path, "SELECT text_status FROM articles WHERE text IS NULL")} == {
        "missing"
    }
    stats = export(room.outdir, path, articles_dir=moved)
    assert stats.without_text == [] and stats.unchanged == 6
    assert rows(path, "SELECT count(*) AS n FROM articles WHERE text IS NULL") == [{"n": 0}]


def test_changed_source_is_not_trusted(tmp_path: Path) -> None:
    room = newsroom(tmp_path)
    write_articles(room.articles, {"uk/labour-smith.md": ARTICLES["uk/labour-smith.md"] + "\nA new line.\n"})
    path = tmp_path / "news.db"
    export(room.outdir, path)
    (row,) = rows(path, "SELECT text, text_status FROM articles WHERE path = 'uk/labour-smith.md'")
    assert row == {"text": None, "text_status": "changed"}


# --- the command and Datasette ----------------------------------------------------------------


def test_cli_export_and_errors(room: Newsroom, tmp_path: Path) -> None:
    runner = CliRunner()
    path = tmp_path / "cli.db"
    done = runner.invoke(app, ["export", str(room.outdir), "--sqlite", str(path)])
    assert done.exit_code == 0, done.output
    assert "6 articles (6 added" in done.stderr and "1 failed article" in done.stderr
    missing = runner.invoke(app, ["export", str(room.articles), "--sqlite", str(path)])
    assert missing.exit_code == 1
    assert missing.stderr.startswith("Error: ") and "results.jsonl" in missing.stderr
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE mine (x)")
    refused = runner.invoke(app, ["export", str(room.outdir), "--sqlite", str(other)])
    assert refused.exit_code == 1 and "already holds other tables" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1


def test_cli_export_to_a_path_that_cannot_be_a_file_is_one_error_line(room: Newsroom) -> None:
    plain = room.outdir.parent / "plain.txt"
    plain.write_text("a file, not a folder")
    under_a_file = plain / "x.db"
    result = CliRunner().invoke(app, ["export", str(room.outdir), "--sqlite", str(under_a_file)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: cannot write {under_a_file} (")
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


@pytest.mark.slow  # starts Datasette in its own process
def test_datasette_opens_the_database_and_links_foreign_keys(db: Path) -> None:
    pytest.importorskip("datasette")
    url = f"/{db.stem}/claims.json?_shape=array&_labels=on&speaker_id__notblank=1&_sort=id"
    done = subprocess.run(
        [sys.executable, "-m", "datasette", str(db), "--get", url],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    claims = json.loads(done.stdout)
    assert claims and all(set(c["speaker_id"]) == {"value", "label"} for c in claims)
    assert "Vladimir Putin" in {c["speaker_id"]["label"] for c in claims}
