"""Match -> Alert -> the versioned generic JSON payload (pure).

The payload is the wire contract other sinks build on; it is built from, but is
not, the internal model.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from monitor.cluster import Decision
from monitor.types import Alert, FeedItem, Match, TopicProfile

PAYLOAD_TYPE = "seedwatch.alert"


def alert_id(seed_id: str, item_key: str) -> str:
    """Stable id: the same (seed, item) is always the same alert, across crashes and resends."""
    return "alrt_" + hashlib.sha1(f"{seed_id}|{item_key}".encode()).hexdigest()[:20]


def make_alert(item: FeedItem, match: Match, profile: TopicProfile, now: datetime, feed_name: str = "") -> Alert:
    return Alert(
        id=alert_id(profile.seed_id, item.key),
        seed_id=profile.seed_id,
        seed_title=profile.seed_title,
        item=item,
        score=match.score,
        matched=match.matched,
        created_at=now,
        feed_name=feed_name,
    )


def payload(alert: Alert) -> dict[str, Any]:
    """The generic JSON webhook body."""
    item = alert.item
    return {
        "type": PAYLOAD_TYPE,
        "id": alert.id,
        "created_at": alert.created_at.isoformat(),
        "seed": {"id": alert.seed_id, "title": alert.seed_title},
        "score": round(alert.score, 4),
        "matched": [{"group": m.group, "term": m.term, "where": m.where} for m in alert.matched],
        "item": {
            "key": item.key,
            "title": item.title,
            "url": item.url,
            "summary": item.summary,
            "published": item.published.isoformat() if item.published else None,
            "source": item.source,
            "feed": alert.feed_name or item.feed_url,
            "lang": item.lang,
        },
    }


def with_story(body: dict[str, Any], decision: Decision) -> dict[str, Any]:
    """The payload with its story: how many items and which sources so far, and whether it is an update."""
    story = {"id": decision.story_id, "items": decision.items, "sources": list(decision.sources), "update": decision.update, "reason": decision.reason}
    return {**body, "story": story}


def sinks_for(alert: Alert, webhooks: Any) -> list[str]:
    """Names of the configured webhooks whose filters let this alert through."""
    return [
        hook.name
        for hook in webhooks
        if alert.score >= hook.min_score and (hook.seeds is None or alert.seed_id in hook.seeds)
    ]
