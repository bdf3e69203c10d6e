"""Delivery against the real WebhookReceiver: signing, retries, redirects, 410, dead letters.

The clock is injected (`run_once(now)`), so a retry due in five minutes is due
in the test without waiting for it.
"""

from __future__ import annotations

import json
import logging
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from standardwebhooks import Webhook

from monitor.delivery.deliver import RETRY_SCHEDULE, Deliverer, next_attempt
from monitor.wire import alert as payload
from tests.outbox import SECRET, alert, deliverer, hook, queue, statuses, store
from tests.servers import WebhookReceiver


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def test_signed_json_verifies_with_standardwebhooks(state_url: str, receiver: WebhookReceiver) -> None:
    now = utcnow()  # the receiver checks the signed timestamp against its own clock
    st = store(state_url)
    a = alert(1, now)
    queue(st, a, ["h"])
    report = deliverer(st, hook("h", receiver.url("/h"), secret=SECRET)).run_once(now)
    assert report.sent == 1
    [post] = receiver.posts("/h")
    verified = Webhook(SECRET).verify(post.body, post.headers)
    assert verified == payload(a)  # the json format is the generic payload, unchanged
    assert post.headers["webhook-id"] == a.id
    assert post.headers["webhook-signature"].startswith("v1,")
    with pytest.raises(Exception):
        Webhook(SECRET).verify(post.body.replace(b"Korsel", b"Korut"), post.headers)


def test_500_500_200_three_attempts_same_id_one_delivery(state_url: str, receiver: WebhookReceiver) -> None:
    t0 = utcnow()
    st = store(state_url)
    a = alert(1, t0)
    queue(st, a, ["h"])
    d = deliverer(st, hook("h", receiver.answer("/h", 500, 500, 200)))
    assert d.run_once(t0).failed == 1
    assert d.run_once(t0 + timedelta(seconds=1)).failed == 0  # not due: the first retry waits ~5 s
    t1 = t0 + timedelta(seconds=6)
    assert d.run_once(t1).failed == 1
    assert d.run_once(t1 + timedelta(seconds=200)).sent == 0  # the next waits ~5 min
    assert d.run_once(t1 + timedelta(seconds=331)).sent == 1
    d.run_once(t1 + timedelta(days=5))
    posts = receiver.posts("/h")
    assert len(posts) == 3
    assert {p.headers["webhook-id"] for p in posts} == {a.id}
    assert len({p.body for p in posts}) == 1
    assert statuses(st)[(a.id, "h")] == "sent"


def test_retry_after_is_honoured(state_url: str, receiver: WebhookReceiver) -> None:
    t0 = utcnow()
    st = store(state_url)
    queue(st, alert(1, t0), ["h"])
    d = deliverer(st, hook("h", receiver.answer("/h", (429, {"Retry-After": "120"}), 200)))
    d.run_once(t0)
    d.run_once(t0 + timedelta(seconds=30))  # the schedule says 5 s, the receiver said 120
    assert len(receiver.posts("/h")) == 1
    assert d.run_once(t0 + timedelta(seconds=121)).sent == 1


def test_redirect_is_a_failure_and_not_followed(state_url: str, receiver: WebhookReceiver) -> None:
    t0 = utcnow()
    st = store(state_url)
    a = alert(1, t0)
    queue(st, a, ["h"])
    d = deliverer(st, hook("h", receiver.answer("/old", (301, {"Location": receiver.url("/new")}))))
    report = d.run_once(t0)
    assert (report.sent, report.failed) == (0, 1)
    assert len(receiver.posts("/old")) == 1 and receiver.posts("/new") == []
    [row] = st.recent_alerts()
    assert row.status == "pending" and "HTTP 301" in (row.last_error or "") and "not followed" in (row.last_error or "")


def test_410_disables_the_sink_loudly_and_persistently(state_url: str, receiver: WebhookReceiver, caplog: pytest.LogCaptureFixture) -> None:
    t0 = utcnow()
    st = store(state_url)
    first, second = alert(1, t0), alert(2, t0)
    queue(st, first, ["h"])
    queue(st, second, ["h"])
    url = receiver.answer("/h", 410)
    with caplog.at_level(logging.ERROR, logger="seedwatch.deliver"):
        report = deliverer(st, hook("h", url)).run_once(t0)
    assert report.failed == 1 and len(receiver.posts("/h")) == 1  # the second was not even tried
    assert any("410 Gone" in r.getMessage() and r.levelno == logging.ERROR for r in caplog.records)

    again = deliverer(st, hook("h", url))  # a restart: the mark is in the store
    assert again.sink_rows(t0)["h"].disabled_at is not None
    again.run_once(t0 + timedelta(days=1))
    assert len(receiver.posts("/h")) == 1
    assert {s for (_id, _sink), s in statuses(st).items()} == {"pending"}  # nothing lost

    msg_id, attempt = again.test("h", t0 + timedelta(days=1))  # the receiver answers 200 again
    assert attempt.ok and msg_id.startswith("test_")
    assert again.sink_rows(t0)["h"].disabled_at is None
    assert again.run_once(t0 + timedelta(days=1)).sent == 2
    ids = [p.headers["webhook-id"] for p in receiver.posts("/h")]
    assert ids.count(first.id) == 2 and ids.count(second.id) == 1


