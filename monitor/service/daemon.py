"""The long-running service: APScheduler runs feed polls, delivery and maintenance.

Poll timing lives in our store (FeedState.next_poll, decided by cachecontrol);
APScheduler only executes: each feed job re-schedules itself for the time the
run decided, so restarts resume where the store says. A heartbeat job on its own
one-thread executor proves the scheduler loop is alive: it pings the systemd
watchdog and is what /healthz checks. SIGHUP reloads config and seeds in place.
Daemons sharing a database poll each feed once between them: a feed job first takes the
feed's lease (monitor.service.sharing), and leaves the feed to its holder when it cannot.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from monitor.config import FeedConfig
from monitor.delivery.digest import cron_trigger, zone
from monitor.errors import ConfigError, StoreError
from monitor.pipeline import run_feed
from monitor.service.app import App
from monitor.service.clock import utcnow
from monitor.service.httpserver import Health, StatusServer
from monitor.service.lock import acquire_lock
from monitor.service.metrics import Metrics
from monitor.service.notify import Notifier
from monitor.service.reload import Reloading
from monitor.service.sharing import BEAT, DUE_GRACE, Presence, dead_here
from monitor.types import FeedState, RunReport

log = logging.getLogger("seedwatch.daemon")
STOP_GRACE = 8.0  # seconds in-flight jobs get after SIGTERM; systemd's default stop timeout is 90 s, ours promise is 10 s
TICK = 5.0  # heartbeat period without a systemd watchdog
STALE_TICKS = 3  # /healthz fails after this many missed heartbeats


class Daemon(Reloading):
    """Schedules every enabled feed, the delivery job and maintenance."""

    def __init__(self, app: App, notifier: Notifier | None = None, metrics: Metrics | None = None) -> None:
        self.app = app
        self.notify = notifier or Notifier()
        self.metrics = metrics or Metrics()
        self.tick_interval = self.notify.watchdog_interval or TICK
        self.last_tick: float | None = None  # time.monotonic() of the last heartbeat
        self.stopping = threading.Event()
        self._reload_requested = threading.Event()
        self._wake = threading.Event()
        self._feeds_lock = threading.Lock()
        self.feeds: dict[str, FeedConfig] = {}  # what is scheduled now, by URL
        self.http: StatusServer | None = None
        self.scheduler = BackgroundScheduler(
            # slow feed runs can fill the default pool; the heartbeat must not wait behind them
            executors={"default": ThreadPoolExecutor(app.settings.fetch.concurrency), "heartbeat": ThreadPoolExecutor(1), "presence": ThreadPoolExecutor(1)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone="UTC",
        )
        self.busy = 0
        self._busy_lock = threading.Lock()
        self.presence = Presence(app.store, app.settings, app.seeds, utcnow())
        app.holder = self.presence.id

    def run(self) -> int:
        lock = acquire_lock(self.app.settings)
        try:
            self._install_signals()
            self.app.deliverer.warn_disabled(utcnow())
            self._sweep(sole=lock is not None)
            self._schedule_all()
            self._start_http()
            self.scheduler.start()
            log.info("started", extra={"kv": {"feeds": len(self.feeds), "seeds": len(self.app.seeds), "webhooks": len(self.app.settings.webhooks), "state": self.app.settings.state_url, "watchdog": self.notify.watchdog_interval}})
            self.notify.ready(self._status_line())
            while not self.stopping.is_set():
                self._wake.wait(1.0)
                self._wake.clear()
                if self._reload_requested.is_set() and not self.stopping.is_set():
                    self._reload_requested.clear()
                    self.reload()
            self.notify.stopping()
            if self.http:
                self.http.close()
            return self._shutdown()
        finally:
            self.notify.close()
            if lock:
                lock.close()

    def _install_signals(self) -> None:
        def stop(signum: int, _frame: Any) -> None:
            log.info("stopping", extra={"kv": {"signal": signal.Signals(signum).name}})
            self.stopping.set()
            self._wake.set()

        def reload(_signum: int, _frame: Any) -> None:
            # the work happens in the main loop: a signal handler must not take locks
            self._reload_requested.set()
            self._wake.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGHUP, reload)

    def _sweep(self, sole: bool) -> None:
        """Forget dead daemons' rows; `sole` (we hold the SQLite file's lock, so no other daemon
        runs on it): their leases too, or a daemon killed mid-poll would keep its feeds for a lease.
        Deliveries claimed by senders that died on this host are given back (same webhook-id)."""
        try:
            self.presence.sweep(utcnow())
            if sole:
                self.app.store.release_leases(None)
            dead = dead_here(self.app.store.claimers())
            if dead:
                log.info("sending again what killed senders had claimed", extra={"kv": {"rows": self.app.store.release_claims(dead), "senders": ",".join(dead)}})
        except StoreError as exc:
            log.warning("could not sweep dead instances' rows", extra={"kv": {"error": str(exc)}})

    def _schedule_all(self) -> None:
        now = utcnow()
        for feed in self.app.enabled_feeds():
            self._add_feed(feed, now)
        self.scheduler.add_job(self._tracked(self._deliver), "interval", seconds=self.app.settings.monitor.delivery_interval, id="deliver", next_run_time=now)
        self.scheduler.add_job(self._tracked(self._maintain), "interval", hours=1, id="maintain")
        self._schedule_rescore()
        self.scheduler.add_job(self._heartbeat, "interval", seconds=self.tick_interval, id="heartbeat", executor="heartbeat", next_run_time=now)
        # its own thread: a store that hangs must not stop the scheduler's heartbeat, nor slow feeds this one
        self.scheduler.add_job(self._tracked(self._beat), "interval", seconds=BEAT, id="presence", executor="presence", next_run_time=now)
        self.metrics.watch_outbox(self._outbox_depth)
        self._schedule_digests()

    def _schedule_rescore(self) -> None:
        """Once, now: a seed added or changed (at start, or by a reload) re-scores the stored recent items."""
        self.scheduler.add_job(self._tracked(self.app.rescore_changed), "date", run_date=utcnow(), id="rescore", replace_existing=True)

    def _schedule_digests(self) -> None:
        """One cron job per digest sink; the delivery tick catches up on any missed while down."""
        for job in self.scheduler.get_jobs():
            if job.id.startswith("digest:"):
                job.remove()
        for hook in self.app.settings.webhooks:
            if hook.digest:
                trigger = cron_trigger(hook.digest, zone(hook.timezone))
                self.scheduler.add_job(self._tracked(self._deliver), trigger, id=f"digest:{hook.name}")

    def _add_feed(self, feed: FeedConfig, now: datetime) -> None:
        """Schedule a feed at the time the store decided, or now (with a little jitter) if that has passed
        or the store cannot say (a store fault must not keep a feed off the schedule)."""
        state = self._stored_state(feed.url)
        due = state.next_poll if state is not None else None
        when = due if due and due > now else now + timedelta(seconds=self.app.rng.uniform(0, 2))
        with self._feeds_lock:
            self.feeds[feed.url] = feed
            self._schedule_feed(feed, when)
        self.metrics.feeds.set(len(self.feeds))

    def _stored_state(self, url: str) -> FeedState | None:
        try:
            return self.app.store.feed_state(url)
        except StoreError as exc:
            log.warning("cannot read the feed's state; scheduling it anyway", extra={"kv": {"feed": url, "error": str(exc)}})
            return None

    def _schedule_feed(self, feed: FeedConfig, when: datetime) -> None:
        self.scheduler.add_job(self._tracked(self._poll), "date", run_date=when, args=[feed], id=f"feed:{feed.url}", replace_existing=True)

    def _tracked(self, fn: Any) -> Any:
        def wrapper(*args: Any) -> None:
            if self.stopping.is_set():
                return
            with self._busy_lock:
                self.busy += 1
            try:
                fn(*args)
            except StoreError as exc:  # the fault is the store's, already explained: no traceback, /healthz shows it
                log.warning("job failed", extra={"kv": {"job": fn.__name__, "error": str(exc)}})
            except Exception:  # a bug in one job must not kill the daemon
                log.exception("job failed", extra={"kv": {"job": fn.__name__}})
            finally:
                with self._busy_lock:
                    self.busy -= 1

        wrapper.__name__ = fn.__name__
        return wrapper

    def _poll(self, feed: FeedConfig) -> None:
        """One feed run, then the next one is scheduled whatever happened (a feed job is one-shot:
        a run that raised and was not rescheduled would silence the feed for good). A feed another
        daemon holds, or polled since, is left to it: this one looks again when it should be due."""
        report: RunReport | None = None
        when: datetime | None = None
        try:
            now = utcnow()
            lease = self.app.lease(feed, self.presence.id, now, now + DUE_GRACE)
            if lease is not None and not lease.granted:
                self.metrics.leases_skipped.inc()
                when = (lease.retry_at or now) + timedelta(seconds=self.app.rng.uniform(0, 1))
                return
            deps = self.app.deps if lease is not None else replace(self.app.deps, holder=None)
            report = run_feed(feed, deps, now)
            self.metrics.record_run(report)
            if report.status == "lost":  # the instance that took it over stored when it is due
                when = max(self._stored_next(feed.url) or now, utcnow() + timedelta(seconds=self.app.rng.uniform(1, 5)))
        finally:
            self._reschedule(feed, report, when)

    def _reschedule(self, feed: FeedConfig, report: RunReport | None, when: datetime | None = None) -> None:
        if self.stopping.is_set() or (report is not None and report.disabled):
            return  # only 410 Gone (and shutdown) stops a feed
        with self._feeds_lock:
            current = self.feeds.get(feed.url)  # a reload may have changed or removed it meanwhile
            if current is not None:
                when = when or (report.next_poll if report is not None else None)
                self._schedule_feed(current, when or utcnow() + timedelta(seconds=self.app.settings.feed_interval(current)))

    def _stored_next(self, url: str) -> datetime | None:
        state = self._stored_state(url)
        return state.next_poll if state is not None else None

    def _beat(self) -> None:
        self.presence.beat(utcnow(), len(self.feeds))
        self.metrics.instances.set(len(self.presence.peers))
        self.metrics.config_mismatch.set(len(self.presence.mismatched))

    def _deliver(self) -> None:
        self.metrics.record_delivery(self.app.deliverer.run_once(utcnow()))

    def _heartbeat(self) -> None:
        """Runs from the scheduler loop: if the loop hangs, systemd's watchdog and /healthz notice."""
        self.last_tick = time.monotonic()
        self.metrics.last_tick.set(time.time())
        self.notify.watchdog()

    def health(self) -> Health:
        """Healthy when the scheduler ticked within STALE_TICKS periods and the store answers and
        took its last write; a store fault is named (file and fix) until a write succeeds again."""
        age = None if self.last_tick is None else time.monotonic() - self.last_tick
        fresh = age is not None and age <= STALE_TICKS * self.tick_interval
        answers = self.app.store.ping()
        fault = self.app.store.fault
        store_ok = answers and fault is None
        detail = {"scheduler_tick_age": None if age is None else round(age, 3), "scheduler": "ok" if fresh else "stalled", "store": "ok" if store_ok else "error", "feeds": len(self.feeds), "instance": self.presence.id, "instances": len(self.presence.peers)}
        if self.presence.mismatched:
            detail["config_mismatch"] = self.presence.mismatched
        if not store_ok:
            detail["store_error"] = fault or f"{self.app.store.where}: does not answer"
        return Health(fresh and store_ok and not self.stopping.is_set(), detail)

    def _outbox_depth(self) -> float:
        try:
            return float(self.app.store.counts()["outbox"])
        except StoreError:  # a scrape reports the store trouble as NaN (and /healthz as 503), not as a 500
            return float("nan")

    def _start_http(self) -> None:
        address = self.app.settings.service.address
        if address is None:
            return
        try:
            self.http = StatusServer(*address, health=self.health, metrics=self.metrics)
        except OSError as exc:
            raise ConfigError(f"{self.app.settings.path}: service.listen: cannot listen on {self.app.settings.service.listen}: {exc.strerror or exc}") from None
        self.http.start()
        log.info("listening", extra={"kv": {"address": self.http.address, "paths": "/healthz /metrics"}})

    def _status_line(self) -> str:
        return f"watching {len(self.feeds)} feeds for {len(self.app.seeds)} seeds"

    def _maintain(self) -> None:
        if self.app.store.engine.dialect.name == "sqlite":
            with self.app.store.engine.begin() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    def _shutdown(self) -> int:
        self.app.stop.set()  # fetches in flight stop at their next chunk
        self.scheduler.shutdown(wait=False)
        deadline = time.monotonic() + STOP_GRACE
        while self.busy and time.monotonic() < deadline:
            time.sleep(0.05)
        if self.busy:
            log.warning("stopped with jobs in flight; their work was not committed and will be redone", extra={"kv": {"jobs": self.busy}})
            logging.shutdown()
            os._exit(0)  # every write is a transaction, so an unfinished job leaves nothing half-written; our leases lapse
        self._leave()
        self.app.close()
        log.info("stopped")
        return 0


    def _leave(self) -> None:
        try:
            self.presence.leave()
        except StoreError as exc:  # our leases lapse by themselves and the row ages out: nothing is lost
            log.warning("could not sign off from the store", extra={"kv": {"error": str(exc)}})
