"""Relevance engine on the repo's real seed: profile building, matching rules, alert / no alert."""

from __future__ import annotations

import pytest

from monitor.config import ProfileOverride
from monitor.relevance.seeds import load_seeds
from monitor.types import FeedItem
from tests.conftest import SEEDS
from tests.scoring import score as engine_score


@pytest.fixture(scope="module")
def profile(engine):
    return engine.profile(load_seeds(SEEDS)[0], 0.5, 0.3)


@pytest.fixture
def score(engine):
    return lambda item_, profile_: engine_score(engine, item_, profile_)


def item(title: str, summary: str = "") -> FeedItem:
    return FeedItem(key="k", feed_url="", title=title, url=None, summary=summary, published=None, source="test")


def test_profile_of_the_real_seed(profile):
    groups = {g.name: g for g in profile.groups}
    assert profile.lang == "id"
    korea = groups["South Korea"]
    assert korea.kind == "entity" and {"Korsel", "South Korea", "Korea Selatan", "대한민국", "Korea Południowa"} <= set(korea.aliases)
    assert {"Korut", "North Korea", "북한"} <= set(groups["North Korea"].aliases)
    assert {"NATO", "OTAN", "나토", "Stoltenberg"} <= set(groups["NATO"].aliases)
    assert {"senjata", "weapons", "broń", "무기"} <= set(groups["weapons"].aliases)
    assert groups["weapons"].kind == "concept"
    # The seed is about South Korea, more than about Norway (one mention).
    assert korea.weight == 1.0 and groups["Norway"].weight < groups["NATO"].weight
    facts = {(f.kind, frozenset(f.entities), frozenset(f.concepts)) for f in profile.facts}
    # the title: NATO urges South Korea to send weapons to Ukraine
    assert ("core", frozenset({"NATO", "South Korea", "Ukraine"}), frozenset({"weapons"})) in facts
    # Putin gets weapons from North Korea
    assert ("core", frozenset({"North Korea", "Russia"}), frozenset({"weapons"})) in facts
    # "Mereka tak pernah mengirim senjata untuk Rusia" keeps North Korea (previous sentence) as subject
    denial = next(f for f in profile.facts if f.text.startswith("Mereka"))
    assert "North Korea" in denial.anchors and "Russia" not in denial.anchors
    # "konflik Ukraina dan Rusia" only sets the scene: no fact links Ukraine and Russia alone
    assert not any(set(f.entities) == {"Russia", "Ukraine"} for f in profile.facts)


@pytest.mark.parametrize(
    "text, groups",
    [
        ("Latihan NATO-Jepang di Korsel", ["NATO", "Japan", "South Korea"]),
        ("negara-negara Asia-Pacific", ["Asia-Pacific"]),
        ("Polska kupi czołgi od Korei Południowej dla Ukrainy", ["Poland", "armour", "South Korea", "Ukraine"]),
        ("한국이 우크라이나에 무기를 보냈다", ["South Korea", "Ukraine", "weapons"]),
        ("US sends arms to Kyiv", ["United States", "supply", "weapons", "Ukraine"]),
    ],
)
def test_matching_splits_compounds_and_handles_inflection(engine, text, groups):
    found = [g for hit in engine.matcher.find(text) for g in hit.groups if g in groups]
    assert sorted(set(found)) == sorted(groups)


def test_short_acronyms_are_case_sensitive_and_names_are_not_stemmed(engine):
    found = {g for hit in engine.matcher.find("Ini as roda, us too, rok temu, kor") for g in hit.groups}
    assert "United States" not in found and "South Korea" not in found


CASES = [
    # (title, summary, alert?)
    ("NATO desak Korsel kirim senjata ke Ukraina", "Sekjen NATO Stoltenberg di Seoul meminta Korea Selatan mengirim senjata dan amunisi.", True),
    ("NATO chief urges South Korea to send weapons to Ukraine", "Stoltenberg, in Seoul, cited an urgent need for ammunition.", True),
    ("North Korea denies supplying weapons to Russia", "Pyongyang called US claims that it sent artillery shells to Moscow groundless.", True),
    ("Korut bantah kirim senjata ke Rusia", "Pyongyang menyebut tuduhan Amerika Serikat tidak berdasar.", True),
    ("South Korea rules out sending lethal aid to Ukraine", "Seoul keeps its ban on arms exports to countries at war.", True),
    # hard negatives: shared entities without the story
    ("South Korea beats Japan at badminton", "The Korean pair won the final in Tokyo.", False),
    ("Samsung unveils a new phone", "The Korean company showed its foldable in Seoul.", False),
    ("NATO summit in Vilnius", "Leaders meet in Lithuania to discuss the alliance.", False),
    ("Korsel juara bulu tangkis", "Pasangan Korea Selatan menang atas Jepang di final.", False),
    ("Harga cabai naik menjelang Lebaran", "Pedagang di pasar mengeluhkan kenaikan harga.", False),
    ("Korsel dan Indonesia teken kerja sama ekonomi digital", "Kedua negara sepakat memperluas perdagangan.", False),
    ("Local bakery wins pastry award", "The shop on Main Street won the regional prize.", False),
]


