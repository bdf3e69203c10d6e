"""One daemon per state file: an exclusive flock on `<state>.lock` holding the daemon's pid.

`seedwatch run` takes the lock for its lifetime (`acquire_lock`); `status`, `feeds` and
`import-opml` only ask who holds it (`lock_holder`), so this module stays small and imports
nothing but the settings: reading a pid must not load the daemon and its scheduler.
A database URL other than a SQLite file has no lock file (the database is shared by design).
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO, Any

from monitor.config import Settings
from monitor.errors import StoreError


def state_path(settings: Settings) -> Path | None:
    """The SQLite file of the state, or None when the state is another database."""
    url = settings.state_url
    return Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None


def acquire_lock(settings: Settings) -> IO[Any] | None:
    """Take the lock and write our pid in it; StoreError naming the holder when another has it.

    The caller keeps the handle open for as long as it runs (closing it releases the lock).
    """
    path = state_path(settings)
    if path is None:
        return None
    handle = open(Path(f"{path}.lock"), "a+")
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


def lock_holder(settings: Settings) -> int | None:
    """The pid of the daemon running on this state file (-1 if it wrote none), or None when none is.

    Probes with a shared lock released at once; a daemon starting in that
    microsecond would be refused, which Restart=on-failure absorbs.
    """
    path = state_path(settings)
    lock_path = Path(f"{path}.lock") if path else None
    if lock_path is None or not lock_path.exists():
        return None
    try:
        handle = open(lock_path)
    except OSError:
        return None  # e.g. the service's private state directory, unreadable to this user
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            text = handle.read().strip()
            return int(text) if text.isdigit() else -1
        fcntl.flock(handle, fcntl.LOCK_UN)
    return None
