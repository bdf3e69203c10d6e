"""cluster.py, pure: hand-written story families placed one item at a time, as the store does.

Vectors are made by hand so that their cosines are known: every item of the seed leans on one
"seed" direction (all alerts of a seed are alike), each event adds its own direction, and a
little noise makes every item distinct. The real embedder is used in test_stories_languages.py.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from monitor.stories import cluster, decision, nearcopy
from monitor.stories.cluster import Entry, Member, Model, Reader, Rules
from monitor.types import StoryDecision as Decision

T0 = datetime(2023, 1, 30, 6, 0, tzinfo=timezone.utc)
SEED = "seed-1"
RULES = Rules()
MODEL = Model.shipped()
_RNG = np.random.default_rng(14)
SEED_DIRECTION = _RNG.normal(size=384)
WIRE = 0.75  # how much of two reports of one wire story is the event's own: cosine about 0.95
EVENTS = {name: _RNG.normal(size=384) for name in ("visit", "shells", "denial", "tanks", "football")}

WIRE_LEAD = (
    "NATO Secretary General Jens Stoltenberg on Monday urged South Korea to increase military support to Ukraine, "
    "citing other countries that have changed their policy of not providing weapons to countries in conflict. "
    "Stoltenberg thanked Seoul for its non-lethal aid but said there was an urgent need for ammunition."
)


@pytest.fixture(scope="module")
def reader() -> Reader:
    return Reader()


def vector(event: str | None, seed: float = 1.58, own: float = 0.45) -> np.ndarray:
    """An item's vector: the seed's direction, the event's, and noise of its own. Cosines come out
    about as e5's do: 0.92 between two reports of one event, 0.75 to 0.85 across a seed's events."""
    v = seed * SEED_DIRECTION / np.linalg.norm(SEED_DIRECTION) + 0.45 * _RNG.normal(size=384) / np.sqrt(384)
    if event is not None:
        v = v + own * EVENTS[event] / np.linalg.norm(EVENTS[event])
    return (v / np.linalg.norm(v)).astype(np.float32)


def entry(
    reader: Reader, key: str, title: str, lead: str = "", *, source: str, event: str | None = "visit", own: float = 0.45, kin: float = 1.58,
    lang: str = "en", hours: float = 0.0, semantic: bool = True, terms: tuple[str, ...] = (), url: str | None = None,
) -> Entry:
    """An entry; `own` is how much of its meaning is its event's, `kin` how much the seed's."""
    return reader.entry(key, SEED, title, lead, source, lang, T0 + timedelta(hours=hours), 0.8, terms=terms, vector=vector(event, kin, own) if semantic and event else None, url=url)


def place(reader: Reader, entries: list[Entry], rules: Rules = RULES) -> list[Decision]:
    """Assign entries in order, each against the members placed before it."""
    members: list[Member] = []
    out = []
    for e in entries:
        d = cluster.assign(e, members, rules, MODEL, reader.words)
        members.append(Member(e, d.story_id, d.event_id))
        out.append(d)
    return out


def test_wire_copies_in_three_outlets_are_one_event_and_one_alert(reader: Reader) -> None:
    decisions = place(reader, [
        entry(reader, "ap", "NATO chief urges South Korea to send weapons to Ukraine", WIRE_LEAD, source="ABC News"),
        entry(reader, "msn", "NATO chief urges South Korea to send weapons to Ukraine - MSN", WIRE_LEAD, source="MSN", hours=1),
        entry(reader, "fox", "NATO chief urges South Korea to step up military aid to Ukraine", WIRE_LEAD + " He later flew to Tokyo.", source="Fox News", hours=3),
    ])
    assert len({d.story_id for d in decisions}) == 1 and len({d.event_id for d in decisions}) == 1
    assert [d.alert for d in decisions] == [True, False, False]
    assert decisions[2].items == 3 and decisions[2].sources == ("ABC News", "MSN", "Fox News") and decisions[2].events == 1
    assert all(d.reason.startswith("near-duplicate") for d in decisions[1:])


def test_paraphrases_in_other_words_join_on_meaning_and_names_and_say_why(reader: Reader) -> None:
    first, second = place(reader, [
        # two reports of one wire story: cosine 0.95, as e5 gives Reuters' and Yonhap's in test_stories_languages
        entry(reader, "a", "South Korea to lend 500,000 artillery shells to the US", "Seoul will send the rounds to Washington, which is expected to pass them to Ukraine, officials said.", source="Reuters", event="shells", own=WIRE),
        entry(reader, "b", "Seoul agrees to ship 500,000 rounds bound for Ukraine", "The shells go to the US military first, sidestepping South Korea's rule against arming countries at war.", source="Yonhap", event="shells", own=WIRE, hours=0.5),
    ])
    assert second.story_id == first.story_id and second.event_id == first.event_id and not second.alert
    assert second.reason.startswith("same event as “South Korea to lend")
    assert "similarity 0.9" in second.reason and "500,000" in second.reason and "0.5 h apart" in second.reason
    assert second.evidence["with"] == "a" and second.evidence["probability"] >= MODEL.join and "500,000" in second.evidence["shared"]


def _wire_then_development(reader: Reader, url: str | None = None) -> list[Decision]:
    """Two reports of the NATO visit, then hours later North Korea's denial (published at `url`)."""
    return place(reader, [
        entry(reader, "a", "NATO chief urges South Korea to send weapons to Ukraine", WIRE_LEAD, source="Reuters", own=WIRE),
        entry(reader, "b", "Stoltenberg presses Seoul to arm Ukraine", "Jens Stoltenberg asked South Korea to rethink its ban on arms exports to Ukraine.", source="Yonhap", own=WIRE, hours=1),
        entry(
            reader, "c", "Pyongyang denies shipping artillery to Moscow as Stoltenberg tours Asia",
            "North Korea's foreign ministry called the NATO visit a prelude to confrontation and denied selling arms to Russia.",
            source="KCNA Watch", event="denial", hours=8, url=url,
        ),
    ])


