"""A batch's results as a SQLite database that Datasette opens as it is.

Tables (docs/REPORT.md has every column): articles, actors (one row per real-world actor
across articles, crossref.py), topics (stance topics grouped across articles, topics.py),
mentions, claims, stances, dropped; FTS5 over articles (title, summary, text) and claims
(text, quote), kept in step by triggers. Foreign keys are declared so Datasette links them.

Incremental and idempotent: an article is rewritten only when its path is new or its text
(sha256) or result changed; actors and topics keep their ids while their identity keys
stay; a rerun over unchanged results writes nothing. Everything happens in one
transaction, so an interrupted export leaves the previous database. sqlite-utils writes
with bound parameters only, and so does every statement here.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlite_utils

from summarize.errors import UserError
from summarize.fsio import cannot_write
from summarize.output.corpus import Article, Batch, Text, iso_day, missing_note, read_batch
from summarize.output.crossref import Resolution, resolve
from summarize.output.topics import Topics, group_topics, topic_of

SCHEMA_VERSION = "1"
INFO = "export_info"
_FK = "foreign_keys"

# column -> type, in table order; the first column is the integer primary key.
TABLES: dict[str, dict[str, Any]] = {
    "articles": {
        "id": int, "path": str, "sha256": str, "title": str, "author": str, "site": str, "date": str,
        "day": str, "url": str, "summary": str, "model": str, "claims": int, "stances": int,
        "dropped": int, "text": str, "text_status": str, "result_sha256": str,
    },
    "actors": {
        "id": int, "key": str, "name": str, "type": str, "role": str, "aliases": str,
        "articles": int, "claims": int, "stances": int,
    },
    "topics": {"id": int, "key": str, "name": str, "wordings": str, "stances": int},
    "mentions": {
        "id": int, "article_id": int, "actor_id": int, "name": str, "type": str, "role": str,
        "aliases": str,
    },
    "claims": {
        "id": int, "article_id": int, "speaker_id": int, "speaker": str, "text": str, "kind": str,
        "cue": str, "hedged": int, "quote": str, "start": int, "end": int, "match": str,
    },
    "stances": {
        "id": int, "article_id": int, "actor_id": int, "actor": str, "topic_id": int, "topic": str,
        "position": str, "target_id": int, "target": str, "quote": str, "start": int, "end": int,
        "match": str,
    },
    "dropped": {"id": int, "article_id": int, "kind": str, "reason": str, "item": str},
}  # fmt: skip
FOREIGN_KEYS: dict[str, list[tuple[str, str, str]]] = {
    "mentions": [("article_id", "articles", "id"), ("actor_id", "actors", "id")],
    "claims": [("article_id", "articles", "id"), ("speaker_id", "actors", "id")],
    "stances": [
        ("article_id", "articles", "id"), ("actor_id", "actors", "id"),
        ("topic_id", "topics", "id"), ("target_id", "actors", "id"),
    ],
    "dropped": [("article_id", "articles", "id")],
}  # fmt: skip
NOT_NULL = {
    "articles": {"path", "sha256", "summary", "model", "text_status", "result_sha256"},
    "actors": {"key", "name", "type", "aliases"},
    "topics": {"key", "name", "wordings"},
    "mentions": {"article_id", "actor_id", "name"},
    "claims": {"article_id", "text", "kind", "quote", "start", "end"},
    "stances": {"article_id", "actor_id", "topic_id", "actor", "topic", "position", "quote", "start", "end"},
    "dropped": {"article_id", "kind", "reason", "item"},
}
FTS = {"articles": ["title", "summary", "text"], "claims": ["text", "quote"]}
CHILDREN = ("mentions", "claims", "stances", "dropped")
FLUSH_EVERY = 500
"""Articles whose rows are written in one go: executemany is ~10x faster than row by row."""


@dataclass
class ExportStats:
    """What an export changed."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    actors: int = 0
    topics: int = 0
    without_text: list[str] = field(default_factory=list)
    """Paths of the articles whose text could not be recovered (the `text` column is null)."""
    failed: int = 0
    """Articles of the batch that failed: they have no row."""

    def describe(self, db_path: Path) -> str:
        """One line for people: what changed, and what is missing."""
        total = self.added + self.updated + self.unchanged
        line = (
            f"{db_path}: {total} articles ({self.added} added, {self.updated} updated, "
            f"{self.removed} removed, {self.unchanged} unchanged), "
            f"{self.actors} actors, {self.topics} topics."
        )
        return line + missing_note(self.failed, self.without_text)


