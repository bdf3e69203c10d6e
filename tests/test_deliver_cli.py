"""`seedwatch test-webhook` and `seedwatch alerts [--failed] [--json] | retry ID` as real subprocesses."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

from standardwebhooks import Webhook

from monitor.store import Store
from tests.conftest import seedwatch, write_config
from tests.outbox import SECRET, alert, deliverer, hook, queue
from tests.servers import WebhookReceiver


def _state(cfg_dir: Path) -> Store:
    return Store(f"sqlite:///{cfg_dir / 'state' / 'seedwatch.db'}")


def test_test_webhook_reports_the_receivers_answer_truthfully(tmp_path: Path, receiver: WebhookReceiver) -> None:
    cfg = write_config(tmp_path, feeds=[], webhooks=[
        {"name": "good", "url": receiver.url("/good"), "secret": SECRET},
        {"name": "missing", "url": receiver.answer("/missing", 404)},
        {"name": "moved", "url": receiver.answer("/moved", (301, {"Location": receiver.url("/new")}))},
    ])
    ok = seedwatch("test-webhook", "good", "--config", str(cfg))
    assert ok.returncode == 0, ok.stderr
    assert "good: ok: HTTP 200" in ok.stdout and ", signed," in ok.stdout
    [post] = receiver.posts("/good")
    event = Webhook(SECRET).verify(post.body, post.headers)
    assert event["type"] == "seedwatch.test" and post.headers["webhook-id"] == event["id"]

    missing = seedwatch("test-webhook", "missing", "--config", str(cfg))
    assert missing.returncode == 1
    assert "missing: FAILED" in missing.stdout and "HTTP 404" in missing.stdout

    moved = seedwatch("test-webhook", "moved", "--config", str(cfg))
    assert moved.returncode == 1 and "HTTP 301" in moved.stdout and "not followed" in moved.stdout
    assert receiver.posts("/new") == []

    unknown = seedwatch("test-webhook", "nope", "--config", str(cfg))
    assert unknown.returncode == 2 and 'no webhook named "nope"' in unknown.stderr and "good, missing, moved" in unknown.stderr


def test_alerts_lists_failed_and_retry_resends(tmp_path: Path, receiver: WebhookReceiver) -> None:
    url = receiver.answer("/h", *[500] * 12)
    cfg = write_config(tmp_path, feeds=[], webhooks=[{"name": "h", "url": url}])
    st = _state(tmp_path)
    now = datetime.now(timezone.utc)
    good, bad = alert(1, now - timedelta(days=4)), alert(2, now - timedelta(days=4), title="Korsel & NATO: senjata untuk Ukraina")
    queue(st, good, ["h"])
    queue(st, bad, ["h"])
    d = deliverer(st, hook("h", url))
    assert [p.alert_id for p in st.claim_due(now, "h", "test", now, 1, alert_id=good.id)] == [good.id]
    assert st.mark_sent(good.id, "h", now, "test")
    t = now - timedelta(days=4)
    for _ in range(15):  # bounded: 12 attempts exhaust the schedule
        d.run_once(t)
        t += timedelta(hours=12)
    st.close()

    listed = seedwatch("alerts", "--json", "--config", str(cfg))
    assert listed.returncode == 0, listed.stderr
    rows = {r["id"]: r for r in map(json.loads, listed.stdout.splitlines())}
    assert rows[good.id]["status"] == "sent" and rows[bad.id]["status"] == "dead"
    assert rows[bad.id]["title"] == bad.item.title and rows[bad.id]["attempts"] == 12 and "HTTP 500" in rows[bad.id]["last_error"]

    failed = seedwatch("alerts", "--failed", "--json", "--config", str(cfg))
    assert [json.loads(line)["id"] for line in failed.stdout.splitlines()] == [bad.id]
    one = seedwatch("alerts", "--json", "--limit", "1", "--config", str(cfg))
    assert one.returncode == 0 and len(one.stdout.splitlines()) == 1
    zero = seedwatch("alerts", "--limit", "0", "--config", str(cfg))
    assert zero.returncode == 2 and "--limit" in zero.stderr and "0 is not at least 1" in zero.stderr

    table = seedwatch("alerts", "--failed", "--config", str(cfg), env={"COLUMNS": "200"})
    assert table.returncode == 0 and bad.id in table.stdout and "dead" in table.stdout and good.id not in table.stdout

    receiver.answer("/h", 200)
    before = len(receiver.posts("/h"))
    retried = seedwatch("alerts", "retry", bad.id, "--config", str(cfg))
    assert retried.returncode == 0, retried.stdout + retried.stderr
    assert f"{bad.id} -> h: sent" in retried.stdout
    assert [p.headers["webhook-id"] for p in receiver.posts("/h")[before:]] == [bad.id]

    again = seedwatch("alerts", "retry", bad.id, "--config", str(cfg))
    assert again.returncode == 0 and "nothing to resend (h: sent)" in again.stdout
    unknown = seedwatch("alerts", "retry", "alrt_nope", "--config", str(cfg))
    assert unknown.returncode == 1 and "no alert with id alrt_nope" in unknown.stdout


def test_alerts_shows_a_disabled_sink_loudly(tmp_path: Path, receiver: WebhookReceiver) -> None:
    url = receiver.answer("/h", 410)
    cfg = write_config(tmp_path, feeds=[], webhooks=[{"name": "h", "url": url}])
    st = _state(tmp_path)
    now = datetime.now(timezone.utc)
    queue(st, alert(1, now), ["h"])
    deliverer(st, hook("h", url)).run_once(now)
    st.close()
    out = seedwatch("alerts", "--config", str(cfg), env={"COLUMNS": "200"})
    assert out.returncode == 0 and "sink h is DISABLED" in out.stdout and "410" in out.stdout
    fixed = seedwatch("test-webhook", "h", "--config", str(cfg))  # the receiver answers 200 now
    assert fixed.returncode == 0 and "enabled again" in fixed.stdout
    assert "DISABLED" not in seedwatch("alerts", "--config", str(cfg)).stdout
