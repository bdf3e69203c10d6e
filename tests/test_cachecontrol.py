"""Pure polling and feed-health decisions: no socket, `now` passed in."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta

from monitor import wire
from monitor.headers import retry_after
from monitor.ingest import cachecontrol, feedhealth
from monitor.ingest.feedhealth import HealthPolicy
from monitor.types import FeedState
from tests.fetchkit import T0

RNG = random.Random(3)


def test_next_poll_is_the_largest_hint_capped() -> None:
    hints = {"cache-control": "max-age=7200"}
    hint = cachecontrol.server_hint(hints, T0)
    nxt = cachecontrol.next_success_poll(T0, 600, 86400, 0.0, RNG, hint, 1800)
    assert nxt == T0 + timedelta(seconds=7200)
    capped = cachecontrol.next_success_poll(T0, 600, 3600, 0.0, RNG, 99999)
    assert capped == T0 + timedelta(seconds=3600)
    # a configured interval longer than the cap is still honoured
    assert cachecontrol.next_success_poll(T0, 7200, 3600, 0.0, RNG) == T0 + timedelta(seconds=7200)


def test_expires_is_a_hint_when_there_is_no_max_age() -> None:
    headers = {"Expires": "Fri, 30 Jan 2026 12:00:00 GMT"}
    assert cachecontrol.server_hint(headers, T0) == 7200
    assert cachecontrol.server_hint({"Expires": "0"}, T0) is None


def test_retry_after_seconds_and_date() -> None:
    assert retry_after({"Retry-After": "120"}, T0) == 120
    assert retry_after({"retry-after": "Fri, 30 Jan 2026 10:30:00 GMT"}, T0) == 1800
    assert retry_after({}, T0) is None


def test_backoff_grows_with_jitter_up_to_the_cap() -> None:
    rng = random.Random(1)
    waits = [(cachecontrol.next_failure_poll(T0, 60, n, 3600, rng) - T0).total_seconds() for n in range(1, 12)]
    for n, wait in enumerate(waits, start=1):
        base = min(3600, 60 * 2 ** (n - 1))
        assert base / 2 <= wait <= base
    assert len({round(w) for w in waits[-4:]}) > 1  # jitter: capped waits still differ
    assert (cachecontrol.next_failure_poll(T0, 60, 1, 3600, rng, retry_after_s=900) - T0).total_seconds() >= 900


def test_failure_streak_and_recovery_in_state() -> None:
    state = FeedState("http://f/")
    state = cachecontrol.failed(state, T0, "http", "HTTP 500", T0)
    state = cachecontrol.failed(state, T0 + timedelta(hours=1), "timeout", "slow", T0)
    assert (state.consecutive_failures, state.failing_since, state.last_error_kind) == (2, T0, "timeout")
    ok = cachecontrol.succeeded(state, T0 + timedelta(hours=2), {"ETag": '"x"'}, T0, "hash")
    assert (ok.consecutive_failures, ok.failing_since, ok.etag, ok.last_error) == (0, None, '"x"', "slow")


def test_cadence_is_learnt_and_adaptive_interval_stays_in_bounds() -> None:
    state = FeedState("http://f/")
    for hour in (0, 2, 4, 6):
        state = feedhealth.learn(state, T0 + timedelta(hours=hour), new_items=3)
    assert state.cadence == 7200
    assert feedhealth.learn(state, T0 + timedelta(hours=7), new_items=0) == state
    off = HealthPolicy(adaptive=False)
    on = HealthPolicy(adaptive=True, min_interval=300, max_interval=1800)
    assert feedhealth.poll_interval(state, 900, off) == 900
    assert feedhealth.poll_interval(state, 900, on) == 1800  # half of 2 h, capped at max
    assert feedhealth.poll_interval(replace(state, cadence=60), 900, on) == 300


def test_failing_notice_once_after_the_window_then_recovered() -> None:
    policy = HealthPolicy(failing_after=3600)
    state = replace(FeedState("http://f/"), consecutive_failures=3, failing_since=T0)
    assert feedhealth.assess(state, T0 + timedelta(minutes=59), policy)[1] is None
    state, status, reason = feedhealth.assess(state, T0 + timedelta(hours=1), policy)
    assert (status, reason, state.health) == ("failing", "failing", "failing")
    assert feedhealth.assess(state, T0 + timedelta(hours=5), policy)[1] is None  # one notice, not one per poll
    healed = replace(state, consecutive_failures=0, failing_since=None)
    healed, status, _ = feedhealth.assess(healed, T0 + timedelta(hours=6), policy)
    assert (status, healed.health) == ("recovered", "ok")


def test_gone_is_failing_at_once_and_silence_counts() -> None:
    policy = HealthPolicy(failing_after=7200, silent_factor=5)
    gone = replace(FeedState("http://f/"), disabled=True, consecutive_failures=1, failing_since=T0)
    assert feedhealth.assess(gone, T0, policy)[1:] == ("failing", "gone")
    quiet = replace(FeedState("http://f/"), last_new=T0, cadence=3600)
    assert feedhealth.assess(quiet, T0 + timedelta(hours=4), policy)[1] is None
    assert feedhealth.assess(quiet, T0 + timedelta(hours=6), policy)[1:] == ("failing", "silent")
    assert feedhealth.assess(quiet, T0 + timedelta(hours=6), replace(policy, silent_factor=0))[1] is None
    # a fast feed (cadence 1 min) quiet for an hour is not "silent" before failing_after
    fast = replace(quiet, cadence=60)
    assert feedhealth.assess(fast, T0 + timedelta(hours=1), policy)[1] is None
    assert feedhealth.assess(fast, T0 + timedelta(hours=2, seconds=1), policy)[1:] == ("failing", "silent")


def test_notice_payload_shape() -> None:
    state = replace(FeedState("http://f/"), consecutive_failures=4, failing_since=T0, last_error="boom", last_error_kind="http")
    body = wire.feed_health(state, "Feed F", "failing", "failing", T0 + timedelta(days=1))
    assert body["type"] == "seedwatch.feed_health" and body["id"].startswith("feed_")
    assert body["feed"] == {"url": "http://f/", "name": "Feed F", "fetch_url": None}
    assert (body["status"], body["consecutive_failures"], body["last_error"]) == ("failing", 4, "boom")
    assert body["failing_since"] == T0.isoformat()
