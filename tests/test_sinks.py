"""Wire formats: golden payloads, content safety, service limits, every payload type in every format.

The golden payloads are outputs: a fixed alert (`FIXED`) is rendered as the generic payload
(tests/golden/alert.json) and delivered through the real receiver in each chat format
(tests/golden/<format>_alert.json, first written by hand from the services' docs). After an
intended change of a format, rewrite them and review the diff:
    SEEDWATCH_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_sinks.py; git diff tests/golden
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from monitor import wire
from monitor.config import validate
from monitor.delivery import sinks
from monitor.errors import ConfigError, DeliveryError
from monitor.types import Alert, FeedItem, MatchedTerm
from tests.conftest import seedwatch, write_config
from tests.goldenkit import check_golden
from tests.outbox import FEED, alert, deliverer, hook, queue, queue_health, store
from tests.servers import WebhookReceiver

NOW = datetime(2026, 1, 30, 10, 0, tzinfo=timezone.utc)
# Every character a format must escape (&, <, >) and a link with a query string.
FIXED = Alert(
    id="alrt_0123456789abcdef0123",
    seed_id="000_3cec3928e0cca43c",
    seed_title="NATO Serukan Korea Selatan Bantu Senjata untuk Ukraina",
    item=FeedItem(
        key="k1", feed_url=FEED, title="NATO & Korsel: <senjata> untuk Ukraina", url="https://news.example.org/nato-korsel?a=1&b=2",
        summary="Stoltenberg di Seoul meminta Korea Selatan mengirim senjata > 100 ton.", published=NOW.replace(minute=30, hour=9), source="Antara", lang="id",
    ),
    score=0.82341,
    matched=(MatchedTerm("nato", "NATO", "title"),),
    created_at=NOW,
    feed_name="Antara: Dunia",
)


def test_the_generic_payload_of_an_alert_matches_its_golden_file() -> None:
    check_golden("alert.json", wire.alert(FIXED))


@pytest.mark.parametrize(("fmt", "path", "expected"), [("json", "/json", "alert.json"), ("slack", "/slack", "slack_alert.json"), ("discord", "/discord", "discord_alert.json"), ("ntfy", "/seedwatch-alerts", "ntfy_alert.json")])
def test_golden_payloads_through_the_receiver(tmp_path: Path, receiver: WebhookReceiver, fmt: str, path: str, expected: str) -> None:
    st = store(tmp_path)
    queue(st, FIXED, ["sink"])  # queued as the pipeline queues it: the generic payload of the alert
    assert deliverer(st, hook("sink", receiver.url(path), format=fmt)).run_once(NOW).sent == 1
    [post] = receiver.posts()
    assert post.path == ("/" if fmt == "ntfy" else path)  # ntfy: JSON is published to the server root
    assert post.headers["content-type"] == "application/json"
    assert post.headers["webhook-id"] == FIXED.id
    check_golden(expected, json.loads(post.body))


HOSTILE = {
    "type": "seedwatch.alert", "id": "alrt_x", "created_at": "2026-01-30T10:00:00+00:00",
    "seed": {"id": "s", "title": "@here seed"}, "score": 0.9, "matched": [],
    "item": {"key": "k", "title": "@everyone <!channel> <@&123> [click](javascript:alert(1))", "url": "javascript:alert(document.cookie)",
             "summary": "<script>alert(1)</script> @everyone\u202eevil", "published": None, "source": "x", "feed": "f", "lang": "en"},
}


def test_mentions_and_javascript_links_are_neutralised() -> None:
    slack = sinks.slack(sinks.note(HOSTILE))
    text = json.dumps(slack)
    assert "<javascript" not in text and "|" not in slack["blocks"][0]["text"]["text"]  # no link at all, only text
    assert "<!channel>" not in text and "<@&123>" not in text and "<script>" not in text
    assert "&lt;!channel&gt;" in slack["text"]

    discord = sinks.discord(sinks.note(HOSTILE))
    assert discord["allowed_mentions"] == {"parse": []}
    embed = discord["embeds"][0]
    assert "url" not in embed
    # the title is plain text (embeds never ping); text that markdown would render is escaped
    assert embed["title"].startswith("@everyone <!channel> <@&123>")
    assert embed["description"].startswith("\\<script\\>") and "@here seed" == embed["fields"][0]["value"]
    assert "](javascript:" not in embed.get("description", "")
    assert "\u202e" not in embed["description"]  # bidi override stripped

    ntfy = sinks.ntfy(sinks.note(HOSTILE), "t")
    assert "click" not in ntfy

    _title, html = sinks.apprise_message(sinks.note(HOSTILE))
    assert "<script" not in html and "javascript:" not in html and "href" not in html


@pytest.mark.parametrize("url", ["javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)", "java\tscript:alert(1)", "data:text/html,x", "//evil.example/x", "http://", "ftp://x.org/a"])
def test_only_absolute_http_links_survive(url: str) -> None:
    assert sinks.safe_url(url) is None


def test_fields_are_cut_to_each_services_limits() -> None:
    long = dict(HOSTILE, item=dict(HOSTILE["item"], title="Ж" * 5000, summary="ü" * 20000, url="https://x.org/a"))
    n = sinks.note(long)
    discord = sinks.discord(n)["embeds"][0]
    assert len(discord["title"]) <= 256 and len(discord["description"]) <= 4096
    assert all(len(f["value"]) <= 1024 for f in discord["fields"])
    assert sum(len(discord[k]) for k in ("title", "description")) + sum(len(f["name"]) + len(f["value"]) for f in discord["fields"]) <= 6000
    assert all(len(b["text"]["text"]) <= 3000 for b in sinks.slack(n)["blocks"] if b["type"] == "section")
    ntfy = sinks.ntfy(n, "t")
    assert len(ntfy["message"].encode()) <= 4096 and ntfy["title"].endswith("…")


def test_digest_lists_entries_and_counts_the_rest() -> None:
    members = [wire.alert(FIXED) for _ in range(300)]
    for i, m in enumerate(members):
        m["id"], m["item"]["title"] = f"alrt_{i}", f"Korsel kirim senjata ({i}) " + "x" * 150
    digest = {"type": "seedwatch.digest", "id": "dgst_1", "created_at": NOW.isoformat(), "sink": "s", "count": 300, "reasons": ["quiet hours"], "alerts": members}
    n = sinks.note(digest)
    assert n.title == "Seedwatch digest: 300 new matches"
    description = sinks.discord(n)["embeds"][0]["description"]
    assert len(description) <= 4096 and description.rstrip().endswith("more") and "Korsel kirim senjata \\(0\\)" in description
    slack_text = sinks.slack(n)["blocks"][0]["text"]["text"]
    assert len(slack_text) <= 3000 and "more" in slack_text.splitlines()[-1]
    assert "<https://news.example.org/nato-korsel?a=1&amp;b=2|Korsel kirim senjata (0)" in slack_text
    assert "held: quiet hours" in sinks.ntfy(n, "t")["message"]


def test_a_story_update_says_so_in_chat_formats() -> None:
    first, update = wire.alert(FIXED), wire.alert(FIXED)
    first["story"] = {"id": "sty_1", "items": 1, "sources": ["Antara"], "update": False}
    update["story"] = {"id": "sty_1", "items": 4, "sources": ["Antara", "Kompas", "Yonhap"], "update": True}
    assert not sinks.note(first).title.startswith("Update:")
    n = sinks.note(update)
    assert n.title == "Update: " + FIXED.item.title
    assert ("Story", "4 items from 3 sources") in n.fields
    assert "Update: " in sinks.slack(n)["blocks"][0]["text"]["text"] and sinks.discord(n)["embeds"][0]["title"].startswith("Update: ")


@pytest.mark.parametrize("fmt", ["json", "slack", "discord", "ntfy"])
def test_feed_health_events_render_in_every_format(tmp_path: Path, receiver: WebhookReceiver, fmt: str) -> None:
    st = store(tmp_path)
    health = queue_health(st, NOW, ["h"])
    queue_health(st, NOW.replace(hour=11), ["h"], status="recovered")
    deliverer(st, hook("h", receiver.url("/feeds"), format=fmt)).run_once(NOW.replace(hour=12))
    failing, recovered = receiver.json_bodies()
    assert receiver.posts()[0].headers["webhook-id"] == health
    words = json.dumps([failing, recovered], ensure_ascii=False)
    if fmt == "json":
        assert failing["status"] == "failing" and recovered["status"] == "recovered"
        return
    assert "Feed failing: Antara: Dunia" in words and "HTTP 503 from the server" in words and "Feed recovered: Antara: Dunia" in words
    if fmt == "discord":
        assert failing["embeds"][0]["color"] != recovered["embeds"][0]["color"]
    if fmt == "ntfy":
        assert (failing["tags"], failing["priority"], recovered["tags"]) == (["warning"], 4, ["white_check_mark"])


def test_apprise_delivers_through_its_json_url(tmp_path: Path, receiver: WebhookReceiver) -> None:
    pytest.importorskip("apprise")
    st = store(tmp_path)
    a = alert(1, NOW, title="NATO & Korsel <b>senjata</b> untuk Ukraina")
    queue(st, a, ["mail"])
    target = receiver.url("/apprise").replace("http://", "json://")
    assert deliverer(st, hook("mail", target, format="apprise")).run_once(NOW).sent == 1
    [body] = receiver.json_bodies("/apprise")
    assert body["title"] == a.item.title
    assert "https://news.example.org/nato-korsel-1" in body["message"] and "Stoltenberg" in body["message"]


def test_apprise_failure_is_a_failed_attempt(tmp_path: Path, receiver: WebhookReceiver) -> None:
    pytest.importorskip("apprise")
    st = store(tmp_path)
    queue(st, alert(1, NOW), ["mail"])
    report = deliverer(st, hook("mail", receiver.answer("/apprise", 500).replace("http://", "json://"), format="apprise")).run_once(NOW)
    assert (report.sent, report.failed) == (0, 1)
    assert "Apprise could not deliver" in (st.recent_alerts()[0].last_error or "")


def _config(hook_toml: str, tmp: Path) -> str:
    text = f'[[webhooks]]\nname = "h"\n{hook_toml}\n'
    path = tmp / "c.toml"
    path.write_text(text)
    import tomllib

    try:
        validate(tomllib.loads(text), text, path)
    except ConfigError as exc:
        return str(exc)
    return "ok"


def test_config_errors_name_the_key_and_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _config('url = "https://ntfy.sh/"\nformat = "ntfy"', tmp_path).endswith('webhooks[0].url: "https://ntfy.sh/" names no topic; use the topic URL, e.g. "https://ntfy.sh/mytopic"')
    assert "webhooks[0].timezone: \"Mars/Olympus\" is not an IANA time zone" in _config('url = "https://x.org/h"\ntimezone = "Mars/Olympus"', tmp_path)
    assert "webhooks[0].quiet_hours: \"22-7\" is not a span like \"22:00-07:00\"" in _config('url = "https://x.org/h"\nquiet_hours = "22-7"', tmp_path)
    assert "webhooks[0].digest: \"every morning\"" in _config('url = "https://x.org/h"\ndigest = "every morning"', tmp_path)
    assert "webhooks[0].url: \"mailto://u:p@x.org\" is not an http(s) URL" in _config('url = "mailto://u:p@x.org"', tmp_path)
    assert _config('format = "slack"\nurl = "https://hooks.slack.com/services/T/B/X"\nbudget_per_hour = 5\nquiet_hours = "22:00-07:00"\ntimezone = "Asia/Jakarta"\ndigest = "0 8 * * 1-5"', tmp_path) == "ok"
    monkeypatch.setitem(sys.modules, "apprise", None)  # as if the optional extra were not installed
    message = _config('format = "apprise"\nurl = "mailto://u:p@x.org"', tmp_path)
    assert ":3: webhooks[0].format:" in message and "pip install 'seedwatch[apprise]'" in message


def test_an_apprise_url_it_does_not_understand_is_refused_at_start(tmp_path: Path) -> None:
    pytest.importorskip("apprise")
    with pytest.raises(DeliveryError, match='webhooks "mail": Apprise does not understand the URL "nosuchservice://x"'):
        deliverer(store(tmp_path), hook("mail", "nosuchservice://x", format="apprise"))


def test_check_refuses_the_apprise_url_run_would_refuse(tmp_path: Path) -> None:
    pytest.importorskip("apprise")
    cfg = write_config(tmp_path, feeds=[], webhooks=[{"name": "mail", "format": "apprise", "url": "nosuchservice://x"}])
    checked = seedwatch("check", "--config", str(cfg))
    line = cfg.read_text().splitlines().index('url = "nosuchservice://x"') + 1
    assert checked.returncode != 0 and f'{cfg}:{line}: webhooks[0].url: Apprise does not understand the URL "nosuchservice://x"' in checked.stderr, checked.stderr


def test_check_warns_of_two_sinks_posting_to_one_url(tmp_path: Path) -> None:
    hooks = [{"name": "a", "url": "http://127.0.0.1:9/h"}, {"name": "b", "url": "http://127.0.0.1:9/other"}, {"name": "c", "url": "http://127.0.0.1:9/h", "format": "slack"}]
    checked = seedwatch("check", "--config", str(write_config(tmp_path, feeds=[], webhooks=hooks)))
    assert checked.returncode == 0, checked.stderr
    warnings = [line for line in checked.stdout.splitlines() if "warning:" in line]
    assert warnings == ['  warning: webhooks "c" posts to the same URL as "a": an alert both take arrives there twice (give one `seeds` or `min_score` apart, or drop one)']


def test_a_secret_must_be_real_base64(tmp_path: Path) -> None:
    for bad in ("abc", "whsec_", "whsec_!!not-base64!!", "whsec_c2hvcnQ="):
        assert "secret must be whsec_ and at least 16 bytes of base64" in _config(f'url = "https://x.org/h"\nsecret = "{bad}"', tmp_path)
    for good in ("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_bnU27RNEREohb8w3TMA+dLsE29JohcpqLyoCwFf/p5w=", "whsec_2TeiMmeyBR6Ecp70XQGink4PDFA"):
        assert _config(f'url = "https://x.org/h"\nsecret = "{good}"', tmp_path) == "ok"
