"""Feed bytes + response headers -> FeedItems, through feedparser (never given a URL)."""

from __future__ import annotations

import codecs
import io
import re
from dataclasses import dataclass
from datetime import timezone, tzinfo
from typing import Any
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

import feedparser

from monitor.ingest import dates
from monitor.ingest.clean import canonical_url, html_to_text, item_key, strip_controls
from monitor.ingest.clean import link as clean_link
from monitor.types import FeedItem

# feedparser's fallback (non-strict) parser expands internal entities without limit,
# so a 110 KB "quadratic blowup" becomes gigabytes: refuse any document that declares them.
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.I)
_ENTITY = re.compile(rb"<!ENTITY", re.I)
# Numeric references to surrogates or past U+10FFFF make feedparser raise (chr(), UTF-8 encode):
# they become U+FFFD so the rest of the feed still counts.
_CHAR_REF = re.compile(rb"&#(?:[xX]([0-9a-fA-F]{1,16})|([0-9]{1,20}));")
_XML_ENCODING = re.compile(r"""^(\s*<\?xml[^>]*?\bencoding\s*=\s*)(["'])[^"']*\2""")
_UTF16 = ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_HTML = re.compile(r"<(?:!DOCTYPE\s+html|html[\s>])", re.I)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)
# Caps on what one item may bring: a 1 MB title was stored, POSTed and logged whole
MAX_TITLE = 500
MAX_SUMMARY = 4000
MAX_TEXT = 50_000  # the body text scored (content:encoded); longer articles are cut, not refused
MAX_SOURCE = 200  # a feed's own title, the items' source when the config names none


@dataclass(frozen=True)
class ParsedFeed:
    """What one document held: items, the feed's own title and language, polling hints."""

    items: tuple[FeedItem, ...]
    title: str
    lang: str | None
    ttl: float | None  # seconds, from <ttl> or sy:updatePeriod/updateFrequency
    problem: str | None  # feedparser's bozo message when it still produced entries


class ParseError(Exception):
    """The body is not a usable feed; message says why."""


_PERIOD = {"hourly": 3600, "daily": 86400, "weekly": 7 * 86400, "monthly": 30 * 86400, "yearly": 365 * 86400}


def parse_feed(body: bytes, headers: dict[str, str], feed_url: str, source: str, lang: str | None = None, tz: str | None = None) -> ParsedFeed:
    """Parse one feed document; raise ParseError when there is nothing usable.

    Relative item links are resolved against `feed_url`, the URL the document was polled from.
    `tz` (an IANA name, the feed's `timezone`) is the zone of dates that name none (monitor.ingest.dates).
    """
    if declares_entities(body):
        raise ParseError("document declares XML entities (refused: entity expansion attack risk)")
    body, headers = _utf16_by_mark(body, headers)
    try:
        parsed = feedparser.parse(
            io.BytesIO(_CHAR_REF.sub(_safe_char_ref, body)),
            response_headers={k.lower(): v for k, v in headers.items()},
            sanitize_html=False,  # we reduce HTML to text ourselves
            resolve_relative_uris=False,
        )
    except Exception as exc:  # feedparser still raises on some malformed input; one feed's problem, not ours
        raise ParseError(f"feedparser failed: {type(exc).__name__}: {exc}") from None
    feed = parsed.get("feed", {})
    entries = parsed.get("entries", [])
    problem = str(parsed.get("bozo_exception", "")) or None if parsed.get("bozo") else None
    if not entries and not parsed.get("version"):
        raise ParseError(f"not a feed: {_describe(body, problem)} (Content-Type {_content_type(headers)!r})")
    feed_lang = lang or _short_lang(feed.get("language"))
    source_name = source or _cap(html_to_text(feed.get("title")), MAX_SOURCE) or feed_url
    zone = ZoneInfo(tz) if tz else timezone.utc
    items = tuple(item for e in entries if (item := _item(e, feed_url, source_name, feed_lang, zone)) is not None)
    return ParsedFeed(items, _cap(html_to_text(feed.get("title")), MAX_SOURCE), feed_lang, _ttl(feed), problem)


