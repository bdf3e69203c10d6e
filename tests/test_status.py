"""`seedwatch status`, `feeds [--json]`, `feeds add` and `import-opml` on real files and a real store."""

from __future__ import annotations

import json
import tomllib
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import pytest

from monitor.commands.feeds import feed_status
from monitor.config.edit import NewFeed, add_feeds
from monitor.errors import ConfigError
from monitor.ingest.opml import parse_opml
from monitor.types import FeedState
from tests.conftest import seedwatch, write_config
from tests.feeds import RELATED_ID, UNRELATED, rss
from tests.servers import FeedServer, WebhookReceiver

WIDE = {"COLUMNS": "220"}  # rich wraps tables at 80 columns when stdout is not a terminal


def _commented_config(tmp: Path, feed_url: str) -> Path:
    cfg = write_config(tmp, feeds=[{"url": feed_url, "name": "first"}])
    text = cfg.read_text().replace("[[feeds]]", "# my feeds, hand-picked\n[[feeds]]  # the first one")
    cfg.write_text("# Seedwatch config of the newsroom\n" + text + "\n# a receiver, later:\n# [[webhooks]]\n# name = \"x\"\n")
    return cfg


def _is_subsequence(small: list[str], big: list[str]) -> bool:
    it = iter(big)
    return all(any(line == other for other in it) for line in small)


def test_feeds_add_keeps_every_line_and_validates(tmp_path: Path) -> None:
    cfg = _commented_config(tmp_path, "https://example.org/first.xml")
    before = cfg.read_text()
    out = seedwatch("feeds", "add", "https://example.org/second.xml", "--name", 'Second "quoted" feed', "--lang", "id", "--config", str(cfg))
    assert out.returncode == 0, out.stderr
    after = cfg.read_text()
    assert _is_subsequence(before.splitlines(), after.splitlines())
    feeds = tomllib.loads(after)["feeds"]
    assert feeds[-1] == {"url": "https://example.org/second.xml", "name": 'Second "quoted" feed', "lang": "id"}
    # the new table sits after the last feed, before the comment block that introduces what follows
    assert after.index("second.xml") < after.index("# a receiver, later:")
    assert seedwatch("check", "--config", str(cfg)).returncode == 0

    dup = seedwatch("feeds", "add", "https://example.org/second.xml", "--config", str(cfg))
    assert dup.returncode == 2 and "already in the config" in dup.stderr
    bad = seedwatch("feeds", "--config", str(cfg), "add", "ftp://example.org/x")
    assert bad.returncode == 2 and "ftp://example.org/x" in bad.stderr and "not an http(s) URL" in bad.stderr
    assert cfg.read_text() == after


def test_add_feeds_at_the_end_when_there_is_no_feed_yet() -> None:
    text = "[monitor]\nthreshold = 0.5  # keep\n"
    new = add_feeds(text, [NewFeed("https://a.example/rss", "A")])
    assert new.startswith(text) and tomllib.loads(new)["feeds"] == [{"url": "https://a.example/rss", "name": "A"}]


def test_feeds_add_refuses_a_config_it_would_break(tmp_path: Path) -> None:
    cfg = tmp_path / "inline.toml"
    cfg.write_text(f'feeds = [{{url = "https://a.example/rss"}}]\n[monitor]\nseeds = "{Path(__file__).parent.parent / "seeds"}"\n')
    before = cfg.read_text()
    out = seedwatch("feeds", "add", "https://b.example/rss", "--config", str(cfg))
    assert out.returncode == 2 and "add them by hand" in out.stderr
    assert cfg.read_text() == before


OPML = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>export</title></head>
  <body>
    <outline text="Korea">
      <outline type="rss" text="Yonhap" title="Yonhap: North Korea" xmlUrl="https://en.yna.co.kr/RSS/nk.xml" language="en"/>
      <outline type="rss" text="Already here" xmlUrl="https://example.org/first.xml"/>
    </outline>
    <outline type="rss" text="Antara &amp; dunia" xmlUrl="https://www.antaranews.com/rss/dunia.xml" language="id"/>
    <outline type="rss" text="Broken" xmlUrl="javascript:alert(1)"/>
    <outline text="a folder without feeds"/>
  </body>
</opml>
"""


def test_import_opml_adds_new_feeds_once(tmp_path: Path) -> None:
    cfg = _commented_config(tmp_path, "https://example.org/first.xml")
    opml = tmp_path / "subs.opml"
    opml.write_text(OPML)
    dry = seedwatch("import-opml", str(opml), "--dry-run", "--config", str(cfg))
    assert dry.returncode == 0 and "would add 2, already present 1, invalid 1" in dry.stdout
    out = seedwatch("import-opml", str(opml), "--config", str(cfg))
    assert out.returncode == 0, out.stderr
    assert "added 2, already present 1, invalid 1" in out.stdout
    assert f"{opml}:10: javascript:alert(1)" in out.stdout
    feeds = tomllib.loads(cfg.read_text())["feeds"]
    assert feeds[1:] == [
        {"url": "https://en.yna.co.kr/RSS/nk.xml", "name": "Yonhap: North Korea", "lang": "en"},
        {"url": "https://www.antaranews.com/rss/dunia.xml", "name": "Antara & dunia", "lang": "id"},
    ]
    again = seedwatch("import-opml", str(opml), "--config", str(cfg))
    assert "added 0, already present 3, invalid 1" in again.stdout


LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE opml [
  <!ENTITY a "ha">
  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
]>
<opml version="2.0"><body><outline text="&b;" xmlUrl="https://x.example/rss"/></body></opml>
"""


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (LAUGHS, "x.opml:3: OPML declares an XML entity"),
        ('<?xml version="1.0"?>\n<!DOCTYPE opml [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>\n<opml/>', "x.opml:2: OPML declares an XML entity"),
        ('<?xml version="1.0"?>\n<!DOCTYPE opml SYSTEM "http://127.0.0.1:9/x.dtd">\n<opml><body><outline xmlUrl="https://a/"/></body></opml>', None),
        ("<opml><body><outline xmlUrl='https://a.example/'></body></opml>", "x.opml:1: not well-formed XML: mismatched tag"),
        ("<rss version='2.0'><channel/></rss>", "x.opml:1: not an OPML document (root element <rss>)"),
    ],
)
def test_opml_refuses_entities_and_bad_documents(doc: str, message: str | None) -> None:
    if message is None:  # an external DTD is neither fetched nor an error
        assert [f.url for f in parse_opml(doc.encode(), "x.opml")] == ["https://a/"]
        return
    with pytest.raises(ConfigError) as err:
        parse_opml(doc.encode(), "x.opml")
    assert str(err.value).startswith(message)


