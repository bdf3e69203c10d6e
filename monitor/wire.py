"""The wire contract: every message Seedwatch sends, its event type, its id and its JSON shape.

Receivers depend on these names and fields, so they are spelled here and nowhere else.
Fields may be added; none is removed or renamed. Every message is built from, but is not,
the internal model (monitor.types). The outbox stores these bodies as they are, and the
per-service formats (monitor.delivery.sinks) are renderings of them.

| event type | id prefix | built by |
| --- | --- | --- |
| `seedwatch.alert` | `alrt_` | `alert()`, with `with_story()` when stories are on |
| `seedwatch.digest` | `dgst_` | `digest()` |
| `seedwatch.feed_health` | `feed_` | `feed_health()` |
| `seedwatch.test` | `test_` | `test()` |
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from monitor.types import Alert, FeedState, StoryDecision

ALERT = "seedwatch.alert"
DIGEST = "seedwatch.digest"
FEED_HEALTH = "seedwatch.feed_health"
TEST = "seedwatch.test"

ALERT_PREFIX, DIGEST_PREFIX, FEED_HEALTH_PREFIX, TEST_PREFIX = "alrt_", "dgst_", "feed_", "test_"
TEST_MESSAGE = "If you can read this, Seedwatch can reach this sink."

# An outbox message a person sees, with what the message is about.
Body = dict[str, Any]


def _digest20(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:20]


def alert_id(seed_id: str, item_key: str) -> str:
    """Stable id: the same (seed, item) is always the same alert, across crashes and resends."""
    return ALERT_PREFIX + _digest20(f"{seed_id}|{item_key}")


def digest_id(sink: str, alert_ids: Sequence[str]) -> str:
    """Stable id from the sink and its members: a digest rebuilt after a crash keeps its webhook-id."""
    return DIGEST_PREFIX + _digest20("|".join([sink, *sorted(alert_ids)]))


def is_digest(message_id: str) -> bool:
    return message_id.startswith(DIGEST_PREFIX)


def alert(a: Alert) -> Body:
    """The generic JSON body of an alert."""
    item = a.item
    return {
        "type": ALERT,
        "id": a.id,
        "created_at": a.created_at.isoformat(),
        "seed": {"id": a.seed_id, "title": a.seed_title},
        "score": round(a.score, 4),
        "band": a.band,
        "matched": [{"group": m.group, "term": m.term, "where": m.where} for m in a.matched],
        "why": [[part, text] for part, text in a.why],
        "item": {
            "key": item.key,
            "title": item.title,
            "url": item.url,
            "summary": item.summary,
            "published": item.published.isoformat() if item.published else None,
            "source": item.source,
            "feed": a.feed_name or item.feed_url,
            "lang": item.lang,
        },
    }


def with_story(body: Body, decision: StoryDecision) -> Body:
    """An alert body with its story: how many items, events and which sources so far, whether it
    is an update, and for an update what it brings that the story had not (`new`: names,
    numbers, terms of its headline)."""
    story = {
        "id": decision.story_id, "items": decision.items, "sources": list(decision.sources), "update": decision.update, "reason": decision.reason,
        "event": decision.event_id, "events": decision.events, "new": list(decision.new),
    }
    return {**body, "story": story}


def digest(sink: str, now: datetime, held: Sequence[tuple[str, Body, str]]) -> Body:
    """A digest: every held alert's own body, oldest first, with why they were held.

    `held` is (alert id, alert body, reason held) per member.
    """
    return {
        "type": DIGEST,
        "id": digest_id(sink, [alert_id for alert_id, _b, _r in held]),
        "created_at": now.isoformat(),
        "sink": sink,
        "count": len(held),
        "reasons": sorted({reason for _id, _b, reason in held if reason}),
        "alerts": [body for _id, body, _r in held],
    }


def feed_health(state: FeedState, name: str, status: str, reason: str | None, now: datetime) -> Body:
    """A feed starts failing (`status` "failing", `reason` failing | gone | silent) or recovers ("recovered")."""
    return {
        "type": FEED_HEALTH,
        "id": FEED_HEALTH_PREFIX + _digest20(f"{state.url}|{status}|{now.timestamp()}"),
        "created_at": now.isoformat(),
        "status": status,
        "reason": reason,
        "feed": {"url": state.url, "name": name, "fetch_url": state.fetch_url},
        "consecutive_failures": state.consecutive_failures,
        "failing_since": _iso(state.failing_since),
        "last_success": _iso(state.last_success),
        "last_error": state.last_error,
        "last_error_kind": state.last_error_kind,
        "last_new": _iso(state.last_new),
    }


def test(now: datetime) -> Body:
    """A signed test event (`seedwatch test-webhook`); a fresh id each time."""
    return {"type": TEST, "id": TEST_PREFIX + secrets.token_hex(10), "created_at": now.isoformat(), "message": TEST_MESSAGE}


def listing_title(body: Body) -> str:
    """A one-line title for messages that are not about one item (digests, feed health)."""
    kind = body.get("type", "")
    if kind == DIGEST:
        return f"digest of {body.get('count', 0)} alerts"
    if kind == FEED_HEALTH:
        feed = body.get("feed") or {}
        return f"feed {body.get('status', '?')}: {feed.get('name') or feed.get('url', '')}"
    return str(kind)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
