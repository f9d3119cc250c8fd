"""Is this text an article at all? Refuse source code, CSV/TSV tables and JSON data.

General rules, measured on every article of the BBC, FRANK and PolNeAR sets (none is
refused; docs/RELIABILITY.md):

- JSON: the whole text parses as a JSON object or array.
- A line is *code* when it opens with a keyword of a programming language or a comment
  marker; is a lone brace or bracket, an assignment (`name = ...`) or a quoted list item;
  ends with `{`, `;`, `[`, `=` or `):`; holds an operator no prose uses (`==`, `!=`, `->`,
  `=>`, `::`, `()`, `self.x`, `&&`, `||`); or is indented in a text with two or more
  indentation depths.
- A line is *data* when it has two or more delimiters (`,` `;` `\\t` `|`), the same count
  as the line next to it, and short cells: the rows of a table.
- The text is refused when code and data lines are half of its lines or more (counted
  over at least three lines) and no other line is a paragraph of 200+ characters, or when
  letters are under half of its visible characters.

A real article with a long table or code listing can still be sent with `--raw`.
"""

from __future__ import annotations

import json
import re

_CODE_START = re.compile(
    r"^\s*(def |class |import |from [\w.]+ import |return\b|elif\b|else:|try:|except\b|finally:"
    r"|async def |with .*:$|if .*:$|for .*:$|while .*:$|#include\b|#!/|#define\b|function\b"
    r"|var |const |let |public |private |protected |static |package |using |namespace "
    r"|fn |impl |struct |enum |interface |SELECT |INSERT |UPDATE |CREATE TABLE|<\?php|@\w+)"
)
_CODE_END = re.compile(r"(\{|;|\):|\) \{|\[|=)\s*$")
_CODE_LONE = re.compile(r"^\s*([{}()\[\];,]+|[\w.]+ = .*|[\"'][^\"']*[\"'],)\s*$")
_CODE_OPS = re.compile(r"==|!=|->|=>|::|\(\)|\bself\.\w|\bthis\.\w|&&|\|\||\+=|-=")
_CODE_COMMENT = re.compile(r"^\s*(#|//|/\*|\*/|\"\"\"|''')")
_INDENTED = re.compile(r"^( {2,}|\t)\S")
_DELIMITERS = (",", ";", "\t", "|")
_MIN_LINES = 3
_MAX_MARKED_SHARE = 0.5
_MIN_LETTER_SHARE = 0.5
_MAX_CELL_CHARS = 40
# A line this long that is neither code nor a table row is prose no source file or table has.
_PARAGRAPH_CHARS = 200


def non_article_reason(text: str) -> str | None:
    """Why TEXT is not an article ("source code", "a CSV/TSV table", ...), or None when it may be one."""
    stripped = text.strip()
    if stripped[:1] in "{[" and _is_json(stripped):
        return "JSON data"
    visible = [ch for ch in stripped if not ch.isspace()]
    if len(visible) >= 20 and sum(ch.isalpha() for ch in visible) < _MIN_LETTER_SHARE * len(visible):
        return "mostly digits and symbols"
    lines = [line for line in text.split("\n") if line.strip()]
    if len(lines) < _MIN_LINES:
        return None
    widths = {len(line) - len(line.lstrip(" \t")) for line in lines}
    nested = len(widths - {0}) >= 2  # two or more indentation depths: a block structure
    code = [_is_code(line) or (nested and bool(_INDENTED.match(line))) for line in lines]
    data = _data_lines(lines)
    marked = [c or d for c, d in zip(code, data, strict=True)]
    if sum(marked) < _MAX_MARKED_SHARE * len(lines):
        return None
    if any(len(line) >= _PARAGRAPH_CHARS and not m for line, m in zip(lines, marked, strict=True)):
        return None  # a real paragraph: an article with some markup or a table in it
    return "source code" if sum(code) >= sum(data) else "a CSV/TSV table"


def _is_json(text: str) -> bool:
    try:
        return isinstance(json.loads(text), (dict, list))
    except ValueError:
        return False


def _is_code(line: str) -> bool:
    return bool(
        _CODE_START.match(line)
        or _CODE_END.search(line)
        or _CODE_LONE.match(line)
        or _CODE_OPS.search(line)
        or _CODE_COMMENT.match(line)
    )


def _shape(line: str) -> tuple[int, ...] | None:
    """Delimiter counts of a table row, or None when LINE cannot be one."""
    shape = tuple(line.count(d) for d in _DELIMITERS)
    cells = max(shape) + 1
    if cells < 3 or len(line) / cells > _MAX_CELL_CHARS:
        return None
    return shape


def _data_lines(lines: list[str]) -> list[bool]:
    """Which lines are rows of a table: a row shape shared with the line before or after."""
    shapes = [_shape(line) for line in lines]
    rows = [False] * len(lines)
    for i in range(1, len(lines)):
        if shapes[i] is not None and shapes[i] == shapes[i - 1]:
            rows[i] = rows[i - 1] = True
    return rows
