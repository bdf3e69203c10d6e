"""Words and multilingual alias matching: tokenise once, find every alias by longest match (pure).

Tokens are runs of letters/digits; Hangul and Han runs are separate tokens so "北김정은"
gives "北", "김정은". Hyphens and reduplications split ("NATO-Jepang", "negara-negara").
An alias form is a sequence of per-token alternatives: exact words, inflected names (endings
from data) or `prefix*` wildcards. Short all-capital aliases (US, AS, ROK) match case-sensitively.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

_TOKEN = re.compile(r"[\uac00-\ud7a3]+|[\u3400-\u9fff\uf900-\ufaff]+|[^\W_\uac00-\ud7a3\u3400-\u9fff\uf900-\ufaff]+")
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
CASE_SENSITIVE_MAX = 3


def tokenize(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(original tokens, lower-cased tokens) of a text."""
    text = unicodedata.normalize("NFKC", text)
    raw = tuple(_TOKEN.findall(text))
    low = tuple(_TOKEN.findall(text.lower()))
    if len(low) != len(raw):  # lower-casing changed a boundary (rare Unicode): per token instead
        low = tuple(t.lower() for t in raw)
    return raw, low


def is_hangul(text: str) -> bool:
    return bool(_HANGUL.search(text))


@dataclass(frozen=True)
class Inflection:
    """How names inflect in running text, for one script/language family (from lexicon.toml)."""

    endings: tuple[str, ...] = ()
    strip: tuple[str, ...] = ()
    min_stem: int = 4
    pronouns: tuple[str, ...] = ()

    def forms(self, word: str) -> set[str]:
        """The word and its inflected forms; short words only match as written (never over-stem)."""
        out = {word}
        stems = {word} | {word[: -len(s)] for s in self.strip if word.endswith(s)}
        for stem in stems:
            if len(stem) >= self.min_stem:
                out.update(stem + e for e in self.endings)
        return out


@dataclass
class _Entry:
    slots: tuple[tuple[frozenset[str], tuple[str, ...]], ...]  # per token: exact forms, wildcard prefixes
    case_sensitive: bool
    groups: set[str] = field(default_factory=set)

    def slot_ok(self, i: int, token: str) -> bool:
        exact, prefixes = self.slots[i]
        return token in exact or any(token.startswith(p) for p in prefixes)


@dataclass(frozen=True)
class Hit:
    """One alias occurrence: the groups it evidences and the surface form as written."""

    groups: tuple[str, ...]
    surface: str
    start: int


class Matcher:
    """Finds the aliases of many groups in token sequences; read-only once built, so feed runs
    in several threads share one."""

    def __init__(self) -> None:
        self._by_form: dict[str, list[_Entry]] = {}  # lower-cased first word -> entries
        self._by_case: dict[str, list[_Entry]] = {}  # first word as written -> case-sensitive entries
        self._by_prefix: dict[str, list[_Entry]] = {}
        self._prefix_lengths: tuple[int, ...] = ()
        self._entries: dict[tuple, _Entry] = {}

    def add(self, group: str, alias: str, inflection: Inflection | None) -> None:
        """Register `alias` for `group`; `inflection` applies to name-like aliases only."""
        raw, low = tokenize(alias)
        if not raw:
            return
        case_sensitive = all(t.isupper() and len(t) <= CASE_SENSITIVE_MAX for t in raw if t.isalpha()) and any(t.isalpha() for t in raw)
        wild = alias.rstrip().endswith("*")
        words = raw if case_sensitive else low
        slots = []
        for i, word in enumerate(words):
            last = i == len(words) - 1
            if wild and last:
                slots.append((frozenset(), (word,)))
            elif inflection and not case_sensitive:
                slots.append((frozenset(inflection.forms(word)), ()))
            else:
                slots.append((frozenset({word}), ()))
        key = (case_sensitive, tuple(slots))
        entry = self._entries.get(key)
        if entry is None:
            entry = self._entries[key] = _Entry(tuple(slots), case_sensitive)
            exact, prefixes = slots[0]
            for form in exact:
                (self._by_case if case_sensitive else self._by_form).setdefault(form, []).append(entry)
            for p in prefixes:
                self._by_prefix.setdefault(p, []).append(entry)
                self._prefix_lengths = tuple(sorted({*self._prefix_lengths, len(p)}))
        entry.groups.add(group)

    def find(self, text: str) -> tuple[Hit, ...]:
        """Every alias occurrence, longest first at each position, without overlaps."""
        raw, low = tokenize(text)
        hits: list[Hit] = []
        i, n = 0, len(raw)
        while i < n:
            candidates = self._starting_with(raw[i], low[i])
            best, best_len = None, 0
            for entry in candidates:
                size = len(entry.slots)
                if size <= best_len or i + size > n:
                    continue
                seq = raw if entry.case_sensitive else low
                if all(entry.slot_ok(k, seq[i + k]) for k in range(1, size)):
                    best, best_len = entry, size
            if best is None:
                i += 1
                continue
            hits.append(Hit(tuple(sorted(best.groups)), " ".join(raw[i : i + best_len]), i))
            i += best_len
        return tuple(hits)

    def _starting_with(self, token: str, lower: str) -> Sequence[_Entry]:
        """Entries whose first slot may match this token."""
        candidates = self._by_form.get(lower, ())
        if token != lower and token in self._by_case:
            candidates = [*candidates, *self._by_case[token]]
        for size in self._prefix_lengths:
            if size > len(lower):
                break
            more = self._by_prefix.get(lower[:size])
            if more:
                candidates = [*candidates, *more]
        return candidates

