"""Noise control per sink as pure decisions: hourly budget, quiet hours, cron digests.

Nothing here touches the store or the clock: the deliverer passes `now` and the
counts it read, and gets back what to do. An alert is never dropped: what may
not go out now is held and later folded into one digest message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from typing import Literal
from zoneinfo import ZoneInfo

from monitor import wire
from monitor.config import WebhookConfig, cron_trigger, parse_quiet_hours, zone

WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class Policy:
    """One sink's noise settings: at most `budget` messages an hour, quiet hours in `tz`, a digest cron."""

    budget: int | None = None
    quiet: tuple[time, time] | None = None
    tz: ZoneInfo = ZoneInfo("UTC")
    cron: str | None = None

    @classmethod
    def of(cls, hook: WebhookConfig) -> "Policy":
        """A sink's noise settings from its `[[webhooks]]` table."""
        quiet = parse_quiet_hours(hook.quiet_hours) if hook.quiet_hours else None
        return cls(hook.budget_per_hour, quiet, zone(hook.timezone), hook.digest)


def in_quiet_hours(policy: Policy, now: datetime) -> bool:
    if policy.quiet is None:
        return False
    start, end = policy.quiet
    local = now.astimezone(policy.tz).time()
    return start <= local < end if start < end else (local >= start or local < end)


def route(policy: Policy, now: datetime, kind: str, sent_last_hour: int) -> tuple[Literal["send", "hold"], str]:
    """Send a fresh message now, or hold it for the next digest (with the reason).

    Only alerts are held: feed-health events, digests and tests always go out,
    because they are rare and a user must learn at once that monitoring is blind.
    """
    if kind != wire.ALERT:
        return "send", ""
    if policy.cron:
        return "hold", "digest mode"
    if in_quiet_hours(policy, now):
        return "hold", "quiet hours"
    if policy.budget is not None and sent_last_hour >= policy.budget:
        return "hold", f"over the budget of {policy.budget}/h"
    return "send", ""


def next_digest(policy: Policy, after: datetime) -> datetime | None:
    """The first cron fire time strictly after `after` (None without a cron)."""
    if not policy.cron:
        return None
    fire = cron_trigger(policy.cron, policy.tz).get_next_fire_time(None, after + timedelta(microseconds=1))
    return fire.astimezone(timezone.utc) if fire else None


def digest_due(policy: Policy, now: datetime, last_digest: datetime, held: int, sent_last_hour: int) -> bool:
    """Whether to fold held alerts into a digest now (for a cron sink: whether the schedule fired).

    A cron sink fires when its schedule passed since the last digest (so a digest
    missed while the daemon was down is sent at start); any sink waits out quiet
    hours; a sink without a cron flushes its held alerts once the budget has room.
    """
    if in_quiet_hours(policy, now):
        return False
    if policy.cron:
        fire = next_digest(policy, last_digest)
        return fire is not None and fire <= now
    return held > 0 and (policy.budget is None or sent_last_hour < policy.budget)

