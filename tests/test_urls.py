"""One URL parser (monitor.urls) for config, OPML, feed items and redirects: nothing it lets through makes httpx raise,
and nothing a feed links to can crash a run."""

from __future__ import annotations

import json
import random
from pathlib import Path

import httpx
import pytest

from monitor.pipeline import run_feed
from monitor.urls import BadUrl, Url, parse_url, resolve
from tests.conftest import seedwatch, write_config
from tests.feeds import RELATED_ID, UNRELATED, Entry, rss
from tests.fetchkit import T0, Kit
from tests.servers import FeedServer, WebhookReceiver

HOSTILE = [
    "http://news.example.org:99999/",
    "http://0177.0.0.1/",
    "http://127.000.000.001/",
    "http://2130706433/",
    "http://0x7f.1/",
    "http://xn--/",
    "http://xn--zz.example/",
    "http://[::1/",
    "http://[fe80::1%25eth0]/",
    "http://\u200b.example/",
    "http://ex%41mple.org/",
    "http://a\\@evil.example/",
    "http://a.example:80:90/",
    "http://1.2.3.4.5/",
]


def _httpx_accepts(text: str) -> bool:
    try:
        request = httpx.Request("GET", text)
        return bool(request.url.host)  # the host property decodes IDNA: where xn-- errors surface
    except Exception:
        return False


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_urls_are_refused_with_a_reason(text: str) -> None:
    result = parse_url(text)
    assert isinstance(result, BadUrl), result
    assert str(result).startswith('"') and len(result.reason) > 10


def test_odd_ipv4_forms_name_the_address_they_mean() -> None:
    for text in ("http://0177.0.0.1/", "http://127.000.000.001/", "http://2130706433/", "http://0x7f.0.0.1/", "http://127.1/"):
        assert "it means 127.0.0.1" in str(parse_url(text)), text
    assert isinstance(parse_url("http://127.0.0.1:8080/feed"), Url)


def test_the_parser_never_raises_and_what_it_accepts_httpx_accepts() -> None:
    rng = random.Random(16)
    alphabet = "ab.:/[]@%0179xX-_\\ \x00\x1b\u00fc\u200b?#=&" + "".join(chr(rng.randrange(0x20, 0x2FFF)) for _ in range(40))
    samples = [*HOSTILE, None, 7, "", "http://", "https://bücher.de/", "HTTP://EXAMPLE.org:443"]
    for _ in range(4000):
        body = "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 24)))
        samples.append(rng.choice(["http://", "https://", "", "http://a.example"]) + body)
    for text in samples:
        result = parse_url(text)
        assert isinstance(result, (Url, BadUrl))
        if isinstance(result, Url):
            assert _httpx_accepts(result.text), text
    assert isinstance(resolve("http://a.example/x", "http://[::1"), BadUrl)


def test_a_link_with_a_port_out_of_range_does_not_cost_the_run(tmp_path: Path, feed_server: FeedServer, receiver: WebhookReceiver) -> None:
    bad_links = [Entry(f"Bad link {n}", "text", link) for n, link in enumerate(["http://news.example.org:99999/", "http://0177.0.0.1/x", "http://xn--/y"])]
    first = feed_server.set("/bad-links", rss([*bad_links, *UNRELATED]))
    second = feed_server.set("/related", rss([RELATED_ID]))
    cfg = write_config(tmp_path, feeds=[{"url": first}, {"url": second}], webhooks=[{"name": "hook", "url": receiver.url("/hook")}])
    out = seedwatch("once", "--json", "--config", str(cfg))
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr
    runs = [json.loads(line) for line in out.stdout.splitlines()]
    assert [(r["status"], r["new"]) for r in runs] == [("ok", 5), ("ok", 1)]
    assert [b["item"]["title"] for b in receiver.json_bodies("/hook")] == [RELATED_ID.title]


@pytest.mark.parametrize("url", ["http://0177.0.0.1/rss", "http://127.000.000.001/rss", "http://xn--/rss", "http://news.example.org:99999/rss"])
def test_check_refuses_feed_urls_httpx_would_refuse(tmp_path: Path, url: str) -> None:
    cfg = write_config(tmp_path, feeds=[{"url": "https://good.example.org/rss"}, {"url": url}])
    out = seedwatch("check", "--config", str(cfg))
    assert out.returncode == 2, out.stdout
    line = out.stderr.strip()
    assert line.startswith(f"seedwatch: error: {cfg}:") and f'feeds[1].url: "{url}" has ' in line
    assert "Traceback" not in out.stderr


def test_check_refuses_such_a_webhook_url(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, feeds=[], webhooks=[{"name": "hook", "url": "https://0x7f.1/hook"}])
    out = seedwatch("check", "--config", str(cfg))
    assert out.returncode == 2 and 'webhooks[0].url: "https://0x7f.1/hook" has the IPv4 address' in out.stderr


def test_import_opml_skips_them_with_the_reason(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, feeds=[])
    opml = tmp_path / "subs.opml"
    outlines = "\n".join(f'<outline type="rss" text="x" xmlUrl="{u}"/>' for u in ("http://0177.0.0.1/rss", "http://xn--/rss", "https://ok.example.org/rss"))
    opml.write_text(f'<?xml version="1.0"?>\n<opml version="2.0"><body>\n{outlines}\n</body></opml>\n')
    out = seedwatch("import-opml", str(opml), "--config", str(cfg))
    assert out.returncode == 0, out.stderr
    assert "added 1, already present 0, invalid 2" in out.stdout
    assert f'{opml}:3: http://0177.0.0.1/rss: "http://0177.0.0.1/rss" has the IPv4 address' in out.stdout


@pytest.mark.parametrize("location", ["http://xn--/feed", "http://0177.0.0.1/feed", "http://[::1/feed", "http://news.example.org:99999/"])
def test_a_redirect_to_an_unusable_url_is_one_feed_error(tmp_path: Path, feed_server: FeedServer, location: str) -> None:
    url = feed_server.set("/moved", status=301, headers={"Location": location})
    kit = Kit(tmp_path, [{"url": url}])
    try:
        report = run_feed(kit.feeds[0], kit.deps, T0)  # an IDNAError escaped the fetcher here
        assert report.status == "error" and report.error
        # httpx reads the Location header itself (RemoteProtocolError) before we can; either way one feed's error
        assert kit.store.feed_state(url).last_error_kind in ("bad_url", "network")
        assert any(part in report.error for part in ("xn--", "0177", "port", "IDNA")), report.error
    finally:
        kit.close()