def export(outdir: Path, db_path: Path, *, articles_dir: Path | None = None) -> ExportStats:
    """Create or update DB_PATH from the batch in OUTDIR (see the module docstring)."""
    if db_path.is_dir():
        raise UserError(f"{db_path} is a folder. Pass a file name for the database, e.g. news.db")
    batch = read_batch(outdir, articles_dir=articles_dir)
    resolution = resolve([a.summary for a in batch.articles], [a.path for a in batch.articles])
    topics = group_topics(s.topic for a in batch.articles for s in a.summary.stances)
    try:
        db_path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(db_path)
    except (OSError, sqlite3.Error) as exc:
        raise cannot_write(db_path, exc) from exc
    try:
        db = sqlite_utils.Database(conn)
        conn.execute("PRAGMA foreign_keys = ON")  # a no-op once a transaction is open
        with db.atomic():
            _prepare(db, db_path, outdir)
            return _Writer(db, batch, resolution, topics).run()
    except sqlite3.DatabaseError as exc:
        raise UserError(f"{db_path} cannot be written as a SQLite database ({exc}). Pass a new file") from exc
    finally:
        conn.close()


def _prepare(db: sqlite_utils.Database, db_path: Path, outdir: Path) -> None:
    """Create the schema in a new database; refuse a database that holds something else."""
    source = str(outdir.resolve())
    names = set(db.table_names())
    if names and INFO not in names:
        raise UserError(f"{db_path} already holds other tables. Pass a new file for the export")
    if INFO in names:
        info = {row["key"]: row["value"] for row in db.table(INFO).rows}
        if info.get("source") != source:
            raise UserError(
                f"the database holds the export of {info.get('source')}, not {source}. "
                "Pass a new --sqlite file for this folder"
            )
        _add_columns(db)
        return
    db.table(INFO).create({"key": str, "value": str}, pk="key")
    db.table(INFO).insert_all(
        [{"key": "schema_version", "value": SCHEMA_VERSION}, {"key": "source", "value": source}]
    )
    for name, columns in TABLES.items():
        db.table(name).create(
            columns, pk="id", not_null=NOT_NULL[name], foreign_keys=FOREIGN_KEYS.get(name, [])
        )
    db.table("articles").create_index(["path"], unique=True)
    db.table("actors").create_index(["key"], unique=True)
    db.table("topics").create_index(["key"], unique=True)
    db.index_foreign_keys()
    for name, searched in FTS.items():
        db.table(name).enable_fts(searched, create_triggers=True, tokenize="porter")


def _add_columns(db: sqlite_utils.Database) -> None:
    """Columns added since the database was made (articles.url): added, and every article
    marked changed so the rerun fills them."""
    table = db.table("articles")
    missing = [(name, kind) for name, kind in TABLES["articles"].items() if name not in table.columns_dict]
    for name, kind in missing:
        table.add_column(name, kind)
    if missing:
        db.execute("UPDATE articles SET result_sha256 = ''")


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def result_sha256(article: Article) -> str:
    """A fingerprint of the whole result: a rerun with another model changes it, the text does not."""
    return hashlib.sha256(article.summary.model_dump_json().encode("utf-8")).hexdigest()


