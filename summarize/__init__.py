"""summarize: validated, grounded, structured digests of news articles.

    >>> from summarize import summarize_file
    >>> result = summarize_file("article.txt")          # embedded local model
    >>> result.claims[0].evidence.quote

Names are imported lazily so that `summarize --help` stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from summarize.api import summarize_file, summarize_text
    from summarize.config import Settings
    from summarize.errors import (
        ContextLengthError,
        InputError,
        ModelConnectionError,
        ModelHTTPError,
        SummarizeError,
        UnexpectedModelBehavior,
        UserError,
    )
    from summarize.pipeline import Summarizer
    from summarize.schemas import Actor, ArticleSummary, Claim, Dropped, Evidence, Stance, Usage

__version__ = "0.1.0"

_EXPORTS = {
    "summarize_text": "summarize.api",
    "summarize_file": "summarize.api",
    "Settings": "summarize.config",
    "Summarizer": "summarize.pipeline",
    "ContextLengthError": "summarize.errors",
    "SummarizeError": "summarize.errors",
    "UserError": "summarize.errors",
    "InputError": "summarize.errors",
    "ModelHTTPError": "summarize.errors",
    "ModelConnectionError": "summarize.errors",
    "UnexpectedModelBehavior": "summarize.errors",
    "ArticleSummary": "summarize.schemas",
    "Actor": "summarize.schemas",
    "Stance": "summarize.schemas",
    "Claim": "summarize.schemas",
    "Evidence": "summarize.schemas",
    "Dropped": "summarize.schemas",
    "Usage": "summarize.schemas",
}
__all__ = [
    "Actor",
    "ArticleSummary",
    "Claim",
    "ContextLengthError",
    "Dropped",
    "Evidence",
    "InputError",
    "ModelConnectionError",
    "ModelHTTPError",
    "Settings",
    "Stance",
    "SummarizeError",
    "Summarizer",
    "UnexpectedModelBehavior",
    "Usage",
    "UserError",
    "summarize_file",
    "summarize_text",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'summarize' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
