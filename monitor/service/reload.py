"""SIGHUP: re-read the config and seeds and apply them to the running daemon, or keep the running ones.

A mixin of `monitor.service.daemon.Daemon` (it uses the daemon's scheduler, feeds and parts);
kept apart so the daemon's module is the schedule and this one the changes to it.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from monitor.config import Settings
from monitor.errors import ConfigError, SeedwatchError
from monitor.service.app import read
from monitor.service.clock import utcnow
from monitor.service.loading import build_profiles

if TYPE_CHECKING:
    from monitor.service.daemon import Daemon

log = logging.getLogger("seedwatch.daemon")
# the fetcher, its connection pool and the listener are built at start; the rest is read per run
RESTART_FETCH_KEYS = ("timeout", "max_body", "max_redirects", "concurrency", "per_host")


class Reloading:
    """`reload()` and what it changes in the schedule."""

    def reload(self: Daemon) -> bool:
        """Re-read config and seeds; apply them, or keep the running ones and log why not."""
        self.notify.reloading()
        old = self.app.settings
        try:
            settings, seeds = read(old.path)
            _check_reloadable(old, settings)
            profiles = build_profiles(settings, seeds, self.app.engine, self.app.store.feedback())
            self.app.reconfigure(settings, seeds, profiles)  # may refuse a sink (an apprise URL); then nothing changed
            self.presence.reconfigured(settings, seeds)
        except SeedwatchError as exc:
            log.error("reload rejected; still running the previous config", extra={"kv": {"error": str(exc)}})
            self.metrics.reloads.labels("rejected").inc()
            self.notify.ready(self._status_line())
            return False
        added, removed, changed = self._apply_feeds(settings)
        if settings.monitor.delivery_interval != old.monitor.delivery_interval:
            self.scheduler.reschedule_job("deliver", trigger="interval", seconds=settings.monitor.delivery_interval)
        self._schedule_digests()
        self._schedule_rescore()
        later = [f"fetch.{k}" for k in RESTART_FETCH_KEYS if getattr(settings.fetch, k) != getattr(old.fetch, k)]
        later += ["service"] if settings.service != old.service else []
        later += [f"monitor.{k}" for k in ("log_format", "allow_private_networks", "allow_hosts", "semantic") if getattr(settings.monitor, k) != getattr(old.monitor, k)]
        log.info(
            "reloaded",
            extra={"kv": {"feeds": len(self.feeds), "added": added, "removed": removed, "changed": changed, "webhooks": len(settings.webhooks), "seeds": len(seeds), "restart_needed_for": ",".join(later) or None}},
        )
        self.metrics.reloads.labels("ok").inc()
        self.notify.ready(self._status_line())
        return True

    def _apply_feeds(self: Daemon, settings: Settings) -> tuple[int, int, int]:
        """Schedule added feeds, drop removed ones, hand changed ones their new config."""
        now = utcnow()
        wanted = {f.url: f for f in settings.feeds if f.enabled}
        with self._feeds_lock:
            current = dict(self.feeds)
            for url in current.keys() - wanted.keys():
                del self.feeds[url]
                if self.scheduler.get_job(f"feed:{url}"):
                    self.scheduler.remove_job(f"feed:{url}")
            changed = 0
            for url in current.keys() & wanted.keys():
                stored = self._stored_state(url)
                if self.scheduler.get_job(f"feed:{url}") is None and not (stored is not None and stored.disabled):
                    # re-enabled (`seedwatch feeds enable`) since a 410 stopped it; a run in flight
                    # would reschedule the same job id, so this never doubles a feed
                    self._schedule_feed(wanted[url], now)
                if current[url] != wanted[url]:
                    changed += 1
                    self.feeds[url] = wanted[url]
                    job = self.scheduler.get_job(f"feed:{url}")
                    if job is not None:  # otherwise it is running and reschedules itself with the new config
                        sooner = now + timedelta(seconds=settings.feed_interval(wanted[url]))
                        self._schedule_feed(wanted[url], min(job.next_run_time, sooner) if job.next_run_time else sooner)
        for url in wanted.keys() - current.keys():
            self._add_feed(wanted[url], now)
        self.metrics.feeds.set(len(self.feeds))
        return len(wanted.keys() - current.keys()), len(current.keys() - wanted.keys()), changed


def _check_reloadable(old: Settings, new: Settings) -> None:
    """Refuse what cannot change under a running daemon (the store and its lock)."""
    if new.state_url != old.state_url:
        raise ConfigError(f"{new.path}: monitor.state: cannot change while running ({old.state_url} -> {new.state_url}); restart the service to switch stores")
