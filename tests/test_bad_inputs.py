"""The bad-input matrix: every way an input file can be wrong, for `file` and inside `batch`.

Each bad case must end as one `Error: ...` line that says what to do (exit 1, no
traceback, no model request) for `summarize file`, and as a `failed` line with a reason
in results.jsonl for `summarize batch`, with every other article unaffected.
docs/RELIABILITY.md lists the matrix with its outcomes.
"""

from __future__ import annotations

import io
import json
import os
import pathlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from summarize.batch import BatchConfig, run_batch
from summarize.batch.store import output_path
from summarize.cli import app
from summarize.config import Settings
from summarize.errors import InputError
from summarize.testing import FakeOpenAIServer, echo_responder

runner = CliRunner()
ARTICLE = (
    "Council approves harbour tram\n\n"
    "The city council approved a tram line to the harbour on Monday. "
    "The mayor said the line would open in 2027 and cut journey times by half.\n"
)
BOILERPLATE = "Share this article:\n-\nWorld2 days ago\nSome other headline\n© 2024 All rights reserved\n"
CSV = "name,city,role,party\n" + "".join(f"Person {n},Town {n},councillor,Green\n" for n in "ABCDEFGHIJ")
NUMBERS = "date,units,price\n" + "".join(f"2024-01-{d:02d},{d * 7},{d * 1.5}\n" for d in range(1, 30))
CODE = Path(__file__).with_name("conftest.py").read_text(encoding="utf-8")
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
# Valid UTF-8 with real multi-byte characters and one broken sequence: no charset fits it.
BROKEN_UTF8 = ("Le café coûte 3 €. Le maire a dit « oui ». " * 12).encode() + b"\xff\xfe" + b" Fin.\n"
BIG = 60 * 1024 * 1024


@pytest.fixture
def echo() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(responder=echo_responder) as srv:
        yield srv


def endpoint(server: FakeOpenAIServer) -> list[str]:
    return ["--base-url", server.base_url, "--model", "m", "--max-retries", "0"]


