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
FEMALE_HONORIFICS = _words("mrs ms miss dame lady queen princess chairwoman spokeswoman")
MALE_HONORIFICS = _words("mr sir lord king prince chairman spokesman congressman father")

TITLES = HONORIFICS | _words(
    """president vice prime minister commissioner chancellor secretary senator sen rep
    representative congressman congresswoman governor gov mayor king queen prince princess
    emperor pope cardinal bishop rev reverend sheikh imam rabbi general gen colonel col
    lieutenant lt captain capt admiral commander chief justice judge ambassador envoy
    spokesman spokeswoman spokesperson spokesmen deputy former acting premier chairman
    chairwoman chair ceo director leader mp mep attorney speaker candidate nominee officer
    coach manager vice-president father striker midfielder defender goalkeeper pitcher
    batsman bowler skipper sergeant sgt detective inspector counsel prosecutor m.p.
    ayatollah archbishop dalai"""
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
MALE_PRONOUNS = _words("he him his himself")
FEMALE_PRONOUNS = _words("she her hers herself")
PLURAL_PRONOUNS = _words("they them their theirs themselves")

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

HEDGE_WORDS = _words(
    """allegedly alleged reportedly reported purportedly purported supposedly rumoured
    rumored unconfirmed unverified apparently seemingly claimed"""
)
HEDGE_PHRASES = ("according to", "sources say", "is said to", "are said to", "was said to", "were said to")
HEDGES = re.compile(
    r"\b(?:" + "|".join(sorted(HEDGE_WORDS) + [re.escape(p) for p in HEDGE_PHRASES]) + r")\b", re.IGNORECASE
)
"""Words by which an article distances itself from a claim."""

# Verbs whose subject is the source of a reported statement ("X said that ...").
SPEECH_VERBS = _words(
    """say tell state add warn deny claim announce argue insist accuse urge describe explain
    note write suggest predict confirm acknowledge promise pledge vow assert allege admit
    declare reply respond answer report testify tweet post comment remark observe mention
    continue conclude contend maintain concede complain emphasize emphasise stress reveal
    recall ask question charge blast slam quip joke muse caution boast brag insist reiterate
    repeat point disclose estimate forecast threaten demand propose recommend advise
    counter retort scoff lament concur agree disagree dispute refute rebut dismiss decry
    announce proclaim swear guarantee assure remind inform notify brief signal hint imply
    indicate speculate wonder predict project call label brand dub term"""
)
# Verbs of saying that report even without a clause ("..., the campaign said, ...").
ALWAYS_CUES = _words(
    """say tell state claim announce insist declare allege assert testify tweet deny admit
    acknowledge reply respond retort quip joke boast concede complain reiterate"""
)
# Verbs of belief and attitude that PolNeAR also annotates as attribution ("X thinks ...").
COGNITION_VERBS = _words(
    """think believe know hope fear expect want feel worry doubt suspect consider assume
    understand realize realise figure reckon imagine wish prefer plan intend seek see view
    regard"""
)
# Verbs that report with an object: "released a statement", "confirmed the deal", "named X".
PUBLISH_VERBS = _words(
    """report confirm mention note question release cite list name tweet post write discuss
    document reveal show find announce issue propose demand threaten recommend read ask
    detail outline unveil publish air"""
)
# Verbs of viewing: "sees the deal as a victory".
VIEW_VERBS = _words("see view consider regard")

# "Trump seemed to suggest ...": the subject's attitude, reported.
SEEM_VERBS = _words("seem appear")
# Verb + preposition or particle that report a position or a statement.
VERB_PREP_CUES: dict[str, frozenset[str]] = {
    "call": frozenset(("for", "on")),
    "focus": frozenset(("on",)),
    "talk": frozenset(("about",)),
    "speak": frozenset(("about", "of", "out", "against")),
    "point": frozenset(("to", "out")),
    "respond": frozenset(("to",)),
    "comment": frozenset(("on",)),
    "vote": frozenset(("for", "against")),
    "advocate": frozenset(("for",)),
    "push": frozenset(("for",)),
    "argue": frozenset(("for", "against")),
    "weigh": frozenset(("in",)),
    "rail": frozenset(("against",)),
    "lash": frozenset(("out",)),
    "hit": frozenset(("back", "out")),
    "complain": frozenset(("about",)),
    "warn": frozenset(("of", "against", "about")),
    "testify": frozenset(("about", "before")),
}
# Verbs whose subject is often a document or a poll ("a survey showed that ...").
EVIDENCE_VERBS = _words("show find suggest indicate reveal conclude demonstrate confirm read")
CUE_VERBS = SPEECH_VERBS | COGNITION_VERBS | EVIDENCE_VERBS | PUBLISH_VERBS | VIEW_VERBS

# Verbs that take a content complement only through an object: "called X a liar".
OBJECT_CUES = _words("call label brand dub term describe accuse blame praise criticize criticise")

# Verbs of taking a position: their agents hold a stance on their object.
SUPPORT_VERBS = _words(
    """support back endorse praise welcome approve defend favor favour applaud hail champion
    embrace commend laud thank accept sign ratify vote"""
)
OPPOSE_VERBS = _words(
    """reject oppose criticize criticise condemn denounce slam blast attack veto block refuse
    dismiss decry protest resist challenge fight accuse blame sanction boycott disavow
    boo mock ridicule deride question rebuke reprimand censure sue warn"""
)
STANCE_VERBS = SUPPORT_VERBS | OPPOSE_VERBS
# Stance verbs that also report what someone said or holds ("praised X", "called for Y"):
# PolNeAR annotates them as attributions, so they are cues when their agent is given.
STANCE_CUES = STANCE_VERBS - _words("fight attack block challenge sign vote accept resist protest sue ratify")

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
