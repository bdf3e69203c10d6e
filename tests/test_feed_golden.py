"""The real feed documents of ../shared/feeds as golden tests: a document in, its items out.

Each document is parsed as the pipeline parses a fetched body (`parse_feed`: bytes plus a
Content-Type sniffed from its root element, without charset, as many servers send it) and the
result is compared with tests/golden/feeds/<document stem>.json: the feed's title and language,
whether feedparser complained about a document it still read (`problem`), and per item its key, title, url, canonical_url, published, lang and the first 200 characters
of its summary; a document that is no usable feed records its ParseError message instead.
Only the expected outputs are committed, never the documents. Skipped when ../shared is absent.

After an intended change of parsing, rewrite the files and review the diff:
    SEEDWATCH_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_feed_golden.py; git diff tests/golden/feeds
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from monitor.ingest.parse import ParseError, parse_feed
from tests.conftest import SHARED
from tests.goldenkit import GOLDEN, check_golden, updating

FEEDS = SHARED / "feeds"
DOCUMENTS = sorted(FEEDS.glob("*.xml")) if FEEDS.is_dir() else []
ABSENT = f"{FEEDS} is absent: the real-feed golden tests need the shared fixtures next to the repo"
SUMMARY = 200
pytestmark = pytest.mark.shared


def content_type(body: bytes) -> str:
    """What a server would plausibly send for this document, from its root element."""
    head = body[:4096].lstrip(b"\xef\xbb\xbf").lower()
    if b"<feed" in head:
        return "application/atom+xml"
    if b"<rdf:rdf" in head:
        return "application/rdf+xml"
    return "application/rss+xml"


def parsed(path: Path) -> dict[str, Any]:
    """The golden record of one document: what parse_feed made of it (or why it refused it)."""
    body = path.read_bytes()
    kind = content_type(body)
    base = f"https://feeds.example.org/{path.stem}.xml"  # relative links resolve against the feed's URL
    record: dict[str, Any] = {"document": path.name, "content_type": kind, "feed_url": base}
    try:
        feed = parse_feed(body, {"Content-Type": kind}, base, "")
    except ParseError as exc:
        return {**record, "error": str(exc)}
    items = [
        {
            "key": i.key, "title": i.title, "url": i.url, "canonical_url": i.canonical_url,
            "published": i.published.isoformat() if i.published else None, "lang": i.lang, "summary": i.summary[:SUMMARY],
        }
        for i in feed.items
    ]
    # whether feedparser complained, not its words: they name the charset its detector guessed, and
    # which detector feedparser finds installed (chardet, or none) changes the guess
    return {**record, "error": None, "problem": bool(feed.problem), "title": feed.title, "lang": feed.lang, "items": items}


@pytest.mark.parametrize("path", DOCUMENTS or [None], ids=lambda p: p.stem if p else "absent")
def test_real_feed_parses_to_its_golden_items(path: Path | None) -> None:
    if path is None:
        pytest.skip(ABSENT)
    check_golden(f"feeds/{path.stem}.json", parsed(path))


def test_every_golden_file_has_its_document() -> None:
    if not DOCUMENTS:
        pytest.skip(ABSENT)
    if updating():
        for stale in {p.stem for p in (GOLDEN / "feeds").glob("*.json")} - {p.stem for p in DOCUMENTS}:
            (GOLDEN / "feeds" / f"{stale}.json").unlink()
    assert sorted(p.stem for p in (GOLDEN / "feeds").glob("*.json")) == [p.stem for p in DOCUMENTS]
    assert len(DOCUMENTS) == 73  # the set SOURCES.md describes
