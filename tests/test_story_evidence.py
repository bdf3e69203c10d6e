"""evidence.py: the names, numbers and terms an item's headline and lead carry, in any language."""

from __future__ import annotations

import pytest

from monitor.stories.evidence import Marks, Reader, key, surfaces


@pytest.fixture(scope="module")
def reader() -> Reader:
    return Reader()


def kinds(marks: Marks, kind: str) -> list[str]:
    return [m.surface for m in marks.marks if m.kind == kind]


def test_names_inside_sentences_acronyms_and_full_names(reader: Reader) -> None:
    marks = reader.marks(
        "Could Boris Johnson become Tory chairman? Former PM is backed by Jacob Rees-Mogg",
        "Tory MP Jacob Rees-Mogg said on Sunday that the NHS and the economy would be Boris Johnson's priorities.",
        "en",
    )
    names = kinds(marks, "name")
    assert "Rees-Mogg" in " ".join(names) and "Boris Johnson" in names and "NHS" in names
    assert not {"Could", "Former", "The", "said"} & set(names)  # a sentence's first word or a common word is no name
    assert {"boris", "johns", "rees", "mogg"} <= marks.keys


def test_a_headline_that_capitalises_every_word_names_only_its_rare_words(reader: Reader) -> None:
    marks = reader.marks("Sunak Fires Zahawi Citing Serious Ethics Breach Over Taxes", "", "en")
    assert {"Sunak", "Zahawi"} <= set(kinds(marks, "name"))
    assert not {"Fires", "Serious", "Breach", "Over", "Taxes"} & set(kinds(marks, "name"))
    assert all(m.headline for m in marks.marks)


def test_numbers_keep_their_unit_and_dates_are_left_out(reader: Reader) -> None:
    marks = reader.marks("Seoul to ship 155mm shells; 1조6850억원 보상", "On 29 January 2023, at 10:30, officials said 50,000 rounds; 29일 발표", "en")
    numbers = kinds(marks, "number")
    assert "155mm" in numbers and "6850억원" in numbers and "50,000" in numbers
    assert not {"2023", "10:30", "29일"} & set(numbers)
    assert "50000" in marks.keys  # thousands separators do not make two numbers differ


def test_country_names_meet_across_languages_by_code(reader: Reader) -> None:
    indonesian = reader.marks("Korea Selatan akan pasok peluru ke Ukraina lewat Amerika Serikat", "", "id")
    english = reader.marks("South Korea to supply shells to Ukraine via Washington", "", "en")
    assert {"@KR", "@UA", "@US"} <= indonesian.keys & english.keys
    assert "@AS" not in reader.marks("AS kirim bantuan", "", "id").keys  # "AS" is the US in Indonesian, not American Samoa


def test_inflected_names_meet_across_languages(reader: Reader) -> None:
    polish = reader.marks("Zwolniony", "Premier Rishi Sunak zwolnił Nadhima Zahawiego z funkcji.", "pl")
    english = reader.marks("Sunak fires Nadhim Zahawi", "", "en")
    assert {"zahaw", "nadhi", "sunak"} <= polish.keys & english.keys
    assert key("Ukraina") == key("Ukraine") and key("쿠팡이") == key("쿠팡")


def test_korean_names_are_rare_words_and_verbs_are_not(reader: Reader) -> None:
    marks = reader.marks("쿠팡 김범석, 청문회 불출석 통보", "국회 청문회가 열립니다. 최민희 위원장이 마련했다고 밝혔다.", "ko")
    names = kinds(marks, "name")
    assert {"쿠팡", "청문회"} <= set(names)
    assert not {"열립니다", "마련했다고", "밝혔다"} & set(names)


def test_the_outlets_own_name_is_not_a_mark_and_marks_round_trip(reader: Reader) -> None:
    marks = reader.marks("Bahlil Tinjau Tambang PT Gag di Raja Ampat", "JAKARTA, KOMPAS.com - Menteri Bahlil Lahadalia meninjau tambang nikel.", "id", source="Kompas.com")
    assert "kompa" not in marks.keys and "bahli" in marks.keys
    assert Marks.unpack(marks.pack()) == marks and Marks.unpack(None) == Marks()
    assert "Menteri Bahlil Lahadalia" in kinds(marks, "name")  # a clause's capitalised first word opens the name after it
    assert surfaces(marks.marks, key("Menteri Bahlil Lahadalia")) == ["Bahlil", "Menteri Bahlil Lahadalia"]  # every mark all of whose keys are given