def _utf16_by_mark(body: bytes, headers: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    """A document that starts with a UTF-16 byte-order mark, re-encoded as UTF-8 with its
    declaration and Content-Type saying so. The mark decides (XML 1.0, appendix F); feedparser
    instead trusts a charset header or a declaration, and without a declaration it reads the
    document as UTF-8 and gives up at the first NUL."""
    if body.startswith(codecs.BOM_UTF32_LE):
        return body, headers
    for mark, codec in _UTF16:
        if body.startswith(mark):
            try:
                text = body[len(mark) :].decode(codec)
            except UnicodeDecodeError:
                return body, headers  # not UTF-16 after all: feedparser says what it makes of it
            text = _XML_ENCODING.sub(r"\1\2utf-8\2", text, count=1)
            kind = _content_type(headers).partition(";")[0].strip() or "application/xml"
            others = {k: v for k, v in headers.items() if k.lower() != "content-type"}
            return text.encode("utf-8"), {**others, "Content-Type": f"{kind}; charset=utf-8"}
    return body, headers


def declares_entities(body: bytes) -> bool:
    """True when a DOCTYPE declares entities; NULs are dropped first so UTF-16/32 text is caught too."""
    view = body.replace(b"\x00", b"") if b"\x00" in body else body
    doctype = _DOCTYPE.search(view)
    return bool(doctype and _ENTITY.search(view, doctype.end()))


def _safe_char_ref(m: re.Match[bytes]) -> bytes:
    code = int(m.group(1), 16) if m.group(1) else int(m.group(2))
    return m.group(0) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else b"&#xFFFD;"


def _describe(body: bytes, problem: str | None) -> str:
    """What came instead of a feed, for the error message (an error page is the usual case)."""
    head = body[:8192].decode("utf-8", "replace")
    if not _HTML.search(head):
        return f"unreadable ({problem})" if problem else "no RSS, Atom or RDF document"
    title = _TITLE.search(head)
    return f"an HTML page titled \"{html_to_text(title.group(1))[:80]}\"" if title else "an HTML page"


def _content_type(headers: dict[str, str]) -> str:
    return next((v for k, v in headers.items() if k.lower() == "content-type"), "")


def _absolute(link: str, feed_url: str) -> str:
    """A relative item link resolved against the feed's URL (feedparser only applies xml:base, since
    it never sees the URL: a feed with `<link>/news/1</link>` would otherwise alert with a dead link)."""
    try:
        return urljoin(feed_url, link) if link else link
    except ValueError:  # e.g. a malformed IPv6 host: kept as written, it is no worse than before
        return link


def _item(entry: Any, feed_url: str, source: str, lang: str | None, zone: tzinfo) -> FeedItem | None:
    title = _cap(html_to_text(entry.get("title")), MAX_TITLE)
    summary_html = entry.get("summary") or ""
    content = entry.get("content") or []
    text = html_to_text(" ".join(c.get("value", "") for c in content))[:MAX_TEXT] if content else ""
    summary = html_to_text(summary_html) or text
    if not title and not summary:
        return None
    link = _absolute(strip_controls(entry.get("link") or ""), feed_url) or None
    guid = strip_controls(entry.get("id") or "") or None
    return FeedItem(
        key=item_key(guid, link, title, summary),
        feed_url=feed_url,
        title=title,
        url=clean_link(link),  # a link monitor.urls refuses is no link: never fetched, POSTed or shown
        summary=_cap(summary, MAX_SUMMARY),
        published=dates.published(entry, zone),
        source=source,
        lang=_short_lang(entry.get("language")) or lang,
        text=text if text != summary else "",
        canonical_url=canonical_url(link),
    )


def _cap(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _short_lang(value: Any) -> str | None:
    if not value or not isinstance(value, str):
        return None
    return value.strip().lower().replace("_", "-").split("-")[0][:8] or None


def _ttl(feed: Any) -> float | None:
    try:
        if feed.get("ttl"):
            return float(feed["ttl"]) * 60
        period = feed.get("sy_updateperiod")
        if period in _PERIOD:
            return _PERIOD[period] / max(1, int(feed.get("sy_updatefrequency") or 1))
    except (TypeError, ValueError):
        return None
    return None
