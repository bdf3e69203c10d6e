"""Near-duplicate detection and story assignment (pure: values in, a decision out).

A story lasts one time window from its first item. An alerting item joins a story of the
same seed when it is a near-duplicate of one of the story's items (MinHash over the
normalised title and lead, and at least one distinctive title word in common), or when,
in another language than the story's first item, it has that item's concept signature (and
no other open story has it) and an agreeing score. Only a story's first item alerts, unless
a later one has a new concept group in its headline or a score jump: that alerts again,
marked as an update.

MinHash is hand-written rather than taken from `datasketch`: a seed has at most a few
hundred alerting items in a window, so a linear scan of stored signatures beats keeping
an LSH index in step with the store; the 30 lines below also fix the signature's format,
which the store keeps across upgrades.
"""

from __future__ import annotations

import base64
import hashlib
import re
import struct
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from wordfreq import available_languages, zipf_frequency

from monitor.relevance.langid import WORDLIST
from monitor.types import Alert, StoryDecision

PERMUTATIONS = 128
LEAD_WORDS = 60
# Words this frequent ("the", "dan", "w") say nothing about which story an item tells.
COMMON_ZIPF = 5.5
# A short item (a feed that truncates its summary) whose words nearly all appear in a
# longer copy is the same article even though their Jaccard similarity is low.
CONTAINMENT = 0.8
MIN_CONTAINED = 6
# Fewer groups than this (say "nato" alone) are shared by too many unrelated stories.
MIN_SIGNATURE = 3

_PRIME = (1 << 61) - 1
_MASK = (1 << 32) - 1


def _constant(label: str) -> int:
    return int.from_bytes(hashlib.blake2b(label.encode(), digest_size=8).digest(), "little") % (_PRIME - 1) + 1


# Fixed for ever (derived from hashes, not from `random`, whose algorithms may change between
# Python versions): stored signatures are only comparable under the same permutations.
_PERMS = tuple((_constant(f"seedwatch-minhash-a{i}"), _constant(f"seedwatch-minhash-b{i}")) for i in range(PERMUTATIONS))
_WORD = re.compile(r"\w+", re.UNICODE)
# Outlets append their name to wire headlines: "... to Ukraine - Reuters", "... | CNN Indonesia".
_OUTLET_SUFFIX = re.compile(r"\s+[-|–—]\s+(?:\S+\s*){1,4}$")
# wordfreq needs MeCab or jieba to look up Japanese, Korean and Chinese words; rather than
# depend on them, those languages keep all their words.
_CJK = frozenset({"ja", "ko", "zh"})
# Scripts written without spaces between words (Han, kana).
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_LANGS = frozenset(available_languages(WORDLIST)) - _CJK


@dataclass(frozen=True)
class Rules:
    """Tunable thresholds, from the `[stories]` config section."""

    window: timedelta = timedelta(hours=72)
    similarity: float = 0.25
    update_delta: float = 0.15
    score_tolerance: float = 0.15


@dataclass(frozen=True)
class Entry:
    """One alerting item of one seed, reduced to what clustering needs."""

    key: str
    seed_id: str
    title: str
    source: str
    lang: str | None
    at: datetime
    score: float
    groups: frozenset[str]
    minhash: tuple[int, ...]
    size: int
    headline: frozenset[str] = frozenset()  # the groups matched in the title


@dataclass(frozen=True)
class Member:
    """An entry already placed in a story."""

    entry: Entry
    story_id: str


def words(title: str, lead: str, lang: str | None) -> frozenset[str]:
    """The distinctive words of a normalised title and the lead's first LEAD_WORDS words."""
    text = unicodedata.normalize("NFKC", _OUTLET_SUFFIX.sub("", title) + " " + " ".join(lead.split()[:LEAD_WORDS])).casefold()
    out = set()
    for w in _WORD.findall(text):
        if _UNSPACED.fullmatch(w) and len(w) > 2:
            out.update(w[i : i + 2] for i in range(len(w) - 1))  # Chinese and Japanese: character bigrams
        elif len(w) > 1 and not _common(w, lang):
            out.add(w)
    return frozenset(out)


@lru_cache(maxsize=4096)
def _title_words(title: str, lang: str | None) -> frozenset[str]:
    """`words` of a title alone; cached, as each new entry is compared with every open story's items."""
    return words(title, "", lang)


@lru_cache(maxsize=65536)
def _common(word: str, lang: str | None) -> bool:
    if lang in _CJK:
        return False
    return zipf_frequency(word, lang if lang in _LANGS else "en", wordlist=WORDLIST) >= COMMON_ZIPF


