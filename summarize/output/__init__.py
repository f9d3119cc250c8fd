"""What the pipeline's results become for people and tools.

render.py renders one ArticleSummary as JSON or Markdown. The rest reads a finished batch
back: corpus.py (results.jsonl, run.json and the re-read article texts), crossref.py
(actors resolved across articles), topics.py (stance topics grouped across articles),
sqlite.py (the SQLite export) and report.py with assets/ (the single-file HTML report).
docs/REPORT.md describes the export and the report.
"""
