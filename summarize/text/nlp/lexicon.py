"""Word lists of the parse: roles, organisation heads, non-actors, places, given names.

The news-English lists every stage shares (titles, honorifics, pronouns, hedges, cue and
stance verbs) live in `summarize.text.lexicon` and are re-exported here with the dotted
forms a tokenizer produces ("mr.", "gen."). Everything is lower case and matched against
spaCy lemmas or lower-cased token text; plain data, to be read and extended without
touching the rules. Countries and given names are data files in summarize/text/data/.
Sources: general English, and (for the cue verbs) the most frequent cues of the PolNeAR
tuning slice (records 0..199 only).
"""

from __future__ import annotations

import functools
from importlib import resources

from summarize.text.lexicon import (
    ALWAYS_CUES,
    COGNITION_VERBS,
    CUE_VERBS,
    EVIDENCE_VERBS,
    FEMALE_PRONOUNS,
    HEDGE_PHRASES,
    HEDGE_WORDS,
    MALE_PRONOUNS,
    OBJECT_CUES,
    OPPOSE_VERBS,
    PLURAL_PRONOUNS,
    PUBLISH_VERBS,
    SEEM_VERBS,
    SPEECH_VERBS,
    STANCE_CUES,
    STANCE_VERBS,
    SUPPORT_VERBS,
    VERB_PREP_CUES,
    VIEW_VERBS,
)
from summarize.text.lexicon import FEMALE_HONORIFICS as _FEMALE
from summarize.text.lexicon import HONORIFICS as _HONORIFICS
from summarize.text.lexicon import MALE_HONORIFICS as _MALE
from summarize.text.lexicon import TITLES as _TITLES
from summarize.text.names import given_names

__all__ = [
    "ALWAYS_CUES", "COGNITION_VERBS", "CUE_VERBS", "EVIDENCE_VERBS", "FEMALE_PRONOUNS",
    "HEDGE_PHRASES", "HEDGE_WORDS", "MALE_PRONOUNS", "OBJECT_CUES", "OPPOSE_VERBS",
    "PLURAL_PRONOUNS", "PUBLISH_VERBS", "SEEM_VERBS", "SPEECH_VERBS", "STANCE_CUES",
    "STANCE_VERBS", "SUPPORT_VERBS", "VERB_PREP_CUES", "VIEW_VERBS",
]  # fmt: skip


def words(text: str) -> frozenset[str]:
    """The whitespace-separated words of TEXT as a set."""
    return frozenset(text.split())


def _lines(text: str) -> frozenset[str]:
    return frozenset(line.strip() for line in text.strip().splitlines() if line.strip())


def _dotted(forms: frozenset[str]) -> frozenset[str]:
    """FORMS and their abbreviations with a dot, as the tokenizer gives them ("gen.")."""
    return forms | {f + "." for f in forms if len(f) <= 4}


TITLE_WORDS = _dotted(_TITLES)
"""Title words that can stand before a person's name ("President Putin", "Gen. Smith")."""
HONORIFIC_WORDS = _dotted(_HONORIFICS)
FEMALE_HONORIFICS = _dotted(_FEMALE)
MALE_HONORIFICS = _dotted(_MALE)


