"""Sharing one database with other daemons: who this daemon is, its heartbeat, and its view of the others.

Every daemon schedules every feed; before polling one it asks the store for the feed's lease
(monitor.store.feeds.lease_feed), so each feed is polled by one daemon per cycle and a dead
daemon's feeds are taken over once its leases lapse. The lease lasts the fetch deadline twice
plus a margin for parsing, scoring and the commit; a run that overstays it is dropped at
commit (LeaseLost) rather than written twice. Each daemon also keeps a row in `instances`
(heartbeat, config hash), so `status`, /healthz and /metrics see all of them, and a daemon
whose config or seeds differ from its peers' is reported.

On SQLite there is one daemon per file (monitor.service.lock); the same code runs, with one peer.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
from datetime import datetime, timedelta
from pathlib import Path

from monitor import __version__, holder_name
from monitor.config import Settings
from monitor.store import InstanceRow, Store
from monitor.types import Seed

log = logging.getLogger("seedwatch.instances")
BEAT = 10.0  # seconds between heartbeats
DEAD_AFTER = 3  # beats missed before a daemon counts as gone
SWEEP_AFTER = timedelta(days=1)  # a dead daemon's row stays this long for `status` to show
LEASE_MARGIN = 30.0  # seconds a lease adds to the fetch deadline for parse, score and commit
DUE_GRACE = timedelta(seconds=1)  # hosts' clocks (kept by NTP) differ by less than this


def lease_time(settings: Settings) -> timedelta:
    return timedelta(seconds=2 * settings.fetch.timeout + LEASE_MARGIN)


def config_hash(settings: Settings, seeds: list[Seed]) -> str:
    """What two daemons must share to decide alike: the config file's bytes and every seed's text."""
    digest = hashlib.sha256()
    try:
        digest.update(Path(settings.path).read_bytes())
    except OSError:  # the file went away after it was read: its path still tells configs apart
        digest.update(str(settings.path).encode())
    for seed in sorted(seeds, key=lambda s: s.id):
        digest.update(f"\0{seed.id}\0{seed.title}\0{seed.text}".encode())
    return digest.hexdigest()


class Presence:
    """This daemon's row in `instances`, and what its last beat saw of the others."""

    def __init__(self, store: Store, settings: Settings, seeds: list[Seed], now: datetime) -> None:
        self.store = store
        self.id = holder_name()
        self.host, self.pid = socket.gethostname(), os.getpid()
        self.started = now
        self.config_hash = config_hash(settings, seeds)
        self.peers: list[InstanceRow] = []  # live daemons at the last beat, this one included
        self._mismatch: frozenset[str] = frozenset()

    def reconfigured(self, settings: Settings, seeds: list[Seed]) -> None:
        self.config_hash = config_hash(settings, seeds)

    def beat(self, now: datetime, feeds: int) -> None:
        """Refresh our row and read the others'; say so when their configs stop or start agreeing."""
        self.store.beat(InstanceRow(self.id, self.host, self.pid, self.started, now, self.config_hash, __version__, feeds))
        self.peers = alive(self.store.instances(), now)
        others = frozenset(p.id for p in self.peers if p.config_hash != self.config_hash)
        if others != self._mismatch:
            if others:
                log.warning("other instances on this database run a different config or seeds; they will decide differently until all run the same", extra={"kv": {"me": self.id, "differ": ",".join(sorted(others))}})
            else:
                log.info("every instance on this database runs the same config and seeds", extra={"kv": {"instances": len(self.peers)}})
            self._mismatch = others

    @property
    def mismatched(self) -> list[str]:
        return sorted(self._mismatch)

    def sweep(self, now: datetime) -> None:
        self.store.sweep_instances(now - SWEEP_AFTER)

    def leave(self) -> None:
        """A clean stop: our leases end now (others poll those feeds at once) and our row goes."""
        self.store.release_leases(self.id)
        self.store.leave(self.id)


def dead_here(holders: list[str]) -> list[str]:
    """The holders (`host:pid:token`, monitor.holder_name) that were
    processes on this host and are gone: a kill -9 left their claims, which need not wait to lapse."""
    here = socket.gethostname()
    dead = []
    for holder in holders:
        host, _, rest = holder.partition(":")
        pid = rest.partition(":")[0]
        if pid.isdigit() and _gone(host, int(pid), here):
            dead.append(holder)
    return dead


def _gone(host: str, pid: int, here: str) -> bool:
    """Whether (host, pid) was a process of this host (`here`) that no longer runs."""
    if host != here or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # someone else's process, alive
        pass
    return False


def alive(rows: list[InstanceRow], now: datetime) -> list[InstanceRow]:
    """The daemons whose heartbeat is recent enough to count them running, less those of this
    host whose process is gone (a kill -9 is known at once here, not after the heartbeat ages)."""
    here = socket.gethostname()
    return [r for r in rows if now - r.heartbeat <= timedelta(seconds=DEAD_AFTER * BEAT) and not _gone(r.host, r.pid, here)]


def configs_differ(live: list[InstanceRow]) -> bool:
    """Whether the running daemons do not all run one config and seeds."""
    return len({r.config_hash for r in live}) > 1
