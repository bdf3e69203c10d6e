"""The wall clock, read only in the shell: the pipeline, the stages and the store take `now`
as an argument, so tests can hand them any time. Apart from `app` so that light commands
(`status`, `feeds`, `stories`) can read the time without importing what `app` wires.
"""

from __future__ import annotations

from datetime import datetime, timezone


def utcnow() -> datetime:
    """Now, timezone-aware in UTC (what the store keeps and every comparison expects)."""
    return datetime.now(timezone.utc)