def test_a_new_url_clears_the_410_mark(state_url: str, receiver: WebhookReceiver) -> None:
    t0 = utcnow()
    st = store(state_url)
    queue(st, alert(1, t0), ["h"])
    deliverer(st, hook("h", receiver.answer("/gone", 410))).run_once(t0)
    assert deliverer(st, hook("h", receiver.url("/moved"))).run_once(t0).sent == 1


def test_dead_letter_after_the_last_attempt_then_manual_retry(state_url: str, receiver: WebhookReceiver) -> None:
    t0 = utcnow()
    st = store(state_url)
    a = alert(1, t0)
    queue(st, a, ["h"])
    d = deliverer(st, hook("h", receiver.answer("/h", *[500] * 20)))
    now = t0
    for _ in range(20):  # bounded: the schedule has 12 attempts
        d.run_once(now)
        now += timedelta(hours=12)
    assert len(receiver.posts("/h")) == len(RETRY_SCHEDULE)
    [dead] = st.recent_alerts(failed_only=True)
    assert dead.id == a.id and dead.status == "dead" and dead.attempts == len(RETRY_SCHEDULE)
    receiver.answer("/h", 200)
    assert st.retry(a.id, now) == 1
    assert d.run_once(now).sent == 1
    assert st.recent_alerts(failed_only=True) == []


def test_retry_schedule_spans_about_three_days_with_jitter() -> None:
    rng, now = random.Random(3), datetime(2026, 1, 30, tzinfo=timezone.utc)
    waits = [(next_attempt(n, now, rng) - now).total_seconds() for n in range(1, len(RETRY_SCHEDULE))]  # type: ignore[operator]
    for n, wait in enumerate(waits, start=1):
        assert RETRY_SCHEDULE[n] * 0.9 <= wait <= RETRY_SCHEDULE[n] * 1.1
    assert waits[:3] == sorted(waits[:3]) and waits[0] < 6 and 270 <= waits[1] <= 330
    assert 2.5 * 86400 < sum(waits) < 3.1 * 86400
    assert next_attempt(len(RETRY_SCHEDULE), now, rng) is None
    assert (next_attempt(1, now, rng, after=10 * 86400) - now).total_seconds() == 86400  # type: ignore[operator]


def test_one_failure_per_sink_per_tick(state_url: str, receiver: WebhookReceiver) -> None:
    t0 = utcnow()
    st = store(state_url)
    for n in range(5):
        queue(st, alert(n, t0), ["down", "up"])
    d = Deliverer(st, (hook("down", receiver.answer("/down", *[500] * 10)), hook("up", receiver.url("/up"))))
    report = d.run_once(t0)
    assert (report.sent, report.failed) == (5, 1)
    assert len(receiver.posts("/down")) == 1
    assert json.loads(receiver.posts("/up")[0].body)["type"] == "seedwatch.alert"


def test_the_readme_receiver_verifies_a_real_delivery(tmp_path: Path, receiver: WebhookReceiver) -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    snippet = readme.split("A receiver verifies in five lines:", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    handled: list[dict] = []
    namespace = {"SECRET": SECRET, "already_seen": lambda _id: any(e["id"] == _id for e in handled), "handle": handled.append}
    exec(snippet, namespace)  # the README's own code, run as written
    now = utcnow()
    st = store(tmp_path)
    a = alert(1, now)
    queue(st, a, ["h"])
    d = deliverer(st, hook("h", receiver.url("/h"), secret=SECRET))
    d.run_once(now)
    # as if killed between the 2xx and marking it sent: its claim holds until it lapses, then the row goes again
    with st.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE deliveries SET status = 'pending', claimed_by = 'killed', claimed_until = ?", (now.timestamp() + 60,))
    d.run_once(now)
    assert len(receiver.posts("/h")) == 1
    d.run_once(now + timedelta(seconds=61))
    posts = receiver.posts("/h")
    assert len(posts) == 2
    for post in posts:
        namespace["receive"](post.body, post.headers)
    assert [e["id"] for e in handled] == [a.id]
    with pytest.raises(Exception):
        namespace["receive"](post.body.replace(b"NATO", b"OTAN"), post.headers)
