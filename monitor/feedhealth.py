"""Feed health as pure decisions (`now` passed in): cadence learning, adaptive interval,
and when a feed-health notice is due — one when a feed starts failing, one when it recovers.

A feed is "failing" when it has failed without a success for `failing_after`, when the
server said 410 Gone (the feed is disabled: that is never silent), or when it has
brought nothing new for `silent_factor` times its learnt cadence (and at least `failing_after`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from monitor.types import FeedState

NOTICE_TYPE = "seedwatch.feed_health"
CADENCE_WEIGHT = 0.3  # how much the newest gap moves the learnt cadence


@dataclass(frozen=True)
class HealthPolicy:
    """When a feed counts as failing; from the [fetch] config section."""

    failing_after: float = 86400.0
    silent_factor: float = 10.0  # 0 turns silence detection off
    adaptive: bool = False
    min_interval: float = 300.0
    max_interval: float = 86400.0

    @classmethod
    def from_settings(cls, fetch: Any) -> "HealthPolicy":
        return cls(fetch.failing_after, fetch.silent_factor, fetch.adaptive, fetch.min_interval, fetch.max_interval)


def learn(state: FeedState, now: datetime, new_items: int) -> FeedState:
    """Update the cadence (an average gap between polls that bring news) after a successful poll."""
    if new_items <= 0:
        return state
    if state.last_new is None:
        return replace(state, last_new=now)
    gap = (now - state.last_new).total_seconds()
    cadence = gap if state.cadence is None else (1 - CADENCE_WEIGHT) * state.cadence + CADENCE_WEIGHT * gap
    return replace(state, last_new=now, cadence=cadence)


def poll_interval(state: FeedState, configured: float, policy: HealthPolicy) -> float:
    """The configured interval, or with adaptive polling half the learnt cadence within [min, max]."""
    if not policy.adaptive or state.cadence is None:
        return configured
    return min(policy.max_interval, max(policy.min_interval, state.cadence / 2))


def problem(state: FeedState, now: datetime, policy: HealthPolicy) -> str | None:
    """Why the feed is unhealthy now ("gone", "failing", "silent"), or None."""
    if state.disabled:
        return "gone"
    if state.consecutive_failures and state.failing_since and (now - state.failing_since).total_seconds() >= policy.failing_after:
        return "failing"
    if policy.silent_factor and state.cadence and state.last_new and not state.consecutive_failures:
        # never sooner than failing_after: a feed quiet overnight or over a weekend is not broken
        if (now - state.last_new).total_seconds() > max(policy.silent_factor * state.cadence, policy.failing_after):
            return "silent"
    return None


def assess(state: FeedState, now: datetime, policy: HealthPolicy) -> tuple[FeedState, str | None, str | None]:
    """(state with `health` updated, "failing" | "recovered" | None, the reason)."""
    reason = problem(state, now, policy)
    if reason and state.health != "failing":
        return replace(state, health="failing"), "failing", reason
    if not reason and state.health == "failing":
        return replace(state, health="ok"), "recovered", None
    return state, None, reason


def notice(state: FeedState, name: str, status: str, reason: str | None, now: datetime) -> dict[str, Any]:
    """The webhook payload of a feed-health notice (a wire contract, not the internal model)."""
    digest = hashlib.sha1(f"{state.url}|{status}|{now.timestamp()}".encode()).hexdigest()[:20]
    return {
        "type": NOTICE_TYPE,
        "id": "feed_" + digest,
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


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
