"""Relative item links: resolved against the feed's URL, so an alert never carries a dead link."""

from __future__ import annotations

import json
from pathlib import Path

from monitor.ingest.parse import parse_feed
from tests.conftest import seedwatch, write_config
from tests.feeds import RELATED_ID, Entry, rss
from tests.servers import FeedServer, WebhookReceiver

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://blog.example.org/posts/">
<title>t</title><id>urn:t</id><updated>2026-01-30T10:00:00Z</updated>
<entry><title>Based</title><id>urn:1</id><updated>2026-01-30T10:00:00Z</updated><link href="first"/><summary>s</summary></entry>
<entry><title>Absolute</title><id>urn:2</id><updated>2026-01-30T10:00:00Z</updated><link href="https://other.example.org/x"/><summary>s</summary></entry>
</feed>"""


def test_relative_links_resolve_against_the_feed_url_and_xml_base_wins() -> None:
    body = rss([Entry("Rooted", "s", "/news/1"), Entry("Sibling", "s", "2.html"), Entry("Absolute", "s", "https://other.example.org/y")])
    items = parse_feed(body.encode(), {}, "https://feeds.example.org/world/rss.xml", "").items
    assert [i.url for i in items] == ["https://feeds.example.org/news/1", "https://feeds.example.org/world/2.html", "https://other.example.org/y"]
    assert items[0].canonical_url == "https://feeds.example.org/news/1"
    atom = parse_feed(ATOM.encode(), {}, "https://feeds.example.org/atom.xml", "").items
    assert [i.url for i in atom] == ["https://blog.example.org/posts/first", "https://other.example.org/x"]


def test_an_alert_for_an_item_with_a_relative_link_carries_an_absolute_url(tmp_path: Path, feed_server: FeedServer, receiver: WebhookReceiver) -> None:
    url = feed_server.set("/desk/feed.xml", rss([Entry(RELATED_ID.title, RELATED_ID.summary, "/berita/nato-korsel")]))
    cfg = write_config(tmp_path, feeds=[{"url": url}], webhooks=[{"name": "h", "url": receiver.url("/h")}])
    out = seedwatch("once", "--json", "--config", str(cfg))
    assert json.loads(out.stdout)["alerts"] == 1, out.stderr
    [alert] = receiver.json_bodies("/h")
    assert alert["item"]["url"] == feed_server.url("/berita/nato-korsel")
