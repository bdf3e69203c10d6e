"""Helpers for delivery tests: real alerts queued in a real outbox (SQLite, or any store URL such as
the `state_url` fixture's), a Deliverer with an injected clock."""

from __future__ import annotations

import random
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from monitor import wire
from monitor.config import WebhookConfig
from monitor.delivery.alerts import make_alert
from monitor.delivery.deliver import Deliverer
from monitor.pipeline import StoryMembers, commit
from monitor.store import Store
from monitor.types import Alert, FeedItem, FeedState, Match, TopicProfile

FEED = "http://feeds.example.org/antara"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def store(where: Path | str) -> Store:
    """A fresh store: a folder means a SQLite file in it; a string is a store URL (`state_url`:
    SQLite or PostgreSQL), for the tests of the store's contract that hold on both."""
    return Store(f"sqlite:///{where / 'state.db'}" if isinstance(where, Path) else where)


def hook(name: str, url: str, **kw: Any) -> WebhookConfig:
    return WebhookConfig(name=name, url=url, **kw)


def deliverer(st: Store, *hooks: WebhookConfig) -> Deliverer:
    return Deliverer(st, hooks, client=httpx.Client(), rng=random.Random(7))


def alert(n: int, now: datetime, title: str | None = None, url: str | None = None, seed: str = "000_nato") -> Alert:
    item = FeedItem(
        key=f"key{n}",
        feed_url=FEED,
        title=title or f"NATO desak Korsel kirim senjata ke Ukraina ({n})",
        url=url if url is not None else f"https://news.example.org/nato-korsel-{n}",
        summary="Sekjen NATO Stoltenberg di Seoul meminta Korea Selatan mengirim senjata untuk Ukraina.",
        published=now,
        source="Antara",
        lang="id",
    )
    profile = TopicProfile(seed_id=seed, seed_title="NATO Serukan Korea Selatan Bantu Senjata untuk Ukraina", lang="id", groups=(), threshold=0.5)
    return make_alert(item, Match(seed_id=seed, score=0.9, matched=(), explanation=""), profile, now, "Antara: Dunia")


def queue(st: Store, a: Alert, sinks: list[str], body: dict[str, Any] | None = None) -> str:
    """Commit the alert's item, the alert and its outbox rows in one run, as the pipeline does."""
    commit(st, StoryMembers(), FeedState(url=FEED), "Antara: Dunia", a.created_at, [a.item], [(a, body or wire.alert(a), sinks)])
    return a.id


def queue_health(st: Store, now: datetime, sinks: list[str], status: str = "failing") -> str:
    """A feed-health event as the fetching side queues it: an outbox row about no item, seed_id ''."""
    failing = status == "failing"
    state = FeedState(FEED, last_error="HTTP 503 from the server" if failing else None, last_error_kind="http" if failing else None, consecutive_failures=9 if failing else 0)
    body = wire.feed_health(state, "Antara: Dunia", status, "failing" if failing else None, now)
    st.queue_notice((body, sinks, now))
    return body["id"]


def statuses(st: Store) -> dict[tuple[str, str], str]:
    """(alert id, sink) -> delivery status."""
    return {(r.id, r.sink or ""): r.status or "" for r in st.recent_alerts(10_000)}
