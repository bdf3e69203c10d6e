"""End to end: `seedwatch once` over three outlets carrying one story, then `seedwatch stories`."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

from monitor.service.loading import load
from monitor.types import FeedItem
from tests.conftest import seedwatch, write_config
from tests.feeds import UNRELATED, Entry, rss
from tests.scoring import score
from tests.servers import FeedServer, WebhookReceiver

LEAD = (
    "Sekretaris Jenderal NATO Jens Stoltenberg meminta Korea Selatan mengirim senjata dan amunisi ke Ukraina "
    "saat berkunjung ke Seoul, Senin. Ia berterima kasih atas bantuan Korsel, tetapi menyebut ada kebutuhan mendesak."
)
COPIES = {
    "antara": Entry("NATO desak Korsel kirim senjata ke Ukraina", LEAD, "http://antara.example/berita/1", guid="antara-1"),
    "kompas": Entry("Korea Selatan didesak NATO kirim senjata ke Ukraina", LEAD, "http://kompas.example/read/2023/01/30/nato?utm_source=rss", guid="kompas-9"),
    "tempo": Entry("Stoltenberg: Korsel perlu kirim senjata ke Ukraina - Tempo", LEAD, "http://tempo.example/amp/nato-korsel", guid="tempo-3"),
}
# Hours later, a development: another report, in other words, naming who reacts.
DEVELOPMENT = Entry(
    "Pyongyang bantah pasok senjata ke Rusia saat NATO desak Korsel kirim senjata ke Ukraina",
    "Kementerian Luar Negeri Korea Utara di Pyongyang menyebut desakan NATO kepada Korsel agar mengirim senjata ke Ukraina sebagai provokasi, dan membantah memasok senjata untuk Rusia.",
    "http://kompas.example/read/2023/01/31/korut",
    guid="kompas-10",
)
EARLIER = timedelta(hours=8)


def _alerts_alone(cfg: Path, entry: Entry) -> None:
    """Precondition: the seed's profile alerts on the entry by itself."""
    loaded = load(str(cfg))
    match = score(loaded.engine, FeedItem("k", "f", entry.title, entry.link, entry.summary, None, "s", "id"), loaded.profiles[0])
    assert match.alert, f"precondition: the test item must alert for the seed: {match.explanation}"


