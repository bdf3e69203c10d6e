"""Plain values that flow between pipeline stages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Seed:
    """One seed article: what a topic profile is built from."""

    id: str
    title: str
    text: str
    lang: str | None = None
    path: str | None = None


@dataclass(frozen=True)
class FeedState:
    """What we remember about a feed between polls (opaque caching info included)."""

    url: str
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    next_poll: datetime | None = None
    last_success: datetime | None = None
    last_error: str | None = None
    last_error_kind: str | None = None
    consecutive_failures: int = 0
    disabled: bool = False
    fetch_url: str | None = None  # where a 301/308 moved the feed; the config URL stays its identity
    failing_since: datetime | None = None  # first failure of the current streak
    last_new: datetime | None = None  # last poll that brought new items
    cadence: float | None = None  # learnt seconds between polls that bring new items
    health: str = "ok"  # ok | failing: whether a "failing" feed-health alert is outstanding


@dataclass(frozen=True)
class Fetched:
    """A 2xx response with its body, read within limits."""

    url: str
    final_url: str
    status: int
    headers: dict[str, str]
    body: bytes
    permanent_url: str | None = None


@dataclass(frozen=True)
class NotModified:
    """A 304 answer to a conditional GET."""

    url: str
    headers: dict[str, str]
    permanent_url: str | None = None


@dataclass(frozen=True)
class FetchFailed:
    """Any fetch that did not yield a feed body; `kind` is a short machine word."""

    url: str
    kind: str
    message: str
    status: int | None = None
    retry_after: float | None = None
    headers: dict[str, str] = field(default_factory=dict)


FetchResult = Fetched | NotModified | FetchFailed


@dataclass(frozen=True)
class FeedItem:
    """A normalised feed entry: clean text, a stable key."""

    key: str
    feed_url: str
    title: str
    url: str | None
    summary: str
    published: datetime | None
    source: str
    lang: str | None = None
    text: str = ""
    # The link in canonical form (monitor.ingest.clean): the same article reached through
    # several feeds or with tracking parameters is one item. None when there is no usable link.
    canonical_url: str | None = None


@dataclass(frozen=True)
class MatchedTerm:
    """One piece of evidence: a concept group (or a seed's own name or term), the surface form
    seen, and where; `kind` says which ("catalogue" groups have names in every language)."""

    group: str
    term: str
    where: str
    kind: str = "catalogue"  # catalogue | seed


@dataclass(frozen=True)
class Match:
    """The score of one item against one seed's profile, with its reasons.

    `score` is calibrated the same way for every seed (monitor.relevance.fusion): at or over the
    profile's threshold the item alerts (`band` "alert"), at or over its related threshold it is a
    related development for digests (`band` "related"). `why` holds the explanation's parts in a
    fixed order (verdict, closest seed sentence, semantic, names, terms, facts), each as
    (name, text); `signals` the numbers behind them.
    """

    seed_id: str
    score: float
    matched: tuple[MatchedTerm, ...]
    explanation: str
    alert: bool = False
    band: str | None = None
    why: tuple[tuple[str, str], ...] = ()
    signals: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class Alert:
    """A match over the threshold, as queued in the outbox."""

    id: str
    seed_id: str
    seed_title: str
    item: FeedItem
    score: float
    matched: tuple[MatchedTerm, ...]
    created_at: datetime
    feed_name: str = ""
    band: str = "alert"  # alert | related (a related development, for digests)
    why: tuple[tuple[str, str], ...] = ()  # the match's explanation, part by part


@dataclass(frozen=True)
class StoryDecision:
    """Where an alerting item goes among its seed's stories and their events, whether it alerts, and why.

    `evidence` is the join's evidence as plain values (the item it matched, similarity, shared
    names, hours apart, probability; for an update also `new`), stored and shown as it is.
    """

    story_id: str
    new_story: bool
    alert: bool
    update: bool
    reason: str
    items: int = 1
    sources: tuple[str, ...] = field(default_factory=tuple)
    event_id: str = ""
    new_event: bool = True
    new: tuple[str, ...] = ()  # what an update names that its story had not (names, numbers, terms)
    evidence: dict[str, Any] = field(default_factory=dict, compare=False)
    events: int = 1  # events of the story, this item's included


@dataclass(frozen=True)
class RunReport:
    """The outcome of one feed run; one log line and one `--json` line each.

    `next_poll` is when the run decided the feed is due again, also when the store could not
    record it; `disabled` means never again (410 Gone) until `seedwatch feeds enable`.
    """

    feed: str
    status: str  # ok | not_modified | error | lost (another instance took the feed over: nothing written) | left (another instance was polling it: `once` did not)
    new: int = 0
    alerts: int = 0
    error: str | None = None
    duration: float = 0.0
    kind: str | None = None  # the error kind (FetchFailed kinds, parse, store, internal)
    next_poll: datetime | None = None
    disabled: bool = False


@dataclass(frozen=True)
class ConceptGroup:
    """One concept of a topic: its aliases in every language, a weight, and its kind."""

    name: str
    kind: str  # entity | concept | term
    aliases: tuple[str, ...]
    weight: float
    required: bool = False
    # An actor so frequent in the news (wordfreq) that naming it says little (the US, China):
    # it adds to a score but never counts as one of a fact's actors.
    common: bool = False


@dataclass(frozen=True)
class Fact:
    """One seed sentence as who-and-what: the entities it names and the concepts that link them.

    kind "core": the sentence names a domain concept (weapons, export...); an item instantiates
    it with the fact's actors and one of its concepts. kind "relation": two actors and an
    interaction (a visit, talks); an item needs both actors and any interaction.
    """

    kind: str
    entities: tuple[str, ...]
    concepts: tuple[str, ...]
    weight: float
    text: str
    # The fact's subject: an item must name one of these (a sentence opening with a pronoun
    # keeps the previous sentence's subject: "They never sent arms to Russia").
    anchors: tuple[str, ...] = ()


@dataclass(frozen=True)
class SeedUnit:
    """A name or key term of a seed, the lexical evidence an item can share with it."""

    key: str  # normalised form: "zahawi", "raja ampat", "쿠팡"
    surface: str  # as the seed first writes it
    weight: float  # in (0, 1]: salience in the seed (relative) x rarity in the news (absolute)
    name: bool  # a name (capitalised inside sentences, or a rare Hangul/Han word), not a common term
    in_title: bool
    group: str | None = None  # the catalogue entity or concept it is: its names in every language match too


@dataclass(frozen=True)
class SeedRules:
    """A user's per-seed rules (config `[profiles."<seed>"]`), applied after scoring."""

    keep: tuple[str, ...] = ()  # regular expressions: alert only when one matches the title or summary
    block: tuple[str, ...] = ()  # regular expressions: never alert when one matches
    must_mention: tuple[str, ...] = ()  # names: alert only when the item names one of them
    exclude: tuple[str, ...] = ()  # terms: never alert when the item contains one