@pytest.mark.parametrize("title, summary, expected", CASES, ids=[c[0][:40] for c in CASES])
def test_alert_table(score, engine, profile, title, summary, expected):
    match = score(item(title, summary), profile)
    assert match.alert is expected, match.explanation
    assert 0.0 <= match.score <= 1.0


def test_match_reports_surface_form_and_place(score, engine, profile):
    match = score(item("Korsel tolak kirim senjata", "NATO meminta Korea Selatan membantu Ukraina."), profile)
    where = {m.group: (m.term, m.where) for m in match.matched}
    assert where["South Korea"] == ("Korsel", "title")
    assert where["NATO"] == ("NATO", "summary")
    assert match.explanation.startswith(f"score {match.score:.2f}")


def test_overrides_change_the_profile(score, engine, profile):
    seed = load_seeds(SEEDS)[0]
    ov = ProfileOverride(threshold=0.7, add={"South Korea": ["Negeri Ginseng"], "drones": ["drone", "drones"]}, remove=["Norway", "Yoon"], weights={"NATO": 0.2}, required=["South Korea"], exclude=["badminton"])
    tuned = engine.profile(seed, 0.5, 0.3, ov)
    groups = {g.name: g for g in tuned.groups}
    assert tuned.threshold == 0.7 and "Norway" not in groups
    assert "Negeri Ginseng" in groups["South Korea"].aliases and "Yoon" not in groups["South Korea"].aliases
    assert groups["drones"].aliases == ("drone", "drones") and groups["NATO"].weight == 0.2
    # required: a strong item without South Korea no longer alerts
    nk = item("North Korea denies supplying weapons to Russia", "Pyongyang called claims it sent shells to Moscow groundless.")
    assert score(nk, profile).alert and not score(nk, tuned).alert
    assert "required group missing" in score(nk, tuned).explanation
    # exclude: an excluded term vetoes an alert
    strong = item("Negeri Ginseng kirim senjata ke Ukraina", "NATO mendesak Korsel; badminton")
    assert not score(strong, tuned).alert and "excluded term" in score(strong, tuned).explanation


@pytest.mark.parametrize(
    "title, summary, expected",
    [
        # the full name below the title puts its short form in the title
        ("Kim and Putin meet at a cosmodrome", "Kim Jong Un travelled by train to see Vladimir Putin in the Russian Far East.", True),
        ("Spotkanie Putin-Kim na kosmodromie", "Kim Dzong Un przyjechał pociągiem do Rosji.", True),
        # a bare first name is no one in particular
        ("Kim and Putin meet at a cosmodrome", "The two leaders met in the Russian Far East.", False),
        # only the first or last word of the full name, and only a capitalised title word
        ("Putin meets jong ensemble", "Kim Jong Un's band played in Moscow.", False),
    ],
)
def test_short_name_in_title_refers_to_full_name_below(score, engine, profile, title, summary, expected):
    match = score(item(title, summary), profile)
    assert match.alert is expected, match.explanation
    if expected:
        assert {m.group: m.where for m in match.matched}["North Korea"] == "title"


def test_a_bare_mention_continues_the_previous_fact_in_parallel(score, engine, profile):
    # "Korsel adalah kunjungan pertama dalam safari NATO di Asia. Negara berikutnya adalah Jepang."
    # NATO's tour, next stop Japan: Japan relates to NATO as Korea does, not to Korea.
    tours = [set(f.entities) for f in profile.facts if f.text.startswith("Diketahui")]
    assert {"NATO", "South Korea"} <= tours[0] and "Japan" not in tours[0]
    assert {"NATO", "Japan"} <= tours[1] and "South Korea" not in tours[1]
    assert score(item("NATO chief visits Tokyo", "Stoltenberg meets Japanese leaders on the Asia-Pacific partnership."), profile).alert
    assert not score(item("South Korea and Japan hold a summit", "The leaders meet in Tokyo to mend ties."), profile).alert
    assert not score(item("US, Japan, South Korea pledge cooperation", "The allies meet over missile defence."), profile).alert
