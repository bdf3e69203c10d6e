"""Canonical URLs: one article reached through tracking links, AMP variants and feeds is one item."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from monitor.ingest.clean import canonical_url, item_key
from monitor.pipeline import StoryMembers, commit
from monitor.store import Store
from monitor.types import FeedItem, FeedState

ARTICLE = "https://www.example.com/news/2023/01/30/nato-seoul"


@pytest.mark.parametrize(
    "variant",
    [
        ARTICLE,
        ARTICLE + "/",
        ARTICLE + "#comments",
        ARTICLE + "?utm_source=rss&utm_medium=feed&UTM_Campaign=x",
        ARTICLE + "?fbclid=IwAR0abc&gclid=Cj0K&msclkid=1&mc_cid=2&igshid=3",
        "http://www.example.com/news/2023/01/30/nato-seoul",
        "https://WWW.EXAMPLE.COM:443/news/2023/01/30/nato-seoul",
        "https://amp.www.example.com/news/2023/01/30/nato-seoul",
        ARTICLE + "/amp",
        ARTICLE + "/amp/",
        "https://www.example.com/amp/news/2023/01/30/nato-seoul",
        ARTICLE + "?amp=1",
        ARTICLE + "?outputType=amp",
        "https://www-example-com.cdn.ampproject.org/c/s/www.example.com/news/2023/01/30/nato-seoul",
        "https://www.google.com/amp/s/www.example.com/news/2023/01/30/nato-seoul/",
    ],
)
def test_variants_of_one_article_share_a_canonical_url(variant: str) -> None:
    assert canonical_url(variant) == ARTICLE


@pytest.mark.parametrize(
    "other",
    [
        ARTICLE + "?id=2",  # a real parameter names another page
        ARTICLE + "-update",
        "https://www.example.com/news/2023/01/30/amplifier-sales",
        "https://news.example.com/news/2023/01/30/nato-seoul",
        ARTICLE + "?output=json",
    ],
)
def test_different_pages_stay_different(other: str) -> None:
    assert canonical_url(other) != ARTICLE


def test_query_order_and_non_urls() -> None:
    assert canonical_url("https://x.example/a?b=2&a=1&utm_term=z") == canonical_url("https://x.example/a?a=1&b=2")
    assert canonical_url("mailto:someone@example.com") is None and canonical_url("") is None and canonical_url("http://") is None
    # without a guid the key is the canonical link, so tracking variants get the same key
    assert item_key(None, ARTICLE + "?utm_source=a", "t", "") == item_key(None, ARTICLE + "/#x", "other title", "")


def test_store_sees_one_article_through_two_feeds(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 's.db'}")
    now = datetime(2023, 1, 30, tzinfo=timezone.utc)
    a_url, b_url = ARTICLE + "?utm_source=a", "https://www.google.com/amp/s/www.example.com/news/2023/01/30/nato-seoul"
    a = FeedItem("guid-a", "http://feed-a", "NATO chief in Seoul", a_url, "", now, "A", canonical_url=canonical_url(a_url))
    b = FeedItem("guid-b", "http://feed-b", "NATO chief in Seoul", b_url, "", now, "B", canonical_url=canonical_url(b_url))
    assert store.unseen([a, b]) == [a]  # within one batch
    commit(store, StoryMembers(), FeedState(url="http://feed-a"), "A", now, [a], [])
    assert store.unseen([b]) == []  # and across feeds and runs
    store.close()
