"""Word lists of news English: titles, honorifics, reporting verbs, hedges, quote marks.

One list per idea, used by drafting, actor resolution, grounding, chunking, evaluation and
the fakes. Everything is lower case unless it is a character set.
"""

from __future__ import annotations

import re


def _words(block: str) -> frozenset[str]:
    return frozenset(block.split())


HONORIFICS = _words("mr mrs ms miss mx dr prof professor sir dame lord lady")
"""Words that make the next capitalised word a person's name."""

TITLES = HONORIFICS | _words(
    """president vice prime minister commissioner chancellor secretary senator sen rep
    representative congressman congresswoman governor gov mayor king queen prince princess
    emperor pope cardinal bishop rev reverend sheikh imam rabbi general gen colonel col
    lieutenant lt captain capt admiral commander chief justice judge ambassador envoy
    spokesman spokeswoman spokesperson spokesmen deputy former acting premier chairman
    chairwoman chair ceo director leader mp mep attorney speaker candidate nominee officer
    coach manager"""
)
"""Words that make a name a title form ("President Putin", "Sen. Warren")."""

PERSON_TITLES = HONORIFICS | _words(
    """president senator sen rep governor gov mayor minister secretary chancellor general gen
    judge justice ambassador spokesman spokeswoman spokesperson"""
)
"""Titles that only a person carries: a capitalised name after one is a person's."""

CONNECTORS = _words("of for the and de du der den la le da di del von van al bin")
"""Lower-case words that may sit inside a proper name ("Bank of England", "Ludwig van Beethoven")."""

PRONOUNS = _words(
    """i me my mine we us our ours you your yours he him his she her hers they them their
    theirs it its this that these those who whom whose which what one someone somebody
    anyone everyone everybody nobody himself herself themselves itself myself ourselves
    yourself"""
)

NAME_STOPWORDS = PRONOUNS | _words(
    """a an the and but or if in on at of for to by with from as after before when while
    there here mr mrs ms dr sir prof president minister however meanwhile also yet still so
    then monday tuesday wednesday thursday friday saturday sunday january february march
    april may june july august september october november december today yesterday tomorrow
    according reuters ap afp bbc update updated read share click"""
)
"""Capitalised words that open a sentence or a heading without being part of a name."""

REPORTER = _words("reporter author article journalist writer narrator editor editorial newspaper story text")
"""Words that, alone or after "the", mean the article's own voice."""

REPORTING_VERBS = re.compile(
    r"\b(said|says|say|told|tells|stated|states|added|adds|warned|warns|denied|denies|"
    r"claimed|claims|announced|announces|argued|argues|insisted|insists|accused|accuses|"
    r"urged|urges|believes|believed|according to|asked|asks|called for|described|"
    r"explained|noted|wrote|writes|suggested|predicted|confirmed|acknowledged|"
    r"called|calls|promised|promises|pledged|vowed|rejected|dismissed|praised|criticised|criticized)\b",
    re.IGNORECASE,
)
"""Verbs and phrases that report speech or a view."""

HEDGES = re.compile(
    r"\b(?:allegedly|alleged|reportedly|according to|claimed|claims|purportedly|purported|"
    r"supposedly|rumou?red|unconfirmed|unverified|sources say|(?:is|are|was|were) said to)\b",
    re.IGNORECASE,
)
"""Words by which an article distances itself from a claim."""

# Look-alikes: " and the curly, low, angle, prime and full-width double quotation marks.
DOUBLE_QUOTES = frozenset('"\u201c\u201d\u201e\u201f\u00ab\u00bb\u2033\u301d\u301e\uff02')
# ' and the curly, low, prime, accent and angle single quotation marks.
SINGLE_QUOTES = frozenset("'\u2018\u2019\u201a\u201b\u2032`\u00b4\u2039\u203a")
# hyphen-minus, hyphen, non-breaking hyphen, figure/en/em dash, bar, minus, small and wide.
DASHES = frozenset("-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d")
INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad")
CLOSERS = "\"'\u201d\u2019\u00bb)]"
"""What may follow a sentence's final punctuation before the space."""

ABBREVIATIONS = _words(
    """mr mrs ms dr prof sr jr st gen col lt capt sgt gov sen rep rev vs etc inc ltd corp co
    jan feb mar apr jun jul aug sep sept oct nov dec u.s u.k u.n e.u a.m p.m"""
)
"""Words whose trailing dot ends no sentence ("Mr. Smith", "U.S. officials")."""


def has_quote(text: str) -> bool:
    """Whether TEXT holds a double quotation mark of any kind."""
    return any(c in DOUBLE_QUOTES for c in text)


def is_title(word: str) -> bool:
    """Whether WORD (any case, with or without a dot) is a title or honorific."""
    return word.rstrip(".").casefold() in TITLES


def is_demonym(word: str) -> bool:
    """A nationality or people adjective ("Belarusian", "Ukrainian", "Chinese"): never an actor."""
    return len(word) > 5 and word[:1].isupper() and re.search(r"(?:ian|ish|ese)$", word) is not None