# Common nouns that name a person's office or job: "the spokesman said", "an aide".
ROLE_NOUNS = words(
    """president minister secretary senator governor mayor chancellor premier king queen
    prince spokesman spokeswoman spokesperson official officials aide aides adviser advisor
    advisers advisors director chairman chairwoman chair chief executive ceo founder leader
    leaders commander general envoy ambassador diplomat lawmaker lawmakers legislator
    congressman congresswoman representative candidate nominee judge justice prosecutor
    attorney lawyer analyst economist expert experts coach manager player captain striker
    officer police spokespeople strategist adviser pollster campaign manager owner head
    member members deputy treasurer counsel negotiator source sources activist activists
    critic critics supporter supporters opponent opponents"""
)
# Particles that make a verb of saying another verb: "write off" costs, "call off" a strike.
NOT_SAYING_PARTICLES: dict[str, frozenset[str]] = {
    "write": words("off"),
    "call": words("off"),
    "show": words("up off"),
    "tell": words("apart"),
    "read": words("up"),
    "note": words("down"),
}
# Nouns (lemmas) of an unnamed group of people that speaks as one: "analysts said", "White
# House officials say", "police announced". Such a source becomes an actor of type group.
GROUP_SOURCES = words(
    """official analyst expert critic advocate activist police voter resident lawmaker
    legislator protester protestor economist investor trader dealer source aide witness
    scientist researcher supporter opponent leader member authority prosecutor investigator
    doctor diplomat observer commentator pundit strategist student parent worker employee
    executive banker broker farmer teacher mourner rival delegate donor organizer organiser
    campaigner environmentalist lawyer attorney soldier rebel militant villager citizen
    group pollster respondent negotiator officer firefighter owner homeowner tenant patient
    consumer customer commuter passenger nurse pilot driver"""
)
# More plural nouns of people who speak as one (issue 17): "the minister's closest allies said",
# "the member states said". Added to GROUP_SOURCES.
GROUP_SOURCES = GROUP_SOURCES | words(
    """ally colleague friend relative family neighbour neighbor state country nation government
    politician representative senator congressman lawmaker minister republican democrat
    conservative liberal progressive fan viewer reader listener attendee participant
    demonstrator critic insider adviser advisor spokesperson staffer volunteer person people
    reporter journalist fact-checker other follower backer speaker host republican"""
)
# Heads of a noun phrase that names an institution speaking as one, though unnamed: "the defence
# ministry said", "the state news agency reported", "the court ruled". Such a speaker becomes an
# organization actor, or the named organisation whose name holds the head ("the ministry" after
# "the Ministry of Defence"). General English news usage.
ORGANISATION_SPEAKERS = words(
    """ministry department agency court government administration cabinet parliament council
    committee commission board office embassy military army navy party campaign
    company firm bank newspaper paper magazine outlet network channel broadcaster station
    website union federation association organisation organization institute university
    foundation fund authority regulator watchdog prosecutor prosecution team club league
    kremlin presidency junta regime coalition alliance movement group bloc secretariat
    service tribunal senate house congress legislature assembly municipality city council
    state town county"""
)
# Heads of a collective noun phrase of people: "The opposition has said", "the public believes".
COLLECTIVE_SPEAKERS = words("opposition public crowd audience electorate majority minority family staff")
# Heads that count a group ("47 percent of voters", "the majority of Belarus' opposition",
# "half of respondents"): the group is the "of" phrase when there is one.
QUANTITY_HEADS = words(
    """percent per cent majority minority half third quarter most many some several number
    share plurality dozens hundreds thousands millions two three four five six seven eight
    nine ten"""
)
# Heads of a document that speaks for whoever issued it: "the ministry statement said", "a poll by
# Gallup found". With no issuer given, only the kinds of study that are cited as sources on
# their own (REPORT_SOURCES) become speakers, as actors of type other.
DOCUMENT_HEADS = words(
    """statement report poll survey study analysis data letter email e-mail memo filing
    document release communique communiqué record records figures results review audit
    investigation ad advertisement video tweet post article editorial story message
    filing filings projection projections agreement result average datum figure"""
)
REPORT_SOURCES = words("poll survey study report analysis audit review investigation")
# Anaphoric nouns that point at an issue named before: "The idea was rejected by both ...".
ISSUE_ANAPHORS = words(
    """idea plan proposal suggestion notion move prospect scheme offer demand claim
    possibility option measure policy deal"""
)
# Words before a group's noun that count it rather than name it: "some analysts".
GROUP_PREPS = words("of for with at from in")
GROUP_QUANTIFIERS = words("some several many most other others few various numerous certain all both")
# Head nouns of a definite description that names one person: "the senator", "the tycoon".
PERSON_DESCRIPTORS = words(
    """senator governor candidate tycoon billionaire businessman businesswoman front-runner
    frontrunner nominee president congressman congresswoman mogul mayor minister secretary
    chairman chairwoman man woman congressman lawmaker star actor actress singer rapper
    host anchor comedian author writer chancellor premier king queen prince general
    commander coach manager striker player captain leader founder owner executive veteran
    former incumbent challenger contender hopeful runner magnate"""
)
# Words of a nominal speaker that can be matched against an actor's role ("the spokesman").
ROLE_SYNONYMS: dict[str, frozenset[str]] = {
    "spokesman": words("spokesman spokeswoman spokesperson"),
    "spokeswoman": words("spokesman spokeswoman spokesperson"),
    "spokesperson": words("spokesman spokeswoman spokesperson"),
    "leader": words("leader president premier chancellor head"),
    "general": words("general commander"),
    "commander": words("general commander"),
    "minister": words("minister secretary"),
}

# Last words that make a name an organisation rather than a person or place.
ORG_HEADS = words(
    """department ministry office agency bureau administration commission committee council
    authority board court tribunal parliament congress senate assembly house cabinet
    government army navy police forces force party union league federation association
    organisation organization institute institution foundation fund bank group company corp
    corporation inc ltd plc llc co ag sa nv gmbh holdings industries airlines airways
    motors network news times post journal herald tribune telegraph guardian gazette
    press agency channel broadcasting radio tv television university college school
    hospital church club team fc united city rovers wanderers athletic county brothers
    partners securities capital exchange commission centre center coalition alliance
    movement front council service services trust society network systems technologies
    reuters newsroom desk bureau"""
)
# First words of sports clubs and similar organisations named after a place ("Dynamo Kiev").
CLUB_WORDS = words(
    """dynamo dinamo spartak lokomotiv lokomotive locomotive sporting real atletico athletic
    inter olympique olympic racing red star partizan steaua rapid slavia sparta ajax psv
    fc cf ac as sc sv vfb vfl tsv borussia bayer eintracht hertha werder fortuna union
    deportivo celtic rangers hapoel maccabi beitar betar galatasaray ruch legia gornik
    slovan banik sporting benfica cska dukla torpedo zenit shakhtar metalist chernomorets
    vitesse feyenoord standard club sport hansa"""
)
# Verbs of a match: a city that beats or hosts someone is its club.
SPORTS_VERBS = words(
    """beat defeat draw lose win play host face thrash edge rout hammer overcome crush
    trail lead score eliminate outclass overpower down"""
)
# Nationality nouns written before a name ("Frenchman Cedric Pioline"): not part of it.
DEMONYM_NOUNS = words(
    """frenchman frenchwoman englishman englishwoman dutchman dutchwoman irishman irishwoman
    scotsman scotswoman welshman welshwoman chinaman countryman countrywoman compatriot
    american briton german italian spaniard russian australian swede dane norwegian finn
    pole czech belgian swiss austrian brazilian argentine canadian japanese chinese
    kenyan moroccan ethiopian"""
)