def minhash(tokens: frozenset[str]) -> tuple[int, ...]:
    """PERMUTATIONS minimum hashes of the token set (universal hashing mod a Mersenne prime)."""
    if not tokens:
        return (_MASK,) * PERMUTATIONS
    hashes = [int.from_bytes(hashlib.blake2b(t.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little") for t in tokens]
    return tuple(min(((a * h + b) % _PRIME) & _MASK for h in hashes) for a, b in _PERMS)


def similarity(a: Entry, b: Entry) -> float:
    """Estimated Jaccard similarity of two entries' word sets."""
    if not a.size or not b.size:
        return 0.0
    return sum(x == y for x, y in zip(a.minhash, b.minhash)) / PERMUTATIONS


def containment(a: Entry, b: Entry, jaccard: float) -> float:
    """Share of the smaller word set found in the larger, derived from the Jaccard estimate."""
    small = min(a.size, b.size)
    if small < MIN_CONTAINED:
        return 0.0
    return min(1.0, jaccard * (a.size + b.size) / ((1 + jaccard) * small))


def make_entry(
    key: str,
    seed_id: str,
    title: str,
    lead: str,
    source: str,
    lang: str | None,
    at: datetime,
    score: float,
    groups: frozenset[str],
    terms: Sequence[str] = (),
    headline: frozenset[str] = frozenset(),
) -> Entry:
    """An entry whose MinHash leaves out the seed terms the item matched: every alert of a seed
    shares those, so only the rest tells one story from another."""
    tokens = words(title, lead, lang) - words(" ".join(terms), "", lang)
    return Entry(key, seed_id, title, source, lang, at, score, groups, minhash(tokens), len(tokens), headline)


def entry_for(alert: Alert, polled: datetime) -> Entry:
    """The entry of an alerting item, at its publication time (or when polled, if later or unknown)."""
    item = alert.item
    at = item.published if item.published and item.published <= polled else polled
    # the concept signature is the catalogue's groups: names in every language, comparable across copies
    catalogue = [m for m in alert.matched if m.kind == "catalogue"]
    groups = frozenset(m.group for m in catalogue)
    headline = frozenset(m.group for m in catalogue if m.where == "title")
    terms = [m.term for m in alert.matched]
    return make_entry(item.key, alert.seed_id, item.title, item.summary, item.source, item.lang, at, alert.score, groups, terms, headline)


def pack(signature: Sequence[int]) -> str:
    """A signature as compact text for the store."""
    return base64.b64encode(struct.pack(f"<{len(signature)}I", *signature)).decode("ascii")


def unpack(text: str) -> tuple[int, ...]:
    raw = base64.b64decode(text)
    return struct.unpack(f"<{len(raw) // 4}I", raw)


def story_id(seed_id: str, first_key: str) -> str:
    """Stable id: a story is named after its seed and first item."""
    return "sty_" + hashlib.sha1(f"{seed_id}|{first_key}".encode()).hexdigest()[:16]


def _describe(e: Entry) -> str:
    return f"“{e.title}” ({e.source or 'unknown source'})"


def duplicate_reason(entry: Entry, member: Entry, rules: Rules) -> tuple[float, str] | None:
    """(strength, explanation) when `entry` is a near-duplicate of `member`, else None."""
    # Some outlets reuse one photo caption as the summary of unrelated articles: a
    # duplicate must also share a distinctive title word.
    if not _title_words(entry.title, entry.lang) & _title_words(member.title, member.lang):
        return None
    sim = similarity(entry, member)
    if sim >= rules.similarity:
        return 1.0 + sim, f"near-duplicate of {_describe(member)}: similarity {sim:.2f}"
    contained = containment(entry, member, sim)
    if contained >= CONTAINMENT:
        return 1.0 + contained * sim, f"near-duplicate of {_describe(member)}: {contained:.0%} of the shorter text's words shared"
    return None


def signature_reason(entry: Entry, first: Entry, rules: Rules) -> tuple[float, str] | None:
    """(strength, explanation) when `entry` tells the story of `first` in another language, else None."""
    gap = abs(entry.score - first.score)
    if (
        entry.lang and first.lang and entry.lang != first.lang
        and entry.groups == first.groups and len(entry.groups) >= MIN_SIGNATURE
        and gap <= rules.score_tolerance
    ):
        groups = ", ".join(sorted(entry.groups))
        return 1.0 - gap, f"same concept signature [{groups}] as {_describe(first)} in {first.lang}, scores {entry.score:.2f}/{first.score:.2f}"
    return None


def assign(entry: Entry, members: Sequence[Member], rules: Rules) -> StoryDecision:
    """Place `entry` among the seed's recent story members; decide whether it alerts."""
    mine = [m for m in members if m.entry.seed_id == entry.seed_id and m.entry.key != entry.key]
    firsts: dict[str, Entry] = {}
    for m in sorted(mine, key=lambda m: (m.entry.at, m.entry.key)):
        firsts.setdefault(m.story_id, m.entry)
    open_stories = {sid for sid, first in firsts.items() if abs(entry.at - first.at) <= rules.window}
    # A signature explains a join only when it is distinctive: shared by one open story, not several.
    distinctive = len({m.story_id for m in mine if m.story_id in open_stories and m.entry.groups == entry.groups}) == 1
    best: tuple[float, str, Member] | None = None
    for member in mine:
        if member.story_id not in open_stories:
            continue
        reasons = [duplicate_reason(entry, member.entry, rules)]
        if distinctive and member.entry is firsts[member.story_id]:
            reasons.append(signature_reason(entry, member.entry, rules))
        for found in filter(None, reasons):
            if best is None or found[0] > best[0]:
                best = (found[0], found[1], member)
    if best is None:
        return StoryDecision(story_id(entry.seed_id, entry.key), True, True, False, "first item of the story", 1, (entry.source,))
    _, reason, match = best
    story = [m.entry for m in mine if m.story_id == match.story_id]
    sources = tuple(dict.fromkeys([*(e.source for e in sorted(story, key=lambda e: e.at)), entry.source]))
    # Material news makes the headline: a group the story never matched, now in a title. A
    # group first met in a later copy's body is usually background (Europe, cooperation...).
    known = frozenset().union(*(e.groups for e in story))
    new_groups = sorted(entry.headline - known)
    top = max(e.score for e in story)
    if new_groups:
        return StoryDecision(match.story_id, False, True, True, f"update: headline newly matches {', '.join(new_groups)}; {reason}", len(story) + 1, sources)
    if entry.score - top > rules.update_delta:
        return StoryDecision(match.story_id, False, True, True, f"update: score rose {top:.2f} -> {entry.score:.2f}; {reason}", len(story) + 1, sources)
    return StoryDecision(match.story_id, False, False, False, reason, len(story) + 1, sources)
