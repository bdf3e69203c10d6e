"""Language identification by script for languages whose script is their own (or nearly), so a
seed in Greek, Arabic, Persian, Hebrew, Hindi or Thai is not labelled English by its few Latin words."""

from __future__ import annotations

import pytest

from monitor.relevance.langid import LanguageGuesser


@pytest.mark.parametrize(("text", "lang"), [
    ("Η κυβέρνηση ανακοίνωσε αποζημιώσεις για τις πλημμύρες της καταιγίδας Daniel στη Θεσσαλία", "el"),
    ("قالت الحكومة إن الفيضانات على الساحل دمرت مئات المنازل", "ar"),
    ("رئیس جمهور ایران گفت که این کشور به مذاکرات ادامه می دهد", "fa"),
    ("הממשלה הודיעה על פיצויים לחקלאים אחרי השיטפונות", "he"),
    ("सरकार ने बाढ़ पीड़ितों के लिए मुआवजे की घोषणा की", "hi"),
    ("น้ำท่วมใหญ่ในกรุงเทพฯ ทำให้ประชาชนต้องอพยพ", "th"),
    ("쿠팡 청문회에서 로저스 대표가 답변했다", "ko"),
    ("NATO desak Korea Selatan kirim senjata ke Ukraina", "id"),
    ("Rząd ogłosił odszkodowania dla rolników po powodzi", "pl"),
])
def test_each_text_gets_its_language(text: str, lang: str) -> None:
    assert LanguageGuesser().detect(text) == lang


def test_a_few_greek_letters_in_an_english_text_leave_it_english() -> None:
    assert LanguageGuesser().detect("The β variant and the Ω index rose as the minister said in a statement to the press") == "en"
