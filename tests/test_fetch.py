"""HTTP behaviour of a feed run against the real feed server on 127.0.0.1: caching, redirects,
status codes, backoff, politeness."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest

from monitor import USER_AGENT, __version__
from monitor.pipeline import run_feed
from monitor.types import FeedState, Fetched, FetchFailed
from tests.feeds import UNRELATED, Entry, rss
from tests.fetchkit import T0, Kit
from tests.servers import FeedServer, InFlight, Route

BODY = rss(UNRELATED)


@pytest.fixture
def kits(tmp_path: Path) -> Iterator[list[Kit]]:
    made: list[Kit] = []
    yield made
    for kit in made:
        kit.close()


def kit_for(kits: list[Kit], tmp: Path, urls: list[str], **kw) -> Kit:
    kit = Kit(tmp, [{"url": u} for u in urls], **kw)
    kits.append(kit)
    return kit


def test_304_round_trip_echoes_etag_and_last_modified(tmp_path: Path, feed_server: FeedServer, kits: list[Kit]) -> None:
    a = feed_server.set("/etag", BODY, etag='"abc-1"')
    b = feed_server.set("/lm", rss([Entry("Another", "x", "http://news.example.org/another")]), last_modified="Mon, 30 Jan 2023 10:00:00 GMT")
    kit = kit_for(kits, tmp_path, [a, b])
    first = [run_feed(f, kit.deps, T0) for f in kit.feeds]
    assert [r.status for r in first] == ["ok", "ok"]
    assert kit.store.feed_state(a).etag == '"abc-1"'
    assert kit.store.feed_state(b).last_modified == "Mon, 30 Jan 2023 10:00:00 GMT"
    assert "if-none-match" not in feed_server.hits("/etag")[0].headers

    second = [run_feed(f, kit.deps, T0 + timedelta(hours=1)) for f in kit.feeds]
    assert [r.status for r in second] == ["not_modified", "not_modified"]
    assert feed_server.hits("/etag")[-1].headers["if-none-match"] == '"abc-1"'
    assert feed_server.hits("/lm")[-1].headers["if-modified-since"] == "Mon, 30 Jan 2023 10:00:00 GMT"
    state = kit.store.feed_state(a)
    assert state.last_success == T0 + timedelta(hours=1) and state.consecutive_failures == 0


def test_same_body_without_validators_is_not_parsed_again(tmp_path: Path, feed_server: FeedServer, kits: list[Kit]) -> None:
    url = feed_server.set("/plain", BODY)
    kit = kit_for(kits, tmp_path, [url])
    assert run_feed(kit.feeds[0], kit.deps, T0).new == 2
    again = run_feed(kit.feeds[0], kit.deps, T0 + timedelta(hours=1))
    assert (again.status, again.new) == ("not_modified", 0)
    feed_server.set("/plain", rss([*UNRELATED, Entry("Fresh news", "y", "http://news.example.org/fresh")]))
    third = run_feed(kit.feeds[0], kit.deps, T0 + timedelta(hours=2))
    assert (third.status, third.new) == ("ok", 1)


@pytest.mark.parametrize("status", [301, 308])
def test_permanent_redirect_moves_the_feed_and_302_does_not(
    status: int, tmp_path: Path, feed_server: FeedServer, kits: list[Kit], caplog: pytest.LogCaptureFixture
) -> None:
    new = feed_server.set("/new", BODY)
    old = feed_server.set("/old", status=status, headers={"Location": "/new"})
    temp = feed_server.set("/temp", status=302, headers={"Location": "/elsewhere"})
    feed_server.set("/elsewhere", rss([Entry("Elsewhere", "z", "http://news.example.org/elsewhere")]))
    kit = kit_for(kits, tmp_path, [old, temp])
    with caplog.at_level("WARNING", logger="seedwatch.feed"):
        assert [run_feed(f, kit.deps, T0).status for f in kit.feeds] == ["ok", "ok"]
    assert kit.store.feed_state(old).fetch_url == new  # stored under the configured URL, its identity
    assert kit.store.feed_state(temp).fetch_url is None
    moved = [r for r in caplog.records if r.getMessage().startswith("feed moved permanently")]
    assert len(moved) == 1 and moved[0].kv["to"] == new  # type: ignore[attr-defined]

    [run_feed(f, kit.deps, T0 + timedelta(hours=1)) for f in kit.feeds]
    assert len(feed_server.hits("/old")) == 1  # the second poll went straight to /new
    assert len(feed_server.hits("/new")) == 2
    assert len(feed_server.hits("/temp")) == 2  # a temporary redirect is asked again
    assert [name for name, _ in kit.store.feed_states()] == ["", ""]
    assert {s.url for _, s in kit.store.feed_states()} == {old, temp}


def test_redirect_loop_and_too_many_redirects(tmp_path: Path, feed_server: FeedServer, kits: list[Kit]) -> None:
    loop = feed_server.set("/a", status=302, headers={"Location": "/b"})
    feed_server.set("/b", status=302, headers={"Location": "/a"})
    for i in range(7):
        feed_server.set(f"/hop{i}", status=301, headers={"Location": f"/hop{i + 1}"})
    feed_server.set("/hop7", BODY)
    kit = kit_for(kits, tmp_path, [loop, feed_server.url("/hop0")])
    reports = [run_feed(f, kit.deps, T0) for f in kit.feeds]
    assert [r.status for r in reports] == ["error", "error"]
    assert all("more than 5 redirects" in (r.error or "") for r in reports)
    assert len(feed_server.hits("/a")) + len(feed_server.hits("/b")) == 6  # the first request and 5 redirects
    assert not feed_server.hits("/hop6") and not feed_server.hits("/hop7")
    assert kit.store.feed_state(loop).last_error_kind == "redirects"


def test_non_http_redirect_is_refused(tmp_path: Path, feed_server: FeedServer, kits: list[Kit]) -> None:
    url = feed_server.set("/file", status=302, headers={"Location": "file:///etc/passwd"})
    kit = kit_for(kits, tmp_path, [url])
    report = run_feed(kit.feeds[0], kit.deps, T0)
    assert report.status == "error" and 'redirect to "file:///etc/passwd" is not an http(s) URL' in (report.error or "")
    assert kit.store.feed_state(url).last_error_kind == "bad_url"


def test_410_disables_the_feed_loudly(tmp_path: Path, feed_server: FeedServer, kits: list[Kit], caplog: pytest.LogCaptureFixture) -> None:
    url = feed_server.set("/gone", "gone", status=410)
    kit = kit_for(kits, tmp_path, [url])
    with caplog.at_level("WARNING", logger="seedwatch.feed"):
        report = run_feed(kit.feeds[0], kit.deps, T0)
    assert report.status == "error" and "HTTP 410" in (report.error or "")
    state = kit.store.feed_state(url)
    assert state.disabled and state.last_error_kind == "gone"
    assert any("410 Gone" in r.getMessage() for r in caplog.records if r.levelname == "ERROR")
    again = run_feed(kit.feeds[0], kit.deps, T0 + timedelta(days=1))
    assert again.status == "error" and "disabled" in (again.error or "")
    assert len(feed_server.hits("/gone")) == 1


def test_429_retry_after_is_honoured(tmp_path: Path, feed_server: FeedServer, kits: list[Kit]) -> None:
    url = feed_server.set("/busy", "slow down", status=429, headers={"Retry-After": "7200"})
    date = feed_server.set("/busy-date", "later", status=503, headers={"Retry-After": "Fri, 30 Jan 2026 13:00:00 GMT"})
    kit = kit_for(kits, tmp_path, [url, date], monitor={"poll_interval": "5m"})
    [run_feed(f, kit.deps, T0) for f in kit.feeds]
    state = kit.store.feed_state(url)
    assert state.last_error_kind == "throttled" and not state.disabled
    assert state.next_poll >= T0 + timedelta(seconds=7200)
    assert kit.store.feed_state(date).next_poll >= T0 + timedelta(hours=3)


def test_500_backs_off_exponentially_to_the_cap_and_never_gives_up(tmp_path: Path, feed_server: FeedServer, kits: list[Kit]) -> None:
    url = feed_server.set("/err", "boom", status=500)
    kit = kit_for(kits, tmp_path, [url], monitor={"poll_interval": "10m"}, fetch={"backoff_cap": "2h"})
    waits = []
    now = T0
    for _ in range(8):
        run_feed(kit.feeds[0], kit.deps, now)
        state = kit.store.feed_state(url)
        waits.append((state.next_poll - now).total_seconds())
        now = state.next_poll
    assert state.consecutive_failures == 8 and not state.disabled and state.last_error_kind == "http"
    # full jitter: attempt n waits between half and all of interval * 2^(n-1), capped
    for n, wait in enumerate(waits, start=1):
        base = min(7200, 600 * 2 ** (n - 1))
        assert base * 0.5 <= wait <= base
    assert waits[-1] > 4 * waits[0]
    feed_server.set("/err", BODY)
    assert run_feed(kit.feeds[0], kit.deps, now).status == "ok"
    healed = kit.store.feed_state(url)
    assert healed.consecutive_failures == 0 and healed.failing_since is None
    assert healed.next_poll - now >= timedelta(minutes=10)


def test_server_hints_set_the_next_poll_within_the_cap(tmp_path: Path, feed_server: FeedServer, kits: list[Kit]) -> None:
    ttl = feed_server.set("/ttl", rss(UNRELATED, extra_channel="<ttl>180</ttl>"))
    age = feed_server.set("/age", rss([Entry("Aged", "a", "http://news.example.org/aged")]), headers={"Cache-Control": "public, max-age=999999"})
    kit = kit_for(kits, tmp_path, [ttl, age], monitor={"poll_interval": "10m"}, fetch={"max_interval": "12h", "jitter": 0.1})
    [run_feed(f, kit.deps, T0) for f in kit.feeds]
    wait_ttl = kit.store.feed_state(ttl).next_poll - T0
    wait_age = kit.store.feed_state(age).next_poll - T0
    assert timedelta(hours=3) <= wait_ttl <= timedelta(hours=3.3)  # <ttl> in minutes, plus up to 10 % jitter
    assert timedelta(hours=12) <= wait_age <= timedelta(hours=13.2)  # max-age capped by fetch.max_interval


def test_sy_update_period_sets_the_next_poll(tmp_path: Path, feed_server: FeedServer, kits: list[Kit]) -> None:
    body = rss(UNRELATED).replace('<rss version="2.0">', '<rss version="2.0" xmlns:sy="http://purl.org/rss/1.0/modules/syndication/">').replace(
        "<description>t</description>", "<description>t</description><sy:updatePeriod>daily</sy:updatePeriod><sy:updateFrequency>4</sy:updateFrequency>"
    )
    url = feed_server.set("/sy", body)
    kit = kit_for(kits, tmp_path, [url], monitor={"poll_interval": "10m"}, fetch={"jitter": 0.0})
    run_feed(kit.feeds[0], kit.deps, T0)
    assert kit.store.feed_state(url).next_poll - T0 == timedelta(hours=6)  # daily, 4 times


def test_user_agent_names_product_version_and_url(tmp_path: Path, feed_server: FeedServer, kits: list[Kit]) -> None:
    url = feed_server.set("/ua", BODY)
    kit = kit_for(kits, tmp_path, [url])
    run_feed(kit.feeds[0], kit.deps, T0)
    agent = feed_server.hits("/ua")[0].headers["user-agent"]
    assert agent == USER_AGENT and f"Seedwatch/{__version__}" in agent and "https://" in agent


def test_per_host_limit_holds_across_threads(tmp_path: Path, feed_server: FeedServer, kits: list[Kit]) -> None:
    held = InFlight(BODY.encode(), target=2)
    for i in range(6):
        feed_server.routes[f"/slow{i}"] = Route(handler=held)
    kit = kit_for(kits, tmp_path, [feed_server.url(f"/slow{i}") for i in range(6)], fetch={"concurrency": 6, "per_host": 2})
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda u: kit.fetcher.fetch(u, FeedState(u)), [f.url for f in kit.feeds]))
    assert all(isinstance(r, Fetched) for r in results)
    assert held.peak == 2


def test_fetch_failures_are_values(tmp_path: Path, kits: list[Kit]) -> None:
    kit = kit_for(kits, tmp_path, ["http://127.0.0.1:9/"])
    result = kit.fetcher.fetch("http://127.0.0.1:9/", FeedState("http://127.0.0.1:9/"))
    assert isinstance(result, FetchFailed) and result.kind == "network"


def test_adaptive_polling_follows_the_learnt_cadence(tmp_path: Path, feed_server: FeedServer, kits: list[Kit]) -> None:
    url = feed_server.url("/busy-feed")
    kit = kit_for(kits, tmp_path, [url], monitor={"poll_interval": "1h"}, fetch={"adaptive": True, "min_interval": "10m", "jitter": 0.0})
    now = T0
    for i in range(4):  # something new every 40 minutes
        feed_server.set("/busy-feed", rss([Entry(f"Busy {i}", "b", f"http://news.example.org/busy-{i}")]))
        run_feed(kit.feeds[0], kit.deps, now)
        last = now
        now += timedelta(minutes=40)
    state = kit.store.feed_state(url)
    assert state.cadence == 2400
    assert state.next_poll - last == timedelta(minutes=20)  # half the cadence, above min_interval