def test_a_development_alerts_as_an_update_that_says_what_is_new(reader: Reader) -> None:
    first, repeat, development = _wire_then_development(reader)
    assert (repeat.alert, development.alert, development.update) == (False, True, True)
    assert development.story_id == first.story_id and development.event_id not in (first.event_id, repeat.event_id)
    assert {"Pyongyang", "Moscow"} <= set(development.new) and "Stoltenberg" not in development.new
    assert development.reason.startswith("update: new development (Pyongyang") and development.events == 2


@pytest.mark.parametrize(("url", "opinion"), [
    ("https://www.theguardian.com/commentisfree/2023/jan/30/pyongyang-moscow-nato", True),
    ("https://www.kompas.com/kolom/read/2023/01/30/korut", True),
    ("https://www.theguardian.com/world/2023/jan/30/pyongyang-denies-shipping-artillery", False),
    ("https://example.com/opinionated-pyongyang", False),
    ("http://[malformed/opinion/pyongyang", False),  # a link no parser reads is no opinion address, and no crash
])
def test_an_opinion_piece_is_its_storys_commentary_never_an_update(reader: Reader, url: str, opinion: bool) -> None:
    """The development of the update test, published in an opinion section (by its address),
    joins its story without an alert; the same text in a news section alerts as an update."""
    first, _, piece = _wire_then_development(reader, url)
    assert piece.story_id == first.story_id
    if opinion:
        assert not piece.alert and piece.reason.startswith("opinion on its story") and piece.evidence["opinion"] is True
    else:
        assert piece.alert and piece.update and "opinion" not in piece.evidence


@pytest.mark.parametrize("hours", [MODEL.quiet / 2, 0.0])
def test_soon_after_an_alert_a_story_item_naming_something_new_is_its_coverage(reader: Reader, hours: float) -> None:
    """Within `quiet` hours of the story's alert, the same development joins without an alert; at
    the very same second (dates without times) the time says nothing and it alerts as an update."""
    assert MODEL.quiet > 0
    first, development = place(reader, [
        entry(reader, "a", "NATO chief urges South Korea to send weapons to Ukraine", WIRE_LEAD, source="Reuters", own=WIRE),
        entry(
            reader, "c", "Pyongyang denies shipping artillery to Moscow as Stoltenberg tours Asia",
            "North Korea's foreign ministry called the NATO visit a prelude to confrontation and denied selling arms to Russia.",
            source="KCNA Watch", event="denial", hours=hours,
        ),
    ])
    if hours:
        assert not development.alert and development.story_id == first.story_id and development.event_id == first.event_id
        assert development.reason.startswith("coverage of its story's alert") and development.evidence["since_alert"] == round(hours, 1)
    else:
        assert development.alert and development.update


def test_a_report_that_names_nothing_new_stays_quiet_even_when_unsure(reader: Reader) -> None:
    first = entry(reader, "a", "NATO chief urges South Korea to send weapons to Ukraine", WIRE_LEAD, source="Reuters")
    # another angle on the same visit, a day later: the model is unsure it is the same event,
    # but the headline names nothing the story had not
    later = entry(reader, "b", "What Stoltenberg's Seoul stop means for NATO and Ukraine", "", source="The Diplomat", own=0.25, hours=20)
    probability = MODEL.probability(decision.features(later, [first], MODEL.context(later, [first])))
    assert MODEL.related <= probability < MODEL.join
    d = place(reader, [first, later])[1]
    assert not d.alert and d.event_id == cluster.event_id(SEED, "a") and d.reason.startswith("nothing new for its story")


