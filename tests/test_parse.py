"""Parse safety through a real feed run: entity attacks, bad code points, charsets, HTML pages,
control characters, and items with neither guid nor link."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from monitor.ingest.parse import ParseError, parse_feed
from monitor.pipeline import run_feed
from tests.conftest import seedwatch
from tests.feeds import RELATED_ID, UNRELATED, rss
from tests.fetchkit import T0, Kit, config_file
from tests.servers import FeedServer, WebhookReceiver

CHANNEL = '<rss version="2.0"><channel><title>T</title><link>http://example.org/</link><description>d</description>{items}</channel></rss>'


def item(title: str, link: str) -> str:
    return f"<item><title>{title}</title><link>{link}</link><description>text</description></item>"


BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY lol "lol">\n'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n' for i in range(1, 10))
    + "]>\n"
    + CHANNEL.format(items=item("&lol9;", "http://news.example.org/lol"))
)
QUADRATIC = (
    '<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY a "' + "a" * 50_000 + '">]>\n'
    + CHANNEL.format(items=item("&a;" * 20_000, "http://news.example.org/quad"))
)


@pytest.fixture
def one_feed(tmp_path: Path, feed_server: FeedServer) -> Iterator[tuple[Kit, str]]:
    url = feed_server.url("/feed")
    kit = Kit(tmp_path, [{"url": url}])
    yield kit, url
    kit.close()


def serve_and_run(feed_server: FeedServer, kit: Kit, body: bytes | str, **kw: object):
    feed_server.set("/feed", body, **kw)
    return run_feed(kit.feeds[0], kit.deps, T0)


@pytest.mark.parametrize("name, body", [("billion laughs", BILLION_LAUGHS), ("quadratic blowup", QUADRATIC)])
def test_entity_expansion_is_refused(name: str, body: str, feed_server: FeedServer, one_feed: tuple[Kit, str]) -> None:
    kit, url = one_feed
    assert len(QUADRATIC) > 100_000  # the classic ~110 KB document that expands to gigabytes
    report = serve_and_run(feed_server, kit, body)
    assert report.status == "error" and "declares XML entities" in (report.error or ""), name
    assert kit.store.feed_state(url).last_error_kind == "parse"
    assert kit.store.counts()["items"] == 0


def test_entity_declarations_in_utf16_are_refused_too() -> None:
    with pytest.raises(ParseError, match="declares XML entities"):
        parse_feed(BILLION_LAUGHS.encode("utf-16"), {}, "http://f/", "f")


def test_external_entity_to_a_local_file_is_refused(tmp_path: Path, feed_server: FeedServer, one_feed: tuple[Kit, str]) -> None:
    kit, _url = one_feed
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-9f2c")
    body = f'<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>\n' + CHANNEL.format(items=item("leak &xxe;", "http://news.example.org/xxe"))
    report = serve_and_run(feed_server, kit, body)
    assert report.status == "error" and "declares XML entities" in (report.error or "")
    assert kit.store.counts()["items"] == 0  # nothing stored, so nothing of the file can leak


@pytest.mark.parametrize("ref", ["&#xD800;", "&#x110000;", "&#55296;", "&#0;"])
def test_invalid_code_points_do_not_sink_the_feed(ref: str, feed_server: FeedServer, one_feed: tuple[Kit, str]) -> None:
    kit, _url = one_feed
    body = CHANNEL.format(items=item(f"Broken {ref} title", "http://news.example.org/broken") + item("Fine title", "http://news.example.org/fine"))
    report = serve_and_run(feed_server, kit, body)
    assert (report.status, report.new) == ("ok", 2)
    titles = sorted(i.title for i in kit.stored_items())
    assert titles == ["Broken \ufffd title", "Fine title"]


def test_wrong_declared_charset_is_decoded_best_effort(feed_server: FeedServer, one_feed: tuple[Kit, str]) -> None:
    kit, _url = one_feed
    body = ('<?xml version="1.0" encoding="utf-8"?>' + CHANNEL.format(items=item("Café crème à Paris", "http://news.example.org/cafe"))).encode("latin-1")
    report = serve_and_run(feed_server, kit, body, headers={"Content-Type": "application/rss+xml; charset=utf-8"})
    assert (report.status, report.new) == ("ok", 1)
    assert [i.title for i in kit.stored_items()] == ["Café crème à Paris"]


def test_missing_charset_utf8_body(feed_server: FeedServer, one_feed: tuple[Kit, str]) -> None:
    kit, _url = one_feed
    body = CHANNEL.format(items=item("서울 회담 — Ukraina", "http://news.example.org/seoul")).encode("utf-8")
    report = serve_and_run(feed_server, kit, body, headers={"Content-Type": "text/xml"})
    assert report.status == "ok"
    assert [i.title for i in kit.stored_items()] == ["서울 회담 — Ukraina"]


def test_html_error_page_with_200_is_a_clear_parse_error(feed_server: FeedServer, one_feed: tuple[Kit, str]) -> None:
    kit, url = one_feed
    page = "<!DOCTYPE html><html><head><title>Service Unavailable</title></head><body><h1>Try later</h1></body></html>"
    report = serve_and_run(feed_server, kit, page, headers={"Content-Type": "text/html; charset=utf-8"})
    assert report.status == "error"
    assert url in (report.error or "") and 'an HTML page titled "Service Unavailable"' in (report.error or "")
    assert "text/html" in (report.error or "")
    assert kit.store.feed_state(url).last_error_kind == "parse"


def test_control_characters_are_stripped_from_stored_text(tmp_path: Path, state_url: str, feed_server: FeedServer) -> None:
    # on both stores: PostgreSQL refuses a NUL in text outright, where SQLite would store it
    kit = Kit(tmp_path, [{"url": feed_server.url("/feed")}], monitor={"state": state_url})
    try:
        body = CHANNEL.format(items="<item><title>Null\x00 and\x07 bell\x1b[31m</title><link>http://news.example.org/ctl\x01</link><description>one\x0btwo</description></item>")
        report = serve_and_run(feed_server, kit, body.encode())
        assert report.status == "ok", report.error
        [stored] = kit.stored_items()
    finally:
        kit.close()
    text = stored.title + stored.summary + (stored.url or "")
    assert not any(ord(c) < 32 and c not in "\t\n" for c in text)
    assert stored.title == "Null and bell[31m"


def test_items_without_guid_or_link_alert_once(tmp_path: Path, feed_server: FeedServer, receiver: WebhookReceiver) -> None:
    bare = RELATED_ID.__class__(RELATED_ID.title, RELATED_ID.summary)  # no link, no guid
    url = feed_server.set("/bare", rss([bare]))
    cfg = config_file(tmp_path, [{"url": url}], [{"name": "hook", "url": receiver.url("/hook")}])
    first = seedwatch("once", "--json", "--config", str(cfg))
    assert json.loads(first.stdout)["alerts"] == 1, first.stderr
    # a changed document (new item, new pubDate) is parsed again: the bare item must be recognised
    feed_server.set("/bare", rss([bare, *UNRELATED], title="Test feed, updated"))
    second = seedwatch("once", "--json", "--config", str(cfg))
    line = json.loads(second.stdout)
    assert (line["status"], line["new"], line["alerts"]) == ("ok", 2, 0), second.stderr
    assert len(receiver.posts("/hook")) == 1


def test_parse_error_keeps_polling(feed_server: FeedServer, one_feed: tuple[Kit, str]) -> None:
    kit, url = one_feed
    serve_and_run(feed_server, kit, "<html><body>oops</body></html>")
    state = kit.store.feed_state(url)
    assert state.consecutive_failures == 1 and not state.disabled
    assert state.next_poll is not None and state.next_poll <= T0 + timedelta(hours=1)


def test_a_feedparser_exception_is_one_feeds_parse_error(tmp_path: Path, feed_server: FeedServer) -> None:
    # zero-padded past what we rewrite, so feedparser itself meets the surrogate and raises
    padded = feed_server.set("/padded", CHANNEL.format(items=item("a &#x00000000000000000D800; b", "http://news.example.org/pad")))
    fine = feed_server.set("/fine", rss(UNRELATED))
    kit = Kit(tmp_path, [{"url": padded}, {"url": fine}])
    try:
        reports = [run_feed(f, kit.deps, T0) for f in kit.feeds]
    finally:
        kit.close()
    assert reports[0].status == "error" and "feedparser failed: UnicodeEncodeError" in (reports[0].error or "")
    assert (reports[1].status, reports[1].new) == ("ok", 2)
