"""Every config key changes behaviour: for each key of the README's configuration reference that no
other test would catch being ignored, a run with two values of it that must differ.

Keys of `[monitor]`, `[[feeds]]`, `[[webhooks]]` and `[profiles]` here; `[fetch]`, `[stories]`
and the reload check in tests/test_config_keys_runtime.py. Keys covered elsewhere:
monitor.state, monitor.seeds (every test; test_service.py reload of seeds), monitor.poll_interval
(test_fetch.py backoff), monitor.allow_private_networks (test_fetch_ssrf.py through the command),
monitor.log_format (test_service_logs.py), service.listen (test_service.py), feeds url, name,
interval (test_fetch_health.py, test_daemon.py), webhooks name, url, format, secret,
budget_per_hour, quiet_hours, timezone, digest (test_deliver*.py, test_sinks.py), profiles add,
required (test_relevance_cli.py; every override key through build_profile in test_relevance.py).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from monitor.delivery.deliver import Deliverer
from monitor.pipeline import run_feed
from monitor.service.app import App, read
from tests.conftest import SEEDS
from tests.feeds import KORUT, RELATED_ID, TANKS, TANKS_SEED, UNRELATED, Entry, rss
from tests.fetchkit import T0, Kit, config_file
from tests.servers import FeedServer, WebhookReceiver

SEED = "000_3cec3928e0cca43c"
# Scores 0.878 against the bundled seed (`seedwatch explain`): an alert at threshold 0.8, none at 0.9.
MIDDLING = Entry("Seoul considers NATO request", "The alliance asked South Korea to consider sending ammunition to Ukraine.", "http://news.example.org/seoul-considers")


@pytest.fixture
def kits() -> Iterator[list[Kit]]:
    made: list[Kit] = []
    yield made
    for kit in made:
        kit.close()


def kit(kits: list[Kit], tmp: Path, name: str, feeds: list[dict], webhooks: list[dict] = (), **kw: object) -> Kit:
    """A Kit in its own folder (its own state), so two values of a key run side by side."""
    folder = tmp / name
    folder.mkdir()
    made = Kit(folder, feeds, webhooks, **kw)  # type: ignore[arg-type]
    kits.append(made)
    return made


def alerts(k: Kit, now=T0) -> int:
    return sum(run_feed(feed, k.deps, now).alerts for feed in k.feeds)


def test_monitor_threshold(tmp_path: Path, feed_server: FeedServer, kits: list[Kit]) -> None:
    url = feed_server.set("/feed", rss([MIDDLING]))
    assert alerts(kit(kits, tmp_path, "low", [{"url": url}], monitor={"threshold": 0.8})) == 1
    assert alerts(kit(kits, tmp_path, "high", [{"url": url}], monitor={"threshold": 0.9})) == 0


def test_a_seeds_own_threshold_wins_over_monitor_threshold(tmp_path: Path, feed_server: FeedServer, kits: list[Kit]) -> None:
    url = feed_server.set("/feed", rss([MIDDLING]))
    strict = kit(kits, tmp_path, "strict", [{"url": url}], monitor={"threshold": 0.5}, extra=f'[profiles."{SEED}"]\nthreshold = 0.9\n')
    lenient = kit(kits, tmp_path, "lenient", [{"url": url}], monitor={"threshold": 0.95}, extra=f'[profiles."{SEED}"]\nthreshold = 0.8\n')
    assert (alerts(strict), alerts(lenient)) == (0, 1)


def test_a_seeds_excluded_term_vetoes_its_alerts(tmp_path: Path, feed_server: FeedServer, kits: list[Kit]) -> None:
    url = feed_server.set("/feed", rss([RELATED_ID, KORUT]))  # only RELATED_ID says "Seoul"
    plain = kit(kits, tmp_path, "plain", [{"url": url}])
    excluding = kit(kits, tmp_path, "excluding", [{"url": url}], extra=f'[profiles."{SEED}"]\nexclude = ["Seoul"]\n')
    assert (alerts(plain), alerts(excluding)) == (2, 1)


def test_monitor_max_age(tmp_path: Path, feed_server: FeedServer, kits: list[Kit]) -> None:
    old = Entry(RELATED_ID.title, RELATED_ID.summary, RELATED_ID.link, published=T0 - timedelta(days=10))
    fresh = Entry(KORUT.title, KORUT.summary, KORUT.link, published=T0 - timedelta(days=3))
    url = feed_server.set("/feed", rss([old, fresh]))
    week = kit(kits, tmp_path, "week", [{"url": url}], monitor={"max_age": "7d"})
    report = run_feed(week.feeds[0], week.deps, T0)
    assert (report.new, report.alerts) == (2, 1)  # the old item is stored, so it never alerts later either
    assert [a.title for a in week.store.recent_alerts()] == [KORUT.title]
    assert alerts(kit(kits, tmp_path, "default", [{"url": url}])) == 2  # 14 d
    assert alerts(kit(kits, tmp_path, "month", [{"url": url}], monitor={"max_age": "30d"})) == 2
    ancient = feed_server.set("/ancient", rss([Entry(KORUT.title, KORUT.summary, KORUT.link, published=T0 - timedelta(days=400))]))
    assert alerts(kit(kits, tmp_path, "unlimited", [{"url": ancient}], monitor={"max_age": "0s"})) == 1
    assert alerts(kit(kits, tmp_path, "limited", [{"url": ancient}])) == 0


def test_monitor_allow_hosts(tmp_path: Path, feed_server: FeedServer, kits: list[Kit]) -> None:
    url = feed_server.set("/feed", rss(UNRELATED))
    guarded = {"allow_private_networks": False}
    allowed = kit(kits, tmp_path, "allowed", [{"url": url}], monitor={**guarded, "allow_hosts": ["127.0.0.1"]})
    refused = kit(kits, tmp_path, "refused", [{"url": url}], monitor={**guarded, "allow_hosts": ["feeds.internal"]})
    assert run_feed(allowed.feeds[0], allowed.deps, T0).status == "ok"
    report = run_feed(refused.feeds[0], refused.deps, T0)
    assert report.status == "error" and "loopback" in (report.error or "")
    assert len(feed_server.hits("/feed")) == 1


def test_webhook_min_score(tmp_path: Path, feed_server: FeedServer, receiver: WebhookReceiver, kits: list[Kit]) -> None:
    url = feed_server.set("/feed", rss([RELATED_ID, MIDDLING]))  # scores 1.0 and 0.878
    hooks = [{"name": "low", "url": receiver.url("/low"), "min_score": 0.85}, {"name": "high", "url": receiver.url("/high"), "min_score": 0.95}]
    k = kit(kits, tmp_path, "k", [{"url": url}], hooks, extra="[stories]\nenabled = false\n")
    assert alerts(k) == 2
    Deliverer(k.store, k.settings.webhooks).run_once(T0)
    assert sorted(b["item"]["title"] for b in receiver.json_bodies("/low")) == sorted([RELATED_ID.title, MIDDLING.title])
    assert [b["item"]["title"] for b in receiver.json_bodies("/high")] == [RELATED_ID.title]


def test_webhook_seeds(tmp_path: Path, feed_server: FeedServer, receiver: WebhookReceiver, kits: list[Kit]) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    shutil.copy(SEEDS / f"{SEED}.txt", seeds)
    (seeds / "tanks.txt").write_text(TANKS_SEED)
    url = feed_server.set("/feed", rss([RELATED_ID, TANKS]))
    hooks = [
        {"name": "nato", "url": receiver.url("/nato"), "seeds": [SEED]},
        {"name": "tanks", "url": receiver.url("/tanks"), "seeds": ["tanks"]},
        {"name": "all", "url": receiver.url("/all")},
    ]
    k = kit(kits, tmp_path, "k", [{"url": url}], hooks, monitor={"seeds": str(seeds)})
    assert alerts(k) == 2  # each item alerts for its own seed only
    Deliverer(k.store, k.settings.webhooks).run_once(T0)
    assert [b["seed"]["id"] for b in receiver.json_bodies("/nato")] == [SEED]
    assert [b["seed"]["id"] for b in receiver.json_bodies("/tanks")] == ["tanks"]
    assert sorted(b["seed"]["id"] for b in receiver.json_bodies("/all")) == sorted([SEED, "tanks"])


def test_feed_lang(tmp_path: Path, feed_server: FeedServer, kits: list[Kit]) -> None:
    plain = feed_server.set("/plain", rss([UNRELATED[0]]))  # the document names no language
    said = feed_server.set("/said", rss([UNRELATED[1]], extra_channel="<language>en-us</language>"))
    k = kit(kits, tmp_path, "k", [{"url": plain, "lang": "id"}, {"url": said, "lang": "pl"}, {"url": said.replace("/said", "/plain2")}])
    feed_server.set("/plain2", rss([Entry("Third", "x", "http://news.example.org/third")]))
    for feed in k.feeds:
        run_feed(feed, k.deps, T0)
    assert [i.lang for i in k.stored_items()] == ["id", "pl", None]  # the config's lang wins over the document's


def test_feed_enabled(tmp_path: Path, feed_server: FeedServer) -> None:
    on = feed_server.set("/on", rss(UNRELATED))
    off = feed_server.set("/off", rss(UNRELATED))
    app = App.open(*read(str(config_file(tmp_path, [{"url": on}, {"url": off, "enabled": False}]))), polls=False)
    try:
        assert [r.feed for r in app.poll_all()] == [on]
    finally:
        app.close()
    assert len(feed_server.hits("/on")) == 1 and feed_server.hits("/off") == []
