"""summarize.ingest.sniff: source code, tables and JSON are not articles; prose always is."""

from __future__ import annotations

import pytest

from summarize.ingest.sniff import non_article_reason
from tests.fakes import ARTICLE

CODE = """import os

def main():
    for name in os.listdir("."):
        if name.endswith(".py"):
            print(name)
    return 0
"""
CSV = "name,party,state\nJohn Smith,Democrat,Ohio\nMary Jones,Republican,Texas\nAnn Lee,Green,Maine\n"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (CODE, "source code"),
        (CSV, "table"),
        ('{"summary": "x", "actors": []}', "JSON"),
        ("1234 5678 9012 3456 !!!! #### 0000 %%%%", "digits and symbols"),
    ],
)
def test_non_articles_are_named(text: str, reason: str) -> None:
    found = non_article_reason(text)
    assert found is not None and reason in found


def test_prose_is_an_article() -> None:
    assert non_article_reason(ARTICLE) is None
    assert non_article_reason("Short note.") is None


def test_an_article_that_quotes_a_line_of_code_is_still_an_article() -> None:
    text = ARTICLE + '\nThe hacker typed "rm -rf /" and the servers went dark, police said.\n'
    assert non_article_reason(text) is None
