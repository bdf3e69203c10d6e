"""`seedwatch once --json` against a real feed server and webhook receiver on 127.0.0.1, on a SQLite
and on a PostgreSQL store (the one end-to-end run of the command on both)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import seedwatch, write_config
from tests.feeds import RELATED_ID, UNRELATED, Entry, atom, rdf, rss
from tests.servers import FeedServer, WebhookReceiver


def _lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_once_json_lines_etag_and_no_duplicate(tmp_path: Path, state_url: str, feed_server: FeedServer, receiver: WebhookReceiver) -> None:
    rss_url = feed_server.set("/rss", rss([RELATED_ID, *UNRELATED]), etag='"v1"')
    atom_url = feed_server.set("/atom", atom(UNRELATED), last_modified="Mon, 30 Jan 2023 10:00:00 GMT")
    rdf_url = feed_server.set("/rdf", rdf(UNRELATED))
    broken = feed_server.set("/broken", "<html><body>Oops</body></html>", headers={"Content-Type": "text/html"})
    missing = feed_server.url("/missing")
    hook = receiver.url("/hook")
    cfg = write_config(
        tmp_path,
        feeds=[{"url": u, "name": n} for u, n in [(rss_url, "rss"), (atom_url, "atom"), (rdf_url, "rdf"), (broken, "broken"), (missing, "missing")]],
        webhooks=[{"name": "hook", "url": hook}],
        state=state_url,
    )

    first = seedwatch("once", "--json", "--config", str(cfg))
    assert first.returncode == 0, first.stderr
    lines = _lines(first.stdout)
    assert [line["feed"] for line in lines] == [rss_url, atom_url, rdf_url, broken, missing]
    assert all(set(line) == {"feed", "status", "new", "alerts", "error"} for line in lines)
    by_url = {line["feed"]: line for line in lines}
    assert by_url[rss_url] == {"feed": rss_url, "status": "ok", "new": by_url[rss_url]["new"], "alerts": 1, "error": None}
    # Atom and RDF carry the same two unrelated articles as the RSS feed: each is stored once,
    # by whichever of the concurrent runs got there first
    assert [by_url[u]["status"] for u in (atom_url, rdf_url)] == ["ok", "ok"]
    assert sum(by_url[u]["new"] for u in (rss_url, atom_url, rdf_url)) == 3
    assert by_url[atom_url]["alerts"] == by_url[rdf_url]["alerts"] == 0
    assert by_url[broken]["status"] == "error" and broken in by_url[broken]["error"]
    assert by_url[missing]["status"] == "error" and "HTTP 404" in by_url[missing]["error"]

    posts = receiver.posts("/hook")
    assert len(posts) == 1
    body = json.loads(posts[0].body)
    assert body["type"] == "seedwatch.alert"
    assert body["seed"]["id"] == "000_3cec3928e0cca43c"
    assert body["item"]["title"] == RELATED_ID.title
    assert body["item"]["url"] == RELATED_ID.link
    assert body["item"]["feed"] == "rss"
    assert 0 < body["score"] <= 1
    assert body["matched"] and {"group", "term", "where"} <= set(body["matched"][0])
    assert posts[0].headers["webhook-id"] == body["id"]

    second = seedwatch("once", "--json", "--config", str(cfg))
    assert second.returncode == 0, second.stderr
    by_url = {line["feed"]: line for line in _lines(second.stdout)}
    assert by_url[rss_url]["status"] == "not_modified"  # 304 on the stored ETag
    assert by_url[atom_url]["status"] == "not_modified"  # 304 on the stored Last-Modified
    assert by_url[rdf_url]["status"] == "not_modified"  # same body hash: not parsed again
    assert feed_server.hits("/rss")[-1].headers.get("if-none-match") == '"v1"'
    assert feed_server.hits("/atom")[-1].headers.get("if-modified-since") == "Mon, 30 Jan 2023 10:00:00 GMT"
    assert len(receiver.posts("/hook")) == 1


def test_same_article_through_two_feeds_alerts_once(tmp_path: Path, state_url: str, feed_server: FeedServer, receiver: WebhookReceiver) -> None:
    a = feed_server.set("/a", rss([Entry(RELATED_ID.title, RELATED_ID.summary, RELATED_ID.link + "?utm_source=rss", guid="feed-a-1")]))
    b = feed_server.set("/b", atom([Entry(RELATED_ID.title, RELATED_ID.summary, RELATED_ID.link, guid="urn:b:77")]))
    cfg = write_config(tmp_path, feeds=[{"url": a}, {"url": b}], webhooks=[{"name": "h", "url": receiver.url("/h")}], state=state_url)
    out = seedwatch("once", "--json", "--config", str(cfg))
    assert out.returncode == 0, out.stderr
    assert sum(line["alerts"] for line in _lines(out.stdout)) == 1
    assert len(receiver.posts("/h")) == 1


def test_once_exits_2_on_config_error(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text('[monitor]\nthreshold = "high"\n')
    out = seedwatch("once", "--json", "--config", str(cfg))
    assert out.returncode == 2
    assert "monitor.threshold" in out.stderr
    assert out.stdout == ""
