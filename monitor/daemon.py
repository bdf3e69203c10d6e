"""The long-running service: APScheduler runs feed polls, delivery and maintenance.

Poll timing lives in our store (FeedState.next_poll, decided by cachecontrol);
APScheduler only executes: each feed job re-schedules itself for the time the
run decided, so restarts resume where the store says.
"""

from __future__ import annotations

import fcntl
import logging
import os
import signal
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from monitor.app import App, state_path, utcnow
from monitor.config import FeedConfig
from monitor.digest import cron_trigger, zone
from monitor.errors import StoreError
from monitor.pipeline import run_feed

log = logging.getLogger("seedwatch.daemon")
STOP_GRACE = 8.0  # seconds in-flight jobs get after SIGTERM; systemd's default stop timeout is 90 s, ours promise is 10 s


def acquire_lock(app: App) -> IO[Any] | None:
    """One instance per state file: an exclusive lock on `<state>.lock`."""
    path = state_path(app.settings)
    if path is None:
        return None
    lock_path = Path(f"{path}.lock")
    handle = open(lock_path, "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise StoreError(f"{path}: already in use by seedwatch (pid {holder}); one instance per state file") from None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


class Daemon:
    """Schedules every enabled feed, the delivery job and maintenance."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.stopping = threading.Event()
        self.scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(app.settings.fetch.concurrency)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone="UTC",
        )
        self.busy = 0
        self._busy_lock = threading.Lock()

    def run(self) -> int:
        lock = acquire_lock(self.app)
        try:
            self._install_signals()
            self.app.deliverer.warn_disabled(utcnow())
            self._schedule_all()
            self.scheduler.start()
            log.info("started", extra={"kv": {"feeds": len(self.app.enabled_feeds()), "seeds": len(self.app.seeds), "webhooks": len(self.app.settings.webhooks), "state": self.app.settings.state_url}})
            while not self.stopping.wait(1.0):
                pass
            return self._shutdown()
        finally:
            if lock:
                lock.close()

    def _install_signals(self) -> None:
        def stop(signum: int, _frame: Any) -> None:
            log.info("stopping", extra={"kv": {"signal": signal.Signals(signum).name}})
            self.stopping.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)

    def _schedule_all(self) -> None:
        now = utcnow()
        for feed in self.app.enabled_feeds():
            state = self.app.store.feed_state(feed.url)
            when = state.next_poll if state.next_poll and state.next_poll > now else now + timedelta(seconds=self.app.deps.rng.uniform(0, 2))
            self._schedule_feed(feed, when)
        self.scheduler.add_job(self._tracked(self._deliver), "interval", seconds=self.app.settings.monitor.delivery_interval, id="deliver", next_run_time=now)
        self.scheduler.add_job(self._tracked(self._maintain), "interval", hours=1, id="maintain")
        for hook in self.app.settings.webhooks:
            if hook.digest:  # fires the digest on time; the delivery tick catches up on any missed while down
                trigger = cron_trigger(hook.digest, zone(hook.timezone))
                self.scheduler.add_job(self._tracked(self._deliver), trigger, id=f"digest:{hook.name}")

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
            except Exception:  # a bug in one job must not kill the daemon
                log.exception("job failed", extra={"kv": {"job": fn.__name__}})
            finally:
                with self._busy_lock:
                    self.busy -= 1

        wrapper.__name__ = fn.__name__
        return wrapper

    def _poll(self, feed: FeedConfig) -> None:
        run_feed(feed, self.app.deps, utcnow())
        if not self.stopping.is_set():
            state = self.app.store.feed_state(feed.url)
            if not state.disabled:
                self._schedule_feed(feed, state.next_poll or utcnow() + timedelta(seconds=self.app.settings.feed_interval(feed)))

    def _deliver(self) -> None:
        self.app.deliverer.run_once(utcnow())

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
            os._exit(0)  # every write is a transaction, so an unfinished job leaves nothing half-written
        self.app.close()
        log.info("stopped")
        return 0
