"""Feed health as pure decisions (`now` passed in): cadence learning, adaptive interval,
and when a feed-health notice is due — one when a feed starts failing, one when it recovers.

A feed is "failing" when it has failed without a success for `failing_after`, when the
server said 410 Gone (the feed is disabled: that is never silent), or when it has
brought nothing new for `silent_factor` times its learnt cadence (and at least `failing_after`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from monitor.types import FeedState

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

