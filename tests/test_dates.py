"""Publication dates: no zone, zone names, and dates far in the future, by one documented rule (monitor.ingest.dates)."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

import pytest

from monitor.ingest.dates import clamp_future, parse_date
from tests.conftest import seedwatch, write_config
from tests.feeds import RELATED_ID
from tests.servers import FeedServer, WebhookReceiver

UTC = timezone.utc
JAKARTA = ZoneInfo("Asia/Jakarta")


@pytest.mark.parametrize(
    ("text", "zone", "expected"),
    [
        ("Mon, 01 Apr 2019 10:00:00", UTC, datetime(2019, 4, 1, 10, tzinfo=UTC)),  # no zone: UTC (feedparser: no date at all)
        ("Mon, 01 Apr 2019 10:00:00", JAKARTA, datetime(2019, 4, 1, 3, tzinfo=UTC)),  # no zone: the feed's timezone
        ("2019-04-01T10:00:00", JAKARTA, datetime(2019, 4, 1, 3, tzinfo=UTC)),
        ("Mon, 01 Apr 2019 10:00:00 WIB", UTC, datetime(2019, 4, 1, 3, tzinfo=UTC)),  # feedparser: 10:00 UTC
        ("Mon, 01 Apr 2019 10:00:00 WITA", UTC, datetime(2019, 4, 1, 2, tzinfo=UTC)),
        ("Mon, 01 Apr 2019 10:00:00 WIT", UTC, datetime(2019, 4, 1, 1, tzinfo=UTC)),
        ("Mon, 01 Apr 2019 10:00:00 KST", UTC, datetime(2019, 4, 1, 1, tzinfo=UTC)),
        ("Mon, 01 Apr 2019 10:00:00 JST", JAKARTA, datetime(2019, 4, 1, 1, tzinfo=UTC)),  # a named zone wins over the default
        ("Mon, 01 Apr 2019 10:00:00 EST", UTC, datetime(2019, 4, 1, 15, tzinfo=UTC)),  # RFC 822 names keep their meaning
        ("Mon, 01 Apr 2019 10:00:00 +0700", UTC, datetime(2019, 4, 1, 3, tzinfo=UTC)),
        ("Mon, 01 Apr 2019 10:00:00 GMT+07:00", UTC, datetime(2019, 4, 1, 3, tzinfo=UTC)),
        ("Senin, 01 Mei 2019 10:00 WIB", UTC, datetime(2019, 5, 1, 3, tzinfo=UTC)),  # Indonesian weekday and month
        ("01 Apr 19 10:00:00 GMT", UTC, datetime(2019, 4, 1, 10, tzinfo=UTC)),
        ("Mon, 01 Apr 2019 10:00:00 QQT", JAKARTA, datetime(2019, 4, 1, 3, tzinfo=UTC)),  # an unknown name: as no zone
        ("2019-04-01T10:00:00+09:00", UTC, datetime(2019, 4, 1, 1, tzinfo=UTC)),
        ("Tue, 31 Feb 2019 10:00:00 GMT", UTC, None),
        ("yesterday", UTC, None),
    ],
)
def test_the_date_rule(text: str, zone, expected: datetime | None) -> None:
    assert parse_date(text, zone) == expected


def test_a_date_far_in_the_future_is_the_time_first_seen() -> None:
    seen = datetime(2026, 1, 30, 10, tzinfo=UTC)
    assert clamp_future(datetime(2099, 1, 1, tzinfo=UTC), seen) == seen
    assert clamp_future(seen + timedelta(hours=20), seen) == seen + timedelta(hours=20)  # a zone off by hours is kept
    assert clamp_future(None, seen) is None


def _feed(items: list[tuple[str, str, str]]) -> str:
    """RSS whose pubDate strings are written exactly as given: (title, link, pubDate)."""
    body = "".join(
        f"<item><title>{escape(t)}</title><link>{escape(link)}</link><description>{escape(RELATED_ID.summary)}</description><pubDate>{d}</pubDate></item>"
        for t, link, d in items
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><link>http://example.org/</link><description>d</description>{body}</channel></rss>'


def _published(state: Path) -> dict[str, float | None]:
    with sqlite3.connect(state) as db:
        return dict(db.execute("SELECT url, published FROM items").fetchall())


def test_dates_through_a_real_feed(tmp_path: Path, feed_server: FeedServer, receiver: WebhookReceiver) -> None:
    old = ("NATO desak Korsel kirim senjata ke Ukraina (2019)", "http://news.example.org/2019", "Mon, 01 Apr 2019 10:00:00")
    seoul = ("Yonhap: 10:00 in Seoul", "http://news.example.org/kst", "Mon, 01 Apr 2019 10:00:00 KST")
    ahead = ("NATO desak Korsel kirim senjata ke Ukraina (2099)", "http://news.example.org/2099", "Wed, 01 Apr 2099 10:00:00 GMT")
    url = feed_server.set("/news", _feed([old, seoul, ahead]))
    local = feed_server.set("/jakarta", _feed([("Antara: 10:00 in Jakarta", "http://news.example.org/wib", "Mon, 01 Apr 2019 10:00:00")]))
    cfg = write_config(tmp_path, feeds=[{"url": url}, {"url": local, "timezone": "Asia/Jakarta"}], webhooks=[{"name": "hook", "url": receiver.url("/hook")}])
    before = datetime.now(UTC)
    out = seedwatch("once", "--json", "--config", str(cfg))
    assert out.returncode == 0, out.stderr

    stored = _published(tmp_path / "state" / "seedwatch.db")
    assert stored[old[1]] == datetime(2019, 4, 1, 10, tzinfo=UTC).timestamp()  # was no date at all
    assert stored[seoul[1]] == datetime(2019, 4, 1, 1, tzinfo=UTC).timestamp()  # was 10:00 UTC
    assert stored["http://news.example.org/wib"] == datetime(2019, 4, 1, 3, tzinfo=UTC).timestamp()
    assert before.timestamp() - 1 <= (stored[ahead[1]] or 0) <= datetime.now(UTC).timestamp() + 1  # 2099 -> first seen
    titles = [b["item"]["title"] for b in receiver.json_bodies("/hook")]
    assert old[0] not in titles  # five years old: past max_age, no alert
    assert titles == [ahead[0]] and json.loads(receiver.posts("/hook")[0].body)["item"]["published"].startswith(str(before.year))
