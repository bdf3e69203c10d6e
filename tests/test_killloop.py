"""kill -9 `seedwatch run` at random moments while alerts flow: nothing is lost, duplicates share a webhook-id.

A slow receiver (it records a POST, then waits before answering) widens the
window between "the receiver has it" and "the outbox knows", which is where a
kill makes the at-least-once resend happen.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
from standardwebhooks import Webhook

from monitor.store import Store
from tests.conftest import start_seedwatch, write_config
from tests.feeds import UNRELATED, Entry, rss
from tests.outbox import SECRET
from tests.servers import FeedServer, WebhookReceiver

KILLS = 22
BUDGET = 100.0  # seconds for the kill phase; the loop stops early rather than overrun

# On-topic in Indonesian and English so any relevance engine alerts on them; distinct titles and links.
SUBJECTS = [
    ("NATO desak Korsel kirim senjata ke Ukraina", "Sekjen NATO Stoltenberg di Seoul meminta Korea Selatan mengirim senjata dan amunisi untuk Ukraina."),
    ("Stoltenberg: Korea Selatan perlu bantu Ukraina dengan senjata", "NATO Secretary General Stoltenberg urged South Korea to send weapons to Ukraine during his Seoul visit."),
    ("Korsel pertimbangkan ekspor amunisi untuk Ukraina usai desakan NATO", "Pemerintah Korea Selatan menimbang permintaan NATO soal senjata bagi Ukraina yang melawan invasi Rusia."),
    ("NATO urges South Korea to arm Ukraine", "Stoltenberg said in Seoul that South Korea should reconsider its ban on sending weapons to Ukraine."),
]


def entry(n: int) -> Entry:
    title, summary = SUBJECTS[n % len(SUBJECTS)]
    return Entry(f"{title} (laporan {n})", f"{summary} Laporan nomor {n}.", f"http://news.example.org/nato-korsel-senjata-{n}", guid=f"urn:killloop:{n}")


def _terminate(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGTERM)
    try:
        _out, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        _out, err = proc.communicate()
    return err


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_kill9_loop_loses_no_alert(tmp_path: Path, feed_server: FeedServer, receiver: WebhookReceiver) -> None:
    rng = random.Random(20260130)
    entries: list[Entry] = list(UNRELATED)
    feed_url = feed_server.set("/news", rss(entries))
    cfg = write_config(tmp_path, feeds=[{"url": feed_url, "name": "news", "interval": "1s"}], webhooks=[{"name": "hook", "url": receiver.url("/hook"), "secret": SECRET}])
    receiver.delay = 0.15

    kills, n, started = 0, 0, time.monotonic()
    while kills < KILLS and time.monotonic() - started < BUDGET:
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
        err = _terminate(proc)
        store.close()

    posts = receiver.posts("/hook")
    by_id = Counter(p.headers["webhook-id"] for p in posts)
    produced, delivered, duplicates = len(alert_ids), len(set(by_id) & alert_ids), len(posts) - len(by_id)
    print(f"\nkill loop: kills={kills} items={n} alerts_produced={produced} delivered={delivered} posts={len(posts)} duplicates_by_id={duplicates}")

    assert kills >= 20, f"only {kills} kills in {BUDGET:.0f} s"
    assert counts["items"] == n + len(UNRELATED), err[-2000:]
    assert produced >= n // 2, "the relevance engine let too few on-topic items alert for the loop to mean anything"
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