def test_an_unrelated_item_of_the_seed_founds_its_own_story(reader: Reader) -> None:
    visit, football = place(reader, [
        entry(reader, "a", "NATO chief urges South Korea to send weapons to Ukraine", WIRE_LEAD, source="Reuters"),
        entry(reader, "b", "Son Heung-min scores twice as Tottenham beat Brighton", "The forward's brace lifted Spurs to fifth.", source="BBC Sport", event="football", kin=0.5, hours=5),
    ])
    assert football.new_story and football.alert and not football.update and football.story_id != visit.story_id
    assert football.reason.startswith("first item of the story (closest")


def test_one_outlet_files_another_report_more_often_than_a_copy(reader: Reader) -> None:
    first = entry(reader, "a", "Stoltenberg in Seoul asks for arms for Ukraine", WIRE_LEAD, source="Reuters")
    other = entry(reader, "b", "NATO head presses South Korea on Ukraine", "Stoltenberg spoke at a Seoul think tank.", source="Yonhap", hours=1)
    same = entry(reader, "c", "NATO head presses South Korea on Ukraine", "Stoltenberg spoke at a Seoul think tank.", source="Reuters", hours=1)

    def p(e: Entry) -> float:
        return MODEL.probability(decision.features(e, [first], MODEL.context(e, [first])))

    assert p(same) < p(other)


def test_time_decays_and_the_window_bounds_it(reader: Reader) -> None:
    first = entry(reader, "a", "Stoltenberg in Seoul asks for arms for Ukraine", WIRE_LEAD, source="Reuters")
    later = [entry(reader, f"b{h}", "NATO head presses South Korea on Ukraine", "Stoltenberg spoke in Seoul.", source="Yonhap", hours=h) for h in (1, 12, 48)]
    ps = [MODEL.probability(decision.features(e, [first], MODEL.context(e, [first]))) for e in later]
    assert ps[0] > ps[1] > ps[2]
    beyond = entry(reader, "c", "Stoltenberg in Seoul asks for arms for Ukraine", WIRE_LEAD, source="MSN", hours=73)
    assert place(reader, [first, beyond])[1].new_story  # outside stories.window, even a copy is a new story
    assert not place(reader, [first, beyond], Rules(window=timedelta(days=4)))[1].alert


def test_without_vectors_the_lexical_model_decides_on_names_copies_and_time(reader: Reader) -> None:
    first = entry(reader, "a", "NATO chief urges South Korea to send weapons to Ukraine", WIRE_LEAD, source="Reuters", semantic=False)
    second = entry(reader, "b", "Stoltenberg presses Seoul to arm Ukraine", "Jens Stoltenberg, NATO's chief, asked South Korea in Seoul to send weapons to Ukraine.", source="Yonhap", hours=1, semantic=False)
    values = decision.features(second, [first], MODEL.context(second, [first]))
    assert "similarity" not in values
    d = place(reader, [first, second])[1]
    assert not d.alert and "similarity" not in d.reason and "Stoltenberg" in d.reason


def test_the_decision_does_not_depend_on_the_order_members_are_read_in(reader: Reader) -> None:
    entries = [
        entry(reader, "a", "NATO chief urges South Korea to send weapons to Ukraine", WIRE_LEAD, source="Reuters"),
        entry(reader, "b", "Seoul weighs shells for Kyiv via Washington", "South Korea may ship 155mm shells to the US for Ukraine.", source="Yonhap", event="shells", hours=3),
        entry(reader, "c", "Poland signs for 180 K2 tanks", "Warsaw agreed a contract with Hyundai Rotem.", source="PAP", event="tanks", hours=4),
        entry(reader, "d", "South Korea to send 155mm shells to Ukraine through the US", "Officials in Seoul said the shells would reach Kyiv.", source="AP", event="shells", hours=6),
    ]
    members: list[Member] = []
    for e in entries[:3]:
        d = cluster.assign(e, members, RULES, MODEL, reader.words)
        members.append(Member(e, d.story_id, d.event_id))
    decisions = set()
    for seed in range(6):
        shuffled = members[:]
        random.Random(seed).shuffle(shuffled)
        d = cluster.assign(entries[3], shuffled, RULES, MODEL, reader.words)
        decisions.add((d.story_id, d.event_id, d.alert, d.reason))
    assert len(decisions) == 1
    (_, event, _, _) = decisions.pop()
    assert event == members[1].event_id  # the shells event, not the visit or the tanks


