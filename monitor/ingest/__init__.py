"""Ingest: a feed URL in, clean FeedItems out, and what the poll taught us about the feed.

`fetch` (httpx within limits: conditional GET, total deadline, size cap, redirects, per-host
slots) through `netguard` (the SSRF guard and deadline in the connection layer),
`cachecontrol` (validators, next poll, backoff: pure), `parse` (bytes + headers -> entries via
feedparser, never a URL), `clean` (HTML -> text with bs4, canonical URLs, stable keys),
`feedhealth` (cadence and failing/silent/recovered decisions: pure), `opml`, and `parsepool`
(parsing in forked worker processes). Network I/O is confined to `fetch` and `netguard`.

May import: monitor core (types, errors, wire, headers) and config.
"""
