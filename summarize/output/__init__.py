"""Views of finished work for people and tools: a SQLite database and a single-file HTML report.

corpus.py reads a batch's output folder (and re-reads the article texts), crossref.py
resolves actors across articles, topics.py groups stance topics, sqlite.py and report.py
write the two outputs. docs/REPORT.md describes both.
"""