def test_other_seeds_members_are_ignored(reader: Reader) -> None:
    a = entry(reader, "a", "NATO chief urges South Korea to send weapons to Ukraine", WIRE_LEAD, source="ABC News")
    other = Member(Entry("z", "seed-2", a.title, "Reuters", a.lang, a.at, a.score, a.groups, a.minhash, a.size, vector=a.vector), "sty_other", "evt_other")
    assert cluster.assign(a, [other], RULES, MODEL, reader.words).new_story


def test_reused_photo_caption_does_not_make_a_copy(reader: Reader) -> None:
    caption = "Japan's Prime Minister Fumio Kishida, U.S. President Joe Biden and NATO Secretary General Jens Stoltenberg at a NATO summit in Brussels. (Getty Images)"
    a = entry(reader, "a", "US, NATO allies to tackle unprecedented security challenges at summit", caption, source="The Epoch Times", semantic=False)
    b = entry(reader, "b", "World leaders turn against Biden for giving Ukraine cluster bombs", caption, source="The Epoch Times", hours=40, semantic=False)
    assert nearcopy.jaccard(a.minhash, b.minhash, a.size, b.size) > 0.5
    assert cluster.near_copy(b, a, RULES, reader.words) is None


def test_the_seed_terms_every_alert_shares_do_not_make_copies(reader: Reader) -> None:
    visit = ("NATO chief Stoltenberg visits Ukraine", "Stoltenberg arrived in Kyiv.")
    china = ("NATO chief Stoltenberg on China and Ukraine", "Stoltenberg warned Beijing.")
    terms = ("NATO", "Stoltenberg", "Ukraine")
    loose = Rules(similarity=0.3)
    plain = [entry(reader, "a", *visit, source="NBC"), entry(reader, "b", *china, source="CNN", hours=5)]
    assert cluster.near_copy(plain[1], plain[0], loose, reader.words) is not None  # counting the seed's terms they look alike
    without = [entry(reader, "a", *visit, source="NBC", terms=terms), entry(reader, "b", *china, source="CNN", hours=5, terms=terms)]
    assert cluster.near_copy(without[1], without[0], loose, reader.words) is None


def test_signatures_and_vectors_round_trip_and_outlet_suffixes_do_not_count(reader: Reader) -> None:
    sig = nearcopy.minhash(frozenset({"stoltenberg", "seoul"}))
    assert nearcopy.unpack(nearcopy.pack(sig)) == sig and len(sig) == nearcopy.PERMUTATIONS
    assert reader.words.of("NATO chief in Seoul - Reuters", "", "en") == reader.words.of("NATO chief in Seoul | The Korea Herald", "", "en")
    assert "the" not in reader.words.of("The NATO chief", "and the visit", "en") and "nato" in reader.words.of("The NATO chief", "", "en")
    v = vector("visit")
    back = cluster.unpack_vector(cluster.pack_vector(v))
    assert back is not None and len(cluster.pack_vector(v)) == 2 * 384 and abs(float(back @ v) - 1.0) < 1e-3
    assert cluster.unpack_vector(None) is None


def test_korean_japanese_and_chinese_text_is_tokenised_without_external_tokenisers(reader: Reader) -> None:
    assert {"북한이", "포탄"} <= reader.words.of("북한이 러시아에 포탄 수출", "북한 외무성은 부인했다", "ko")
    assert {"北朝", "朝鮮", "砲弾"} <= reader.words.of("北朝鮮がロシアに砲弾", "", "ja")
    a = entry(reader, "ko1", "북한, 러시아에 포탄 수백만 발 공급", "국가정보원은 북한이 러시아에 포탄을 공급했다고 밝혔다.", source="연합뉴스", lang="ko", semantic=False)
    b = entry(reader, "ko2", "국정원 \"북한, 러시아에 포탄 수백만 발 공급\"", "국가정보원은 북한이 러시아에 포탄을 공급했다고 밝혔다.", source="뉴스1", lang="ko", hours=1, semantic=False)
    assert place(reader, [a, b])[1].story_id == place(reader, [a, b])[0].story_id


def test_the_shipped_model_weighs_the_features_the_decision_computes() -> None:
    assert set(MODEL.semantic.features) == set(MODEL.lexical.features) | {"similarity"}
    assert 0 < MODEL.related < MODEL.join < 1 and 0 <= MODEL.quiet < RULES.window.total_seconds() / 3600

