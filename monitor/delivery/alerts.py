"""Match -> Alert, and which sinks an alert goes to (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from monitor import wire
from monitor.config import WebhookConfig
from monitor.types import Alert, FeedItem, Match, TopicProfile


def make_alert(item: FeedItem, match: Match, profile: TopicProfile, now: datetime, feed_name: str = "") -> Alert:
    return Alert(
        id=wire.alert_id(profile.seed_id, item.key),
        seed_id=profile.seed_id,
        seed_title=profile.seed_title,
        item=item,
        score=match.score,
        matched=match.matched,
        created_at=now,
        feed_name=feed_name,
        band=match.band or "alert",
        why=match.why,
    )


def sinks_for(alert: Alert, webhooks: Sequence[WebhookConfig]) -> list[str]:
    """Names of the configured webhooks whose filters let this alert through: its seed, its score,
    and for a related development (band "related") only the sinks that take them in digests."""
    return [
        hook.name
        for hook in webhooks
        if (hook.seeds is None or alert.seed_id in hook.seeds)
        and (hook.related if alert.band == "related" else alert.score >= hook.min_score)
    ]
