"""kill -9 `seedwatch run` at random moments while alerts flow: nothing is lost, duplicates share a webhook-id.

A slow receiver (it records a POST, then waits before answering) widens the
window between "the receiver has it" and "the outbox knows", which is where a
kill makes the at-least-once resend happen.
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from pathlib import Path

import pytest
from standardwebhooks import Webhook

from monitor.store import Store
from tests.conftest import start_seedwatch, stop_seedwatch, write_config
from tests.feeds import UNRELATED, Entry, rss
from tests.outbox import SECRET
from tests.servers import FeedServer, WebhookReceiver

KILLS = 22  # a fixed number of kills, not as many as fit in some seconds: the test's timeout bounds it

# On-topic in Indonesian and English (NATO, Korsel, senjata, Ukraina, Stoltenberg) so any relevance
# engine alerts on them; built from varied parts so no two items are near-duplicates of each other.
ACTORS = [("Sekjen NATO Stoltenberg", "NATO chief Stoltenberg"), ("Presiden Korsel Yoon Suk-yeol", "South Korean President Yoon Suk-yeol"),
          ("Menhan Korea Selatan", "South Korea's defence minister"), ("Presiden Ukraina Zelensky", "Ukrainian President Zelensky"),
          ("Dubes NATO di Seoul", "NATO's envoy in Seoul"), ("Jubir Kemlu Korsel", "A South Korean foreign ministry spokesman")]
ACTS = [("desak Korsel kirim senjata ke Ukraina", "urges South Korea to send weapons to Ukraine"),
        ("bahas bantuan amunisi artileri Korsel untuk Ukraina", "discusses South Korean artillery ammunition for Ukraine"),
        ("tolak larangan ekspor senjata Korea Selatan", "rejects South Korea's ban on exporting weapons to Ukraine"),
        ("soroti peluru 155 mm buatan Korsel bagi Ukraina", "highlights Korean-made 155 mm shells for Ukraine"),
        ("umumkan kerja sama pertahanan NATO dan Korsel", "announces NATO-South Korea defence cooperation on Ukraine"),
        ("minta Seoul ubah kebijakan senjata demi Ukraina", "asks Seoul to change its arms policy for Ukraine")]
PLACES = [("di Seoul", "in Seoul"), ("di Brussel", "in Brussels"), ("di Kyiv", "in Kyiv"), ("di Vilnius", "in Vilnius"), ("di Busan", "in Busan")]


def entry(n: int) -> Entry:
    (actor, actor_en), (act, act_en), (place, place_en) = ACTORS[n % 6], ACTS[(n // 6 + n) % 6], PLACES[(n // 3) % 5]
    title = f"{actor} {act} {place}"
    summary = f"{title}, terkait invasi Rusia ke Ukraina dan peran NATO. {actor_en} {act_en} {place_en} (report {n})."
    return Entry(title, summary, f"http://news.example.org/{n}/nato-korsel-senjata", guid=f"urn:killloop:{n}")



@pytest.mark.slow
@pytest.mark.timeout(240)
def test_kill9_loop_loses_no_alert(tmp_path: Path, feed_server: FeedServer, receiver: WebhookReceiver) -> None:
    rng = random.Random(20260130)
    entries: list[Entry] = list(UNRELATED)
    feed_url = feed_server.set("/news", rss(entries))
    cfg = write_config(tmp_path, feeds=[{"url": feed_url, "name": "news", "interval": "1s"}], webhooks=[{"name": "hook", "url": receiver.url("/hook"), "secret": SECRET}],
        extra="[stories]\nenabled = false\n",  # the entries are variations of one story: every one must alert here
    )
    receiver.delay = 0.15

    kills, n = 0, 0
    while kills < KILLS:
        for _ in range(rng.randint(1, 2)):
            entries.append(entry(n))
            n += 1
        feed_server.set("/news", rss(entries))
        proc = start_seedwatch("run", "--config", str(cfg))
        time.sleep(rng.uniform(0.5, 3.0))
        if rng.random() < 0.5:  # more news while it runs
            entries.append(entry(n))
            n += 1
            feed_server.set("/news", rss(entries))
            time.sleep(rng.uniform(0.0, 1.5))
        assert proc.poll() is None, proc.communicate()[1]
        proc.kill()  # SIGKILL: no handler, no cleanup
        proc.wait(timeout=10)
        kills += 1

    proc = start_seedwatch("run", "--config", str(cfg))  # a clean run drains the outbox
    store = Store(f"sqlite:///{tmp_path / 'state' / 'seedwatch.db'}")
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            counts = store.counts()
            if counts["items"] >= n + len(UNRELATED) and counts["outbox"] == 0:
                break
            time.sleep(0.2)
        alert_ids = {r.id for r in store.recent_alerts(10_000)}
        counts = store.counts()
    finally:
        _code, _took, err = stop_seedwatch(proc, timeout=20)
        store.close()

    posts = receiver.posts("/hook")
    by_id = Counter(p.headers["webhook-id"] for p in posts)
    produced, delivered, duplicates = len(alert_ids), len(set(by_id) & alert_ids), len(posts) - len(by_id)
    print(f"\nkill loop: kills={kills} items={n} alerts_produced={produced} delivered={delivered} posts={len(posts)} duplicates_by_id={duplicates}")

    assert counts["items"] == n + len(UNRELATED), err[-2000:]
    assert produced >= 10, "too few on-topic items alerted (relevance or story folding changed?) for the loop to mean anything"
    assert counts["outbox"] == 0 and counts["dead"] == 0
    assert set(by_id) == alert_ids  # every alert delivered, nothing delivered that was not an alert
    for post in posts:  # every copy is a genuine, signed copy of its alert
        assert Webhook(SECRET).verify(post.body, post.headers)["id"] == post.headers["webhook-id"]
    bodies: dict[str, set[bytes]] = {}
    for post in posts:
        bodies.setdefault(post.headers["webhook-id"], set()).add(post.body)
    assert all(len(b) == 1 for b in bodies.values()), "a resend must carry the same body"
    links = Counter(json.loads(next(iter(b)))["item"]["url"] for b in bodies.values())
    assert max(links.values()) == 1, "one article must never arrive under two ids"
