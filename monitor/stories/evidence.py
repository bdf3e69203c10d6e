"""What an item names: the people, places, organisations, numbers and rare terms that tell one
event from another, in any language (pure, given the word-frequency tables).

- **Names** are words a text capitalises inside a sentence ("... backed by Jacob Rees-Mogg"),
  acronyms (NHS, FTC), and, in a headline that capitalises every word or at a sentence's start,
  only capitalised words rare in the language; in Korean, Chinese and Japanese (no capitals),
  words rare in the language. Neighbouring name words form one name ("Boris Johnson").
- **Numbers** are digits with their unit (155mm, 3370만, 1.6tn): a death toll or a contract value.
- **Terms** are other rare words (nosedives, perjury).

Each is compared by its keys: per word NFKC, case-folded, a Korean particle dropped, an English
possessive cut and Latin words cut to KEY_STEM letters, so "Zahawiego" (Polish) meets "Zahawi"
and "Ukraina" meets "Ukraine"; a number by its digits (155mm meets 155 mm); and a country's name
also by its ISO code (countrynames: "Korea Selatan", "South Korea" and "Korea Południowa" are all
KR). Marks are stored with their keys, so a stored item compares as it did when it was placed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

import countrynames

from monitor.relevance.rarity import Rarity
from monitor.relevance.units import normal

LEAD_WORDS = 40  # of the summary: past the lead, a summary drifts to background
KEY_STEM = 5
# A capitalised word is a name when rarer than this: at a sentence's start or in a headline that
# capitalises every word (first column), inside a sentence (second); the word after a name
# continues it up to the larger bounds ("Boris Johnson": Johnson alone is as common as "report").
NAME_ZIPF = (4.0, 4.5)
CONTINUED_ZIPF = (5.0, 5.5)
OPENING_ZIPF = 5.5  # a clause's capitalised first word opens the name after it when rarer ("South" Korea, not "Could")
HANGUL_ZIPF = 4.0
# Korean verbs and adjectives end so (the frequency tables hold their stems, some rare enough to
# pass for names: 열립니다, 마련했다고); a noun rarely does.
HANGUL_VERBAL = tuple("다 고 지 며 요 서 게 면 니 던 는 은 을 를 한 된 될 할 던 란 든 죠".split())
TERM_ZIPF = 3.5
ACRONYM = 5  # letters at most
TITLE_CASE = 0.8  # share of capitalised words over which a headline capitalises every word
MAX_MARKS = 40

_TOKEN = re.compile(
    r"[\uac00-\ud7a3]+"  # a Hangul run
    r"|[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]+"  # kana and Han
    r"|\d+(?:[.,]\d+)*(?:[^\W\d_]{1,3})?"  # a number and its unit (mm, tn, 만명)
    r"|[^\W\d_]+(?:[-'’][^\W\d_]+)*"  # a word, hyphens and apostrophes inside it
)
# What ends a clause: after it, a capital says nothing (the next word starts a sentence).
_CLAUSE = re.compile(r"[.!?:;\"“”‘’«»|()\[\]…–—]|\s-\s|^\s*'|\s'|\n")
_CJK = re.compile(r"[\uac00-\ud7a3\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_POSSESSIVE = re.compile(r"['’]s$")
_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")
COUNTRY_CACHE = 20_000
# Dates and times say when, not what: a year, a Korean day or month (29일, 12월), a clock time.
_DATE = re.compile(r"(19|20)\d\d(년)?|\d{1,2}(일|월|시|분|일자|am|pm|h)|\d{1,2}[.:]\d\d")
KINDS = ("name", "number", "term")


def key(surface: str) -> frozenset[str]:
    """The comparison keys of a mark's words (a country's code is added by the Reader)."""
    out = set()
    for token in _TOKEN.findall(surface):
        k = _POSSESSIVE.sub("", normal(token))
        if k[:1].isdigit():
            out.add(_DIGITS.match(k).group().replace(",", ""))  # type: ignore[union-attr]
            continue
        for part in re.split(r"[-'’]", k) if not _CJK.search(k) else [k]:  # Rees-Mogg: rees, mogg
            out.add(part[:KEY_STEM] if not _CJK.search(part) else part)
    return frozenset(out - {""})


@dataclass(frozen=True)
class Mark:
    kind: str  # name | number | term
    surface: str  # as first written
    headline: bool  # found in the title
    keys: frozenset[str]


@dataclass(frozen=True)
class Marks:
    """An item's marks, in order of appearance."""

    marks: tuple[Mark, ...] = ()

    @cached_property
    def keys(self) -> frozenset[str]:
        return frozenset().union(*(m.keys for m in self.marks))

    @property
    def headline(self) -> tuple[Mark, ...]:
        return tuple(m for m in self.marks if m.headline)

    def pack(self) -> str:
        return json.dumps([[m.kind, m.surface, int(m.headline), sorted(m.keys)] for m in self.marks], ensure_ascii=False)

    @classmethod
    def unpack(cls, text: str | None) -> "Marks":
        return cls(tuple(Mark(kind, surface, bool(h), frozenset(keys)) for kind, surface, h, keys in json.loads(text))) if text else cls()