@dataclass(frozen=True)
class TopicProfile:
    """What a seed is about: its names and terms, its catalogue groups and facts, its meaning
    as vectors; built once per seed at start or reload, never changed afterwards."""

    seed_id: str
    seed_title: str
    lang: str | None
    groups: tuple[ConceptGroup, ...]
    threshold: float
    excluded: tuple[str, ...] = ()
    # What the seed states, sentence by sentence, in the catalogue's terms: who did what (see Fact).
    facts: tuple[Fact, ...] = ()
    units: tuple[SeedUnit, ...] = ()
    related_threshold: float = 0.3
    rules: SeedRules = SeedRules()
    sentences: tuple[str, ...] = ()  # the seed's title and sentences, for "closest to" in explanations
    digest: str = ""  # of the seed text, its tuning and its feedback: a changed digest means a changed profile
    feedback: tuple[int, int] = (0, 0)  # verdicts it was adapted with: (good, bad)
    leaning: float = 0.0  # the general signal's logit shift from feedback, in [-FEEDBACK_CAP, +FEEDBACK_CAP]
    # Built with the profile (monitor.relevance): the catalogue's compiled facts, and the seed's
    # vectors (None when the semantic signal is off).
    compiled: Any = field(default=None, compare=False, repr=False)
    vectors: Any = field(default=None, compare=False, repr=False)
