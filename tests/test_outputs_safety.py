"""Issue 19's defects: nothing lost, nothing stale, nothing unsafe in what a batch writes.

Each test names the defect it pins down (docs/RELIABILITY.md lists them).
"""

from __future__ import annotations

import errno
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from summarize.batch import BatchConfig, Stats, run_batch
from summarize.batch.provider.driver import RUNNER_OUT
from summarize.batch.provider.options import ProviderOptions, runner_requests
from summarize.batch.store import LOCK, OWN, RESULTS, RUN, SHARDS, output_path
from summarize.cli import app
from summarize.config import Settings
from summarize.errors import InputError
from summarize.testing import FakeOpenAIServer, echo_responder
from tests.fakes import make_articles

runner = CliRunner()
MODEL = "fake-model"
ARTICLE = (
    "Council approves plan\n\nThe council approved a plan on Monday. "
    "The mayor said the plan would help commuters.\n"
)


@pytest.fixture
def echo() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(responder=echo_responder) as srv:
        yield srv


def run(root: Path, out: Path, server: FakeOpenAIServer, **kw: Any) -> Stats:
    settings = kw.pop("settings", None) or Settings(base_url=server.base_url, model=MODEL)
    return run_batch(BatchConfig(root=root, outdir=out, **kw), settings)


def lines(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (out / RESULTS).read_bytes().splitlines()]


def endpoint(server: FakeOpenAIServer) -> list[str]:
    return ["--base-url", server.base_url, "--model", MODEL]


# --- 1. a file name that is not UTF-8 -------------------------------------------------------


def test_1_a_name_with_a_byte_that_is_not_utf8_is_summarized_and_cached(
    tmp_path: Path, echo: FakeOpenAIServer
) -> None:
    root, out = tmp_path / "in", tmp_path / "out"
    make_articles(root, 2, sub=False)
    odd = os.fsdecode(b"caf\xe9.txt")  # Latin-1 e-acute: not UTF-8
    (root / odd).write_text(ARTICLE, encoding="utf-8")
    first = run(root, out, echo)
    assert (first.ok, first.failed) == (3, 0)
    raw = (out / RESULTS).read_bytes()
    raw.decode("utf-8")  # the journal stays UTF-8
    paths = {os.fsencode(r["path"]) for r in lines(out)}
    assert b"caf\xe9.txt" in paths  # the name travels losslessly
    summary = json.loads((out / (odd + ".json")).read_bytes())
    assert os.fsencode(summary["source"]["path"]).endswith(b"caf\xe9.txt")
    again = run(root, out, echo)
    assert (again.cached, again.usage.requests) == (3, 0)


