"""An installed wheel must find its prompts and the report's assets: they ship inside the package."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from summarize.prompts import TEMPLATE_NAMES

pytestmark = pytest.mark.slow  # builds a wheel

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_ships_every_prompt(tmp_path: Path) -> None:
    pytest.importorskip("hatchling")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation",
         "-q", "-w", str(tmp_path)],
        check=True, capture_output=True,
    )  # fmt: skip
    (wheel,) = tmp_path.glob("summarize-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in TEMPLATE_NAMES:
        assert f"summarize/prompts/{name}.md" in names
    assert "summarize/testing/__init__.py" in names
    # The HTML report reads its template, style and scripts with importlib.resources.
    from summarize.output.report import SCRIPTS

    for asset in ("report.html", "report.css", *SCRIPTS):
        assert f"summarize/output/assets/{asset}" in names
