"""Load and render the prompt templates in prompts/*.md.

Templates use `${name}` placeholders (string.Template), so articles and JSON
examples may contain braces freely; a placeholder without a value is an error
that names it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from string import Template

from summarize.errors import PromptError

TEMPLATE_NAMES = (
    "system",
    "article",
    "reask",
    "repair",
    "merge",
    "pass_system",
    "pass_topic",
    "pass_position",
    "pass_statement",
)


def default_prompts_dir() -> Path:
    """The prompts shipped with the package (wheel), or the repository's prompts/ (editable)."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "prompts", here.parent / "prompts"):
        if (candidate / "system.md").is_file():
            return candidate
    raise PromptError(f"no prompts found next to {here}. Reinstall summarize or pass --prompts DIR")


@dataclass(frozen=True)
class Prompts:
    """The loaded templates; render them by name."""

    templates: dict[str, str]
    source: str

    @classmethod
    def load(cls, directory: Path | str | None = None) -> Prompts:
        """Read every template from DIRECTORY (default: the shipped prompts)."""
        root = Path(directory) if directory is not None else default_prompts_dir()
        if not root.is_dir():
            raise PromptError(f"prompts directory {root} does not exist. Check --prompts")
        templates: dict[str, str] = {}
        for name in TEMPLATE_NAMES:
            path = root / f"{name}.md"
            try:
                templates[name] = path.read_text(encoding="utf-8")
            except OSError:
                raise PromptError(
                    f"prompt template {path} is missing. Copy it from the shipped prompts/ folder"
                ) from None
        return cls(templates=templates, source=str(root))

    @property
    def fingerprint(self) -> str:
        """A hash of every template: part of the batch cache key."""
        h = hashlib.sha256()
        for name in TEMPLATE_NAMES:
            h.update(name.encode())
            h.update(self.templates[name].encode())
        return h.hexdigest()

    def render(self, name: str, **values: str) -> str:
        """Fill template NAME; a placeholder without a value raises PromptError naming it."""
        try:
            return Template(self.templates[name]).substitute(values)
        except KeyError as exc:
            raise PromptError(
                f"prompt template {name}.md needs ${{{exc.args[0]}}}, which the program does not "
                "provide. Remove the placeholder or use one of: " + ", ".join(sorted(values))
            ) from None
        except ValueError as exc:
            raise PromptError(f"prompt template {name}.md is malformed ({exc}). Escape $ as $$") from None


_DELIMITER = re.compile(r"<(/?)\s*article\s*>", re.I)


def as_data(text: str) -> str:
    """Defuse article delimiters inside an article so it cannot close its own block."""
    return _DELIMITER.sub(lambda m: f"<{m.group(1)} article>", text)