def test_1_summarize_file_with_such_a_name_prints_its_json(tmp_path: Path, echo: FakeOpenAIServer) -> None:
    path = tmp_path / os.fsdecode(b"caf\xe9.txt")
    path.write_text(ARTICLE, encoding="utf-8")
    result = runner.invoke(app, ["file", str(path), *endpoint(echo)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["summary"]


# --- 2. a full or read-only OUTDIR ------------------------------------------------------------


def _batch(root: Path, out: Path, server: FakeOpenAIServer) -> Any:
    return runner.invoke(app, ["batch", str(root), "-o", str(out), "-q", *endpoint(server)])


def _one_error_line(stderr: str) -> str:
    errors = [line for line in stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, stderr
    assert "internal error" not in stderr and "Traceback" not in stderr
    return errors[0]


def test_2_a_read_only_outdir_is_one_error_line(
    tmp_path: Path, echo: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, out = tmp_path / "in", tmp_path / "out"
    make_articles(root, 2)
    real_open = os.open

    def read_only(path: Any, flags: int, *args: Any, **kw: Any) -> int:
        if str(path).endswith(LOCK):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real_open(path, flags, *args, **kw)

    monkeypatch.setattr(os, "open", read_only)
    result = _batch(root, out, echo)
    assert result.exit_code == 1
    line = _one_error_line(result.stderr)
    assert LOCK in line and "read-only" in line
    assert echo.requests == []


def test_2_a_folder_the_system_refuses_is_one_error_line(tmp_path: Path, echo: FakeOpenAIServer) -> None:
    root = tmp_path / "in"
    make_articles(root, 1)
    result = _batch(root, Path("/sys/summarize-cannot-write-here"), echo)  # EPERM even for root
    assert result.exit_code == 1
    assert "cannot write /sys/summarize-cannot-write-here" in _one_error_line(result.stderr)


def test_2_a_full_disk_at_run_json_keeps_the_journal(
    tmp_path: Path, echo: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, out = tmp_path / "in", tmp_path / "out"
    rels = make_articles(root, 3)
    import summarize.batch.driver as run_module  # the run driver writes run.json

    real = run_module.atomic_write_text

    def full(path: Any, text: str) -> None:
        if Path(path).name == RUN:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        real(path, text)

    monkeypatch.setattr(run_module, "atomic_write_text", full)
    result = _batch(root, out, echo)
    assert result.exit_code == 1
    assert "Free some space" in _one_error_line(result.stderr)
    assert sorted(r["path"] for r in lines(out) if r["status"] == "ok") == rels


def test_2_a_full_disk_at_the_journal_is_one_error_line(
    tmp_path: Path, echo: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, out = tmp_path / "in", tmp_path / "out"
    make_articles(root, 2)
    real_fsync = os.fsync
    journal = out / RESULTS

    def full(fd: int) -> None:
        if os.path.exists(journal) and os.path.samestat(os.fstat(fd), os.stat(journal)):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", full)
    result = _batch(root, out, echo)
    assert result.exit_code == 1
    assert f"cannot write {journal}" in _one_error_line(result.stderr)


# --- 3. write failures after the model call ----------------------------------------------------


def test_3_a_long_name_is_written_and_a_too_long_one_fails_before_paying(
    tmp_path: Path, echo: FakeOpenAIServer
) -> None:
    root, out = tmp_path / "in", tmp_path / "out"
    root.mkdir()
    long = "a" * 236 + ".txt"  # 240 bytes: its JSON's name is 245, under the 255 limit
    too_long = "b" * 248 + ".txt"  # 252 bytes: its JSON's name would be 257
    (root / long).write_text(ARTICLE, encoding="utf-8")
    (root / too_long).write_text(ARTICLE.replace("Monday", "Tuesday"), encoding="utf-8")
    stats = run(root, out, echo)
    assert (stats.ok, stats.failed) == (1, 1)
    assert (out / (long + ".json")).is_file()
    assert len(echo.requests) == 1  # nothing was sent for the one that cannot be written
    failed = next(r for r in lines(out) if r["status"] == "failed")
    assert failed["path"] == too_long and "longer than 255 bytes" in failed["error"]
    assert [p.name for p in out.iterdir() if p.name.startswith(".tmp")] == []


def test_3_a_folder_where_the_json_goes_fails_before_paying(tmp_path: Path, echo: FakeOpenAIServer) -> None:
    root, out = tmp_path / "in", tmp_path / "out"
    root.mkdir()
    (root / "a.txt").write_text(ARTICLE, encoding="utf-8")
    (out / "a.txt.json").mkdir(parents=True)
    stats = run(root, out, echo)
    assert stats.failed == 1 and echo.requests == []
    assert "a folder a.txt.json is where its output goes" in lines(out)[0]["error"]


def test_3_a_file_where_the_jsons_folder_goes_fails_before_paying(
    tmp_path: Path, echo: FakeOpenAIServer
) -> None:
    root, out = tmp_path / "in", tmp_path / "out"
    (root / "a.txt.json").mkdir(parents=True)
    (root / "a.txt").write_text(ARTICLE, encoding="utf-8")
    (root / "a.txt.json" / "b.txt").write_text(ARTICLE.replace("Monday", "Friday"), encoding="utf-8")
    stats = run(root, out, echo, concurrency=1)
    assert (stats.ok, stats.failed) == (1, 1)
    assert len(echo.requests) == 1
    assert "needs the folder a.txt.json" in next(r["error"] for r in lines(out) if r["status"] == "failed")


def test_3_a_write_refused_after_the_model_call_counts_what_was_paid(
    tmp_path: Path, echo: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, out = tmp_path / "in", tmp_path / "out"
    make_articles(root, 1)
    import summarize.batch.worker as worker_module

    def full(path: Any, text: str) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(worker_module, "atomic_write_text", full)
    stats = run(root, out, echo)
    assert stats.failed == 1 and stats.usage.requests == 1
    record = lines(out)[0]
    assert record["usage"]["requests"] == 1 and "No space left" in record["error"]
    assert json.loads((out / RUN).read_text())["usage"]["requests"] == 1


# --- 4. outputs that collide with the tool's own files -------------------------------------------


def test_4_the_tools_own_names_are_one_list() -> None:
    folders = {ProviderOptions(via="batch-api").folder(Path("o")).name}
    folders |= {ProviderOptions(via="jsonl").folder(Path("o")).name, runner_requests(Path("o")).name}
    assert folders | {RUNNER_OUT, RESULTS, RUN, SHARDS, LOCK} <= OWN


@pytest.mark.parametrize(
    "rel",
    ["batch-jsonl/manifest", "batch-api/manifest", "Batch-API/x/y/z.txt", "RUN", "requests/a", "results/x"],
)
def test_4_no_article_path_reaches_the_tools_own_files(tmp_path: Path, rel: str) -> None:
    with pytest.raises(InputError, match="keeps for itself"):
        output_path(tmp_path, rel)


def test_4_an_article_at_the_job_manifest_fails_without_a_request(
    tmp_path: Path, echo: FakeOpenAIServer
) -> None:
    root, out = tmp_path / "in", tmp_path / "out"
    (root / "batch-jsonl").mkdir(parents=True)
    (root / "batch-jsonl" / "manifest").write_text(ARTICLE, encoding="utf-8")
    stats = run(root, out, echo, from_file=io.StringIO("batch-jsonl/manifest\n"))
    assert stats.failed == 1 and echo.requests == []
    assert not (out / "batch-jsonl").exists()


def test_4_report_refuses_to_replace_the_journal(tmp_path: Path, echo: FakeOpenAIServer) -> None:
    root, out = tmp_path / "in", tmp_path / "out"
    make_articles(root, 1)
    run(root, out, echo)
    before = (out / RESULTS).read_bytes()
    for command in (
        ["report", str(out), "-o", str(out / "Results.jsonl")],
        ["export", str(out), "--sqlite", str(out / RUN)],
    ):
        result = runner.invoke(app, command)
        assert result.exit_code == 1
        assert "keeps for itself" in _one_error_line(result.stderr)
    assert (out / RESULTS).read_bytes() == before
    assert runner.invoke(app, ["report", str(out)]).exit_code == 0  # its own default file is fine


def test_4_a_journal_that_is_a_symlink_out_of_outdir_is_refused(
    tmp_path: Path, echo: FakeOpenAIServer
) -> None:
    root, out = tmp_path / "in", tmp_path / "out"
    make_articles(root, 1)
    outside = tmp_path / "elsewhere.jsonl"
    outside.write_text("")
    out.mkdir()
    (out / RESULTS).symlink_to(outside)
    result = _batch(root, out, echo)
    assert result.exit_code == 1
    assert "symbolic link" in _one_error_line(result.stderr)
    assert outside.read_text() == "" and echo.requests == []


# --- 6. formulas in CSV cells --------------------------------------------------------------


def test_6_csv_cells_that_could_start_a_formula_are_shown_as_text(tmp_path: Path) -> None:
    import csv

    from summarize.batch.store import write_csv_tables

    evidence = {"quote": '-2+3 said "=HYPERLINK"', "start": 0, "end": 21}
    actors = [
        {"name": '=HYPERLINK("http://evil")', "type": "person", "role": "+mayor", "aliases": ["@Lee"]},
        {"name": "\tTab", "type": "group", "role": "\rcr", "aliases": []},
    ]
    claim = {"speaker": None, "text": "Plain words", "kind": None, "evidence": evidence}
    result = {"actors": actors, "stances": [], "claims": [claim]}
    record = {"path": "-x.txt", "status": "ok", "result": result, "error": None, "key": "k"}
    (tmp_path / RESULTS).write_text(json.dumps(record) + "\n")
    write_csv_tables(tmp_path)
    with (tmp_path / "actors.csv").open(newline="") as f:
        rows = list(csv.reader(f))[1:]
    assert rows[0] == ["'-x.txt", '\'=HYPERLINK("http://evil")', "person", "'+mayor", "'@Lee"]
    assert rows[1][1] == "'\tTab" and rows[1][3] == "'\rcr"
    with (tmp_path / "claims.csv").open(newline="") as f:
        claims = list(csv.reader(f))[1]
    assert claims[2] == "Plain words" and claims[-3] == "'" + evidence["quote"]
    assert claims[-2:] == ["0", "21"]  # numbers stay numbers


# --- 9. durable replies, no umask changed at import ----------------------------------------


def test_9_fsio_reads_the_umask_without_changing_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import importlib

    import summarize.fsio as fsio

    changes: list[int] = []
    real = os.umask
    monkeypatch.setattr(os, "umask", lambda mask: changes.append(mask) or real(mask))
    importlib.reload(fsio)
    fsio.atomic_write_text(tmp_path / "a.json", "{}")
    assert changes == []  # Linux tells it in /proc/self/status: no set-and-restore race with threads
    previous = real(0o027)
    try:
        fsio.umask.cache_clear()
        fsio.atomic_write_text(tmp_path / "b.json", "{}")
        assert (tmp_path / "b.json").stat().st_mode & 0o777 == 0o640
    finally:
        real(previous)
        fsio.umask.cache_clear()


def test_9_a_stored_reply_is_fsynced_before_it_counts_as_handed_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from summarize.batch.provider.replies import Reply, ReplyStore, article_id

    synced: list[int] = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(os.fstat(fd).st_ino) or real(fd))
    store = ReplyStore(tmp_path)
    aid = article_id(os.fsdecode(b"caf\xe9.txt"))  # a name that is not UTF-8 has an id too
    store.add(Reply(f"{aid}-1", "requests-00001.jsonl", {"choices": []}))
    path = store.path(aid)
    assert path.stat().st_ino in synced  # the line itself
    assert path.parent.stat().st_ino in synced  # and the new file's entry in its folder


# --- 5. stale results served as cached ---------------------------------------------------------


def test_5_a_corrupt_json_is_redone_and_the_dry_run_says_so(tmp_path: Path, echo: FakeOpenAIServer) -> None:
    from summarize.batch import plan

    root, out = tmp_path / "in", tmp_path / "out"
    rels = make_articles(root, 2, sub=False)
    run(root, out, echo)
    (out / f"{rels[0]}.json").write_text('{"summary": "half', encoding="utf-8")
    (out / f"{rels[1]}.json").write_text('{"not": "a result"}', encoding="utf-8")
    settings = Settings(base_url=echo.base_url, model=MODEL)
    planned = list(plan(BatchConfig(root=root, outdir=out), settings))
    assert [p.cached for p in planned] == [False, False]
    again = run(root, out, echo)
    assert (again.ok, again.cached) == (2, 0)
    for rel in rels:
        assert json.loads((out / f"{rel}.json").read_text())["summary"]
    assert run(root, out, echo).cached == 2


@pytest.mark.parametrize(
    "change",
    [
        {"mode": "json_object"},
        {"max_tokens": 1000},
        {"max_reasks": 0},
        {"context_tokens": 50_000},
        {"repair": False},
        {"temperature": 0.5},
    ],
)
def test_5_an_option_that_shapes_the_requests_redoes_the_article(
    tmp_path: Path, echo: FakeOpenAIServer, change: dict[str, Any]
) -> None:
    root, out = tmp_path / "in", tmp_path / "out"
    make_articles(root, 2)
    run(root, out, echo)
    changed = Settings(base_url=echo.base_url, model=MODEL, **change)
    assert run(root, out, echo, settings=changed).ok == 2
    assert run(root, out, echo, settings=changed).cached == 2


def test_5_transport_options_keep_the_cache(tmp_path: Path, echo: FakeOpenAIServer) -> None:
    root, out = tmp_path / "in", tmp_path / "out"
    make_articles(root, 2)
    run(root, out, echo)
    patient = Settings(base_url=echo.base_url, model=MODEL, timeout=300.0, max_retries=1, api_key="k")
    assert run(root, out, echo, settings=patient).cached == 2


def test_5_a_new_settings_field_is_in_the_key_unless_declared_harmless() -> None:
    from dataclasses import fields

    from summarize.config import NOT_RESULT_SHAPING, result_shaping

    names = {f.name for f in fields(Settings)}
    assert names >= NOT_RESULT_SHAPING  # no stale declaration
    assert set(result_shaping(Settings())) == names - NOT_RESULT_SHAPING
    assert "api_key" not in result_shaping(Settings(api_key="secret"))  # a key is never hashed


def test_5_a_changed_title_is_redone_with_the_new_source(tmp_path: Path, echo: FakeOpenAIServer) -> None:
    root, out = tmp_path / "in", tmp_path / "out"
    root.mkdir()
    body = "<p>The council approved a plan on Monday. The mayor said it would help commuters.</p>" * 3
    page = root / "a.html"
    page.write_text(f"<html><head><title>Old title</title></head><body>{body}</body></html>")
    run(root, out, echo)
    assert json.loads((out / "a.html.json").read_text())["source"]["title"] == "Old title"
    page.write_text(f"<html><head><title>New title</title></head><body>{body}</body></html>")
    assert run(root, out, echo).ok == 1
    assert json.loads((out / "a.html.json").read_text())["source"]["title"] == "New title"
    front = root / "b.md"
    front.write_text("---\ndate: 2024-01-01\n---\nThe council approved a plan on Monday.\n")
    run(root, out, echo)
    front.write_text("---\ndate: 2024-02-02\n---\nThe council approved a plan on Monday.\n")
    assert run(root, out, echo).ok == 1
    assert json.loads((out / "b.md.json").read_text())["source"]["date"] == "2024-02-02"


def test_5_a_replaced_model_file_with_the_same_name_changes_the_key(tmp_path: Path) -> None:
    from summarize.pipeline import model_file_identity

    gguf = tmp_path / "mine.gguf"
    gguf.write_bytes(b"GGUF" + b"\0" * 10)
    settings = Settings(local=True, model_path=str(gguf))
    before = model_file_identity(settings)
    gguf.write_bytes(b"GGUF" + b"\1" * 20)
    assert model_file_identity(settings) != before
    assert model_file_identity(Settings(base_url="http://x/v1", model="m")) == ""


# --- 7. --from-file ---------------------------------------------------------------------------


def test_7_from_file_takes_odd_names_once_and_refuses_dir_itself(
    tmp_path: Path, echo: FakeOpenAIServer
) -> None:
    root, out = tmp_path / "in", tmp_path / "out"
    root.mkdir()
    (root / "a.txt").write_text(ARTICLE, encoding="utf-8")
    (root / "note: x.txt").write_text(ARTICLE.replace("Monday", "Sunday"), encoding="utf-8")
    listing = io.StringIO(".\na.txt\n./a.txt\nnote: x.txt\nsub/../a.txt\n")
    stats = run(root, out, echo, from_file=listing)
    assert (stats.ok, stats.failed) == (2, 2)
    assert len(echo.requests) == 2  # a.txt once, though listed twice
    errors = {r["path"]: r["error"] for r in lines(out) if r["status"] == "failed"}
    assert "names DIR itself" in errors["."] and "'..'" in errors["sub/../a.txt"]


def test_7_outdir_equal_to_dir_says_why_nothing_would_happen(tmp_path: Path, echo: FakeOpenAIServer) -> None:
    root = tmp_path / "in"
    make_articles(root, 2)
    result = _batch(root, root, echo)
    assert result.exit_code == 1
    assert "is DIR itself" in _one_error_line(result.stderr)
    assert echo.requests == [] and not (root / RESULTS).exists()


# --- 8. export and report name the lines they skip ------------------------------------------------


def test_8_an_ok_line_that_is_not_a_valid_result_is_named(
    tmp_path: Path, echo: FakeOpenAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    from summarize.output.corpus import read_batch

    root, out = tmp_path / "in", tmp_path / "out"
    rels = make_articles(root, 2, sub=False)
    run(root, out, echo)
    records = sorted(lines(out), key=lambda r: str(r["path"]))  # threads finish in any order
    records[1]["result"]["summary"] = None  # edited by hand, or from another version
    (out / RESULTS).write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    with caplog.at_level("WARNING"):
        batch = read_batch(out)
    assert [a.path for a in batch.articles] == [rels[0]]
    assert batch.unreadable == 1 and batch.skipped == (
        f"{rels[1]} (summary: Input should be a valid string)",
    )
    assert rels[1] in caplog.text and "left out" in caplog.text
    assert runner.invoke(app, ["report", str(out)]).exit_code == 0


# --- 6. Markdown that stays text -----------------------------------------------------------------


def test_6_markdown_escapes_article_and_model_text() -> None:
    markdown_it = pytest.importorskip("markdown_it")  # rich's own Markdown parser (CommonMark)
    from summarize.output.render import to_markdown
    from summarize.schemas import ArticleSummary

    hostile = "<script>alert(1)</script> <img src=x onerror=alert(2)> [x](javascript:alert(3))"
    quote = "first line\n## Not a heading\n![](http://tracker.example/p.gif)\n- not a list"
    ev = {"quote": quote, "start": 0, "end": len(quote)}
    result = ArticleSummary.model_validate(
        {
            "summary": "- " + hostile + "\n\n## Also not a heading",
            "actors": [{"name": "<b>Ann</b>", "type": "person", "role": "*mayor*", "aliases": ["`x`"]}],
            "stances": [
                {"actor": "<b>Ann</b>", "topic": "[t](javascript:x)", "position": "support", "evidence": ev}
            ],
            "claims": [{"speaker": None, "text": hostile, "evidence": ev}],
            "source": {"path": "a.txt", "sha256": "0" * 64, "title": "1. <i>Title</i>"},
            "model": "m",
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "requests": 1},
        }
    )
    md_text = to_markdown(result)
    html = markdown_it.MarkdownIt("commonmark").enable("table").render(md_text)
    for bad in ("<script", "<img", "<b>", "<i>", 'href="javascript', "<em>mayor", "<code>"):
        assert bad not in html, bad
    assert html.count("<h2>") == 3  # Actors, Claims, Stances: nothing from the article
    assert html.count("<h1>") == 1 and "<ol" not in html and html.count("<ul>") == 3
    assert html.count("<blockquote>") == 2
    for block in html.split("<blockquote>")[1:]:
        assert "Not a heading" in block.split("</blockquote>")[0]  # the whole quote stays inside
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown, not run


# --- 9. one writer of an object-store DEST --------------------------------------------------------


def test_9_an_object_store_dest_has_one_writer_at_a_time(tmp_path: Path) -> None:
    pafs = pytest.importorskip("pyarrow.fs")
    from summarize.batch.ray_engine import shards
    from summarize.batch.ray_engine.places import Place
    from summarize.batch.ray_engine.shards import ShardLog
    from summarize.errors import UserError

    place = Place("mem://dest", pafs.LocalFileSystem(), str(tmp_path), local=False)
    first = ShardLog(place)
    first.open()
    second = ShardLog(place)
    with pytest.raises(UserError, match=r"another `summarize batch` .* is writing to mem://dest"):
        second.open()
    first.append({"path": "a", "status": "ok", "key": "k"})
    first.close()  # releases the lock
    assert not (tmp_path / LOCK).exists()
    second.open()
    second.close()
    # A run that died leaves its lock; past STALE seconds without a heartbeat it is taken over.
    dead = {"token": "dead", "host": "h", "pid": 1, "beat": 0.0}
    (tmp_path / LOCK).write_text(json.dumps(dead))
    third = ShardLog(place)
    assert third.open().done == {"a": "k"}
    third.close()
    assert shards.STALE > shards.HEARTBEAT * 2  # a late heartbeat does not lose the lock


class _Call:
    def __init__(self, fn: Any) -> None:
        self.remote = fn


class _FakeGate:
    """The gate's flag calls without Ray (`ray.get` is the identity in the test)."""

    def __init__(self) -> None:
        self.flags = {"stop": False, "halt": False}
        self.status = _Call(lambda: {**self.flags, "in_flight": 0})
        self.raise_flag = _Call(lambda name: self.flags.__setitem__(name, True))


def test_9_a_gate_restarted_empty_gets_the_drivers_flags_again(monkeypatch: pytest.MonkeyPatch) -> None:
    ray = pytest.importorskip("ray")
    from summarize.batch.ray_engine.gate import GateFlags

    monkeypatch.setattr(ray, "get", lambda ref: ref)
    gate = _FakeGate()
    driver = GateFlags(gate, every=0.0)
    driver.view("stop").set()
    assert gate.flags["stop"]
    gate.flags = {"stop": False, "halt": False}  # Ray restarted the gate actor: its state is gone
    driver.keep()
    assert gate.flags == {"stop": True, "halt": False}
    assert GateFlags(gate, every=0.0).is_set("stop")  # a worker sees the run stopping


def test_1_export_and_report_show_such_a_name_and_find_its_text(
    tmp_path: Path, echo: FakeOpenAIServer
) -> None:
    from summarize.output.corpus import read_batch, texts

    root, out = tmp_path / "in", tmp_path / "out"
    root.mkdir()
    (root / os.fsdecode(b"caf\xe9.txt")).write_text(ARTICLE, encoding="utf-8")
    run(root, out, echo, csv=True)
    ((article, text),) = list(texts(read_batch(out)))
    assert article.path == "caf\\xe9.txt" and text.status == "ok"
    assert runner.invoke(app, ["export", str(out), "--sqlite", str(tmp_path / "x.db")]).exit_code == 0
    assert runner.invoke(app, ["report", str(out)]).exit_code == 0
    assert "xe9.txt" in (out / "report.html").read_text(encoding="utf-8")  # inside its JSON data


def test_1_a_failed_article_with_such_a_name_is_in_run_json(tmp_path: Path, echo: FakeOpenAIServer) -> None:
    from summarize.testing import Reply

    root, out = tmp_path / "in", tmp_path / "out"
    root.mkdir()
    (root / os.fsdecode(b"caf\xe9.txt")).write_text(ARTICLE, encoding="utf-8")
    echo.enqueue(Reply(400, {"error": {"message": "bad"}}))
    stats = run(root, out, echo)
    assert stats.failed == 1
    failures = json.loads((out / RUN).read_bytes())["failures"]
    assert [os.fsencode(f["path"]) for f in failures] == [b"caf\xe9.txt"]
