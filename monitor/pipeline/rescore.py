"""A seed added or changed later re-scores the items already stored, so it alerts on stories in flight.

On start and reload the daemon compares each profile's digest (its seed text, tuning and
feedback) with the one its alerts were last decided with; for a new or changed profile the
items first seen within `monitor.max_age` (the last 14 days when that is off) are scored again
and their alerts queued as a feed run queues them: stories included, each (seed, item) alert at
most once, nothing the seed already alerted on or placed in a story touched again.
`seedwatch rescore [--seed S] [--since D]` does the same by hand.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor import wire
from monitor.delivery.alerts import make_alert, sinks_for
from monitor.pipeline.commit import Queued, commit_rescored
from monitor.pipeline.run import Deps, story_rules
from monitor.types import TopicProfile

log = logging.getLogger("seedwatch.rescore")
DEFAULT_SPAN = 14 * 86400.0  # how far back to look when max_age is off
BATCH = 64  # items scored (and embedded) together


@dataclass(frozen=True)
class Rescored:
    seeds: tuple[str, ...]
    items: int
    alerts: int


def changed(deps: Deps) -> list[TopicProfile]:
    """The profiles whose alerts were decided with another profile (or never)."""
    known = deps.store.seed_digests()
    return [p for p in deps.profiles if known.get(p.seed_id) != p.digest]


def rescore(deps: Deps, profiles: list[TopicProfile], now: datetime, since: datetime | None = None) -> Rescored:
    """Score the stored items since `since` (default: within max_age) against `profiles`; queue the alerts."""
    if not profiles:
        return Rescored((), 0, 0)
    span = deps.settings.monitor.max_age or DEFAULT_SPAN
    since = since or now - timedelta(seconds=span)
    items = [i for i in deps.store.recent_items(since) if not (i.published and now - i.published > timedelta(seconds=span))]
    rules = story_rules(deps.settings) if deps.settings.stories.enabled else None
    alerts = 0
    for start in range(0, len(items), BATCH):
        prepared = [deps.engine.prepare(i, profiles) for i in items[start : start + BATCH]]
        queued: list[Queued] = []
        vectors = deps.engine.vectors(prepared)
        for ready, vector in zip(prepared, vectors):
            for profile, found in zip(profiles, ready.lexical):
                match = deps.engine.score(ready.text, profile, vector, found)
                if match.band is None:
                    continue
                alert = make_alert(ready.text.item, match, profile, now)
                sinks = sinks_for(alert, deps.settings.webhooks)
                if match.alert or sinks:
                    queued.append((alert, wire.alert(alert), sinks))
        made = {ready.text.item.key: v for ready, v in zip(prepared, vectors) if v is not None}
        alerts += len(commit_rescored(deps.store, deps.members, queued, now, rules, made))
    deps.store.record_seed_digests({p.seed_id: p.digest for p in profiles}, now)
    result = Rescored(tuple(p.seed_id for p in profiles), len(items), alerts)
    log.info("re-scored stored items", extra={"kv": {"seeds": ",".join(result.seeds), "items": result.items, "alerts": result.alerts, "since": since.isoformat(timespec="seconds")}})
    return result
