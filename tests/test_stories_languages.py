"""Issue 14's case with the real embedder: four wire reports of one event from four outlets, three in
English and one in Indonesian, each in its own words, give one alert; a development hours later
gives one update that names what is new. Through the real commit path and a real SQLite store."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from monitor import wire
from monitor.delivery.alerts import make_alert
from monitor.pipeline import StoryMembers, commit
from monitor.relevance.semantic import E5Embedder, embed_input
from monitor.store import Store
from monitor.stories.cluster import Rules
from monitor.types import FeedItem, FeedState, Match, TopicProfile

T0 = datetime(2023, 2, 1, 3, 0, tzinfo=timezone.utc)
SEED = "korea-arms"
REPORTS = [  # (key, outlet, language, hours after T0, title, summary)
    ("reuters", "Reuters", "en", 0.0, "South Korea to supply artillery shells to Ukraine via US, officials say",
     "South Korea has agreed to sell 155mm artillery shells to the United States to replenish its stocks as Washington sends ammunition to Kyiv, officials familiar with the deal said."),
    ("yonhap", "Yonhap", "en", 0.7, "Seoul agrees to ship 155mm shells destined for Ukraine through Washington",
     "South Korea will ship artillery ammunition to the US, which will pass it on to Ukraine, government sources said on Wednesday, skirting Seoul's ban on arming countries at war."),
    ("ap", "AP", "en", 1.5, "US to route South Korean ammunition to Kyiv under new arrangement",
     "Under a deal reached this week, tens of thousands of South Korean 155 mm rounds will go to the US military and on to Ukrainian forces, according to US and South Korean officials."),
    ("antara", "Antara", "id", 3.0, "Korea Selatan akan pasok peluru artileri untuk Ukraina lewat Amerika Serikat",
     "Korea Selatan setuju menjual peluru artileri 155 mm kepada Amerika Serikat, yang akan meneruskannya ke Ukraina, kata para pejabat pada Rabu."),
]
DEVELOPMENT = ("herald", "Korea Herald", "en", 9.0, "Opposition summons Lee Jong-sup over shells bound for Ukraine",
               "The Democratic Party said it would summon Defence Minister Lee Jong-sup to explain the ammunition deal with Washington.")


@pytest.fixture(scope="module")
def vectors() -> dict:
    texts = [embed_input(title, summary) for _k, _o, _l, _h, title, summary in (*REPORTS, DEVELOPMENT)]
    return dict(zip((r[0] for r in (*REPORTS, DEVELOPMENT)), E5Embedder(threads=1)(texts)))


def _run(store: Store, members: StoryMembers, report: tuple, vectors: dict) -> list:
    key, outlet, lang, hours, title, summary = report
    at = T0 + timedelta(hours=hours)
    item = FeedItem(key, f"http://{key}.example/rss", title, f"http://{key}.example/news/1", summary, at, outlet, lang)
    alert = make_alert(item, Match(SEED, 0.8, (), "test", True), TopicProfile(SEED, "Seed", "id", (), 0.5), at, outlet)
    return commit(store, members, FeedState(url=item.feed_url), outlet, at, [item], [(alert, wire.alert(alert), ["hook"])], rules=Rules(), vectors={key: vectors[key]})[1]


def test_four_outlets_in_two_languages_are_one_alert_and_a_development_one_update(tmp_path: Path, vectors: dict) -> None:
    store, members = Store(f"sqlite:///{tmp_path / 'state.db'}"), StoryMembers()
    try:
        alerts = [len(_run(store, members, report, vectors)) for report in REPORTS]
        assert alerts == [1, 0, 0, 0]
        [story] = store.recent_stories(T0 - timedelta(days=1))
        assert [i.key for i in story.items] == ["reuters", "yonhap", "ap", "antara"]
        assert len({i.event_id for i in story.items}) == 1
        indonesian = story.items[3]
        assert indonesian.why["with"] == "reuters" and indonesian.why["similarity"] > 0.85 and "Ukraina" in indonesian.why["shared"]

        assert len(_run(store, members, DEVELOPMENT, vectors)) == 1
        update = [p.payload["story"] for p in store.claim_due(T0 + timedelta(days=1), "hook", "test", T0 + timedelta(days=1), 100) if p.payload["item"]["key"] == "herald"][0]
        assert update["update"] is True and update["id"] == story.id and update["events"] == 2 and update["items"] == 5
        assert "Jong-sup" in update["new"]  # the minister named: the new actor
    finally:
        store.close()
