"""Near-copies: MinHash over an item's distinctive words, the cheap path for wire copies (pure).

Two items are near-copies when their normalised title and lead (the outlet's name cut from the
headline, very common words and the seed terms every alert shares left out) have an estimated
Jaccard similarity of at least `stories.similarity` and share a distinctive title word, or when
a short summary's words are nearly all in a longer copy.

MinHash is hand-written rather than taken from `datasketch`: a seed has at most a few hundred
alerting items in a window, so a linear scan of stored signatures beats keeping an LSH index in
step with the store; the lines below also fix the signature's format, which the store keeps
across upgrades.
"""

from __future__ import annotations

import base64
import hashlib
import re
import struct
import unicodedata
from collections.abc import Sequence

from monitor.relevance.rarity import Rarity

PERMUTATIONS = 128
LEAD_WORDS = 60
# Words this frequent ("the", "dan", "w") say nothing about which story an item tells.
COMMON_ZIPF = 5.5
# A short item (a feed that truncates its summary) whose words nearly all appear in a
# longer copy is the same article even though their Jaccard similarity is low.
CONTAINMENT = 0.8
MIN_CONTAINED = 6
SAME_OUTLET = 0.6  # the bar for a copy of an item of the same outlet
TITLE_CACHE = 4096

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
# Korean, Japanese and Chinese keep all their words: their frequency tables count morphemes.
_CJK = frozenset({"ja", "ko", "zh"})
# Scripts written without spaces between words (Han, kana).
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


class Words:
    """The distinctive words of a title and lead; keeps the title look-ups it made, as each new
    item is compared with the title of every open story's items."""

    def __init__(self, rarity: Rarity) -> None:
        self.rarity = rarity
        self._titles: dict[tuple[str, str | None], frozenset[str]] = {}

    def of(self, title: str, lead: str, lang: str | None) -> frozenset[str]:
        """The distinctive words of a normalised title and the lead's first LEAD_WORDS words."""
        text = unicodedata.normalize("NFKC", _OUTLET_SUFFIX.sub("", title) + " " + " ".join(lead.split()[:LEAD_WORDS])).casefold()
        out = set()
        for w in _WORD.findall(text):
            if _UNSPACED.fullmatch(w) and len(w) > 2:
                out.update(w[i : i + 2] for i in range(len(w) - 1))  # Chinese and Japanese: character bigrams
            elif len(w) > 1 and (lang in _CJK or self.rarity.zipf(w, lang) < COMMON_ZIPF):
                out.add(w)
        return frozenset(out)

    def title(self, title: str, lang: str | None) -> frozenset[str]:
        key = (title, lang)
        found = self._titles.get(key)
        if found is None:
            if len(self._titles) > TITLE_CACHE:
                self._titles.clear()
            found = self._titles[key] = self.of(title, "", lang)
        return found


def minhash(tokens: frozenset[str]) -> tuple[int, ...]:
    """PERMUTATIONS minimum hashes of the token set (universal hashing mod a Mersenne prime)."""
    if not tokens:
        return (_MASK,) * PERMUTATIONS
    hashes = [int.from_bytes(hashlib.blake2b(t.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little") for t in tokens]
    return tuple(min(((a * h + b) % _PRIME) & _MASK for h in hashes) for a, b in _PERMS)


def jaccard(a: Sequence[int], b: Sequence[int], size_a: int, size_b: int) -> float:
    """Estimated Jaccard similarity of two word sets from their signatures."""
    if not size_a or not size_b:
        return 0.0
    return sum(x == y for x, y in zip(a, b)) / PERMUTATIONS


def containment(size_a: int, size_b: int, jaccard: float) -> float:
    """Share of the smaller word set found in the larger, derived from the Jaccard estimate."""
    small = min(size_a, size_b)
    if small < MIN_CONTAINED:
        return 0.0
    return min(1.0, jaccard * (size_a + size_b) / ((1 + jaccard) * small))


def pack(signature: Sequence[int]) -> str:
    """A signature as compact text for the store."""
    return base64.b64encode(struct.pack(f"<{len(signature)}I", *signature)).decode("ascii")


def unpack(text: str) -> tuple[int, ...]:
    raw = base64.b64decode(text)
    return struct.unpack(f"<{len(raw) // 4}I", raw)
