"""One feed run as a straight line: fetch -> parse -> dedupe -> score -> cluster -> store.

Everything the run writes (feed state, new items, stories, alerts, outbox rows) is one
transaction (monitor.pipeline.commit), so a crash at any moment leaves either the whole run
or none of it.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import numpy as np

from monitor import wire
from monitor.config import FeedConfig, Settings
from monitor.delivery.alerts import make_alert, sinks_for
from monitor.errors import LeaseLost, StoreError
from monitor.headers import retry_after
from monitor.ingest import cachecontrol, dates, feedhealth
from monitor.ingest.fetch import Fetcher
from monitor.ingest.parse import ParsedFeed, ParseError, parse_feed
from monitor.pipeline.commit import Queued, StoryMembers, commit
from monitor.relevance.engine import Relevance
from monitor.store import Notice, Store
from monitor.stories import cluster
from monitor.types import (
    FeedItem,
    FeedState,
    Fetched,
    FetchFailed,
    NotModified,
    RunReport,
    TopicProfile,
)

log = logging.getLogger("seedwatch.feed")
alert_log = logging.getLogger("seedwatch.alert")


@dataclass
class Deps:
    """What a feed run needs; injected so tests use real parts on loopback."""

    settings: Settings
    store: Store
    fetcher: Fetcher
    engine: Relevance
    profiles: list[TopicProfile]
    rng: random.Random = field(default_factory=random.Random)
    parse: Callable[..., ParsedFeed] = parse_feed  # same signature as parse_feed; App passes a process pool's
    members: StoryMembers = field(default_factory=StoryMembers)
    holder: str | None = None  # the daemon's instance id: runs save as the feed lease's holder


def run_feed(feed: FeedConfig, deps: Deps, now: datetime) -> RunReport:
    """Poll one feed once and record the outcome; never raises.

    Feed trouble travels as values (FetchFailed, ParseError). Anything else that goes wrong in
    the run (a store fault, a bug, an item no stage expected) is recorded as this feed's failure,
    kind `store` or `internal`, with the usual backoff, so it costs one poll and never the feed.
    """
    started = time.monotonic()
    try:
        report = _run(feed, deps, now)
    except LeaseLost as exc:  # not the feed's failure: another instance polled it meanwhile
        report = RunReport(feed.url, "lost", error=str(exc), kind="lease")
    except Exception as exc:  # the one place a run's unexpected failure becomes a value
        report = _crashed(feed, deps, now, exc)
    report = replace(report, duration=time.monotonic() - started)
    level = logging.WARNING if report.status in ("error", "lost") else logging.INFO
    log.log(level, "feed run", extra={"kv": {"feed": feed.url, "status": report.status, "new": report.new, "alerts": report.alerts, "error": report.error, "ms": round(report.duration * 1000)}})
    return report


def _crashed(feed: FeedConfig, deps: Deps, now: datetime, exc: Exception) -> RunReport:
    """Record an unexpected failure as the feed's own; when the store cannot take even that,
    the run still says when to try again (the feed's interval: the failure count is not known)."""
    if isinstance(exc, StoreError):
        kind, message = "store", str(exc)
    else:
        kind, message = "internal", f"internal error: {type(exc).__name__}: {str(exc)[:300]}"
        log.error("feed run failed on a bug; recorded as the feed's error, please report it with this traceback", exc_info=exc, extra={"kv": {"feed": feed.url}})
    try:
        return _failed(feed, deps, deps.store.feed_state(feed.url), now, kind, message, None)
    except StoreError as again:
        interval = deps.settings.feed_interval(feed)
        nxt = cachecontrol.next_failure_poll(now, interval, 1, deps.settings.fetch.backoff_cap, deps.rng, None)
        return RunReport(feed.url, "error", error=message if kind == "store" else f"{message}; and {again}", kind="store", next_poll=nxt)


def _run(feed: FeedConfig, deps: Deps, now: datetime) -> RunReport:
    settings, store = deps.settings, deps.store
    state = store.feed_state(feed.url)
    if state.disabled:
        return RunReport(feed.url, "error", error=f"disabled after {state.last_error}; `seedwatch feeds enable {feed.url}` polls it again", kind=state.last_error_kind, disabled=True)
    policy = feedhealth.HealthPolicy.from_settings(settings.fetch)
    interval = feedhealth.poll_interval(state, settings.feed_interval(feed), policy)
    result = deps.fetcher.fetch(feed.url, state)

    if isinstance(result, FetchFailed):
        return _failed(feed, deps, state, now, result.kind, result.message, retry_after(result.headers, now))

    state = _moved(feed, state, result.permanent_url)
    hint = cachecontrol.server_hint(result.headers, now)
    if isinstance(result, NotModified):
        nxt = cachecontrol.next_success_poll(now, interval, settings.fetch.max_interval, settings.fetch.jitter, deps.rng, hint)
        _save(feed, deps, cachecontrol.succeeded(state, now, result.headers, nxt, None), now)
        return RunReport(feed.url, "not_modified", next_poll=nxt)

    assert isinstance(result, Fetched)
    digest = cachecontrol.body_hash(result.body)
    if digest == state.body_hash:
        nxt = cachecontrol.next_success_poll(now, interval, settings.fetch.max_interval, settings.fetch.jitter, deps.rng, hint)
        _save(feed, deps, cachecontrol.succeeded(state, now, result.headers, nxt, digest), now)
        return RunReport(feed.url, "not_modified", next_poll=nxt)
    try:
        parsed = deps.parse(result.body, result.headers, feed.url, feed.name, feed.lang, feed.timezone)
    except ParseError as exc:
        return _failed(feed, deps, state, now, "parse", f"{result.final_url}: {exc}", None)

    if parsed.problem:
        log.info("feed parsed despite errors", extra={"kv": {"feed": feed.url, "problem": parsed.problem}})
    new_items = [_dated(item, now) for item in store.unseen(parsed.items)]
    queued, vectors = _score(new_items, feed, deps, now)
    nxt = cachecontrol.next_success_poll(now, interval, settings.fetch.max_interval, settings.fetch.jitter, deps.rng, hint, parsed.ttl)
    new_state = feedhealth.learn(cachecontrol.succeeded(state, now, result.headers, nxt, digest), now, len(new_items))
    new_state, notices = _health(feed, deps, new_state, now)
    stored, alerts = commit(store, deps.members, new_state, feed.name, now, new_items, queued, notices, story_rules(settings) if settings.stories.enabled else None, vectors, deps.holder)
    for alert in alerts:
        alert_log.info("ALERT", extra={"kv": {"seed": alert.seed_id, "score": round(alert.score, 3), "title": alert.item.title, "url": alert.item.url, "feed": feed.url}})
    return RunReport(feed.url, "ok", new=stored, alerts=len(alerts), next_poll=nxt)


def _dated(item: FeedItem, now: datetime) -> FeedItem:
    """An item dated far in the future is dated when first seen (monitor.ingest.dates), so it ages out."""
    published = dates.clamp_future(item.published, now)
    return item if published == item.published else replace(item, published=published)


def _moved(feed: FeedConfig, state: FeedState, permanent_url: str | None) -> FeedState:
    """Remember where a 301/308 chain led, so the next poll goes there directly."""
    if permanent_url is None:
        return state
    fetch_url = None if permanent_url == feed.url else permanent_url
    if fetch_url != state.fetch_url:
        log.warning("feed moved permanently; polling the new URL from now on (update the config to match)", extra={"kv": {"feed": feed.url, "from": state.fetch_url or feed.url, "to": permanent_url}})
    return replace(state, fetch_url=fetch_url)


def _health(feed: FeedConfig, deps: Deps, state: FeedState, now: datetime) -> tuple[FeedState, list[Notice]]:
    """Decide whether this run starts or ends a failing spell; queue one notice for each change."""
    state, status, reason = feedhealth.assess(state, now, feedhealth.HealthPolicy.from_settings(deps.settings.fetch))
    if status is None:
        return state, []
    level = logging.ERROR if status == "failing" else logging.INFO
    log.log(level, "feed health", extra={"kv": {"feed": feed.url, "status": status, "reason": reason, "failures": state.consecutive_failures, "error": state.last_error}})
    body = wire.feed_health(state, feed.name, status, reason, now)
    return state, [(body, [hook.name for hook in deps.settings.webhooks], now)]


def _save(feed: FeedConfig, deps: Deps, state: FeedState, now: datetime) -> None:
    state, notices = _health(feed, deps, state, now)
    deps.store.save_feed_state(state, feed.name, now, notices, deps.holder)


def _score(new_items: list[FeedItem], feed: FeedConfig, deps: Deps, now: datetime) -> tuple[list[Queued], dict[str, np.ndarray]]:
    """Score every new item that is not too old against every seed; the alerts to queue, and the
    vectors made (by item key: stored with the item, and the story stage compares them).

    Items are read once for all seeds; those sharing a word with some seed get a vector, in one
    batch (the semantic model's worker is the slowest part of a cold cycle)."""
    max_age = deps.settings.monitor.max_age
    fresh = [i for i in new_items if not (max_age and i.published and now - i.published > timedelta(seconds=max_age))]
    engine, profiles = deps.engine, deps.profiles
    prepared = [engine.prepare(item, profiles) for item in fresh]
    vectors = engine.vectors(prepared)
    out = []
    for ready, vector in zip(prepared, vectors):
        for profile, found in zip(profiles, ready.lexical):
            match = engine.score(ready.text, profile, vector, found)
            if match.band is None:
                continue
            alert = make_alert(ready.text.item, match, profile, now, feed.name)
            sinks = sinks_for(alert, deps.settings.webhooks)
            if match.alert or sinks:  # a related development goes only to the sinks that take them
                out.append((alert, wire.alert(alert), sinks))
    made = {ready.text.item.key: vector for ready, vector in zip(prepared, vectors) if vector is not None}
    return out, made


def story_rules(settings: Settings) -> cluster.Rules:
    s = settings.stories
    return cluster.Rules(timedelta(seconds=s.window), s.similarity)


def _failed(feed: FeedConfig, deps: Deps, state: FeedState, now: datetime, kind: str, message: str, wait: float | None) -> RunReport:
    failures = state.consecutive_failures + 1
    nxt = cachecontrol.next_failure_poll(now, deps.settings.feed_interval(feed), failures, deps.settings.fetch.backoff_cap, deps.rng, wait)
    _save(feed, deps, cachecontrol.failed(state, now, kind, message, nxt, disable=kind == "gone"), now)
    if kind == "gone":
        log.error("feed disabled: the server answered 410 Gone", extra={"kv": {"feed": feed.url}})
    return RunReport(feed.url, "error", error=message, kind=kind, next_poll=nxt, disabled=kind == "gone")
