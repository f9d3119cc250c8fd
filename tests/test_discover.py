"""Discovery: patterns, hidden entries, order, links, loops, lists of paths."""

from __future__ import annotations

import gzip
import io
import os
from pathlib import Path

from summarize.batch.discover import Rules, checked, from_list, walk


def _tree(root: Path) -> None:
    for rel in ("b.txt", "a.md", "c.html", "d.htm", "e.csv", "sub/z.txt", "sub/y.TXT", "sub/deeper/x.md"):
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("text\n")
    (root / "page.html.gz").write_bytes(gzip.compress(b"<p>hi</p>"))
    (root / ".hidden.txt").write_text("no")
    (root / ".git").mkdir()
    (root / ".git" / "x.txt").write_text("no")


def rels(root: Path, rules: Rules | None = None) -> list[str]:
    return [f.rel for f in walk(root, rules)]


def test_default_patterns_sorted_hidden_skipped(tmp_path: Path) -> None:
    _tree(tmp_path)
    assert rels(tmp_path) == [
        "a.md",
        "b.txt",
        "c.html",
        "d.htm",
        "page.html.gz",
        "sub/deeper/x.md",
        "sub/y.TXT",
        "sub/z.txt",
    ]


def test_glob_and_exclude(tmp_path: Path) -> None:
    _tree(tmp_path)
    assert rels(tmp_path, Rules(patterns=("*.txt",))) == ["b.txt", "sub/y.TXT", "sub/z.txt"]
    assert rels(tmp_path, Rules(patterns=("*.txt", "*.md"), excludes=("sub",))) == ["a.md", "b.txt"]
    assert rels(tmp_path, Rules(patterns=("sub/*.txt",))) == ["sub/y.TXT", "sub/z.txt"]
    assert "sub/deeper/x.md" not in rels(tmp_path, Rules(excludes=("deeper",)))


def test_walk_is_a_generator(tmp_path: Path) -> None:
    _tree(tmp_path)
    it = walk(tmp_path)
    assert next(it).rel == "a.md"


def test_broken_link_is_an_item_with_a_problem(tmp_path: Path) -> None:
    (tmp_path / "ok.txt").write_text("x")
    os.symlink("missing.txt", tmp_path / "broken.txt")
    found = list(walk(tmp_path))
    assert [f.rel for f in found] == ["broken.txt", "ok.txt"]
    assert found[0].problem is not None and "broken symbolic link" in found[0].problem
    assert found[1].problem is None


def test_symlink_loop_survived(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.txt").write_text("x")
    os.symlink("..", tmp_path / "sub" / "up")
    os.symlink("sub", tmp_path / "same")
    # "same" and "sub" are one folder, and "up" leads back to the root: each is walked once.
    assert rels(tmp_path) == ["same/a.txt"]


def test_outdir_inside_dir_is_pruned(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x")
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.txt.json").write_text("{}")
    (out / "notes.txt").write_text("x")
    assert rels(tmp_path, Rules(prune=(out,))) == ["a.txt"]


def test_from_list_rejects_escaping_paths(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x")
    found = list(from_list(tmp_path, io.StringIO("a.txt\n\n../etc/passwd\n/etc/passwd\nsub/../../x.txt\n")))
    assert found[0].rel == "a.txt"
    assert found[0].problem is None
    assert all(f.problem and "relative to DIR" in f.problem for f in found[1:])
    assert len(found) == 4


def test_checked_normalizes(tmp_path: Path) -> None:
    assert checked(tmp_path, "./sub/a.txt").rel == "sub/a.txt"
