"""An alerting item reduced to what story assignment compares (pure, given a Reader).

An Entry holds the item's title, outlet, language and time, its MinHash signature (near-copies),
its marks (names, numbers, terms: monitor.stories.evidence) and its vector (the pipeline's
`semantic.embed_input` embedding; None when the semantic signal is off or the vector was made by
another model: then only lexical evidence counts). Vectors are stored as float16: half the
bytes, and cosines change in the fourth decimal.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from monitor.relevance.rarity import Rarity
from monitor.stories import nearcopy
from monitor.stories.evidence import Marks
from monitor.stories.evidence import Reader as MarkReader
from monitor.types import Alert
from monitor.urls import Url, parse_url

VECTOR_DTYPE = "<f2"
# Opinion sections' path segments: English (also Korean outlets' English paths: /opinion/),
# Indonesian, Polish.
_OPINION = re.compile(
    r"/(?:commentisfree|comment|opinions?|op-?eds?|editorials?|columns?|columnists?|cartoons?|letters|"
    r"kolom|opini|opinie|komentarze|felietony|publicystyka)(?:/|$)"
)


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
    headline: frozenset[str] = frozenset()  # the concept groups matched in the title (shown, not decided on)
    marks: Marks = Marks()
    vector: np.ndarray | None = field(default=None, compare=False, repr=False)
    opinion: bool = False  # published in an opinion section (by its address): commentary, never a development


@dataclass(frozen=True)
class Member:
    """An entry already placed: its story and, within it, its event."""

    entry: Entry
    story_id: str
    event_id: str


class Reader:
    """Reads entries: MinHash words and marks, with the word-frequency tables both need."""

    def __init__(self, rarity: Rarity | None = None) -> None:
        rarity = rarity or Rarity()
        self.words = nearcopy.Words(rarity)
        self.marks = MarkReader(rarity)

    def entry(
        self,
        key: str,
        seed_id: str,
        title: str,
        lead: str,
        source: str,
        lang: str | None,
        at: datetime,
        score: float = 0.0,
        groups: frozenset[str] = frozenset(),
        terms: Sequence[str] = (),
        headline: frozenset[str] = frozenset(),
        vector: np.ndarray | None = None,
        url: str | None = None,
    ) -> Entry:
        """An entry whose MinHash leaves out the seed terms the item matched: every alert of a seed
        shares those, so only the rest tells one story from another."""
        tokens = self.words.of(title, lead, lang) - self.words.of(" ".join(terms), "", lang)
        marks = self.marks.marks(title, lead, lang, source)
        return Entry(key, seed_id, title, source, lang, at, score, groups, nearcopy.minhash(tokens), len(tokens), headline, marks, unit(vector), is_opinion(url))

    def entry_for(self, alert: Alert, polled: datetime, vector: np.ndarray | None) -> Entry:
        """The entry of an alerting item at its publication time (or when polled, if later or
        unknown); `vector` is the item's embedding, or None when the semantic signal is off."""
        item = alert.item
        at = item.published if item.published and item.published <= polled else polled
        # the catalogue's groups: names in every language, so comparable across copies; a seed's
        # own terms in the evidence are words of one language and stay in the MinHash
        catalogue = [m for m in alert.matched if m.kind == "catalogue"]
        groups = frozenset(m.group for m in catalogue)
        headline = frozenset(m.group for m in catalogue if m.where == "title")
        terms = [m.term for m in catalogue]
        return self.entry(item.key, alert.seed_id, item.title, item.summary, item.source, item.lang, at, alert.score, groups, terms, headline, vector, item.url)


def is_opinion(url: str | None) -> bool:
    """Whether an article's address puts it in an opinion section: columns, editorials, cartoons,
    letters (theguardian.com/commentisfree/…, …/opinion/…, kompas.com/kolom/…, …/opinie/…).
    Outlets file these under a path of their own in every language we read; the text alone does
    not tell them from news (a column names people and coins words as a development does)."""
    parsed = parse_url(url)  # never raises: a malformed link is no opinion address
    return isinstance(parsed, Url) and _OPINION.search(parsed.path.casefold()) is not None


def unit(vector: np.ndarray | None) -> np.ndarray | None:
    """The vector as float32 of length 1 (float16 storage rounds it), or None."""
    if vector is None:
        return None
    v = np.asarray(vector, dtype=np.float32).reshape(-1)
    norm = float(np.linalg.norm(v))
    return v / norm if norm > 0 else None


def pack_vector(vector: np.ndarray) -> bytes:
    """A vector as the store keeps it (float16, little-endian)."""
    return np.asarray(vector, dtype=VECTOR_DTYPE).tobytes()


def unpack_vector(blob: bytes | None) -> np.ndarray | None:
    return unit(np.frombuffer(blob, dtype=VECTOR_DTYPE)) if blob else None
