"""The tables, as the newest migration leaves them (SQLAlchemy Core), and the time columns' encoding.

Times are UNIX seconds (float), converted at this boundary. Opaque values the story stage
makes (MinHash signatures, marks, vectors) are stored as it hands them over. Text that has no natural bound
(URLs, titles, names, errors) is `Text`: PostgreSQL enforces VARCHAR lengths and a feed may
well carry a 3,000-character link.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

feeds = Table(
    "feeds",
    metadata,
    Column("url", Text, primary_key=True),
    Column("name", Text, nullable=False, default=""),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("body_hash", String(64)),
    Column("next_poll", Float),
    Column("last_polled", Float),
    Column("last_success", Float),
    Column("last_error", Text),
    Column("last_error_kind", String(64)),
    Column("consecutive_failures", Integer, nullable=False, default=0),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("fetch_url", Text),  # a permanent redirect's target; `url` stays the config identity
    Column("failing_since", Float),
    Column("last_new", Float),
    Column("cadence", Float),
    Column("health", String(16)),  # ok | failing; NULL reads as ok
    # the instance polling the feed now, and until when its claim holds (several daemons on one database)
    Column("leased_by", Text),
    Column("leased_until", Float),
)

items = Table(
    "items",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("canonical_url", Text, unique=True),
    Column("feed_url", Text, nullable=False),
    Column("url", Text),
    Column("title", Text, nullable=False),
    Column("summary", Text, nullable=False),
    Column("published", Float),
    Column("lang", String(16)),
    Column("source", Text),
    Column("first_seen", Float, nullable=False),
)

# Every outbox message: alerts, digests and feed-health notices (seed_id "" for the last two).
alerts = Table(
    "alerts",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("seed_id", Text, nullable=False),
    Column("item_key", String(64), nullable=False),
    Column("score", Float, nullable=False),
    Column("payload", Text, nullable=False),
    Column("created_at", Float, nullable=False),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("alert_id", String(64), primary_key=True),
    Column("sink", Text, primary_key=True),
    Column("status", String(16), nullable=False, default="pending"),  # pending | sent | dead | held | digested
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt", Float, nullable=False),
    Column("last_error", Text),
    Column("updated_at", Float, nullable=False),
    # Who is sending the row now, and until when that claim holds (a crashed sender's claim lapses)
    Column("claimed_by", Text),
    Column("claimed_until", Float),
    Index("ix_deliveries_due", "status", "next_attempt"),
)

# Per-sink delivery state: a 410 disables the sink for the URL that answered it;
# `last_digest_at` is when the sink's digest schedule last fired.
sinks = Table(
    "sinks",
    metadata,
    Column("name", Text, primary_key=True),
    Column("url", Text, nullable=False),
    Column("disabled_at", Float),
    Column("disabled_reason", Text),
    Column("last_digest_at", Float, nullable=False),
)

stories = Table(
    "stories",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("seed_id", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("first_key", String(64), nullable=False),
    Column("created_at", Float, nullable=False),  # item time of the first item
    Column("last_at", Float, nullable=False),  # item time of the latest item
    Index("ix_stories_seed_created", "seed_id", "created_at"),
)

# One row per (seed, alerting item): its story, the evidence used to place it, and why.
story_items = Table(
    "story_items",
    metadata,
    Column("seed_id", Text, primary_key=True),
    Column("item_key", String(64), primary_key=True),
    Column("story_id", String(64), nullable=False),
    Column("at", Float, nullable=False),
    Column("score", Float, nullable=False),
    Column("groups", Text, nullable=False),  # JSON list of matched concept groups
    Column("headline_groups", Text, nullable=False),  # JSON list of those matched in the title
    Column("minhash", Text, nullable=False),
    Column("size", Integer, nullable=False),
    Column("reason", Text, nullable=False),
    Column("alert_id", String(64)),  # set when the item alerted (first item or update)
    Column("is_update", Boolean, nullable=False, default=False),
    # the event within the story (NULL for items placed before events: their story is one event)
    Column("event_id", String(64)),
    Column("marks", Text),  # JSON [kind, surface, in headline] of the item's names, numbers, terms
    Column("why", Text),  # JSON of the decision's evidence: the item matched, similarity, shared names, hours, probability, what is new
    Index("ix_story_items_story", "story_id"),
)

# Sentence vectors by content: sha1 of the model tag and the text embedded (float16 bytes).
vectors = Table(
    "vectors",
    metadata,
    Column("hash", String(40), primary_key=True),
    Column("vector", LargeBinary, nullable=False),
    Column("created_at", Float, nullable=False),
)

# What each seed's profile was when its alerts were last decided (a changed digest: re-score).
seed_states = Table(
    "seed_states",
    metadata,
    Column("seed_id", Text, primary_key=True),
    Column("digest", String(64), nullable=False),
    Column("scored_at", Float, nullable=False),
)

# A person's verdict on an alert: good (more like this) or bad (less), adapting its seed's profile.
feedback = Table(
    "feedback",
    metadata,
    Column("alert_id", String(64), primary_key=True),
    Column("seed_id", Text, nullable=False),
    Column("item_key", String(64), nullable=False),
    Column("verdict", String(8), nullable=False),  # good | bad
    Column("at", Float, nullable=False),
)

# The semantic vector of an item (float16 bytes, as monitor.stories packs them), with the model
# that made it: vectors of different models are not comparable.
item_vectors = Table(
    "item_vectors",
    metadata,
    Column("item_key", Text, primary_key=True),
    Column("model", Text, nullable=False),
    Column("vector", LargeBinary, nullable=False),
)

# Daemons sharing this database, each beating every few seconds; a row older than a few beats is a dead one.
instances = Table(
    "instances",
    metadata,
    Column("id", Text, primary_key=True),  # host:pid:random, also the holder named on leases and claims
    Column("host", Text, nullable=False),
    Column("pid", Integer, nullable=False),
    Column("started", Float, nullable=False),
    Column("heartbeat", Float, nullable=False),
    Column("config_hash", String(64), nullable=False),
    Column("version", Text, nullable=False),
    Column("feeds", Integer, nullable=False),
)

meta = Table("meta", metadata, Column("key", String(64), primary_key=True), Column("value", Text, nullable=False))


def ts(value: datetime | None) -> float | None:
    return value.timestamp() if value is not None else None


def dt(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, timezone.utc) if value is not None else None
