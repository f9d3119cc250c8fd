"""The command line, through typer's CliRunner and as a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from summarize.cli import app
from summarize.testing import FakeOpenAIServer, Reply, ok
from tests.fakes import ARTICLE, ARTICLE_PATH, draft_json

runner = CliRunner()


def endpoint(server: FakeOpenAIServer) -> list[str]:
    return ["--base-url", server.base_url, "--model", "m", "--max-retries", "2"]


def test_file_prints_a_grounded_summary(server: FakeOpenAIServer) -> None:
    server.enqueue(ok(draft_json()))
    result = runner.invoke(app, ["file", str(ARTICLE_PATH), *endpoint(server)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) >= {"summary", "actors", "stances", "claims", "source", "model", "usage"}
    text = runner.invoke(app, ["text", str(ARTICLE_PATH)]).stdout
    for item in data["claims"] + data["stances"]:
        ev = item["evidence"]
        assert text[ev["start"] : ev["end"]] == ev["quote"]


def test_file_reads_stdin_and_writes_output(server: FakeOpenAIServer, tmp_path) -> None:  # type: ignore[no-untyped-def]
    server.enqueue(ok(draft_json()))
    out = tmp_path / "sub" / "out.json"
    result = runner.invoke(app, ["file", "-", "-o", str(out), *endpoint(server)], input=ARTICLE)
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["source"]["path"] == "-"


def test_markdown_digest(server: FakeOpenAIServer) -> None:
    server.enqueue(ok(draft_json()))
    result = runner.invoke(app, ["file", str(ARTICLE_PATH), "--format", "markdown", *endpoint(server)])
    assert result.exit_code == 0
    assert "## Claims" in result.stdout and "**Tomas Ekberg**" in result.stdout


def test_failure_is_one_error_line_and_exit_1(server: FakeOpenAIServer) -> None:
    server.enqueue(Reply(401, {"error": {"message": "invalid api key"}}))
    result = runner.invoke(app, ["file", str(ARTICLE_PATH), *endpoint(server)])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "OPENAI_API_KEY" in lines[0]
    assert "Traceback" not in result.output


def test_verbose_shows_the_traceback(server: FakeOpenAIServer) -> None:
    server.enqueue(Reply(401, {"error": {"message": "invalid api key"}}))
    result = runner.invoke(app, ["file", str(ARTICLE_PATH), *endpoint(server), "--verbose"])
    assert result.exit_code == 1 and "Traceback" in result.stderr


def test_missing_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(
        app, ["file", str(tmp_path / "nope.txt"), "--base-url", "http://127.0.0.1:9/v1", "--model", "m"]
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and "no such file" in result.stderr


def test_usage_error_exits_2() -> None:
    assert runner.invoke(app, ["file"]).exit_code == 2
    assert runner.invoke(app, ["file", "x.txt", "--mode", "telepathy"]).exit_code == 2
    assert runner.invoke(app, ["file", "x.txt", "--ctx", "100"]).exit_code == 2
    assert runner.invoke(app, ["file", "x.txt", "--threads", "0"]).exit_code == 2


def test_hosted_endpoint_without_key_names_the_env_var() -> None:
    result = runner.invoke(app, ["file", str(ARTICLE_PATH), "--base-url", "https://api.openai.com/v1"])
    assert result.exit_code == 1
    assert "Set OPENAI_API_KEY" in result.stderr


def test_api_key_is_never_printed(server: FakeOpenAIServer) -> None:
    secret = "sk-test-SECRET-1234567890"
    server.enqueue(Reply(401, {"error": {"message": "bad key"}}))
    result = runner.invoke(
        app, ["file", str(ARTICLE_PATH), *endpoint(server), "--api-key", secret, "--verbose"]
    )
    assert secret not in result.output
    headers = {k.lower(): v for k, v in server.headers_seen[0].items()}
    assert headers["authorization"] == f"Bearer {secret}"


def test_schema_prints_the_output_schema() -> None:
    result = runner.invoke(app, ["schema"])
    schema = json.loads(result.stdout)
    assert {"summary", "actors", "stances", "claims", "source", "model", "usage"} <= set(schema["required"])


def test_text_prints_what_the_model_sees() -> None:
    result = runner.invoke(app, ["text", str(ARTICLE_PATH)])
    assert result.exit_code == 0
    assert result.stdout.strip() == ARTICLE


def test_prompts_override(server: FakeOpenAIServer, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from summarize.prompts import default_prompts_dir

    for f in default_prompts_dir().glob("*.md"):
        (tmp_path / f.name).write_text(f.read_text())
    (tmp_path / "system.md").write_text("CUSTOM SYSTEM PROMPT ${schema}")
    server.enqueue(ok(draft_json()))
    result = runner.invoke(app, ["file", str(ARTICLE_PATH), *endpoint(server), "--prompts", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert server.requests[0]["messages"][0]["content"].startswith("CUSTOM SYSTEM PROMPT")


@pytest.mark.slow
def test_help_does_not_import_the_openai_sdk() -> None:
    code = "import sys; from summarize.cli import app; sys.argv=['summarize','--help']\n"
    code += "try:\n    app()\nexcept SystemExit:\n    pass\n"
    code += "print('openai' in sys.modules, 'llama_cpp' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().endswith("False False")


@pytest.mark.slow
@pytest.mark.parametrize("args", [["--help"], ["file", "--help"], ["text", "--help"]])
def test_python_dash_m_works(args: list[str]) -> None:
    out = subprocess.run([sys.executable, "-m", "summarize", *args], capture_output=True, text=True)
    assert out.returncode == 0 and "Usage" in out.stdout


def test_a_bug_shows_its_traceback_and_says_it_is_a_bug(monkeypatch: pytest.MonkeyPatch) -> None:
    from summarize.pipeline import Summarizer

    def broken(self: Summarizer, path: str) -> None:
        raise KeyError("oops")

    monkeypatch.setattr(Summarizer, "load", broken)
    result = runner.invoke(app, ["file", "x.txt", "--base-url", "http://127.0.0.1:9/v1", "--model", "m"])
    assert result.exit_code == 1
    assert "Traceback" in result.stderr and "KeyError" in result.stderr
    assert (
        result.stderr.strip().splitlines()[-1].startswith("Error: internal error (KeyError). This is a bug")
    )


def test_an_output_that_cannot_be_written_is_one_error_line(server: FakeOpenAIServer, tmp_path) -> None:  # type: ignore[no-untyped-def]
    server.enqueue(ok(draft_json()))
    target = tmp_path / "missing-dir-is-a-file"
    target.write_text("x")
    result = runner.invoke(
        app, ["file", str(ARTICLE_PATH), "-o", str(target / "out.json"), *endpoint(server)]
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: cannot write") and "Traceback" not in result.stderr
