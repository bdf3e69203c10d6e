"""Prometheus metrics in a registry of our own (no module globals), fed from run reports."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from monitor.delivery.deliver import DeliveryReport
from monitor.types import RunReport

CONTENT_TYPE = CONTENT_TYPE_LATEST
# A poll is one conditional GET plus parsing: mostly well under a second, a fetch deadline of 30 s at worst
POLL_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    """Counters, gauges and the poll-duration histogram of one daemon."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.polls = Counter("seedwatch_polls", "Feed runs by outcome", ["status"], registry=r)
        self.fetch_errors = Counter("seedwatch_fetch_errors", "Failed feed runs by error kind", ["kind"], registry=r)
        self.items_seen = Counter("seedwatch_items_seen", "New items stored", registry=r)
        self.alerts_queued = Counter("seedwatch_alerts_queued", "Alerts written to the outbox", registry=r)
        self.alerts_sent = Counter("seedwatch_alerts_sent", "Webhook deliveries answered with 2xx (alerts, digests, feed notices)", registry=r)
        self.alerts_failed = Counter("seedwatch_alerts_failed", "Webhook delivery attempts that failed", registry=r)
        self.alerts_dead = Counter("seedwatch_alerts_dead", "Deliveries given up after the last retry", registry=r)
        self.alerts_held = Counter("seedwatch_alerts_held", "Deliveries held for a digest (budget, quiet hours, digest mode)", registry=r)
        self.digests = Counter("seedwatch_digests", "Digest messages queued", registry=r)
        self.poll_duration = Histogram("seedwatch_poll_duration_seconds", "Duration of one feed run", buckets=POLL_BUCKETS, registry=r)
        self.outbox_depth = Gauge("seedwatch_outbox_depth", "Deliveries waiting to be sent", registry=r)
        self.feeds = Gauge("seedwatch_feeds", "Feeds scheduled", registry=r)
        self.last_tick = Gauge("seedwatch_scheduler_last_tick_timestamp_seconds", "UNIX time of the scheduler's last heartbeat", registry=r)
        self.instances = Gauge("seedwatch_instances", "Daemons running on this database at the last heartbeat, this one included", registry=r)
        self.config_mismatch = Gauge("seedwatch_instances_config_mismatch", "Other daemons on this database whose config or seeds differ from this one's", registry=r)
        self.leases_skipped = Counter("seedwatch_feed_polls_left_to_others", "Due feeds this daemon did not poll because another held the lease or had polled them", registry=r)
        self.reloads = Counter("seedwatch_reloads", "Config reloads by outcome", ["result"], registry=r)

    def record_run(self, report: RunReport) -> None:
        """Count one feed run, a failed one by its error kind."""
        self.polls.labels(report.status).inc()
        self.poll_duration.observe(report.duration)
        self.items_seen.inc(report.new)
        self.alerts_queued.inc(report.alerts)
        if report.status == "error":
            self.fetch_errors.labels(report.kind or "unknown").inc()

    def record_delivery(self, report: DeliveryReport) -> None:
        """Count one delivery run."""
        self.alerts_sent.inc(report.sent)
        self.alerts_failed.inc(report.failed)
        self.alerts_dead.inc(report.dead)
        self.alerts_held.inc(report.held)
        self.digests.inc(report.digests)

    def watch_outbox(self, depth: Callable[[], float]) -> None:
        """Read the outbox depth from the store at scrape time, so it is never stale."""
        self.outbox_depth.set_function(depth)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