def surfaces(marks: Iterable[Mark], keys: frozenset[str]) -> list[str]:
    """The surfaces of the marks whose every key is in `keys`, once each, in order."""
    return list(dict.fromkeys(m.surface for m in marks if m.keys <= keys))


class Reader:
    """Reads the marks of items; holds the word-frequency tables (loaded on first use)."""

    def __init__(self, rarity: Rarity | None = None) -> None:
        self.rarity = rarity or Rarity()
        self._countries: dict[str, str | None] = {}

    def keys(self, kind: str, surface: str, lang: str | None = None) -> frozenset[str]:
        keys = key(surface)
        # two letters name a country only in English: "AS" is the US in Indonesian, American Samoa to countrynames
        if kind != "name" or len(surface) < 2 or (len(surface) == 2 and lang != "en"):
            return keys
        code = self._country(surface)
        return keys | {f"@{code}"} if code else keys

    def _country(self, surface: str) -> str | None:
        if surface not in self._countries:
            if len(self._countries) > COUNTRY_CACHE:
                self._countries.clear()
            self._countries[surface] = countrynames.to_code(surface, fuzzy=False)
        return self._countries[surface]

    def marks(self, title: str, summary: str, lang: str | None, source: str = "") -> Marks:
        """The marks of a title and its summary's lead; the outlet's own name is none of them."""
        lead = " ".join(summary.split()[:LEAD_WORDS])
        outlet = key(source)
        found: dict[tuple[str, frozenset[str]], Mark] = {}
        for text, headline in ((title, True), (lead, False)):
            for kind, surface in self._read(text, lang, headline):
                keys = self.keys(kind, surface, lang)
                if keys and not keys <= outlet:
                    found.setdefault((kind, keys), Mark(kind, surface, headline, keys))
        return Marks(tuple(found.values())[:MAX_MARKS])

    def _read(self, text: str, lang: str | None, headline: bool) -> list[tuple[str, str]]:
        """(kind, surface) of each mark of one text."""
        tokens = list(_TOKEN.finditer(text))
        letters = [m.group() for m in tokens if m.group()[:1].isalpha() and not _CJK.search(m.group()) and len(m.group()) >= 4]
        title_case = headline and len(letters) >= 3 and sum(w[:1].isupper() for w in letters) / len(letters) > TITLE_CASE
        out: list[tuple[str, str]] = []
        name: list[str] = []  # the name being read, word by word
        opening = ""  # a capitalised first word of a clause that was no name alone ("Korea" of "Korea Selatan")
        previous_end = 0
        for match in tokens:
            word = match.group()
            gap = text[previous_end : match.start()]
            initial = previous_end == 0 or bool(_CLAUSE.search(gap))
            # headlines that capitalise every word would join a whole line into one name
            joined = bool(name) and not title_case and gap in (" ", "-") and not _CJK.search(word)
            opened = bool(opening) and not title_case and gap == " " and word[:1].isupper()
            previous_end = match.end()
            kind = self._kind(word, lang, initial or title_case, joined or opened)
            if kind == "name":
                if name and not joined:
                    out.append(("name", " ".join(name)))
                    name = []
                if not name and opened:
                    name.append(opening)
                name.append(word)
                opening = ""
                continue
            opening = word if initial and word[:1].isupper() and not _CJK.search(word) and self.rarity.zipf(normal(word), lang, name=True) < OPENING_ZIPF else ""
            if name:
                out.append(("name", " ".join(name)))
                name = []
            if kind:
                out.append((kind, word))
        if name:
            out.append(("name", " ".join(name)))
        return out

    def _kind(self, word: str, lang: str | None, capitals_say_little: bool, continues: bool) -> str | None:
        if word[:1].isdigit():
            return "number" if len(word) >= 2 and not _DATE.fullmatch(word) else None
        base = _POSSESSIVE.sub("", normal(word))
        if len(base) < 2:
            return None
        if _CJK.search(word):
            if _HANGUL.search(word):
                return "name" if not base.endswith(HANGUL_VERBAL) and self.rarity.zipf(base, "ko") < HANGUL_ZIPF else None
            return "name"  # Chinese and Japanese: no frequency table we read; a run of Han is a name or a term
        if word.isupper() and 2 <= len(word) <= ACRONYM and self.rarity.zipf(base, lang) < CONTINUED_ZIPF[0]:
            return "name"  # NHS, FTC, HMRC; not a shouted SACKED nor THE
        zipf = self.rarity.zipf(base, lang, name=word[:1].isupper())
        column = 0 if capitals_say_little else 1
        if word[:1].isupper() and (zipf < (CONTINUED_ZIPF if continues else NAME_ZIPF)[column] or (len(word) > 2 and self._country(word))):
            return "name"  # a rare capitalised word, or a country or capital as common as Washington
        return "term" if zipf < TERM_ZIPF and len(base) >= 4 else None
