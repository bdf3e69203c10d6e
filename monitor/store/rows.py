"""What the store hands back: plain frozen rows (the pipeline's own types live in monitor.types)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# A message for the outbox that is not an alert (a feed-health notice): its body, the sinks it
# goes to, and when it was raised.
Notice = tuple[dict[str, Any], "tuple[str, ...] | list[str]", datetime]


@dataclass(frozen=True)
class PendingDelivery:
    """One (message, sink) pair that is due."""

    alert_id: str
    sink: str
    attempts: int
    payload: dict[str, Any]
    score: float
    seed_id: str


@dataclass(frozen=True)
class SinkRow:
    """What the store remembers about one sink."""

    name: str
    url: str
    disabled_at: datetime | None
    disabled_reason: str | None
    last_digest_at: datetime


@dataclass(frozen=True)
class AlertRow:
    """An outbox message with its delivery status for one sink, for `seedwatch alerts`."""

    id: str
    seed_id: str
    score: float
    created_at: datetime
    title: str
    url: str | None
    sink: str | None
    status: str | None
    attempts: int
    last_error: str | None


@dataclass(frozen=True)
class StoryItem:
    """One alerting item's place in a story, as the pipeline decided it."""

    seed_id: str
    item_key: str
    story_id: str
    at: datetime
    score: float
    groups: tuple[str, ...]
    headline_groups: tuple[str, ...]
    minhash: str  # the story stage's signature, packed as text
    size: int
    reason: str
    alert_id: str | None
    update: bool
    event_id: str | None = None  # None: placed before events (its story is one event)
    marks: str | None = None  # the story stage's marks, packed as JSON text
    why: str | None = None  # the decision's evidence, JSON text


@dataclass(frozen=True)
class StoryMember:
    """A stored StoryItem with the item's own title, source and language, and its vector (the
    bytes the story stage packed) when one of the asked model is stored."""

    placed: StoryItem
    title: str
    source: str
    lang: str | None
    vector: bytes | None = None


@dataclass(frozen=True)
class StoryItemRow:
    """One item of a story, for `seedwatch stories`."""

    key: str
    title: str
    url: str | None
    source: str
    lang: str | None
    at: datetime
    score: float
    groups: tuple[str, ...]
    reason: str
    alert_id: str | None
    update: bool
    event_id: str | None = None
    why: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StoryRow:
    """A story with its items, oldest first."""

    id: str
    seed_id: str
    title: str
    created_at: datetime
    last_at: datetime
    items: tuple[StoryItemRow, ...]
