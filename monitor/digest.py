"""Noise control per sink as pure decisions: hourly budget, quiet hours, cron digests.

Nothing here touches the store or the clock: the deliverer passes `now` and the
counts it read, and gets back what to do. An alert is never dropped: what may
not go out now is held and later folded into one digest message.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger

ALERT_TYPE = "seedwatch.alert"
DIGEST_TYPE = "seedwatch.digest"
WINDOW = timedelta(hours=1)
_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_QUIET = re.compile(r"^\s*([01]?\d|2[0-3]):([0-5]\d)\s*-\s*([01]?\d|2[0-3]):([0-5]\d)\s*$")


@dataclass(frozen=True)
class Policy:
    """One sink's noise settings: at most `budget` messages an hour, quiet hours in `tz`, a digest cron."""

    budget: int | None = None
    quiet: tuple[time, time] | None = None
    tz: ZoneInfo = ZoneInfo("UTC")
    cron: str | None = None


def zone(name: str) -> ZoneInfo:
    """An IANA time zone, or ValueError naming the problem."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"\"{name}\" is not an IANA time zone like \"Europe/Berlin\"") from None


def parse_quiet_hours(text: str) -> tuple[time, time]:
    """"22:00-07:00" -> (22:00, 07:00); the span may cross midnight."""
    m = _QUIET.match(text)
    if not m:
        raise ValueError(f"\"{text}\" is not a span like \"22:00-07:00\"")
    start, end = time(int(m[1]), int(m[2])), time(int(m[3]), int(m[4]))
    if start == end:
        raise ValueError(f"\"{text}\" starts and ends at the same time")
    return start, end


def cron_trigger(expr: str, tz: ZoneInfo) -> CronTrigger:
    """A five-field crontab expression ("0 8 * * 1-5") in `tz`, or ValueError."""
    fields = expr.split()
    if len(fields) != 5:
        raise ValueError(f"\"{expr}\" is not a five-field cron schedule like \"0 8 * * *\"")
    minute, hour, day, month, dow = fields
    # APScheduler 3 numbers weekdays from Monday = 0; crontab from Sunday = 0 (and 7): use names
    dow = re.sub(r"\d+", lambda m: _WEEKDAYS[int(m[0]) % 7] if int(m[0]) <= 7 else m[0], dow)
    try:
        return CronTrigger(minute=minute, hour=hour, day=day, month=month, day_of_week=dow, timezone=tz)
    except ValueError as exc:
        raise ValueError(f"\"{expr}\" is not a cron schedule like \"0 8 * * *\" ({exc})") from None


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
    if kind != ALERT_TYPE:
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


def digest_id(sink: str, alert_ids: Sequence[str]) -> str:
    """Stable id from the sink and its members: a digest rebuilt after a crash keeps its webhook-id."""
    return "dgst_" + hashlib.sha1("|".join([sink, *sorted(alert_ids)]).encode()).hexdigest()[:20]


def digest_payload(sink: str, now: datetime, held: Sequence[tuple[str, dict[str, Any], str]]) -> dict[str, Any]:
    """The generic JSON of a digest: every held alert's own payload, oldest first, with why it was held."""
    reasons = sorted({reason for _id, _p, reason in held if reason})
    return {
        "type": DIGEST_TYPE,
        "id": digest_id(sink, [alert_id for alert_id, _p, _r in held]),
        "created_at": now.isoformat(),
        "sink": sink,
        "count": len(held),
        "reasons": reasons,
        "alerts": [p for _id, p, _r in held],
    }
