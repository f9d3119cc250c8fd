from __future__ import annotations

from pathlib import Path

import pytest

from summarize.errors import PromptError
from summarize.prompts import TEMPLATE_NAMES, Prompts, default_prompts_dir


def test_shipped_prompts_load_and_render() -> None:
    p = Prompts.load()
    text = p.render(
        "article", title="T", article="Some {braces} and $dollars", language="ru", summary_language="en"
    )
    assert "Some {braces} and $dollars" in text


def test_missing_variable_is_named(tmp_path: Path) -> None:
    p = Prompts.load()
    with pytest.raises(PromptError, match=r"\$\{article\}"):
        p.render("article", title="T", language="ru", summary_language="en")


def test_missing_template_is_named(tmp_path: Path) -> None:
    (tmp_path / "system.md").write_text("x")
    with pytest.raises(PromptError, match=r"article\.md is missing"):
        Prompts.load(tmp_path)


def test_fingerprint_changes_with_any_template(tmp_path: Path) -> None:
    for name in TEMPLATE_NAMES:
        (tmp_path / f"{name}.md").write_text((default_prompts_dir() / f"{name}.md").read_text())
    same = Prompts.load(tmp_path).fingerprint
    assert same == Prompts.load().fingerprint
    (tmp_path / "reask.md").write_text("different ${errors}")
    assert Prompts.load(tmp_path).fingerprint != same
