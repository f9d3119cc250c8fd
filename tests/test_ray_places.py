"""The Ray engine's pieces that need no Ray: places, the object-store listing and sink, the shard
journal, and the command line's refusals."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from summarize.batch.discover import DEFAULT_PATTERNS, Rules, walk
from summarize.batch.ray_engine import shards
from summarize.batch.ray_engine.places import ObjectSink, Place, default_dest, listing, open_place
from summarize.batch.ray_engine.shards import ShardLog
from summarize.cli import app
from summarize.errors import InputError
from summarize.fsio import is_uri

pafs = pytest.importorskip("pyarrow.fs")


def bucket(root: Path) -> Place:
    """A folder dressed as object storage: the object-store code paths over a local file system."""
    return Place(f"mem://{root.name}", pafs.LocalFileSystem(), str(root), local=False)


def test_uris_and_default_destinations() -> None:
    assert is_uri("s3://bucket/news") and is_uri("gs://b/x") and is_uri("abfs://c@a/x")
    assert not is_uri("news/2024") and not is_uri("file:///tmp/news") and not is_uri("C:\\news")
    assert default_dest("s3://bucket/news/") == "s3://bucket/news.summaries"
    assert default_dest("/data/news") == "/data/news.summaries"
    folder = open_place("file:///tmp/news")
    assert folder.local and folder.root == "/tmp/news"


def test_an_object_store_listing_keeps_what_the_folder_walk_keeps(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    for rel in (
        "a.txt", "b.HTML", "c.json", ".hidden.txt", ".git/x.txt", "sub/d.md", "sub/.e.txt",
        "drafts/f.txt", "sub/drafts/g.txt", "deep/er/h.html.gz", "_underscore.txt",
    ):  # fmt: skip
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("x")
    rules = Rules(DEFAULT_PATTERNS, excludes=("drafts",))
    walked = [f.rel for f in walk(root, rules)]
    listed = [a.rel for a in listing(bucket(root), bucket(tmp_path / "elsewhere"), rules)]
    assert sorted(listed) == sorted(walked)
    assert "_underscore.txt" in listed and "sub/drafts/g.txt" not in listed


def test_a_dest_inside_src_is_not_listed(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    (root / "out").mkdir(parents=True)
    (root / "a.txt").write_text("x")
    (root / "out" / "a.txt.json.txt").write_text("x")
    dest = Place("mem://corpus/out", pafs.LocalFileSystem(), str(root / "out"), local=False)
    assert [a.rel for a in listing(bucket(root), dest, Rules())] == ["a.txt"]


def test_object_sink_refuses_names_that_escape_or_overwrite(tmp_path: Path) -> None:
    sink = ObjectSink(bucket(tmp_path))
    assert sink.target("sub/a.txt") == f"{tmp_path}/sub/a.txt.json"
    for bad in ("../a.txt", "sub//a.txt", "./a.txt", "run", "RUN", "batch-api/manifest", "Results/x"):
        with pytest.raises(InputError):
            sink.target(bad)
    target = sink.target("x.txt")
    assert sink.read(target) is None
    sink.write(target, "{}")
    assert sink.read(target) == "{}"


def test_reading_objects_fails_like_reading_files(tmp_path: Path) -> None:
    place = bucket(tmp_path)
    (tmp_path / "big.txt").write_bytes(b"x" * 100)
    assert place.read_bytes(str(tmp_path / "big.txt"), "mem://big.txt", 100) == b"x" * 100
    with pytest.raises(InputError, match="over the 99-byte limit"):
        place.read_bytes(str(tmp_path / "big.txt"), "mem://big.txt", 99)
    with pytest.raises(InputError, match=r"mem://none\.txt: no such file"):
        place.read_bytes(str(tmp_path / "none.txt"), "mem://none.txt", 99)


def record(path: str, status: str = "ok", key: str = "k") -> dict[str, object]:
    return {"path": path, "status": status, "result": None, "error": None, "key": key}


def test_shards_resume_and_compact_to_one_line_per_article(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shards, "FLUSH_LINES", 2)
    place = bucket(tmp_path)
    first = ShardLog(place)
    assert first.open().done == {}
    for rec in (record("a", "failed", "ka"), record("b", key="kb"), record("c", key="kc")):
        first.append(rec)
    assert len(first.shards()) == 1  # two lines flushed, one buffered
    first.close()
    assert len(first.shards()) == 2

    second = ShardLog(place)
    index = second.open()
    assert index.done == {"b": "kb", "c": "kc"} and (index.lines, index.paths) == (3, 3)
    second.append(record("a", key="ka"))
    assert second.needs_compaction
    second.compact()
    second.close()
    (only,) = second.shards()
    kept = [json.loads(line) for line in Path(only).read_text().splitlines()]
    assert sorted((r["path"], r["status"]) for r in kept) == [("a", "ok"), ("b", "ok"), ("c", "ok")]
    third = ShardLog(place)
    assert third.open().done == {"a": "ka", "b": "kb", "c": "kc"}
    third.close()


def test_engine_ray_without_ray_is_one_line_naming_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` fails as if not installed
    args = ["batch", str(tmp_path), "--engine", "ray", "--base-url", "http://127.0.0.1:9/v1", "--model", "m"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "pip install 'summarize[ray]'" in errors[0]
    assert "Traceback" not in result.output


def test_ray_only_options_are_usage_errors_with_threads(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["batch", "s3://bucket/news"]).exit_code == 2
    assert runner.invoke(app, ["batch", str(tmp_path), "-o", "s3://bucket/out"]).exit_code == 2
    assert runner.invoke(app, ["batch", str(tmp_path), "--workers", "2"]).exit_code == 2
    assert runner.invoke(app, ["batch", "s3://b/n", "--engine", "ray", "--dry-run"]).exit_code == 2