def test_one_alert_per_story_then_an_update(tmp_path: Path, feed_server: FeedServer, receiver: WebhookReceiver) -> None:
    earlier = datetime.now(timezone.utc).replace(microsecond=0) - EARLIER
    copies = {name: replace(entry, published=earlier + timedelta(minutes=10 * n)) for n, (name, entry) in enumerate(COPIES.items())}
    urls = {name: feed_server.set(f"/{name}", rss([entry, *UNRELATED])) for name, entry in copies.items()}
    cfg = write_config(tmp_path, feeds=[{"url": u, "name": n.capitalize()} for n, u in urls.items()], webhooks=[{"name": "h", "url": receiver.url("/h")}])
    for entry in (*copies.values(), DEVELOPMENT):
        _alerts_alone(cfg, entry)

    first = seedwatch("once", "--json", "--config", str(cfg))
    assert first.returncode == 0, first.stderr
    assert sum(json.loads(line)["alerts"] for line in first.stdout.splitlines()) == 1
    [body] = receiver.json_bodies("/h")
    assert body["story"]["update"] is False and body["story"]["items"] == 1 and body["story"]["new"] == [] and body["story"]["events"] == 1
    assert body["story"]["id"].startswith("sty_") and body["story"]["sources"] == [body["item"]["source"]]

    listed = seedwatch("stories", "--json", "--config", str(cfg))
    assert listed.returncode == 0, listed.stderr
    [story] = [json.loads(line) for line in listed.stdout.splitlines()]
    assert story["id"] == body["story"]["id"]
    assert sorted(story["sources"]) == ["Antara", "Kompas", "Tempo"] and len(story["items"]) == 3
    assert [i["alert"] is not None for i in story["items"]].count(True) == 1 and story["alerts"] == 1
    assert all("near-duplicate" in i["reason"] for i in story["items"] if i["alert"] is None)

    assert len({i["event"] for i in story["items"]}) == 1 and len(story["events"]) == 1
    assert sorted(story["events"][0]["sources"]) == ["Antara", "Kompas", "Tempo"] and story["events"][0]["first"]["source"] == "Antara"

    feed_server.set("/kompas", rss([DEVELOPMENT, copies["kompas"], *UNRELATED]))
    second = seedwatch("once", "--json", "--config", str(cfg))
    assert second.returncode == 0, second.stderr
    assert sum(json.loads(line)["alerts"] for line in second.stdout.splitlines()) == 1
    bodies = receiver.json_bodies("/h")
    assert len(bodies) == 2
    update = bodies[1]
    assert update["item"]["title"] == DEVELOPMENT.title
    assert update["story"]["id"] == story["id"] and update["story"]["update"] is True and update["story"]["items"] == 4
    assert "Pyongyang" in update["story"]["new"] and update["story"]["events"] == 2
    assert update["story"]["reason"].startswith("update: new development (Pyongyang")

    text = seedwatch("stories", "--config", str(cfg), "--seed", body["seed"]["id"])
    assert text.returncode == 0, text.stderr
    assert "4 items" in text.stdout and "2 events" in text.stdout and text.stdout.count("UPDATE") == 1 and DEVELOPMENT.title in text.stdout
    assert "new: Pyongyang" in text.stdout
    other = seedwatch("stories", "--json", "--config", str(cfg), "--seed", "no-such-seed")
    assert other.returncode != 0 and other.stdout == ""
    assert "no seed 'no-such-seed'" in other.stderr and f"seeds: {body['seed']['id']}" in other.stderr
    too_few = seedwatch("stories", "--config", str(cfg), "--limit", "-1")
    assert too_few.returncode == 2 and "--limit" in too_few.stderr and "-1 is not at least 1" in too_few.stderr
    bad = seedwatch("stories", "--config", str(cfg), "--since", "3 days")
    assert bad.returncode == 2 and "--since" in bad.stderr and '"3 days" is not a duration' in bad.stderr


def test_same_article_via_tracking_and_amp_urls_is_one_item(tmp_path: Path, feed_server: FeedServer, receiver: WebhookReceiver) -> None:
    base = COPIES["antara"]
    a = feed_server.set("/a", rss([replace(base, link="https://antara.example/berita/1/?utm_source=rss&fbclid=x#top", guid="a-1")]))
    b = feed_server.set("/b", rss([replace(base, link="http://amp.antara.example/berita/1/amp?gclid=1", guid="b-1")]))
    cfg = write_config(tmp_path, feeds=[{"url": a}, {"url": b}], webhooks=[{"name": "h", "url": receiver.url("/h")}])
    out = seedwatch("once", "--json", "--config", str(cfg))
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert sum(line["new"] for line in lines) == 1 and sum(line["alerts"] for line in lines) == 1
    assert len(receiver.posts("/h")) == 1


def test_with_stories_off_every_copy_alerts(tmp_path: Path, feed_server: FeedServer, receiver: WebhookReceiver) -> None:
    urls = {name: feed_server.set(f"/{name}", rss([entry, *UNRELATED])) for name, entry in COPIES.items()}
    feeds = [{"url": u, "name": n.capitalize()} for n, u in urls.items()]
    cfg = write_config(tmp_path, feeds=feeds, webhooks=[{"name": "h", "url": receiver.url("/h")}], extra="[stories]\nenabled = false\n")

    run = seedwatch("once", "--json", "--config", str(cfg))
    assert run.returncode == 0, run.stderr
    bodies = receiver.json_bodies("/h")
    assert sorted(b["item"]["source"] for b in bodies) == ["Antara", "Kompas", "Tempo"]
    assert all("story" not in b for b in bodies)
