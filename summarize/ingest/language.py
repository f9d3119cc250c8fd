"""Which language an article is in: `detect_language(text)` -> ISO 639-1 code.

The detector is py3langid (langid.py's naive Bayes model over byte n-grams, 97 languages,
the model inside its wheel, no download): on the news texts of benchmarks/language_detection.py
it was right on every ru, uk, en and be text from 200 characters on, where fastText's lite
model took Belarusian for Ukrainian or Russian one time in ten. Its model takes about a second
to load, so it is imported on the first article that needs it, never by `--help`, `text` or an
article whose language is given (`--language`).
"""

from __future__ import annotations

import re

SAMPLE_CHARS = 1000
"""How much of the article the detector reads: its title and lead are enough, and the
time grows with the length."""
_MIN_LETTERS = 3
_LETTER = re.compile(r"[^\W\d_]")


def detect_language(text: str) -> str | None:
    """The ISO 639-1 code of TEXT's language; None when it has too few letters to tell, or
    the detector's answer is not an ISO 639-1 code."""
    sample = " ".join(text[:SAMPLE_CHARS].split())
    if len(_LETTER.findall(sample)) < _MIN_LETTERS:
        return None
    import py3langid  # loads its model on the first call

    code = str(py3langid.classify(sample)[0])
    return code if len(code) == 2 else None
