"""Wiring: the store, fetcher, parse workers and deliverer for one config; shared by the CLI and the daemon.

Reading the config and seeds is `monitor.service.loading`; `read` is re-exported here for the
commands that open an App right after reading. An App that polls also builds the relevance
engine, with the semantic model in its own worker process (monitor.service.embedder).
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone

from monitor.config import FeedConfig, Settings
from monitor.delivery.deliver import TIMEOUT as DELIVERY_TIMEOUT
from monitor.delivery.deliver import Deliverer
from monitor.errors import StoreError
from monitor.ingest.fetch import Fetcher
from monitor.ingest.netguard import Guard, deadline, guarded_client
from monitor.ingest.parse import parse_feed
from monitor.ingest.parsepool import ParsePool, parse_workers
from monitor.pipeline import Deps, Rescored, StoryMembers, changed, rescore, run_feed
from monitor.relevance.engine import Relevance
from monitor.relevance.semantic import CachedEmbedder, E5Embedder, Embedder
from monitor.service.clock import utcnow
from monitor.service.embedder import EmbedError, EmbedWorker
from monitor.service.loading import Loaded, build_profiles, load, read
from monitor.service.sharing import lease_time
from monitor.store import Lease, Store
from monitor.types import RunReport, Seed, TopicProfile

__all__ = ["App", "read", "scoring"]
log = logging.getLogger("seedwatch.app")


@dataclass
class App:
    """The running parts for one config; `close()` releases them."""

    settings: Settings
    seeds: list[Seed]
    engine: Relevance
    profiles: list[TopicProfile]
    store: Store
    fetcher: Fetcher
    deliverer: Deliverer
    stop: threading.Event = field(default_factory=threading.Event)
    parser: ParsePool | None = None
    rng: random.Random = field(default_factory=random.Random)
    members: StoryMembers = field(default_factory=StoryMembers)
    embedder: EmbedWorker | None = None
    holder: str | None = None  # the daemon's instance id, under which its runs hold feed leases

    @classmethod
    def open(cls, settings: Settings, seeds: list[Seed], polls: bool = True) -> "App":
        """Open the parts; call before starting any thread (the parse workers are forked here).
        Commands that only deliver (`polls` false) get no workers, no model and no profiles."""
        workers = parse_workers() if polls else 0
        parser = ParsePool(workers) if workers else None
        store = Store(settings.state_url)
        embedder = _embedder(settings) if polls else None
        engine = Relevance(cached(embedder, store) if embedder else None)
        profiles = build_profiles(settings, seeds, engine, store.feedback()) if polls else []
        stop = threading.Event()
        guard = Guard.from_settings(settings.monitor)  # webhook URLs pass the same SSRF guard as feeds
        # the guarded transport also gives each POST its one total deadline (netguard.deadline)
        deliverer = Deliverer(store, settings.webhooks, client=guarded_client(guard, timeout=DELIVERY_TIMEOUT), bound=deadline, config=settings.path)
        shared = store.host_slot if store.dialect == "postgresql" else None  # per_host across instances
        fetcher = Fetcher(settings.fetch, guard, stop=stop, shared_slot=shared)
        return cls(settings, seeds, engine, profiles, store, fetcher, deliverer, stop, parser, embedder=embedder)

    @property
    def deps(self) -> Deps:
        """What a feed run needs, from the parts built at start (and the config of the last reload)."""
        parse = self.parser or parse_feed
        return Deps(self.settings, self.store, self.fetcher, self.engine, self.profiles, self.rng, parse, self.members, self.holder)

    def reconfigure(self, settings: Settings, seeds: list[Seed], profiles: list[TopicProfile]) -> None:
        """Swap in a reloaded config; runs in flight finish with the one they started with."""
        if settings.webhooks != self.settings.webhooks:
            # the HTTP client is shared, so a delivery in flight on the old sinks is not cut off
            old = self.deliverer
            self.deliverer = Deliverer(self.store, settings.webhooks, client=old.client, rng=old.rng, lock=old.lock, bound=old.bound, timeout=old.timeout, config=settings.path)
        self.settings, self.seeds, self.profiles = settings, seeds, profiles

    def enabled_feeds(self) -> list[FeedConfig]:
        return [f for f in self.settings.feeds if f.enabled]

    def rescore_changed(self) -> Rescored:
        """Re-score the stored recent items for every seed added or changed since its alerts were decided."""
        deps = self.deps
        return rescore(deps, changed(deps), utcnow())

    def poll_all(self, holder: str | None = None) -> Iterator[RunReport]:
        """Run every enabled feed once, concurrently, due or not; reports in config order.

        With `holder`, each run first takes the feed's lease under that name, so a feed a daemon
        is polling at that moment is left to it (status `left`) rather than fetched twice; a
        store that cannot grant leases lets the run go ahead without one, as a daemon does."""
        feeds = self.enabled_feeds()
        with ThreadPoolExecutor(max_workers=self.settings.fetch.concurrency) as pool:
            futures = [pool.submit(self._poll_once, feed, holder) for feed in feeds]
            for future in futures:
                yield future.result()

    def lease(self, feed: FeedConfig, holder: str, now: datetime, due_by: datetime) -> Lease | None:
        """The feed's lease for `holder` (monitor.store.feeds.lease_feed), or None when the store
        cannot say: the run goes ahead without one, meets the same fault and records it with its
        backoff (a store outage must not take feeds off the schedule). Should the store come back
        meanwhile, the worst is a second GET: items, alerts and stories are still written once
        (unique keys, the per-seed story lock)."""
        try:
            return self.store.lease_feed(feed.url, feed.name, holder, now, now + lease_time(self.settings), due_by)
        except StoreError:
            return None

    def _poll_once(self, feed: FeedConfig, holder: str | None) -> RunReport:
        now = utcnow()
        lease = self.lease(feed, holder, now, datetime.max.replace(tzinfo=timezone.utc)) if holder is not None else None
        if lease is not None and not lease.granted:
            return RunReport(feed.url, "left", error=f"being polled by {lease.holder} (its lease ends {lease.retry_at:%H:%M:%S} UTC)" if lease.retry_at else "being polled by another instance")
        return run_feed(feed, replace(self.deps, holder=holder if lease is not None else None), now)

    def close(self) -> None:
        if self.parser is not None:
            self.parser.close()
        if self.embedder is not None:
            self.embedder.close()
        self.fetcher.close()
        self.deliverer.close()
        self.store.close()


@contextmanager
def scoring(config: str | None) -> Iterator[Loaded]:
    """Config, seeds, engine and profiles for a command that scores in its own process (explain,
    replay): the model runs here, its vectors cached in the configured store."""
    stores: list[Store] = []

    def store(settings: Settings) -> Store:
        if not stores:
            stores.append(Store(settings.state_url))
        return stores[0]

    try:
        yield load(config, lambda s: cached(E5Embedder(), store(s)), lambda s: store(s).feedback())
    finally:
        for store in stores:
            store.close()


def cached(embed: Embedder, store: Store) -> CachedEmbedder:
    """`embed` behind the store's vector cache: nothing is embedded twice."""
    return CachedEmbedder(embed, store.cached_vectors, lambda rows: store.cache_vectors(rows, utcnow()))


def _embedder(settings: Settings) -> EmbedWorker | None:
    """The semantic model's worker, or None (off in the config, or it cannot start: said once, loudly)."""
    if not settings.monitor.semantic:
        return None
    try:
        return EmbedWorker()
    except EmbedError as exc:
        log.error("semantic signal off: the model's worker cannot start; scoring with names, terms and the catalogue only", extra={"kv": {"error": str(exc)}})
        return None