def make_bad(root: Path) -> dict[str, str]:
    """Write every bad file under ROOT; return {relative path: what its error must say}."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "empty.txt").write_bytes(b"")
    (root / "whitespace.txt").write_bytes(b"  \n\t\r\n   \n")
    (root / "image.txt").write_bytes(PNG)
    (root / "random.txt").write_bytes(os.urandom(4096))
    (root / "boilerplate.txt").write_text(BOILERPLATE, encoding="utf-8")
    (root / "table.txt").write_text(CSV, encoding="utf-8")
    (root / "numbers.txt").write_text(NUMBERS, encoding="utf-8")
    (root / "data.txt").write_text('{"items": [{"id": 1, "name": "a"}], "total": 1}\n', encoding="utf-8")
    (root / "source.txt").write_text(CODE, encoding="utf-8")
    with (root / "huge.txt").open("wb") as fh:
        fh.truncate(BIG)  # sparse: 60 MB that cost nothing to write
    os.symlink("nowhere.txt", root / "broken.txt")
    os.symlink("loop-b.txt", root / "loop-a.txt")
    os.symlink("loop-a.txt", root / "loop-b.txt")
    return {
        "empty.txt": "is empty. Give an article with some text",
        "whitespace.txt": "is empty. Give an article with some text",
        "image.txt": "binary file (PNG image), not an article. Give a text, Markdown or HTML file",
        "random.txt": "binary file",
        "boilerplate.txt": "no article text found",
        "table.txt": "does not look like a news article (a CSV/TSV table)",
        "numbers.txt": "does not look like a news article (mostly digits and symbols)",
        "data.txt": "does not look like a news article (JSON data)",
        "source.txt": "does not look like a news article (source code)",
        "huge.txt": f"is {BIG:,} bytes, over the 5,242,880-byte limit. Split the file or raise --max-bytes",
        "broken.txt": "broken symbolic link to nowhere.txt. Fix or remove the link",
        "loop-a.txt": "loop of symbolic links. Fix or remove the link",
        "loop-b.txt": "loop of symbolic links. Fix or remove the link",
    }


def make_odd_names(root: Path) -> list[str]:
    """Real articles with awkward names: spaces, unicode, a leading dash, a newline."""
    names = ["with spaces.txt", "ünïcødé 新闻.txt", "-x.txt", "new\nline.txt"]
    for name in names:
        (root / name).write_text(ARTICLE, encoding="utf-8")
    return names


def assert_one_error_line(result: Any, expected: str) -> None:
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ") and lines[0].endswith(".")
    assert expected in lines[0]
    assert "Traceback" not in result.output


# --- summarize file ----------------------------------------------------------------------------


def test_file_bad_inputs_fail_with_one_line_and_no_request(tmp_path: Path, echo: FakeOpenAIServer) -> None:
    cases = make_bad(tmp_path)
    (tmp_path / "folder").mkdir()
    cases["folder"] = "is a directory. Use `summarize batch"
    cases["missing.txt"] = "no such file. Check the path"
    for rel, expected in cases.items():
        result = runner.invoke(app, ["file", str(tmp_path / rel), *endpoint(echo)])
        assert_one_error_line(result, expected)
    assert echo.requests == []


def test_huge_file_is_refused_from_its_size_without_reading_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_bad(tmp_path)
    opened: list[str] = []
    real_open = pathlib.Path.open

    def spy(self: Path, *args: Any, **kw: Any) -> Any:
        opened.append(self.name)
        return real_open(self, *args, **kw)

    monkeypatch.setattr(pathlib.Path, "open", spy)
    result = runner.invoke(app, ["text", str(tmp_path / "huge.txt")])
    assert_one_error_line(result, "over the 5,242,880-byte limit")
    assert "huge.txt" not in opened


def test_verbose_shows_the_traceback_for_bad_input(tmp_path: Path) -> None:
    make_bad(tmp_path)
    result = runner.invoke(app, ["text", str(tmp_path / "image.txt"), "--verbose"])
    assert result.exit_code == 1 and "Traceback" in result.stderr


def test_invalid_utf8_is_kept_with_replacement_marks(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "broken-utf8.txt"
    path.write_bytes(BROKEN_UTF8)
    result = runner.invoke(app, ["text", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Le café coûte 3 €.") and "\ufffd" in result.stdout
    assert "2 invalid UTF-8 byte(s) replaced by U+FFFD" in caplog.text


def test_undecodable_bytes_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "noise.txt"
    path.write_bytes(os.urandom(4000).replace(b"\x00", b"\x01"))
    assert_one_error_line(runner.invoke(app, ["text", str(path)]), "binary file")


def test_csv_and_code_pass_with_raw(tmp_path: Path) -> None:
    make_bad(tmp_path)
    for rel in ("table.txt", "source.txt"):
        result = runner.invoke(app, ["text", str(tmp_path / rel), "--raw"])
        assert result.exit_code == 0, result.output


def _deny_reading(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Root reads anything: make opening NAME fail as chmod 000 does for anyone else."""
    real_open = pathlib.Path.open

    def denied(self: Path, *args: Any, **kw: Any) -> Any:
        if self.name == name:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kw)

    monkeypatch.setattr(pathlib.Path, "open", denied)


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "locked.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    path.chmod(0)
    if os.geteuid() == 0:  # root reads anything: simulate what chmod 000 does to anyone else
        _deny_reading(monkeypatch, "locked.txt")
    result = runner.invoke(app, ["text", str(path)])
    assert_one_error_line(result, "permission denied. Make the file readable")


def test_odd_file_names_work(tmp_path: Path, echo: FakeOpenAIServer) -> None:
    names = make_odd_names(tmp_path)
    for name in names:
        out = tmp_path / "out" / f"{name}.json"
        args = ["file", str(tmp_path / name), "-o", str(out), *endpoint(echo)]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (name, result.output)
        assert json.loads(out.read_text(encoding="utf-8"))["source"]["path"] == str(tmp_path / name)
    # A leading dash is an option unless after `--` or written ./-x.txt; the option is a usage error.
    os.chdir(tmp_path)
    assert runner.invoke(app, ["text", "--", "-x.txt"]).exit_code == 0
    assert runner.invoke(app, ["text", "./-x.txt"]).exit_code == 0
    assert runner.invoke(app, ["text", "-x.txt"]).exit_code == 2


def test_error_about_a_name_with_a_newline_stays_one_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["text", str(tmp_path / "no\nsuch.txt")])
    assert_one_error_line(result, "no\\nsuch.txt: no such file")


# --- summarize batch -----------------------------------------------------------------------------


def records(out: Path) -> dict[str, dict[str, Any]]:
    text = (out / "results.jsonl").read_text(encoding="utf-8")
    assert text.endswith("\n")
    recs = [json.loads(line) for line in text.splitlines()]
    by_path = {r["path"]: r for r in recs}
    assert len(by_path) == len(recs), "duplicate lines"
    return by_path


