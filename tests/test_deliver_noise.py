"""Noise control per sink with the real receiver and an injected clock: budget, quiet hours, cron digests."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from monitor.config import parse_quiet_hours, zone
from monitor.delivery.digest import (
    Policy,
    digest_due,
    in_quiet_hours,
    next_digest,
    route,
)
from monitor.wire import alert as payload
from tests.outbox import alert, deliverer, hook, queue, queue_health, statuses, store
from tests.servers import WebhookReceiver

T0 = datetime(2026, 1, 30, 9, 0, tzinfo=timezone.utc)


def bodies(receiver: WebhookReceiver, path: str) -> list[dict]:
    return receiver.json_bodies(path)


def test_budget_overflow_folds_into_the_next_digest(state_url: str, receiver: WebhookReceiver) -> None:
    st = store(state_url)
    alerts = [alert(n, T0 + timedelta(seconds=n)) for n in range(5)]
    for a in alerts:
        queue(st, a, ["h"])
    d = deliverer(st, hook("h", receiver.url("/h"), budget_per_hour=2))
    report = d.run_once(T0 + timedelta(seconds=10))
    assert (report.sent, report.held) == (2, 3)
    d.run_once(T0 + timedelta(minutes=30))
    assert len(receiver.posts("/h")) == 2  # still over budget: nothing more this hour
    d.run_once(T0 + timedelta(minutes=61))
    sent = bodies(receiver, "/h")
    assert len(sent) == 3
    digest = sent[2]
    assert digest["type"] == "seedwatch.digest" and digest["count"] == 3
    assert [p["id"] for p in digest["alerts"]] == [a.id for a in alerts[2:]]
    assert digest["alerts"][0] == payload(alerts[2])  # each member keeps its full generic payload
    assert digest["reasons"] == ["over the budget of 2/h"]
    assert receiver.posts("/h")[2].headers["webhook-id"] == digest["id"]
    state = statuses(st)
    assert [state[(a.id, "h")] for a in alerts] == ["sent", "sent", "digested", "digested", "digested"]
    assert state[(digest["id"], "h")] == "sent"
    d.run_once(T0 + timedelta(hours=5))
    assert len(receiver.posts("/h")) == 3  # nothing is sent twice


def test_quiet_hours_hold_alerts_then_send_one_digest(state_url: str, receiver: WebhookReceiver) -> None:
    st = store(state_url)
    night = datetime(2026, 1, 30, 16, 0, tzinfo=timezone.utc)  # 23:00 in Jakarta (UTC+7)
    d = deliverer(st, hook("h", receiver.url("/h"), quiet_hours="22:00-07:00", timezone="Asia/Jakarta"))
    held = [alert(n, night + timedelta(seconds=n)) for n in range(2)]
    for a in held:
        queue(st, a, ["h"])
    health = queue_health(st, night, ["h"])
    report = d.run_once(night + timedelta(seconds=10))
    assert (report.held, report.sent) == (2, 1)
    assert bodies(receiver, "/h")[0]["id"] == health  # a feed going blind is news even at night
    d.run_once(datetime(2026, 1, 30, 23, 59, tzinfo=timezone.utc))  # 06:59 local: still quiet
    assert len(receiver.posts("/h")) == 1
    d.run_once(datetime(2026, 1, 31, 0, 1, tzinfo=timezone.utc))  # 07:01 local
    sent = bodies(receiver, "/h")
    assert len(sent) == 2
    assert sent[1]["type"] == "seedwatch.digest" and [p["id"] for p in sent[1]["alerts"]] == [a.id for a in held]
    assert sent[1]["reasons"] == ["quiet hours"]


def test_cron_digest_lists_matches_since_the_last_digest(state_url: str, receiver: WebhookReceiver) -> None:
    st = store(state_url)
    start = datetime(2026, 1, 30, 6, 0, tzinfo=timezone.utc)  # 07:00 in Berlin
    d = deliverer(st, hook("h", receiver.url("/h"), digest="0 8 * * *", timezone="Europe/Berlin"))
    d.run_once(start)  # first sight of the sink: its digest clock starts now
    first = [alert(n, start + timedelta(seconds=n)) for n in range(3)]
    for a in first:
        queue(st, a, ["h"])
    assert d.run_once(start + timedelta(minutes=5)).held == 3
    d.run_once(datetime(2026, 1, 30, 6, 59, tzinfo=timezone.utc))
    assert receiver.posts("/h") == []
    d.run_once(datetime(2026, 1, 30, 7, 0, 30, tzinfo=timezone.utc))  # 08:00:30 Berlin
    sent = bodies(receiver, "/h")
    assert len(sent) == 1 and [p["id"] for p in sent[0]["alerts"]] == [a.id for a in first]

    later = alert(10, datetime(2026, 1, 30, 7, 30, tzinfo=timezone.utc))
    queue(st, later, ["h"])
    d.run_once(datetime(2026, 1, 30, 7, 31, tzinfo=timezone.utc))
    d.run_once(datetime(2026, 1, 30, 20, 0, tzinfo=timezone.utc))
    assert len(receiver.posts("/h")) == 1  # held until tomorrow's 08:00
    d.run_once(datetime(2026, 1, 31, 7, 1, tzinfo=timezone.utc))
    sent = bodies(receiver, "/h")
    assert len(sent) == 2 and [p["id"] for p in sent[1]["alerts"]] == [later.id]

    d.run_once(datetime(2026, 2, 1, 7, 1, tzinfo=timezone.utc))  # the schedule fires with nothing held: no message
    late = alert(11, datetime(2026, 2, 1, 10, 0, tzinfo=timezone.utc))
    queue(st, late, ["h"])
    d.run_once(datetime(2026, 2, 1, 10, 1, tzinfo=timezone.utc))
    assert len(receiver.posts("/h")) == 2  # not sent at once: it waits for the next 08:00
    d.run_once(datetime(2026, 2, 2, 7, 0, 5, tzinfo=timezone.utc))
    assert [p["id"] for p in bodies(receiver, "/h")[2]["alerts"]] == [late.id]


def test_a_missed_digest_is_sent_after_downtime(state_url: str, receiver: WebhookReceiver) -> None:
    st = store(state_url)
    d = deliverer(st, hook("h", receiver.url("/h"), digest="0 8 * * *"))
    d.run_once(T0)
    queue(st, alert(1, T0), ["h"])
    d.run_once(T0)
    d.run_once(T0 + timedelta(days=3))  # the daemon was down over three 08:00s: one digest, not three
    assert [b["type"] for b in bodies(receiver, "/h")] == ["seedwatch.digest"]


def test_health_events_are_never_held(state_url: str, receiver: WebhookReceiver) -> None:
    st = store(state_url)
    hooks = [hook("digest", receiver.url("/digest"), digest="0 8 * * *"), hook("budget", receiver.url("/budget"), budget_per_hour=1)]
    d = deliverer(st, *hooks)
    for n in range(3):
        queue(st, alert(n, T0), ["digest", "budget"])
    queue_health(st, T0, ["digest", "budget"])
    d.run_once(T0)
    assert [b["type"] for b in bodies(receiver, "/digest")] == ["seedwatch.feed_health"]
    assert sorted(b["type"] for b in bodies(receiver, "/budget")) == ["seedwatch.alert", "seedwatch.feed_health"]


def test_filters_and_routing_are_pure_decisions() -> None:
    policy = Policy(budget=3, quiet=parse_quiet_hours("22:00-07:00"), tz=zone("Europe/Berlin"))
    noon = datetime(2026, 6, 1, 10, 0, tzinfo=timezone.utc)  # 12:00 CEST
    assert not in_quiet_hours(policy, noon)
    assert in_quiet_hours(policy, datetime(2026, 6, 1, 20, 30, tzinfo=timezone.utc))  # 22:30 CEST
    assert route(policy, noon, "seedwatch.alert", 2) == ("send", "")
    assert route(policy, noon, "seedwatch.alert", 3)[0] == "hold"
    assert route(policy, noon, "seedwatch.feed_health", 99) == ("send", "")
    assert digest_due(policy, noon, noon, held=1, sent_last_hour=2)
    assert not digest_due(policy, noon, noon, held=0, sent_last_hour=0)
    cron = Policy(cron="30 7 * * 1", tz=zone("Asia/Jakarta"))  # Mondays 07:30 WIB
    assert next_digest(cron, datetime(2026, 1, 30, tzinfo=timezone.utc)) == datetime(2026, 2, 2, 0, 30, tzinfo=timezone.utc)
    weekdays = Policy(cron="0 8 * * 1-5")
    assert next_digest(weekdays, datetime(2026, 1, 30, 9, tzinfo=timezone.utc)) == datetime(2026, 2, 2, 8, tzinfo=timezone.utc)  # Fri -> Mon
    sundays = Policy(cron="0 8 * * 0")
    assert next_digest(sundays, datetime(2026, 1, 30, 9, tzinfo=timezone.utc)) == datetime(2026, 2, 1, 8, tzinfo=timezone.utc)


def test_the_daemon_schedules_a_digest_job_per_digest_sink(tmp_path: Path) -> None:
    from monitor.service.app import App, read
    from monitor.service.daemon import Daemon
    from tests.conftest import write_config

    cfg = write_config(tmp_path, feeds=[], webhooks=[
        {"name": "morning", "url": "https://hooks.example.org/a", "digest": "30 7 * * 1-5", "timezone": "Asia/Jakarta"},
        {"name": "live", "url": "https://hooks.example.org/b"},
    ])
    app = App.open(*read(str(cfg)))
    try:
        daemon = Daemon(app)
        daemon._schedule_all()
        jobs = {job.id: job for job in daemon.scheduler.get_jobs()}
        assert "digest:live" not in jobs
        fire = jobs["digest:morning"].trigger.get_next_fire_time(None, datetime(2026, 1, 30, 1, 0, tzinfo=timezone.utc))  # Fri 08:00 WIB
        assert fire == datetime(2026, 2, 2, 0, 30, tzinfo=timezone.utc)  # Mon 07:30 WIB
    finally:
        app.close()
