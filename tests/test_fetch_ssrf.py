"""The SSRF guard on: private addresses are refused on every hop and nothing reaches them."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from monitor.config import FetchSection
from monitor.ingest.fetch import Fetcher
from monitor.ingest.netguard import Guard, blocked_reason, guarded_client, refusal
from monitor.types import Fetched, FetchFailed
from tests.conftest import seedwatch
from tests.feeds import UNRELATED, rss
from tests.fetchkit import config_file, fetch_once
from tests.servers import FeedServer, WebhookReceiver

BODY = rss(UNRELATED)


def fetcher_with(guard: Guard) -> Fetcher:
    return Fetcher(FetchSection(timeout=2.0), guard)


@pytest.fixture
def guarded() -> Iterator[Fetcher]:
    f = fetcher_with(Guard())
    yield f
    f.close()



@pytest.mark.parametrize(
    "address, reason",
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.0.1", "private"),
        ("172.16.0.1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("100.64.0.1", "carrier-grade NAT"),
        ("224.0.0.1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::ffff:127.0.0.1", "IPv4-mapped loopback"),
        ("::ffff:10.0.0.1", "IPv4-mapped private"),
        ("fd00::1", "private"),
    ],
)
def test_non_public_addresses_are_refused(address: str, reason: str) -> None:
    assert (refusal(ipaddress.ip_address(address)) or "").startswith(reason)


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:4700::6810:84e5", "::ffff:8.8.8.8", "100.128.0.1"])
def test_public_addresses_pass(address: str) -> None:
    assert refusal(ipaddress.ip_address(address)) is None


def test_loopback_feed_is_refused_and_never_reached(feed_server: FeedServer, guarded: Fetcher) -> None:
    feed_server.set("/feed", BODY)
    for url in (feed_server.url("/feed"), f"http://[::ffff:127.0.0.1]:{feed_server.port}/feed", f"http://localhost:{feed_server.port}/feed"):
        result = fetch_once(guarded, url)
        assert isinstance(result, FetchFailed) and result.kind == "blocked", url
        assert "loopback" in result.message and "monitor.allow_hosts" in result.message
    assert feed_server.hits("/feed") == []


def test_metadata_address_is_refused_before_any_connection(guarded: Fetcher) -> None:
    result = fetch_once(guarded, "http://169.254.169.254/latest/meta-data/")
    assert isinstance(result, FetchFailed) and result.kind == "blocked" and "link-local" in result.message


def test_allowed_host_redirecting_to_a_private_address_is_refused(feed_server: FeedServer) -> None:
    feed_server.set("/secret", "internal data")
    start = feed_server.set("/feed", status=302, headers={"Location": f"http://localhost:{feed_server.port}/secret"})
    f = fetcher_with(Guard(allow_hosts=frozenset({"127.0.0.1"})))
    try:
        result = fetch_once(f, start)
    finally:
        f.close()
    assert isinstance(result, FetchFailed) and result.kind == "blocked" and "localhost" in result.message
    assert len(feed_server.hits("/feed")) == 1
    assert feed_server.hits("/secret") == []


def test_allow_hosts_and_allow_private_networks_open_the_guard(feed_server: FeedServer) -> None:
    url = feed_server.set("/feed", BODY)
    for guard in (Guard(allow_hosts=frozenset({"127.0.0.1"})), Guard(allow_private=True)):
        f = fetcher_with(guard)
        try:
            assert isinstance(fetch_once(f, url), Fetched)
        finally:
            f.close()
    assert len(feed_server.hits("/feed")) == 2


def test_webhook_client_is_guarded(receiver: WebhookReceiver) -> None:
    url = receiver.url("/hook")
    with guarded_client(Guard()) as client, pytest.raises(httpx.ConnectError) as err:
        client.post(url, content=b"{}")
    assert "loopback" in (blocked_reason(err.value) or "")
    assert receiver.posts() == []


def test_guard_on_through_the_command(tmp_path: Path, feed_server: FeedServer, receiver: WebhookReceiver) -> None:
    url = feed_server.set("/feed", BODY)
    cfg = config_file(tmp_path, [{"url": url}], [{"name": "hook", "url": receiver.url("/hook")}], monitor={"allow_private_networks": False})
    out = seedwatch("once", "--json", "--config", str(cfg))
    assert out.returncode == 0, out.stderr
    line = json.loads(out.stdout)
    assert line["status"] == "error" and "loopback" in line["error"] and url in line["error"]
    assert feed_server.hits("/feed") == []


def test_proxies_from_the_environment_are_not_used(monkeypatch: pytest.MonkeyPatch, feed_server: FeedServer) -> None:
    # a proxy would connect on our behalf, so the guard would check the proxy's address, not the feed's
    proxy = FeedServer()
    try:
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
            monkeypatch.setenv(name, proxy.url(""))
        for name in ("NO_PROXY", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        url = feed_server.set("/feed", BODY)
        f = fetcher_with(Guard(allow_private=True))
        try:
            assert isinstance(fetch_once(f, url), Fetched)
        finally:
            f.close()
        assert len(feed_server.hits("/feed")) == 1 and proxy.requests == []
    finally:
        proxy.close()
