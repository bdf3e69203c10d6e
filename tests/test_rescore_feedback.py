"""A seed added later alerts on the stories already stored; feedback moves a borderline decision."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from monitor.relevance.engine import Relevance
from monitor.types import FeedItem
from tests.conftest import SEEDS, seedwatch
from tests.feeds import Entry, rss
from tests.scoring import score
from tests.servers import FeedServer, WebhookReceiver
from tests.test_relevance_general import MAYOR, item

STORY = Entry("Vandermeer quits as Antwerp mayor over permits", "An audit of housing permits led to her resignation.", "http://n.example/mayor")
OTHER = Entry("Bakery prices climb in Lyon", "Flour costs more.", "http://n.example/bakery")


def _config(tmp: Path, seeds: Path, feed: str, hook: str) -> Path:
    cfg = tmp / "seedwatch.toml"
    cfg.write_text(textwrap.dedent(f"""
        [monitor]
        state = "{tmp / 'state' / 'seedwatch.db'}"
        seeds = "{seeds}"
        allow_private_networks = true
        semantic = false
        max_age = "0s"
        [[feeds]]
        url = "{feed}"
        [[webhooks]]
        name = "h"
        url = "{hook}"
    """))
    return cfg


def test_a_seed_added_later_alerts_once_on_what_is_stored(tmp_path: Path, feed_server: FeedServer, receiver: WebhookReceiver) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "nato.txt").write_text((SEEDS / "000_3cec3928e0cca43c.txt").read_text(encoding="utf-8"), encoding="utf-8")
    cfg = _config(tmp_path, seeds, feed_server.set("/f", rss([STORY, OTHER])), receiver.url("/h"))
    assert seedwatch("once", "--config", str(cfg)).returncode == 0
    assert receiver.posts("/h") == []  # the NATO seed cares for neither item
    (seeds / "mayor.txt").write_text(MAYOR.text, encoding="utf-8")
    second = seedwatch("once", "--config", str(cfg))  # the feed has nothing new: only the re-score can alert
    assert second.returncode == 0, second.stderr
    titles = [json.loads(p.body)["item"]["title"] for p in receiver.posts("/h")]
    assert titles == [STORY.title]
    again = seedwatch("rescore", "--config", str(cfg))  # by hand, every seed: nothing is alerted twice
    assert again.returncode == 0 and "0 alerts queued" in again.stdout, again.stdout
    assert len(receiver.posts("/h")) == 1


def test_feedback_moves_a_borderline_decision_and_clearing_undoes_it(engine: Relevance) -> None:
    doubtful = item("Vandermeer under pressure over permits")
    base = score(engine, doubtful, engine.profile(MAYOR, 0.5, 0.3)).score
    threshold = base - 0.05  # the item alerts, but only just
    assert score(engine, doubtful, engine.profile(MAYOR, threshold, 0.0)).alert
    bad = [("bad", FeedItem(f"b{i}", "", title, None, "", None, "s", "en")) for i, title in enumerate(["Vandermeer interview on permits", "Permits for Vandermeer's garden", "Vandermeer at the opera"])]
    adapted = engine.profile(MAYOR, threshold, 0.0, verdicts=bad)
    assert adapted.feedback == (0, 3) and adapted.leaning < 0
    assert not score(engine, doubtful, adapted).alert
    assert score(engine, doubtful, engine.profile(MAYOR, threshold, 0.0, verdicts=bad[:0])).alert  # cleared: as before
    hesitant = item("Antwerp mayor faces audit", "An inquiry into housing permits.")
    just_above = score(engine, hesitant, engine.profile(MAYOR, 0.5, 0.3)).score + 0.05  # the item just misses
    assert not score(engine, hesitant, engine.profile(MAYOR, just_above, 0.0)).alert
    good = [("good", FeedItem(f"g{i}", "", t, None, "", None, "s", "en")) for i, t in enumerate(["Antwerp mayor audit widens", "Mayor's permits under audit"])]
    assert score(engine, hesitant, engine.profile(MAYOR, just_above, 0.0, verdicts=good)).alert


def test_the_feedback_command_records_and_clears_a_verdict(tmp_path: Path, feed_server: FeedServer, receiver: WebhookReceiver) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "mayor.txt").write_text(MAYOR.text, encoding="utf-8")
    cfg = _config(tmp_path, seeds, feed_server.set("/f", rss([STORY])), receiver.url("/h"))
    assert seedwatch("once", "--config", str(cfg)).returncode == 0
    [alert_id] = [json.loads(p.body)["id"] for p in receiver.posts("/h")]
    out = seedwatch("feedback", alert_id, "bad", "--config", str(cfg))
    assert out.returncode == 0 and "bad for seed mayor (0 good, 1 bad in all)" in out.stdout, out.stdout + out.stderr
    shown = seedwatch("seeds", "show", "--config", str(cfg))
    assert "feedback: 0 good, 1 bad" in shown.stdout, shown.stdout
    assert "0 good, 0 bad" in seedwatch("feedback", alert_id, "clear", "--config", str(cfg)).stdout
    assert seedwatch("feedback", "alrt_nope", "good", "--config", str(cfg)).returncode == 1
