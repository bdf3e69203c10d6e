"""Config value syntax: durations, sizes, ${VAR} interpolation, listen addresses, time zones,
quiet hours and cron schedules. Each parser raises ValueError with a message a person can act on."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable
from datetime import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:
    from apscheduler.triggers.cron import CronTrigger

MAX_DURATION = 3650 * 86400.0  # ten years: longer than any interval, window or age a monitor needs
_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)d)?(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?$")
_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*(B|KB|KiB|MB|MiB|GB|GiB)?$")
_SIZE_UNITS = {None: 1, "B": 1, "KB": 1000, "KiB": 1024, "MB": 10**6, "MiB": 2**20, "GB": 10**9, "GiB": 2**30}
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_QUIET = re.compile(r"^\s*([01]?\d|2[0-3]):([0-5]\d)\s*-\s*([01]?\d|2[0-3]):([0-5]\d)\s*$")


def parse_duration(value: Any) -> float:
    """"90s", "10m", "1h30m", "2d" or a number of seconds -> seconds, at most MAX_DURATION
    (TOML's nan and inf, and "999999999999d", would pass any minimum and break the first date
    computed from them)."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration like \"10m\"")
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} is not a duration like \"10m\"")
        if value < 0:
            raise ValueError(f"{value!r} is negative")
        return _bounded(float(value), repr(value))
    m = _DURATION.match(value.strip()) if isinstance(value, str) and value.strip() else None
    if not m or not any(m.groups()):
        raise ValueError(f"\"{value}\" is not a duration like \"10m\"")
    d, h, mi, s = (float(g) if g else 0.0 for g in m.groups())
    return _bounded(d * 86400 + h * 3600 + mi * 60 + s, f"\"{value}\"")


def _bounded(seconds: float, shown: str) -> float:
    if seconds > MAX_DURATION:
        raise ValueError(f"{shown} is longer than the longest duration, {format_duration(MAX_DURATION)}")
    return seconds


def duration_at_least(minimum: float, why: str) -> Callable[[Any], float]:
    """A duration parser that also refuses values under `minimum` seconds, saying `why`."""

    def parse(value: Any) -> float:
        seconds = parse_duration(value)
        if seconds < minimum:
            shown = f"\"{value}\"" if isinstance(value, str) else repr(value)
            raise ValueError(f"{shown} is shorter than the minimum {format_duration(minimum)} ({why})")
        return seconds

    return parse


def format_duration(seconds: float) -> str:
    """60 -> "1m", 1.5 -> "1.5s": the shortest spelling parse_duration reads back."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"


def sqlite_path(state: str) -> str | None:
    """The file of a SQLite store address (a bare path, or sqlite:///relative or sqlite:////absolute),
    None for another store."""
    scheme, sep, rest = state.partition("://")
    if not sep:
        return state
    return rest[1:].partition("?")[0] if scheme.lower().partition("+")[0] == "sqlite" and rest.startswith("/") else None


def store_problem(state: str) -> str | None:
    """Why Seedwatch could not open this store address, or None. Only SQLite and PostgreSQL
    through psycopg are installed; SQLAlchemy would otherwise fail at the first command with a
    missing module or dialect. Parsed by hand, so reading a config does not import SQLAlchemy."""
    scheme, sep, rest = state.partition("://")
    if not sep:
        return None if state.strip() else "is empty: give the SQLite file (e.g. \"../state/seedwatch.db\") or a postgresql+psycopg:// address"
    backend, _, driver = scheme.lower().partition("+")
    if backend == "sqlite":
        if driver not in ("", "pysqlite"):
            return f"the SQLite driver \"{driver}\" is not installed; write sqlite:///path/to/seedwatch.db"
        if not rest.startswith("/") or rest[1:] in ("", ":memory:"):
            return "an in-memory SQLite store forgets everything at exit; give a file: sqlite:///path/to/seedwatch.db or a bare path"
        return None
    if backend in ("postgresql", "postgres"):
        if backend == "postgres" or driver not in ("", "psycopg"):
            return f"write postgresql+psycopg://user@host/db (\"{scheme}\" needs a driver that is not installed)"
        try:
            urlsplit(state).port
        except ValueError:
            return f"the port in {scheme}://{rest.split('@')[-1].split('/')[0]} is not a number"
        return None
    return f"\"{scheme}://\" is no store Seedwatch can use: a SQLite file (a bare path or sqlite:///…) or PostgreSQL (postgresql+psycopg://…)"


def parse_size(value: Any) -> int:
    """"10MiB", "512KB" or a number of bytes -> bytes."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    m = _SIZE.match(str(value).strip()) if isinstance(value, str) else None
    if not m:
        raise ValueError(f"\"{value}\" is not a size like \"10MiB\"")
    return int(float(m.group(1)) * _SIZE_UNITS[m.group(2)])


def interpolate(value: str) -> str:
    """Replace ${VAR} and ${VAR:-default} from the environment."""

    def sub(m: re.Match[str]) -> str:
        name, default = m.group(1), m.group(2)
        if name in os.environ and os.environ[name] != "":
            return os.environ[name]
        if default is not None:
            return default
        raise ValueError(f"environment variable {name} is not set")

    return _ENV.sub(sub, value)


def parse_listen(value: str) -> tuple[str, int]:
    """"127.0.0.1:9187", "[::1]:9187" or a bare port (on 127.0.0.1) -> (host, port)."""
    m = re.match(r"^(?:(\[[0-9A-Fa-f:.]+\]|[^:\[\]]+):)?(\d{1,5})$", value.strip())
    if not m or int(m.group(2)) > 65535:
        raise ValueError(f"\"{value}\" is not an address like \"127.0.0.1:9187\"")
    return (m.group(1) or "127.0.0.1").strip("[]"), int(m.group(2))




def zone(name: str) -> ZoneInfo:
    """An IANA time zone, or ValueError naming the problem."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"\"{name}\" is not an IANA time zone like \"Europe/Berlin\"") from None


def parse_quiet_hours(text: str) -> tuple[time, time]:
    """"22:00-07:00" -> (22:00, 07:00); the span may cross midnight."""
    m = _QUIET.match(text)
    if not m:
        raise ValueError(f"\"{text}\" is not a span like \"22:00-07:00\"")
    start, end = time(int(m[1]), int(m[2])), time(int(m[3]), int(m[4]))
    if start == end:
        raise ValueError(f"\"{text}\" starts and ends at the same time")
    return start, end


def cron_trigger(expr: str, tz: ZoneInfo) -> CronTrigger:
    """A five-field crontab expression ("0 8 * * 1-5") in `tz`, or ValueError."""
    # imported here, not at the top: only a config with a digest schedule needs APScheduler,
    # so `status`, `check` and the other light commands do not load it for nothing
    from apscheduler.triggers.cron import CronTrigger

    fields = expr.split()
    if len(fields) != 5:
        raise ValueError(f"\"{expr}\" is not a five-field cron schedule like \"0 8 * * *\"")
    minute, hour, day, month, dow = fields
    # APScheduler 3 numbers weekdays from Monday = 0; crontab from Sunday = 0 (and 7): use names
    dow = re.sub(r"\d+", lambda m: _WEEKDAYS[int(m[0]) % 7] if int(m[0]) <= 7 else m[0], dow)
    try:
        return CronTrigger(minute=minute, hour=hour, day=day, month=month, day_of_week=dow, timezone=tz)
    except ValueError as exc:
        raise ValueError(f"\"{expr}\" is not a cron schedule like \"0 8 * * *\" ({exc})") from None