class _Writer:
    """One export: stable ids, changed articles rewritten, the rest left alone."""

    def __init__(self, db: sqlite_utils.Database, batch: Batch, res: Resolution, topics: Topics) -> None:
        self.db, self.batch, self.res, self.topics = db, batch, res, topics
        self.stats = ExportStats(failed=batch.failed)
        self.actor_ids = _stable_ids(db, "actors", [a.key for a in res.actors])
        self.topic_ids = _stable_ids(db, "topics", [t.key for t in topics.topics])
        self.staged: dict[str, list[dict[str, Any]]] = {t: [] for t in ("articles", *CHILDREN)}

    def run(self) -> ExportStats:
        self._sync("actors", self._actor_rows())
        self._sync("topics", self._topic_rows())
        sql = "SELECT id, path, sha256, result_sha256, text_status FROM articles"
        known = {r["path"]: r for r in self.db.query(sql)}
        next_id = max((r["id"] for r in known.values()), default=0) + 1
        for n, article in enumerate(self.batch.articles):
            row = known.pop(article.path, None)
            digest = result_sha256(article)
            if row is None:
                self._stage(n, article, next_id, digest)
                next_id += 1
                self.stats.added += 1
            elif (row["sha256"], row["result_sha256"]) != (article.summary.source.sha256, digest):
                self._delete_article(row["id"])
                self._stage(n, article, row["id"], digest)
                self.stats.updated += 1
            else:
                self.stats.unchanged += 1
                self._retry_text(article, row)
            if len(self.staged["articles"]) >= FLUSH_EVERY:
                self._flush()
        self._flush()
        for row in known.values():
            self._delete_article(row["id"])
            self.stats.removed += 1
        self._repoint_unchanged()
        self._delete_stale("actors", set(self.actor_ids.values()))
        self._delete_stale("topics", set(self.topic_ids.values()))
        self.stats.actors, self.stats.topics = len(self.res.actors), len(self.topics.topics)
        return self.stats

    def _actor_rows(self) -> list[dict[str, Any]]:
        claims = [0] * len(self.res.actors)
        stances = [0] * len(self.res.actors)
        for n, article in enumerate(self.batch.articles):
            for c in article.summary.claims:
                if (i := self.res.actor_of(n, c.speaker)) is not None:
                    claims[i] += 1
            for s in article.summary.stances:
                if (i := self.res.actor_of(n, s.actor)) is not None:
                    stances[i] += 1
        return [
            {
                "id": self.actor_ids[a.key], "key": a.key, "name": a.name, "type": a.type, "role": a.role,
                "aliases": _json(a.aliases), "articles": len(a.articles), "claims": claims[i],
                "stances": stances[i],
            }
            for i, a in enumerate(self.res.actors)
        ]  # fmt: skip

    def _topic_rows(self) -> list[dict[str, Any]]:
        uses = [0] * len(self.topics.topics)
        for article in self.batch.articles:
            for s in article.summary.stances:
                uses[topic_of(self.topics, s.topic)] += 1
        return [
            {"id": self.topic_ids[t.key], "key": t.key, "name": t.label, "wordings": _json(t.wordings),
             "stances": uses[i]}
            for i, t in enumerate(self.topics.topics)
        ]  # fmt: skip

    def _sync(self, table: str, rows: list[dict[str, Any]]) -> None:
        """Upsert the rows that differ from what the table holds; identical rows are not touched."""
        have = {r["id"]: r for r in self.db.table(table).rows}
        changed = [r for r in rows if have.get(r["id"]) != r]
        if changed:
            self.db.table(table).upsert_all(changed, pk="id")

    def _delete_stale(self, table: str, keep: set[int]) -> None:
        stale = [r["id"] for r in self.db.query(f"SELECT id FROM [{table}]") if r["id"] not in keep]
        self.db.conn.executemany(f"DELETE FROM [{table}] WHERE id = ?", [(i,) for i in stale])

    def _stage(self, n: int, article: Article, article_id: int, digest: str) -> None:
        """Queue the rows of a new or changed article (DIGEST: its result_sha256); `_flush` writes them."""
        text = self.batch.sources.text_of(article)
        if text.text is None:
            self.stats.without_text.append(article.path)
        self.staged["articles"].append(_article_row(article, article_id, text, digest))
        for table, rows in _child_rows(n, article, article_id, self).items():
            self.staged[table].extend(rows)

    def _flush(self) -> None:
        for table, rows in self.staged.items():  # articles first: the others point at them
            columns = [c for c in TABLES[table] if c != "id" or table == "articles"]
            names = ", ".join(f"[{c}]" for c in columns)
            sql = f"INSERT INTO [{table}] ({names}) VALUES ({', '.join('?' * len(columns))})"
            self.db.conn.executemany(sql, ([r.get(c) for c in columns] for r in rows))
            rows.clear()

    def _retry_text(self, article: Article, row: dict[str, Any]) -> None:
        """An unchanged article whose text was missing: the sources may be back (--articles)."""
        if row["text_status"] == "ok":
            return
        text = self.batch.sources.text_of(article)
        if text.text is None:
            self.stats.without_text.append(article.path)
        if text.status != row["text_status"]:
            self.db.table("articles").update(row["id"], {"text": text.text, "text_status": text.status})

    def _delete_children(self, article_id: int) -> None:
        for table in CHILDREN:
            self.db.conn.execute(f"DELETE FROM [{table}] WHERE article_id = ?", (article_id,))

    def _delete_article(self, article_id: int) -> None:
        self._delete_children(article_id)
        self.db.conn.execute("DELETE FROM articles WHERE id = ?", (article_id,))

    def actor_id(self, n: int, name: str | None) -> int | None:
        i = self.res.actor_of(n, name)
        return None if i is None else self.actor_ids[self.res.actors[i].key]

    def topic_id(self, wording: str | None) -> int | None:
        if wording is None:
            return None
        return self.topic_ids[self.topics.topics[topic_of(self.topics, wording)].key]

    def _repoint_unchanged(self) -> None:
        """Point the rows of unchanged articles at the actor and topic ids of this resolution."""
        by_path = {a.path: n for n, a in enumerate(self.batch.articles)}
        ids = {r["id"]: by_path[r["path"]] for r in self.db.query("SELECT id, path FROM articles")}
        specs = [
            ("mentions", "actor_id", "name", self.actor_id),
            ("claims", "speaker_id", "speaker", self.actor_id),
            ("stances", "actor_id", "actor", self.actor_id),
            ("stances", "target_id", "target", self.actor_id),
            ("stances", "topic_id", "topic", lambda n, t: self.topic_id(t)),
        ]
        for table, column, name_column, lookup in specs:
            sql = f"SELECT id, article_id, [{column}] AS ref, [{name_column}] AS name FROM [{table}]"
            fixes = [
                (want, r["id"])
                for r in self.db.query(sql)
                if (want := lookup(ids[r["article_id"]], r["name"])) != r["ref"]
            ]
            self.db.conn.executemany(f"UPDATE [{table}] SET [{column}] = ? WHERE id = ?", fixes)