def test_batch_bad_inputs_are_failed_lines_and_others_unaffected(
    tmp_path: Path, echo: FakeOpenAIServer
) -> None:
    root, out = tmp_path / "in", tmp_path / "out"
    cases = make_bad(root)
    good = make_odd_names(root)
    (root / "plain.txt").write_text(ARTICLE, encoding="utf-8")
    good.append("plain.txt")
    result = runner.invoke(app, ["batch", str(root), "-o", str(out), "-q", *endpoint(echo)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    by_path = records(out)
    assert set(by_path) == set(cases) | set(good)
    for rel, expected in cases.items():
        rec = by_path[rel]
        assert rec["status"] == "failed" and rec["result"] is None, rel
        assert rel in rec["error"] and expected.split(". ")[0] in rec["error"], rec["error"]
        assert not (out / f"{rel}.json").exists()
    for rel in good:
        assert by_path[rel]["status"] == "ok", by_path[rel]
        assert json.loads((out / f"{rel}.json").read_text(encoding="utf-8"))["summary"]
    assert len(echo.requests) == len(good)  # no request for any bad file


def test_batch_unreadable_file(
    tmp_path: Path, echo: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, out = tmp_path / "in", tmp_path / "out"
    root.mkdir()
    (root / "ok.txt").write_text(ARTICLE, encoding="utf-8")
    (root / "locked.txt").write_text(ARTICLE, encoding="utf-8")
    (root / "locked.txt").chmod(0)
    if os.geteuid() == 0:
        _deny_reading(monkeypatch, "locked.txt")
    stats = run_batch(BatchConfig(root=root, outdir=out), Settings(base_url=echo.base_url, model="m"))
    assert (stats.ok, stats.failed) == (1, 1)
    assert "permission denied" in records(out)["locked.txt"]["error"]


def test_batch_listed_paths_never_escape_outdir(tmp_path: Path, echo: FakeOpenAIServer) -> None:
    root, out, outside = tmp_path / "in", tmp_path / "out", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "ok.txt").write_text(ARTICLE, encoding="utf-8")
    (root / "folder").mkdir()
    (outside / "a.txt").write_text(ARTICLE, encoding="utf-8")
    (tmp_path / "x.txt").write_text(ARTICLE, encoding="utf-8")
    os.symlink(outside, root / "linked")  # a folder of DIR that points outside it
    listing = "\n".join(
        ["ok.txt", "missing.txt", "folder", "../x.txt", "/etc/passwd", "a/../../x.txt", "linked/a.txt"]
    )
    config = BatchConfig(root=root, outdir=out, from_file=io.StringIO(listing + "\n"))
    stats = run_batch(config, Settings(base_url=echo.base_url, model="m"))
    by_path = records(out)
    assert {p for p, r in by_path.items() if r["status"] == "ok"} == {"ok.txt", "linked/a.txt"}
    assert stats.failed == 5
    assert "no such file" in by_path["missing.txt"]["error"]
    assert "is a directory" in by_path["folder"]["error"]
    for bad in ("../x.txt", "/etc/passwd", "a/../../x.txt"):
        assert "relative to DIR" in by_path[bad]["error"]
    assert (out / "linked" / "a.txt.json").is_file()  # written inside OUTDIR, not through the link
    assert sorted(p.name for p in outside.iterdir()) == ["a.txt"]
    assert not (tmp_path / "x.txt.json").exists() and not Path("/etc/passwd.json").exists()


def test_symlink_inside_outdir_cannot_carry_an_output_out(tmp_path: Path, echo: FakeOpenAIServer) -> None:
    root, out, outside = tmp_path / "in", tmp_path / "out", tmp_path / "outside"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "a.txt").write_text(ARTICLE, encoding="utf-8")
    (root / "b.txt").write_text(ARTICLE, encoding="utf-8")
    out.mkdir()
    outside.mkdir()
    os.symlink(outside, out / "sub")  # planted before the run
    with pytest.raises(InputError, match="symbolic link"):
        output_path(out, "sub/a.txt")
    stats = run_batch(BatchConfig(root=root, outdir=out), Settings(base_url=echo.base_url, model="m"))
    assert (stats.ok, stats.failed) == (1, 1)
    assert "symbolic link out of the output folder" in records(out)["sub/a.txt"]["error"]
    assert list(outside.iterdir()) == []
