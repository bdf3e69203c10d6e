"""Hostile text stays text: markup and escape sequences from feeds, receivers and seeds are shown, never obeyed,
in the terminal, in logs and in chat formats; and no title is long enough to hurt."""

from __future__ import annotations

import json
import logging
import shutil
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from monitor.delivery import sinks
from monitor.ingest.parse import MAX_TITLE
from monitor.service.logsetup import JsonFormatter, KeyValueFormatter
from tests.conftest import SEEDS, seedwatch, write_config
from tests.feeds import RELATED_ID, UNRELATED, Entry, rss
from tests.servers import FeedServer, Route, WebhookReceiver

MARKUP = "[/b] [link=http://evil.example/]click me[/link] [bold red]"
WIDE = {"COLUMNS": "400"}
INVISIBLE = ["\x1b", "\x07", "\x9b", "\u202e", "\x00"]


def reason_phrase(text: str):
    def handler(h: BaseHTTPRequestHandler) -> None:
        h.send_response(500, text)
        h.send_header("Content-Length", "0")
        h.end_headers()

    return handler


def test_markup_from_feeds_and_receivers_is_shown_not_obeyed(tmp_path: Path, feed_server: FeedServer, receiver: WebhookReceiver) -> None:
    hostile = Entry(f"NATO desak Korsel kirim senjata ke Ukraina {MARKUP}", RELATED_ID.summary, "http://news.example.org/markup")
    news = feed_server.set("/news", rss([hostile, *UNRELATED], title=f"Feed {MARKUP}"))
    feed_server.routes["/broken"] = Route(handler=reason_phrase(f"Oops {MARKUP}"))
    hook = receiver.answer("/hook", (301, {"Location": f"http://elsewhere.example/{MARKUP.replace(' ', '')}"}))
    cfg = write_config(tmp_path, feeds=[{"url": news}, {"url": feed_server.url("/broken"), "name": f"broken {MARKUP}"}], webhooks=[{"name": "hook", "url": hook}])
    assert seedwatch("once", "--config", str(cfg)).returncode == 0

    for command in (["status"], ["feeds"], ["alerts"]):
        out = seedwatch(*command, "--config", str(cfg), env=WIDE)
        assert out.returncode == 0, (command, out.stderr)  # rich's MarkupError on "[/b]" before
        assert "Traceback" not in out.stderr
        assert "[link=http://evil.example/]" in out.stdout.replace("\n", ""), (command, out.stdout)  # shown as written
    assert f"Oops {MARKUP}"[:30] in seedwatch("feeds", "--config", str(cfg), env=WIDE).stdout
    assert "[/b]" in seedwatch("alerts", "--config", str(cfg), env=WIDE).stdout


def test_check_does_not_echo_escape_sequences_from_a_seed(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    (seeds / "zz_hostile.txt").write_text(
        "NATO \x1b[2J\x1b]8;;http://evil.example/\x07urges South Korea\x9b31m to send weapons to Ukraine\n\n"
        "NATO urged South Korea on Monday to send weapons to Ukraine, its secretary general said in Seoul.\n"
    )
    cfg = write_config(tmp_path, feeds=[])
    cfg.write_text(cfg.read_text().replace(f'seeds = "{SEEDS}"', f'seeds = "{seeds}"'))
    out = seedwatch("check", "--config", str(cfg))
    assert out.returncode == 0, out.stderr
    assert "zz_hostile" in out.stdout and "urges South Korea" in out.stdout
    assert not any(c in out.stdout for c in INVISIBLE), repr(out.stdout)


def test_a_one_megabyte_title_is_capped_where_it_enters(tmp_path: Path, feed_server: FeedServer, receiver: WebhookReceiver) -> None:
    huge = Entry(RELATED_ID.title + " " + "senjata " * 130_000, RELATED_ID.summary, "http://news.example.org/huge")
    url = feed_server.set("/news", rss([huge]))
    cfg = write_config(tmp_path, feeds=[{"url": url}], webhooks=[{"name": "hook", "url": receiver.url("/hook")}])
    out = seedwatch("once", "--json", "--config", str(cfg))
    assert out.returncode == 0, out.stderr
    [post] = receiver.wait_for(1, path="/hook")
    title = json.loads(post.body)["item"]["title"]
    assert len(title) <= MAX_TITLE and title.endswith("…")
    assert len(post.body) < 20_000  # the whole POST, not a megabyte
    assert max(len(line) for line in out.stderr.splitlines()) < 4000  # the ALERT log line too


def _record(**kv: object) -> logging.LogRecord:
    record = logging.LogRecord("seedwatch.feed", logging.INFO, __file__, 1, "feed run", None, None)
    record.kv = kv  # type: ignore[attr-defined]
    return record


def test_log_values_cannot_forge_lines_or_move_the_cursor() -> None:
    record = _record(title="real\n2026-01-01T00:00:00 ERROR forged line", error="\x1b[2J\x9b1m\u202egnp.exe", plain="ok")
    line = KeyValueFormatter().format(record)
    assert "\n" not in line and not any(c in line for c in INVISIBLE), repr(line)
    assert 'title="real\\n2026-01-01T00:00:00 ERROR forged line"' in line and "\\u001b[2J\\u009b1m\\u202egnp.exe" in line and "plain=ok" in line
    as_json = JsonFormatter().format(record)
    assert not any(c in as_json for c in INVISIBLE) and json.loads(as_json)["error"] == "\x1b[2J\x9b1m\u202egnp.exe"
    long = KeyValueFormatter().format(_record(title="x" * 1_000_000))
    assert len(long) < 3000 and "chars)" in long


def _hostile_payload() -> dict:
    text = f"NATO \x1b[31m{MARKUP} <!channel> @everyone \x9b2J \u202eevil \x00 end"
    return {
        "type": "seedwatch.alert", "id": "alrt_x", "created_at": "2026-01-30T10:00:00+00:00", "seed": {"id": "s", "title": text}, "score": 0.9,
        "matched": [{"group": text, "term": text, "where": "title"}],
        "item": {"key": "k", "title": text, "url": "https://news.example.org/a", "summary": text, "published": None, "source": text, "feed": text, "lang": "en"},
    }


@pytest.mark.parametrize("fmt", ["slack", "discord", "ntfy"])
def test_chat_formats_carry_no_control_characters(fmt: str) -> None:
    _url, body = sinks.render(fmt, _hostile_payload(), "https://ntfy.sh/topic")
    text = json.dumps(body, ensure_ascii=False)
    assert not any(c in text for c in ("\x1b", "\x9b", "\u202e")), (fmt, text)
    if fmt == "slack":
        assert "<!channel>" not in text


def test_the_apprise_html_is_escaped_and_plain() -> None:
    title, html = sinks.apprise_message(sinks.note(_hostile_payload()))
    assert not any(c in title + html for c in ("\x1b", "\x9b", "\u202e", "\x00"))
    assert "<!channel>" not in html and "&lt;!channel&gt;" in html