def _stable_ids(db: sqlite_utils.Database, table: str, keys: Sequence[str]) -> dict[str, int]:
    """Each key's id: the one it had, or the next free one (in KEYS order, for a fresh database)."""
    have = {r["key"]: r["id"] for r in db.query(f"SELECT id, key FROM [{table}]")}
    next_id = max(have.values(), default=0) + 1
    ids: dict[str, int] = {}
    for key in keys:
        if key in have:
            ids[key] = have[key]
        else:
            ids[key] = next_id
            next_id += 1
    return ids


def _article_row(article: Article, article_id: int, text: Text, digest: str) -> dict[str, Any]:
    s = article.summary
    return {
        "id": article_id, "path": article.path, "sha256": s.source.sha256, "title": s.source.title,
        "author": s.source.author, "site": s.source.site, "date": s.source.date,
        "day": iso_day(s.source.date), "url": s.source.url, "summary": s.summary, "model": s.model,
        "claims": len(s.claims), "stances": len(s.stances), "dropped": len(s.dropped), "text": text.text,
        "text_status": text.status, "result_sha256": digest,
    }  # fmt: skip


def _child_rows(n: int, article: Article, article_id: int, w: _Writer) -> dict[str, list[dict[str, Any]]]:
    s = article.summary
    return {
        "mentions": [
            {"article_id": article_id, "actor_id": w.actor_id(n, a.name), "name": a.name, "type": a.type,
             "role": a.role, "aliases": _json(a.aliases)}
            for a in s.actors
        ],
        "claims": [
            {"article_id": article_id, "speaker_id": w.actor_id(n, c.speaker), "speaker": c.speaker,
             "text": c.text, "kind": c.kind, "cue": c.cue, "hedged": int(c.hedged), **_evidence(c.evidence)}
            for c in s.claims
        ],
        "stances": [
            {"article_id": article_id, "actor_id": w.actor_id(n, st.actor), "actor": st.actor,
             "topic_id": w.topic_id(st.topic), "topic": st.topic, "position": st.position,
             "target_id": w.actor_id(n, st.target), "target": st.target, **_evidence(st.evidence)}
            for st in s.stances
        ],
        "dropped": [
            {"article_id": article_id, "kind": d.kind, "reason": d.reason, "item": _json(d.item)}
            for d in s.dropped
        ],
    }  # fmt: skip


def _evidence(ev: Any) -> dict[str, Any]:
    return {"quote": ev.quote, "start": ev.start, "end": ev.end, "match": ev.match}


def table_counts(db_path: Path, tables: Iterable[str] = TABLES) -> dict[str, int]:
    """Rows per table (for tests and the benchmark)."""
    with sqlite3.connect(db_path) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM [{t}]").fetchone()[0] for t in tables}
