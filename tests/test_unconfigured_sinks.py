"""Deliveries queued for a sink since removed from the config: kept (it may come back), and said
so by `status` and `alerts retry` instead of counted as ordinary pending mail or old failures."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from monitor import wire
from monitor.store import Store
from monitor.types import FeedState
from tests.conftest import seedwatch, write_config
from tests.servers import WebhookReceiver


def test_status_and_retry_name_the_sink_that_is_no_longer_configured(tmp_path: Path, receiver: WebhookReceiver) -> None:
    cfg = write_config(tmp_path, feeds=[], webhooks=[{"name": "h", "url": receiver.url("/h")}])
    state = tmp_path / "state" / "seedwatch.db"
    state.parent.mkdir(parents=True, exist_ok=True)
    store = Store(f"sqlite:///{state}")
    try:
        now = datetime.now(timezone.utc)
        body = wire.feed_health(FeedState("http://feeds.example/f", last_error="HTTP 500", last_error_kind="http", consecutive_failures=9, health="failing"), "Feed", "failing", "failing", now)
        assert store.queue_notice((body, ["h", "gone"], now))
    finally:
        store.close()

    shown = seedwatch("status", "--config", str(cfg), env={"COLUMNS": "250"})  # one table row on one line
    assert shown.returncode == 0, shown.stderr
    assert "2 pending" in shown.stdout and "1 of them for sinks no longer in the config (gone)" in " ".join(shown.stdout.split())
    as_json = json.loads(seedwatch("status", "--json", "--config", str(cfg)).stdout)
    assert as_json["outbox"] == 2 and as_json["unconfigured_sinks"] == {"gone": 1}

    retried = seedwatch("alerts", "retry", body["id"], "--config", str(cfg))
    assert retried.returncode == 1, retried.stdout + retried.stderr
    assert f"{body['id']} -> h: sent" in retried.stdout
    assert f"{body['id']} -> gone: not sent: no sink gone in the config any more" in retried.stdout
    assert len(receiver.posts("/h")) == 1
