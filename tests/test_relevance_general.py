"""The general relevance signal on seeds the catalogue knows nothing about, in several languages.

The seeds here are written for the tests (invented stories), so nothing is tuned to an
evaluation seed; the semantic model is off (tests/test_semantic.py runs it): these are the
lexical parts, the user's rules and the catalogue fixes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.config import ProfileOverride
from monitor.relevance.evidence import inflected
from monitor.relevance.seeds import load_seed
from monitor.types import FeedItem, Seed
from tests.conftest import seedwatch
from tests.scoring import score

MAYOR = Seed(
    "mayor",
    "Antwerp mayor Ilse Vandermeer resigns over housing permit scandal",
    "Antwerp mayor Ilse Vandermeer resigns over housing permit scandal\n"
    "Ilse Vandermeer stepped down on Monday after an audit found that her office granted housing permits "
    "to a developer owned by her brother-in-law. Vandermeer denied wrongdoing. The city council will elect "
    "a successor next week, and prosecutors in Antwerp have opened an inquiry into the permits.",
    "en",
)
FLOOD_KO = Seed(
    "flood",
    "청주 오송 지하차도 침수 사고 사망자 14명",
    "청주 오송 지하차도 침수 사고 사망자 14명\n충북 청주시 오송읍 궁평2지하차도가 폭우로 침수돼 14명이 숨졌다. "
    "경찰은 궁평2지하차도 침수 사고의 책임을 가리기 위해 충북도청과 청주시를 압수수색했다. 유족들은 오송 참사의 진상 규명을 요구했다.",
    "ko",
)


def item(title: str, summary: str = "", lang: str | None = None) -> FeedItem:
    return FeedItem("k", "", title, None, summary, None, "test", lang)


def test_units_are_the_seeds_names_and_rare_terms(engine) -> None:
    profile = engine.profile(MAYOR, 0.5, 0.3)
    units = {u.key: u for u in profile.units}
    assert units["vandermeer"].name and units["vandermeer"].in_title
    assert units["vandermeer"].weight == max(u.weight for u in profile.units)  # the story's subject weighs most
    # a pair of capitalised words is a unit only when neither word alone is rare ("Raja Ampat"):
    # "Vandermeer" already says "Ilse Vandermeer"
    assert "ilse vandermeer" not in units
    pair = {u.key: u for u in engine.profile(Seed("p", "New rules in Hong Kong", "New rules in Hong Kong\nThe government of Hong Kong passed the rules. Critics in Hong Kong object.", "en"), 0.5, 0.3).units}
    assert pair["hong kong"].name
    assert "permit" in units and not units["permit"].name
    assert "the" not in units and units.get("over", units["permit"]).weight < 0.1  # the commonest words weigh (next to) nothing
    assert units["antwerp"].group == "Belgium" or units["antwerp"].group is None


def test_inflected_forms_match_in_either_direction() -> None:
    assert inflected("zahawi", "zahawiego") and inflected("zahawiego", "zahawi")  # Polish cases
    assert inflected("쿠팡", "쿠팡대표") and not inflected("쿠팡", "쿠팡대표이사회의")
    assert inflected("tambang", "tambangnya")  # Indonesian -nya
    assert not inflected("nato", "natomiast")  # "whereas" is not NATO: too many letters more
    assert not inflected("gag", "gagal")  # short words match only as written


def test_a_story_on_any_subject_alerts_across_languages_and_ranks_above_near_misses(engine) -> None:
    profile = engine.profile(MAYOR, 0.5, 0.3)
    story = score(engine, item("Vandermeer quits as Antwerp mayor over permits", "The mayor resigned after an audit of housing permits."), profile)
    polish = score(engine, item("Burmistrz Antwerpii Vandermeer ustąpiła", "Afera z pozwoleniami dla firmy szwagra Vandermeera."), profile)
    near_miss = score(engine, item("Antwerp port volumes rise in March", "Container traffic grew by 4 percent."), profile)
    other = score(engine, item("Bakery prices climb in Lyon", "Flour costs more."), profile)
    assert story.alert, story.explanation
    assert polish.score > near_miss.score > other.score
    names = dict(story.why)["names"]
    assert "Vandermeer (title)" in names


def test_a_korean_seed_builds_and_matches_with_particles(engine) -> None:
    profile = engine.profile(FLOOD_KO, 0.5, 0.3)  # wordfreq's Korean look-up needs MeCab: not used
    keys = {u.key for u in profile.units}
    assert "지하차도" in keys and "궁평2지하차도" in keys or "오송" in keys
    hit = score(engine, item("오송 지하차도 참사 유족, 진상 규명 촉구", "궁평2지하차도 침수 사고의 책임자 처벌을 요구했다.", "ko"), profile)
    miss = score(engine, item("서울 아파트 값 상승세", "강남 지역 매매가가 올랐다.", "ko"), profile)
    assert hit.score > 0.5 > miss.score, (hit.explanation, miss.explanation)


def test_a_korean_seed_file_passes_check(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "flood.txt").write_text(FLOOD_KO.text, encoding="utf-8")
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[monitor]\nseeds = "{seeds}"\nstate = "{tmp_path / "s.db"}"\n')
    out = seedwatch("check", "--config", str(cfg))
    assert out.returncode == 0, out.stderr
    assert "flood:" in out.stdout and "[ko]" in out.stdout


def test_check_warns_about_a_title_only_seed(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "thin.txt").write_text("Vandermeer resigns\n", encoding="utf-8")
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[monitor]\nseeds = "{seeds}"\nstate = "{tmp_path / "s.db"}"\n')
    out = seedwatch("check", "--config", str(cfg))
    assert out.returncode == 0 and "warning: thin seed" in out.stdout, out.stdout


def test_keep_block_and_must_mention_rules(engine) -> None:
    story = item("Vandermeer quits as Antwerp mayor over permits", "The mayor resigned after an audit of housing permits.")
    assert score(engine, story, engine.profile(MAYOR, 0.5, 0.3)).alert
    cases = {
        "block": ProfileOverride(block=[r"\bquits\b"]),
        "keep": ProfileOverride(keep=[r"prosecutor"]),
        "must_mention": ProfileOverride(must_mention=["Brussels"]),
    }
    for rule, override in cases.items():
        match = score(engine, story, engine.profile(MAYOR, 0.5, 0.3, override))
        assert not match.alert and match.band is None, rule
        assert match.score > 0.5, "a veto keeps the score, so explain still shows how close it came"
    kept = score(engine, story, engine.profile(MAYOR, 0.5, 0.3, ProfileOverride(keep=["mayor"], must_mention=["Ilse Vandermeer"])))
    assert kept.alert, kept.explanation


def test_turkey_is_turkiye_and_delivery_addresses_are_no_supply(engine) -> None:
    groups = {g for hit in engine.matcher.find("Turkey, Ivory Coast and Burma") for g in hit.groups}
    assert {"Türkiye", "Côte d’Ivoire", "Myanmar (Burma)"} <= groups
    assert "supply" not in {g for hit in engine.matcher.find("leaked delivery addresses of customers") for g in hit.groups}


def test_an_incidental_relation_in_a_seed_is_no_fact(engine, tmp_path: Path) -> None:
    path = tmp_path / "tax.txt"
    path.write_text(
        "Nadia Petrov sacked as finance minister over undeclared shares\n"
        "Prime minister Tomas Ilves sacked Nadia Petrov after an inquiry found she breached the code on shares. "
        "Separately, South Korea and Japan held talks on fisheries in Tokyo.",
        encoding="utf-8",
    )
    profile = engine.profile(load_seed(path), 0.5, 0.3)
    assert not any(f.kind == "relation" for f in profile.facts)
    fisheries = score(engine, item("South Korea and Japan hold fisheries talks", "Officials met in Tokyo."), profile)
    assert not fisheries.alert, fisheries.explanation


@pytest.mark.parametrize("text", ["", "   \n  "])
def test_an_empty_item_scores_zero_without_error(engine, text: str) -> None:
    match = score(engine, item(text, text), engine.profile(MAYOR, 0.5, 0.3))
    assert match.score < 0.3 and not match.alert