def test_import_opml_with_entities_leaves_the_config_alone(tmp_path: Path) -> None:
    cfg = _commented_config(tmp_path, "https://example.org/first.xml")
    before = cfg.read_text()
    opml = tmp_path / "laughs.opml"
    opml.write_text(LAUGHS)
    out = seedwatch("import-opml", str(opml), "--config", str(cfg))
    assert out.returncode == 2 and f"{opml}:3: OPML declares an XML entity" in out.stderr
    assert cfg.read_text() == before


def test_status_and_feeds_after_a_run(tmp_path: Path, feed_server: FeedServer, receiver: WebhookReceiver) -> None:
    good = feed_server.set("/good", rss([RELATED_ID, *UNRELATED]))
    bad = feed_server.url("/gone-missing")
    hook = receiver.answer("/hook", 500)
    cfg = write_config(tmp_path, feeds=[{"url": good, "name": "good feed"}, {"url": bad, "name": "bad feed"}], webhooks=[{"name": "hook", "url": hook}])
    assert seedwatch("once", "--config", str(cfg)).returncode == 0

    out = seedwatch("status", "--json", "--config", str(cfg))
    assert out.returncode == 0, out.stderr
    st = json.loads(out.stdout)
    assert st["daemon"] == {"running": False, "pid": None, "health": None}
    assert st["feeds"] == {"ok": 1, "failing": 1}
    assert [(f["name"], f["kind"], f["failures"]) for f in st["failing"]] == [("bad feed", "http", 1)]
    assert st["outbox"] == 1 and st["dead"] == 0  # the receiver said 500: retried later
    assert [(a["title"], a["delivery"]) for a in st["alerts"]] == [(RELATED_ID.title, "hook:pending")]
    assert {p["url"] for p in st["next_polls"]} == {good, bad}

    text = seedwatch("status", "--config", str(cfg), env=WIDE)
    assert text.returncode == 0, text.stderr
    for expected in ("daemon not running", "1 ok", "1 failing", "Failing feeds (1)", "bad feed", "HTTP 404", "Next polls", "Last alerts", RELATED_ID.title, "hook:pending", "1 pending, 0 dead"):
        assert expected in text.stdout, expected

    rows = [json.loads(line) for line in seedwatch("feeds", "--json", "--config", str(cfg)).stdout.splitlines()]
    assert [(r["name"], r["status"], r["consecutive_failures"], r["last_error_kind"]) for r in rows] == [("good feed", "ok", 0, None), ("bad feed", "failing", 1, "http")]
    assert rows[0]["last_success"] and rows[1]["last_success"] is None and all(r["next_poll"] for r in rows)
    table = seedwatch("feeds", "--config", str(cfg), env=WIDE).stdout
    assert "good feed" in table and "failing" in table and "http: " in table


def test_a_silent_feed_is_not_shown_as_ok() -> None:
    answered = FeedState("http://example.org/feed", last_success=datetime(2026, 1, 30, tzinfo=timezone.utc))
    assert feed_status(True, answered) == "ok"
    assert feed_status(True, replace(answered, health="failing")) == "silent"
    assert feed_status(True, replace(answered, health="failing", consecutive_failures=3)) == "failing"


def test_a_feed_disabled_by_410_is_enabled_again_from_the_cli(tmp_path: Path, feed_server: FeedServer) -> None:
    url = feed_server.set("/moved-away", "gone", status=410)
    cfg = write_config(tmp_path, feeds=[{"url": url, "name": "Gone"}])
    assert seedwatch("once", "--config", str(cfg)).returncode == 0
    again = seedwatch("once", "--json", "--config", str(cfg))
    assert "feeds enable" in json.loads(again.stdout)["error"]
    assert len(feed_server.hits("/moved-away")) == 1  # disabled: not fetched again

    feed_server.set("/moved-away", rss(UNRELATED))
    enabled = seedwatch("feeds", "enable", url, "--config", str(cfg))
    assert enabled.returncode == 0 and f"enabled {url}" in enabled.stdout, enabled.stderr
    back = seedwatch("once", "--json", "--config", str(cfg))
    assert json.loads(back.stdout)["status"] == "ok" and len(feed_server.hits("/moved-away")) == 2
    listed = json.loads(seedwatch("feeds", "--json", "--config", str(cfg)).stdout)
    assert listed["status"] == "ok" and listed["name"] == "Gone"
    assert seedwatch("feeds", "--json", "--config", str(cfg)).returncode == 0

    unknown = seedwatch("feeds", "enable", "http://127.0.0.1:9/nope", "--config", str(cfg))
    assert unknown.returncode == 2 and "is not a configured feed" in unknown.stderr
