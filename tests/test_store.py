"""summarize.batch.store: the journal a rerun resumes from, and the output folder's rules."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from summarize.batch.store import (
    RESULTS,
    ResultLog,
    note_done,
    output_path,
    read_records,
    repair_torn_tail,
    write_csv_tables,
)
from summarize.errors import InputError, UserError


def line(path: str, status: str = "ok", key: str | None = "k", **result: object) -> dict[str, object]:
    return {"path": path, "status": status, "key": key, "result": result or None, "error": None}


def test_lines_are_appended_whole_and_read_back(tmp_path: Path) -> None:
    log = ResultLog(tmp_path)
    assert log.open().done == {}
    log.append(line("a.txt"))
    log.append(line("b.txt", "failed", None))
    log.close()
    assert [r["path"] for r in read_records(tmp_path / RESULTS)] == ["a.txt", "b.txt"]
    index = ResultLog(tmp_path).open()
    assert index.done == {"a.txt": "k"} and (index.lines, index.paths) == (2, 2)


def test_a_torn_last_line_is_cut_and_reported(tmp_path: Path) -> None:
    path = tmp_path / RESULTS
    path.write_bytes(b'{"path": "a.txt", "status": "ok", "key": "k"}\n{"path": "b.tx')
    assert repair_torn_tail(path) == len(b'{"path": "b.tx')
    assert path.read_bytes().endswith(b"\n")
    assert repair_torn_tail(path) == 0


def test_the_latest_line_of_an_article_decides(tmp_path: Path) -> None:
    done: dict[str, str] = {}
    note_done(done, line("a.txt", key="k1"))
    note_done(done, line("a.txt", "failed", "k1"))
    assert done == {}
    note_done(done, line("a.txt", key="k2"))
    assert done == {"a.txt": "k2"}


def test_compaction_keeps_one_line_per_article(tmp_path: Path) -> None:
    log = ResultLog(tmp_path)
    log.open()
    for status in ("failed", "ok"):
        log.append(line("a.txt", status))
    log.append(line("b.txt"))
    assert log.needs_compaction
    log.compact()
    log.append(line("c.txt"))
    log.close()
    records = list(read_records(tmp_path / RESULTS))
    assert [(r["path"], r["status"]) for r in records] == [("a.txt", "ok"), ("b.txt", "ok"), ("c.txt", "ok")]


def test_one_writer_at_a_time(tmp_path: Path) -> None:
    first = ResultLog(tmp_path)
    first.open()
    with pytest.raises(UserError, match="another `summarize batch` is writing"):
        ResultLog(tmp_path).open()
    first.close()
    ResultLog(tmp_path).open()


@pytest.mark.parametrize(("rel", "why"), [("../x.txt", "outside"), ("run", "overwrite run.json")])
def test_output_paths_stay_inside_and_spare_reserved_files(tmp_path: Path, rel: str, why: str) -> None:
    with pytest.raises(InputError, match=why):
        output_path(tmp_path, rel)
    assert output_path(tmp_path, "sub/a.txt") == tmp_path / "sub" / "a.txt.json"


def test_csv_tables_have_one_row_per_item(tmp_path: Path) -> None:
    evidence = {"quote": "q", "start": 0, "end": 1}
    result = {
        "actors": [{"name": "Ann Lee", "type": "person", "role": "mayor", "aliases": ["Lee", "Ms Lee"]}],
        "stances": [{"actor": "Ann Lee", "topic": "the tram", "position": "support", "evidence": evidence}],
        "claims": [],
    }
    (tmp_path / RESULTS).write_text(json.dumps(line("a.txt", **result)) + "\n")
    write_csv_tables(tmp_path)
    with (tmp_path / "actors.csv").open() as f:
        rows = list(csv.reader(f))
    assert rows == [
        ["path", "name", "type", "role", "aliases"],
        ["a.txt", "Ann Lee", "person", "mayor", "Lee; Ms Lee"],
    ]
    with (tmp_path / "stances.csv").open() as f:
        assert len(list(csv.reader(f))) == 2
    with (tmp_path / "claims.csv").open() as f:
        assert len(list(csv.reader(f))) == 1
