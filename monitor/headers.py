"""HTTP header values read at both network edges (feeds and webhooks); pure."""

from __future__ import annotations

from datetime import datetime
from email.utils import parsedate_to_datetime


def header(headers: dict[str, str], name: str) -> str:
    """A header's value whatever the case of its name; "" when absent."""
    name = name.lower()
    return next((v for k, v in headers.items() if k.lower() == name), "")


def http_date_delay(value: str, now: datetime) -> float | None:
    """Seconds from `now` until an HTTP date (never negative); None when it is not a date."""
    try:
        return max(0.0, (parsedate_to_datetime(value) - now).total_seconds())
    except (TypeError, ValueError, OverflowError, IndexError):
        return None


def retry_after(headers: dict[str, str], now: datetime) -> float | None:
    """Retry-After as seconds (delta-seconds or an HTTP date); None when absent or unreadable."""
    value = header(headers, "retry-after").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    return http_date_delay(value, now)