# Metonymic seats of government that act as organisations ("the Kremlin said").
GOVERNMENT_SEATS = _lines(
    """
    kremlin
    white house
    pentagon
    downing street
    elysee
    élysée
    quai d'orsay
    whitehall
    capitol hill
    state department
    foggy bottom
    vatican
    holy see
    """
)

# Platforms that spaCy often takes for people ("wrote on Twitter").
PLATFORMS = words("twitter facebook instagram youtube tiktok reddit linkedin snapchat whatsapp telegram")
KNOWN_ORGANISATIONS = GOVERNMENT_SEATS | PLATFORMS

# Names that are never actors even when spaCy tags them: compass regions used loosely,
# diseases, events and other non-agents the project has decided against.
NON_ACTORS = _lines(
    """
    west
    east
    north
    south
    the west
    the east
    western
    eastern
    soviet
    union
    slavic
    covid
    covid-19
    covid 19
    coronavirus
    ebola
    aids
    hiv
    sars
    mers
    bse
    world cup
    olympics
    olympic games
    christmas
    easter
    ramadan
    brexit
    internet
    web
    god
    """
)
# A newsroom's label before a headline's colon ("The Latest: Sanders declares ...") is not a
# source: the headline's own verb gives the speaker.
HEADLINE_LABELS = _lines(
    """
    the latest
    latest
    breaking
    breaking news
    update
    live
    live updates
    exclusive
    watch
    video
    photos
    analysis
    opinion
    editorial
    correction
    fact check
    explainer
    """
)
# Prepositions after which a place is where something happened, not who acted.
LOCATIVE_PREPS = words(
    """in at to from into onto near across throughout within outside around via inside
    through towards toward along beyond over between among amid across off past"""
)
# Prepositions after which a state is a target or partner, so it counts as an actor.
AGENTIVE_PREPS = words("against by with versus vs vs.")
# Nouns after which "on X" names a target: "attack on Kyiv", "sanctions on Russia".
TARGETING_NOUNS = words(
    """attack attacks sanction sanctions war pressure strike strikes invasion assault embargo
    crackdown tariff tariffs ban call criticism"""
)

# Months, days and similar capitalised words that are never names.
CALENDAR = words(
    """january february march april may june july august september october november
    december jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday
    thursday friday saturday sunday mon tue wed thu fri sat sun"""
)


# Short forms that name the same state: one canonical key each.


@functools.lru_cache(maxsize=1)
def _data_lines(name: str) -> tuple[str, ...]:
    text = resources.files("summarize.text").joinpath("data").joinpath(name).read_text(encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


COUNTRIES = frozenset(_data_lines("countries.txt"))
"""Sovereign states and a few territories (summarize/text/data/countries.txt)."""

COUNTRY_ALIASES: dict[str, str] = {
    "us": "united states",
    "u.s.": "united states",
    "usa": "united states",
    "u.s.a.": "united states",
    "america": "united states",
    "uk": "united kingdom",
    "u.k.": "united kingdom",
    "britain": "united kingdom",
    "great britain": "united kingdom",
    "eu": "european union",
    "un": "united nations",
    "u.n.": "united nations",
    "uae": "united arab emirates",
    "holland": "netherlands",
    "burma": "myanmar",
}
# Blocs that are organisations, not countries.
ORGANISATION_STATES = _lines(
    """
    european union
    eu
    nato
    un
    united nations
    """
)


def first_names() -> dict[str, str]:
    """Given names (lower case) and their usual gender: m, f or u (first_names.txt)."""
    return given_names()


# English function words left out when comparing sentences (summary scoring).
STOP_WORDS = words(
    """a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each few
    for from further had has have having he her here hers herself him himself his how i if
    in into is it its itself just me more most my myself no nor not now of off on once only
    or other our ours ourselves out over own same she should so some such than that the
    their theirs them themselves then there these they this those through to too under
    until up very was we were what when where which while who whom why will with would you
    your yours yourself yourselves said says say mr mrs ms one two new also however"""
)
