"""Wiring: config -> seeds -> profiles, store, fetcher, deliverer; shared by the CLI and the daemon."""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from monitor.config import FeedConfig, Settings, find_config, load_settings
from monitor.deliver import Deliverer
from monitor.fetch import Fetcher
from monitor.parse import ParsedFeed, parse_feed
from monitor.pipeline import Deps, run_feed
from monitor.seeds import load_seeds
from monitor.store import Store
from monitor.topics import build_profile
from monitor.types import RunReport, Seed, TopicProfile


log = logging.getLogger("seedwatch.app")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class ParsePool:
    """`parse_feed` in forked worker processes, called like `parse_feed` from any thread.

    feedparser is pure Python, so parsing threads would run one at a time under the GIL;
    worker processes let a poll cycle use every core. The workers are forked at once, while
    this process still has a single thread, so they inherit the imported modules and no
    held lock. If a worker dies, parsing goes on in-process: slower, same results.
    """

    def __init__(self, workers: int) -> None:
        context = multiprocessing.get_context("fork")
        self._pool: ProcessPoolExecutor | None = ProcessPoolExecutor(workers, mp_context=context, initializer=_worker_init, initargs=(os.getpid(),))
        self._pool.submit(int).result()  # with fork, the first submit starts every worker

    def __call__(self, body: bytes, headers: dict[str, str], feed_url: str, source: str, lang: str | None = None) -> ParsedFeed:
        pool = self._pool
        if pool is not None:
            try:
                return pool.submit(parse_feed, body, headers, feed_url, source, lang).result()
            except BrokenProcessPool:
                log.warning("parse worker died; parsing in-process from now on", extra={"kv": {"feed": feed_url}})
                self._pool = None
        return parse_feed(body, headers, feed_url, source, lang)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def _worker_init(parent: int) -> None:
    """Signals are the parent's to handle (it finishes in-flight parses, then closes the pool);
    a worker exits within a second of its parent's death, even a `kill -9`."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)

    def watch() -> None:
        while os.getppid() == parent:  # for the life of the parent, by design
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def parse_workers() -> int:
    """One parse worker per usable core; none on a single core, where a worker only adds copying."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return cores if cores > 1 else 0


def load(config: str | None) -> tuple[Settings, list[Seed], list[TopicProfile]]:
    """Validated settings, seeds and their profiles; ConfigError on any problem."""
    settings = load_settings(find_config(config))
    seeds = load_seeds(settings.seeds_dir)
    profiles = [build_profile(seed, settings.monitor.threshold) for seed in seeds]
    return settings, seeds, profiles


@dataclass
class App:
    """The running parts for one config; `close()` releases them."""

    settings: Settings
    seeds: list[Seed]
    profiles: list[TopicProfile]
    store: Store
    fetcher: Fetcher
    deliverer: Deliverer
    stop: threading.Event = field(default_factory=threading.Event)
    parser: ParsePool | None = None

    @classmethod
    def open(cls, settings: Settings, seeds: list[Seed], profiles: list[TopicProfile]) -> "App":
        """Open the parts; call before starting any thread (the parse workers are forked here)."""
        workers = parse_workers()
        parser = ParsePool(workers) if workers else None
        stop = threading.Event()
        store = Store(settings.state_url)
        return cls(settings, seeds, profiles, store, Fetcher(settings.fetch, stop=stop), Deliverer(store, settings.webhooks), stop, parser)

    @property
    def deps(self) -> Deps:
        if self.parser is None:
            return Deps(self.settings, self.store, self.fetcher, self.profiles)
        return Deps(self.settings, self.store, self.fetcher, self.profiles, parse=self.parser)

    def enabled_feeds(self) -> list[FeedConfig]:
        return [f for f in self.settings.feeds if f.enabled]

    def poll_all(self) -> Iterator[RunReport]:
        """Run every enabled feed once, concurrently; reports in config order."""
        feeds = self.enabled_feeds()
        deps = self.deps
        with ThreadPoolExecutor(max_workers=self.settings.fetch.concurrency) as pool:
            futures = [pool.submit(run_feed, feed, deps, utcnow()) for feed in feeds]
            for future in futures:
                yield future.result()

    def close(self) -> None:
        if self.parser is not None:
            self.parser.close()
        self.fetcher.close()
        self.deliverer.close()
        self.store.close()


def state_path(settings: Settings) -> Path | None:
    url = settings.state_url
    return Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None
