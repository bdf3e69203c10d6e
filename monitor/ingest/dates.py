"""When an item was published: one rule for the dates feeds actually send (pure).

feedparser reads "Mon, 01 Apr 2019 10:00:00" (no zone) as no date at all, so a 2019 item
alerted despite `max_age`, and reads zone names it does not know (WIB, KST) as UTC, 7 to 9
hours off for Indonesian and Korean outlets. The rule here:

1. RFC 822/2822 dates (any weekday word or none, English or Indonesian month names, a 2- or
   4-digit year) and ISO 8601 dates are read here; any other form as feedparser reads it.
2. A numeric offset (`+0700`, `+07:00`, `GMT+7`) is exact; a zone name is looked up in ZONES.
3. No zone, or a name not in ZONES: the feed's `timezone` from the config if set, else UTC.
4. A date more than FUTURE_SLACK after the moment the item is first seen is that moment
   (`clamp_future`): an item dated 2099 would otherwise never age out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any

FUTURE_SLACK = timedelta(days=1)

# Zone names to UTC offsets in hours. RFC 822's own names keep their RFC meaning (CST is US
# Central, not China; PST Pacific, not Philippines); IST is India's, the likeliest in news feeds.
ZONES: Mapping[str, float] = {
    "UT": 0, "UTC": 0, "GMT": 0, "Z": 0, "WET": 0,
    "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
    "AKST": -9, "AKDT": -8, "HST": -10, "AST": -4, "ADT": -3, "NST": -3.5, "BRT": -3, "ART": -3,
    "BST": 1, "IST": 5.5, "WEST": 1, "CET": 1, "CEST": 2, "MET": 1, "MEST": 2, "EET": 2, "EEST": 3, "MSK": 3,
    "PKT": 5, "ICT": 7, "WIB": 7, "WITA": 8, "WIT": 9, "SGT": 8, "MYT": 8, "PHT": 8, "HKT": 8, "AWST": 8,
    "KST": 9, "JST": 9, "ACST": 9.5, "AEST": 10, "AEDT": 11, "NZST": 12, "NZDT": 13,
}
_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "mei": 5, "jun": 6, "jul": 7, "aug": 8, "agu": 8, "agt": 8, "ags": 8,
    "sep": 9, "oct": 10, "okt": 10, "nov": 11, "dec": 12, "des": 12,
}
_RFC822 = re.compile(
    r"^(?:[^\W\d_]+\.?,?\s+)?(\d{1,2})[\s-]+([^\W\d_]{3,})\.?[\s-]+(\d{2}|\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?\s*(.*)$"
)
_OFFSET = re.compile(r"^(?:GMT|UTC|UT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$", re.I)


def published(entry: Mapping[str, Any], default_zone: tzinfo = timezone.utc) -> datetime | None:
    """The entry's date by the rule above: its published, updated or created date, the first readable."""
    for key in ("published", "updated", "created"):
        raw = entry.get(key)
        if isinstance(raw, str) and (when := parse_date(raw, default_zone)):
            return when
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            try:
                return datetime(*value[:6], tzinfo=timezone.utc)
            except (TypeError, ValueError):
                continue
    return None


def parse_date(text: str, default_zone: tzinfo = timezone.utc) -> datetime | None:
    """An RFC 822 or ISO 8601 date as an aware datetime (UTC); None for any other form."""
    text = text.strip()
    if m := _RFC822.match(text):
        return _rfc822(m, default_zone)
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=default_zone)).astimezone(timezone.utc)


def clamp_future(when: datetime | None, first_seen: datetime) -> datetime | None:
    """A date implausibly far ahead (more than FUTURE_SLACK) is taken as the moment it was first seen."""
    return first_seen if when is not None and when > first_seen + FUTURE_SLACK else when


def _rfc822(m: re.Match[str], default_zone: tzinfo) -> datetime | None:
    day, month_name, year, hour, minute, second, zone_text = m.groups()
    month = _MONTHS.get(month_name[:3].lower())
    zone = _zone(zone_text.strip(), default_zone)
    if month is None or zone is None:
        return None
    full_year = int(year) + (0 if len(year) == 4 else 2000 if int(year) < 50 else 1900)  # RFC 2822 4.3
    try:
        local = datetime(full_year, month, int(day), int(hour), int(minute), int(second or 0))
    except ValueError:
        return None
    return local.replace(tzinfo=zone).astimezone(timezone.utc)


def _zone(text: str, default_zone: tzinfo) -> tzinfo | None:
    """The zone a date names: an offset, a known name, or the default for none or an unknown name;
    None when the text after the time is not a zone at all."""
    if not text:
        return default_zone
    if m := _OFFSET.match(text):
        sign, hours, minutes = m.groups()
        offset = timedelta(hours=int(hours), minutes=int(minutes or 0))
        return timezone(-offset if sign == "-" else offset) if offset < timedelta(hours=15) else None
    if text.isalpha() and len(text) <= 5:
        hours = ZONES.get(text.upper())
        return default_zone if hours is None else timezone(timedelta(hours=hours))
    return None
