"""cluster.py, pure: hand-written story families placed one item at a time, as the store does."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from monitor.stories import cluster
from monitor.stories.cluster import Entry, Member, Rules
from monitor.types import StoryDecision as Decision

T0 = datetime(2023, 1, 30, 6, 0, tzinfo=timezone.utc)
SEED = "seed-1"
RULES = Rules()

KOREA_ARMS = frozenset({"south_korea", "nato", "ukraine", "weapons"})
TANK_DEAL = frozenset({"south_korea", "poland", "weapons"})
SHELLS = frozenset({"south_korea", "ukraine", "weapons"})

WIRE_LEAD = (
    "NATO Secretary General Jens Stoltenberg on Monday urged South Korea to increase military support to Ukraine, "
    "citing other countries that have changed their policy of not providing weapons to countries in conflict. "
    "Stoltenberg thanked Seoul for its non-lethal aid but said there was an urgent need for ammunition."
)


def entry(
    key: str,
    title: str,
    lead: str,
    *,
    source: str,
    lang: str = "en",
    hours: float = 0.0,
    score: float = 0.8,
    groups: frozenset[str] = KOREA_ARMS,
    terms: tuple[str, ...] = (),
    headline: frozenset[str] | None = None,
) -> Entry:
    """An entry; by default every matched group counts as matched in the headline."""
    at = T0 + timedelta(hours=hours)
    return cluster.make_entry(key, SEED, title, lead, source, lang, at, score, groups, terms, groups if headline is None else headline)


def place(entries: list[Entry], rules: Rules = RULES) -> list[Decision]:
    """Assign entries in order, each against the members placed before it."""
    members: list[Member] = []
    out = []
    for e in entries:
        decision = cluster.assign(e, members, rules)
        members.append(Member(e, decision.story_id))
        out.append(decision)
    return out


def test_same_wire_story_in_three_outlets_is_one_story_and_one_alert() -> None:
    decisions = place([
        entry("ap", "NATO chief urges South Korea to send weapons to Ukraine", WIRE_LEAD, source="ABC News"),
        entry("msn", "NATO's Stoltenberg presses Seoul to arm Kyiv", WIRE_LEAD, source="MSN", hours=1),
        entry("fox", "South Korea should step up military aid to Ukraine, NATO head says - Fox News", WIRE_LEAD + " He later flew to Tokyo.", source="Fox News", hours=3),
    ])
    assert len({d.story_id for d in decisions}) == 1
    assert [d.alert for d in decisions] == [True, False, False]
    assert decisions[0].new_story and not any(d.new_story for d in decisions[1:])
    assert decisions[2].items == 3 and decisions[2].sources == ("ABC News", "MSN", "Fox News")
    assert all("near-duplicate" in d.reason and "similarity" in d.reason for d in decisions[1:])


def test_truncated_summary_of_the_same_article_joins_by_containment() -> None:
    full = entry("abc", "NATO chief urges Seoul to send military support to Ukraine", WIRE_LEAD, source="ABC News")
    short = entry("msn", "NATO chief urges Seoul to send military support to Ukraine", "NATO Secretary General Jens Stoltenberg urged South Korea", source="MSN", hours=1)
    first, second = place([full, short])
    assert second.story_id == first.story_id and not second.alert
    assert "shared" in second.reason or "similarity" in second.reason


def test_same_story_in_indonesian_and_english_joins_on_signature_and_explains_why() -> None:
    english = entry("en", "NATO chief urges South Korea to send weapons to Ukraine", WIRE_LEAD, source="Reuters", score=0.82)
    indonesian = entry(
        "id",
        "NATO Serukan Korea Selatan Bantu Senjata untuk Ukraina",
        "Sekretaris Jenderal NATO Jens Stoltenberg menyerukan Korea Selatan agar mengirim senjata untuk Ukraina "
        "dalam kunjungannya ke Seoul, Minggu 29 Januari 2023.",
        source="Kompas",
        lang="id",
        hours=5,
        score=0.76,
    )
    assert cluster.similarity(english, indonesian) < RULES.similarity  # they do not join by words
    first, second = place([english, indonesian])
    assert second.story_id == first.story_id
    assert not second.alert
    assert "signature" in second.reason and "south_korea" in second.reason and "0.76" in second.reason and "0.82" in second.reason


def test_cross_language_join_needs_agreeing_scores_the_window_and_another_language() -> None:
    english = entry("en", "NATO chief urges South Korea to send weapons to Ukraine", WIRE_LEAD, source="Reuters", score=0.9)
    weak = entry("id1", "Stoltenberg ke Seoul", "Kunjungan NATO ke Asia berlanjut ke Jepang.", source="Antara", lang="id", hours=2, score=0.5)
    late = entry("id2", "NATO Serukan Korea Selatan Bantu Senjata", "Seruan Stoltenberg kepada Korsel.", source="Antara", lang="id", hours=80, score=0.88)
    same_lang = entry("en2", "Seoul weighs its arms export rules", "Officials in Seoul discussed the law.", source="Yonhap", hours=4, score=0.85)
    decisions = place([english, weak, late, same_lang])
    assert len({d.story_id for d in decisions}) == 4
    assert all(d.alert and not d.update for d in decisions)


def test_two_stories_sharing_entities_stay_apart() -> None:
    tank = entry(
        "tank",
        "Poland signs deal for South Korean K2 tanks",
        "Warsaw agreed to buy 180 K2 Black Panther tanks from Hyundai Rotem in a contract worth 3.4 billion dollars, "
        "the defence ministry said, with deliveries starting this year.",
        source="Reuters",
        groups=TANK_DEAL,
    )
    shells = entry(
        "shells",
        "South Korean artillery shells to reach Ukraine through the United States",
        "Seoul will lend 500,000 rounds of 155mm ammunition to Washington, which is expected to send them on to Kyiv, "
        "officials said, sidestepping a rule against arming countries at war.",
        source="Reuters",
        hours=6,
        groups=SHELLS,
    )
    shells_id = entry(
        "shells-id",
        "Peluru artileri Korsel sampai ke Ukraina lewat Amerika",
        "Seoul meminjamkan 500.000 butir amunisi 155mm kepada Washington untuk diteruskan ke Kyiv.",
        source="Antara",
        lang="id",
        hours=8,
        groups=SHELLS,
    )
    tank_d, shells_d, shells_id_d = place([tank, shells, shells_id])
    assert tank_d.story_id != shells_d.story_id
    assert tank_d.alert and shells_d.alert
    # the Indonesian shells story joins the English one (same signature), never the tank deal
    assert shells_id_d.story_id == shells_d.story_id


def test_a_signature_shared_by_two_open_stories_explains_nothing() -> None:
    tank = entry("tank", "Poland signs deal for South Korean K2 tanks", "Warsaw agreed to buy 180 K2 tanks from Hyundai Rotem.", source="Reuters", groups=TANK_DEAL)
    howitzers = entry("k9", "Warsaw orders more K9 howitzers from Hanwha", "The defence ministry signed a second contract for self-propelled guns.", source="PAP", hours=1, groups=TANK_DEAL)
    indonesian = entry("id", "Polandia borong tank K2 dari Korsel", "Warsawa membeli 180 tank K2 buatan Hyundai Rotem.", source="Antara", lang="id", hours=2, groups=TANK_DEAL)
    tank_d, k9_d, id_d = place([tank, howitzers, indonesian])
    assert tank_d.story_id != k9_d.story_id
    assert id_d.new_story  # which of the two would it be? the signature cannot tell
    assert not place([tank, indonesian])[1].new_story  # with one such story open it joins


def test_reused_photo_caption_does_not_make_a_duplicate() -> None:
    caption = "Japan's Prime Minister Fumio Kishida, U.S. President Joe Biden and NATO Secretary General Jens Stoltenberg at a NATO summit in Brussels. (Getty Images)"
    a = entry("a", "US, NATO allies to tackle unprecedented security challenges at summit", caption, source="The Epoch Times")
    b = entry("b", "World leaders turn against Biden for giving Ukraine cluster bombs", caption, source="The Epoch Times", hours=40)
    assert cluster.similarity(a, b) > 0.5
    assert len({d.story_id for d in place([a, b])}) == 2


def test_the_seed_terms_every_alert_shares_do_not_make_stories_similar() -> None:
    visit = ("NATO chief Stoltenberg visits Ukraine", "Stoltenberg arrived in Kyiv.")
    china = ("NATO chief Stoltenberg on China and Ukraine", "Stoltenberg warned Beijing.")
    terms = ("NATO", "Stoltenberg", "Ukraine")
    plain = [entry("a", *visit, source="NBC"), entry("b", *china, source="CNN", hours=5)]
    assert len({d.story_id for d in place(plain)}) == 1  # counting "NATO chief Stoltenberg ... Ukraine" they look alike
    without_terms = [entry("a", *visit, source="NBC", terms=terms), entry("b", *china, source="CNN", hours=5, terms=terms)]
    assert len({d.story_id for d in place(without_terms)}) == 2


def test_new_development_realerts_as_update_and_repeats_stay_quiet() -> None:
    first = entry("a", "NATO chief urges South Korea to send weapons to Ukraine", WIRE_LEAD, source="ABC News")
    repeat = entry("b", "NATO head presses Seoul on arms for Ukraine", WIRE_LEAD, source="MSN", hours=1, score=0.82)
    development = entry(
        "c",
        "North Korea denies arming Russia as NATO chief urges South Korea to send weapons to Ukraine",
        WIRE_LEAD + " Pyongyang called the visit a prelude to confrontation and denied sending weapons to Russia.",
        source="Yonhap",
        hours=20,
        groups=KOREA_ARMS | {"north_korea"},
    )
    jump = entry("d", "NATO chief urges South Korea to send weapons to Ukraine, Seoul responds", WIRE_LEAD, source="Reuters", hours=30, score=0.99, groups=KOREA_ARMS | {"north_korea"})
    decisions = place([first, repeat, development, jump])
    assert len({d.story_id for d in decisions}) == 1
    assert [(d.alert, d.update) for d in decisions] == [(True, False), (False, False), (True, True), (True, True)]
    assert "north_korea" in decisions[2].reason
    assert "0.82 -> 0.99" in decisions[3].reason


def test_a_new_group_only_in_the_body_is_background_not_an_update() -> None:
    first = entry("a", "NATO chief urges South Korea to send weapons to Ukraine", WIRE_LEAD, source="ABC News")
    background = entry(
        "b",
        "NATO chief presses Seoul to send weapons to Ukraine",
        WIRE_LEAD + " North Korea has denied sending arms to Russia.",
        source="MSN",
        hours=2,
        groups=KOREA_ARMS | {"north_korea"},
        headline=KOREA_ARMS,
    )
    decisions = place([first, background])
    assert decisions[1].story_id == decisions[0].story_id and not decisions[1].alert


def test_score_jump_below_the_delta_does_not_alert() -> None:
    a = entry("a", "NATO chief urges South Korea to send weapons to Ukraine", WIRE_LEAD, source="ABC News", score=0.6)
    b = entry("b", "NATO chief urges South Korea to send weapons to Ukraine", WIRE_LEAD, source="MSN", hours=1, score=0.7)
    assert not place([a, b], Rules(update_delta=0.15))[1].alert
    assert place([a, b], Rules(update_delta=0.05))[1].update


def test_window_separates_old_copies() -> None:
    a = entry("a", "NATO chief urges South Korea to send weapons to Ukraine", WIRE_LEAD, source="ABC News")
    b = entry("b", "NATO chief urges South Korea to send weapons to Ukraine", WIRE_LEAD, source="MSN", hours=73)
    assert len({d.story_id for d in place([a, b])}) == 2
    assert len({d.story_id for d in place([a, b], Rules(window=timedelta(days=4)))}) == 1


def test_other_seeds_members_are_ignored() -> None:
    a = entry("a", "NATO chief urges South Korea to send weapons to Ukraine", WIRE_LEAD, source="ABC News")
    other = Member(Entry("z", "seed-2", a.title, a.source, a.lang, a.at, a.score, a.groups, a.minhash, a.size), "sty_other")
    assert cluster.assign(a, [other], RULES).new_story


def test_signature_round_trips_and_normalisation_ignores_outlet_suffix_and_common_words() -> None:
    sig = cluster.minhash(frozenset({"stoltenberg", "seoul"}))
    assert cluster.unpack(cluster.pack(sig)) == sig and len(sig) == cluster.PERMUTATIONS
    assert cluster.words("NATO chief in Seoul - Reuters", "", "en") == cluster.words("NATO chief in Seoul | The Korea Herald", "", "en")
    assert "the" not in cluster.words("The NATO chief", "and the visit", "en") and "nato" in cluster.words("The NATO chief", "", "en")
    empty = entry("e", "", "", source="x")
    assert empty.size == 0 and cluster.similarity(empty, empty) == 0.0


def test_korean_japanese_and_chinese_text_is_tokenised_without_external_tokenisers() -> None:
    assert {"북한이", "포탄"} <= cluster.words("북한이 러시아에 포탄 수출", "북한 외무성은 부인했다", "ko")
    assert {"北朝", "朝鮮", "砲弾"} <= cluster.words("北朝鮮がロシアに砲弾", "", "ja")
    a = entry("ko1", "북한, 러시아에 포탄 수백만 발 공급", "국가정보원은 북한이 러시아에 포탄을 공급했다고 밝혔다.", source="연합뉴스", lang="ko")
    b = entry("ko2", "국정원 \"북한, 러시아에 포탄 수백만 발 공급\"", "국가정보원은 북한이 러시아에 포탄을 공급했다고 밝혔다.", source="뉴스1", lang="ko", hours=1)
    assert place([a, b])[1].story_id == place([a, b])[0].story_id
