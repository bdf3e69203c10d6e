"""Wire formats per service, built from the generic JSON payload (pure).

Every payload type (alert, digest, feed health, test) first becomes a `Note` of
plain text; each service then gets that text escaped its own way and cut to its
own limits. Links are kept only when they are http(s): a `javascript:` link is
dropped, never escaped into something clickable. `check_sinks` refuses, at start and in
`seedwatch check`, a sink that could never deliver.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import nh3

from monitor import wire
from monitor.config import WebhookConfig, located
from monitor.errors import DeliveryError
from monitor.urls import Url, parse_url

HEALTH_REASONS = {  # wire.feed_health "reason" -> what a person reads
    "failing": "The feed has been failing for a while.",
    "gone": "The server answered 410 Gone: the feed is disabled.",
    "silent": "Nothing new for far longer than usual.",
}
# C0 and C1 controls (the C1 CSI byte is an escape sequence to a terminal, as ESC is), zero-width, bidi
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
_DISCORD_MD = re.compile(r"([\\*_~`|\[\]()<>])")
# Service limits, from their docs: Slack section text 3000; Discord embed title 256,
# description 4096, field value 1024, 6000 in all; ntfy message 4096 bytes.
SLACK_TEXT, SLACK_FALLBACK = 3000, 300
DISCORD_TITLE, DISCORD_DESCRIPTION, DISCORD_FIELD = 256, 4096, 1024
NTFY_TITLE, NTFY_MESSAGE_BYTES = 250, 4096
SUMMARY = 600  # longer summaries belong in the article, not the notification
LISTED = 25  # digest entries shown in chat formats; the rest are counted
COLOURS = {"info": 0x2F6FDE, "warning": 0xD83C3E, "ok": 0x2E9E5B}


@dataclass(frozen=True)
class Line:
    """One entry of a digest."""

    title: str
    url: str | None
    detail: str


@dataclass(frozen=True)
class Note:
    """Any payload as plain, bounded text: what every chat format renders."""

    title: str
    text: str = ""
    url: str | None = None
    fields: tuple[tuple[str, str], ...] = ()
    lines: tuple[Line, ...] = ()
    more: int = 0
    tags: tuple[str, ...] = ("newspaper",)
    level: str = "info"
    timestamp: str | None = None


def plain(value: Any, limit: int) -> str:
    """Text with control and bidi characters removed, whitespace tidied, cut at `limit` with an ellipsis."""
    text = _CONTROL.sub("", str(value or "")).strip()
    text = re.sub(r"[ \t]+", " ", text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def safe_url(value: Any) -> str | None:
    """The URL if monitor.urls accepts it and it has no space (a space would end a chat link), else None."""
    if not isinstance(value, str) or _CONTROL.search(value) or any(c.isspace() for c in value):
        return None
    return value if isinstance(parse_url(value), Url) else None


def note(payload: dict[str, Any]) -> Note:
    """Whatever the outbox holds, as a Note; unknown types still say what they are."""
    kind = payload.get("type")
    if kind == wire.ALERT:
        return _alert_note(payload)
    if kind == wire.DIGEST:
        alerts = [p for p in payload.get("alerts", []) if isinstance(p, dict)]
        lines = tuple(_line(p) for p in alerts[:LISTED])
        count = int(payload.get("count") or len(alerts))
        reasons = ", ".join(payload.get("reasons") or [])
        text = f"{count} new match{'es' if count != 1 else ''}" + (f" (held: {reasons})" if reasons else "")
        return Note(f"Seedwatch digest: {count} new match{'es' if count != 1 else ''}", text, None, (), lines, max(0, len(alerts) - LISTED), timestamp=payload.get("created_at"))
    if kind == wire.FEED_HEALTH:
        feed = payload.get("feed") or {}
        name = plain(feed.get("name") or feed.get("url"), 200)
        if payload.get("status") == "recovered":
            return Note(f"Feed recovered: {name}", "The feed answers again; monitoring resumed.", safe_url(feed.get("url")), tags=("white_check_mark",), level="ok", timestamp=payload.get("created_at"))
        why = HEALTH_REASONS.get(payload.get("reason") or "", "")
        error = payload.get("last_error")
        text = " ".join(t for t in (why, f"Last error: {error}" if error else "") if t) or "No reason given."
        return Note(f"Feed failing: {name}", plain(text, SUMMARY), safe_url(feed.get("url")), tags=("warning",), level="warning", timestamp=payload.get("created_at"))
    if kind == wire.TEST:
        return Note("Seedwatch test event", plain(payload.get("message"), SUMMARY), tags=("white_check_mark",), level="ok", timestamp=payload.get("created_at"))
    return Note(f"Seedwatch event: {plain(kind, 100)}", plain(payload.get("id"), 100), timestamp=payload.get("created_at"))


def _alert_note(p: dict[str, Any]) -> Note:
    item, seed = p.get("item") or {}, p.get("seed") or {}
    fields = (("Seed", plain(seed.get("title") or seed.get("id"), 200)), ("Score", f"{float(p.get('score') or 0):.2f}"), ("Feed", plain(item.get("feed"), 200)))
    title = plain(item.get("title") or "(untitled)", 500)
    story = p.get("story") if isinstance(p.get("story"), dict) else {}
    parts = [e for e in p.get("why") or () if isinstance(e, (list, tuple)) and len(e) == 2 and isinstance(e[1], str)]
    why = [text for part, text in parts if part in ("names", "fact", "closest")]
    if why:  # the explanation, shortened: what the item shares with the seed
        fields += (("Why", plain("; ".join(why), 300)),)
    if p.get("band") == "related":  # below the alert threshold: a neighbouring thread, for the digest
        title = "Related: " + title
    if story.get("update"):  # a new development in a story already alerted
        title = "Update: " + title
        fields += (("Story", f"{int(story.get('items') or 0)} items from {len(story.get('sources') or ())} sources"),)
    return Note(title, plain(item.get("summary"), SUMMARY), safe_url(item.get("url")), fields, timestamp=p.get("created_at"))


def _line(p: dict[str, Any]) -> Line:
    n = note(p)
    detail = " · ".join(v for k, v in n.fields if k in ("Seed", "Score")) if n.fields else n.text
    return Line(plain(n.title, 200), n.url, plain(detail, 200))


# Slack ---------------------------------------------------------------------------
def slack_escape(text: str) -> str:
    """Slack's three control characters as entities; nothing else is encoded."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_link(url: str | None, label: str) -> str:
    return f"<{slack_escape(url)}|{slack_escape(label).replace('|', '¦')}>" if url else slack_escape(label)


def slack(n: Note) -> dict[str, Any]:
    """An incoming-webhook message: `text` is the notification fallback, blocks carry mrkdwn."""
    head = f"*{_slack_link(n.url, n.title)}*"
    body = slack_escape(n.text)
    if n.lines:
        entries = [f"• {_slack_link(line.url, line.title)} — {slack_escape(line.detail)}" for line in n.lines]
        body = _fit("\n".join(entries), SLACK_TEXT - len(head) - 40, n.more, len(entries))
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": _cut(f"{head}\n{body}" if body else head, SLACK_TEXT)}}]
    if n.fields:
        context = " · ".join(f"{k}: {slack_escape(v)}" for k, v in n.fields)
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _cut(context, SLACK_TEXT)}]})
    return {"text": slack_escape(plain(n.title, SLACK_FALLBACK)), "blocks": blocks}


# Discord --------------------------------------------------------------------------
def discord_escape(text: str) -> str:
    """Backslash-escape markdown and the `<@…>` mention syntax."""
    return _DISCORD_MD.sub(r"\\\1", text)


def discord(n: Note) -> dict[str, Any]:
    """One embed; `allowed_mentions.parse = []` so no text (say "@everyone") can ever ping."""
    embed: dict[str, Any] = {"title": plain(n.title, DISCORD_TITLE), "color": COLOURS.get(n.level, COLOURS["info"])}
    if n.url:
        embed["url"] = n.url
    description = discord_escape(n.text)
    if n.lines:
        entries = [f"• [{discord_escape(line.title)}]({line.url.replace('(', '%28').replace(')', '%29')}) — {discord_escape(line.detail)}" if line.url else f"• {discord_escape(line.title)} — {discord_escape(line.detail)}" for line in n.lines]
        description = _fit("\n".join(entries), DISCORD_DESCRIPTION - 40, n.more, len(entries))
    if description:
        embed["description"] = _cut(description, DISCORD_DESCRIPTION)
    if n.fields:
        embed["fields"] = [{"name": k, "value": _cut(discord_escape(v) or "-", DISCORD_FIELD), "inline": True} for k, v in n.fields]
    if n.timestamp:
        embed["timestamp"] = n.timestamp
    return {"username": "Seedwatch", "embeds": [embed], "allowed_mentions": {"parse": []}}


# ntfy --------------------------------------------------------------------------------
def ntfy(n: Note, topic: str) -> dict[str, Any]:
    """A JSON publish (POST to the server root); plain text, the item link as the click action."""
    parts = [n.text] if n.text else []
    if n.lines:
        parts.append("\n".join(f"• {line.title} — {line.detail}" + (f"\n  {line.url}" if line.url else "") for line in n.lines))
        if n.more:
            parts.append(f"…and {n.more} more")
    if n.fields:
        parts.append(" · ".join(f"{k}: {v}" for k, v in n.fields))
    body: dict[str, Any] = {
        "topic": topic,
        "title": plain(n.title, NTFY_TITLE),
        "message": _cut_bytes("\n\n".join(parts) or n.title, NTFY_MESSAGE_BYTES),
        "tags": list(n.tags),
        "priority": 4 if n.level == "warning" else 3,
    }
    if n.url:
        body["click"] = n.url
    return body


def ntfy_target(url: str) -> tuple[str, str]:
    """"https://ntfy.sh/mytopic" -> ("https://ntfy.sh/", "mytopic"): JSON is published to the root."""
    parts = urlsplit(url)
    prefix, _, topic = parts.path.rstrip("/").rpartition("/")
    return f"{parts.scheme}://{parts.netloc}{prefix}/", topic


# Apprise ----------------------------------------------------------------------------
def apprise_message(n: Note) -> tuple[str, str]:
    """(title, HTML body) for Apprise, which converts HTML for text-only services; sanitized by nh3."""
    esc = html.escape
    parts = [f"<p>{esc(n.text)}</p>"] if n.text else []
    if n.url:
        parts.append(f'<p><a href="{esc(n.url)}">{esc(n.url)}</a></p>')
    if n.lines:
        items = "".join(f'<li><a href="{esc(line.url)}">{esc(line.title)}</a> — {esc(line.detail)}</li>' if line.url else f"<li>{esc(line.title)} — {esc(line.detail)}</li>" for line in n.lines)
        parts.append(f"<ul>{items}</ul>" + (f"<p>…and {n.more} more</p>" if n.more else ""))
    if n.fields:
        parts.append("<p>" + "<br>".join(f"<b>{esc(k)}</b>: {esc(v)}" for k, v in n.fields) + "</p>")
    clean = nh3.clean("".join(parts), tags={"a", "b", "br", "li", "p", "ul"}, attributes={"a": {"href"}}, url_schemes={"http", "https"}, link_rel="noopener noreferrer")
    return plain(n.title, 250), clean


def render(fmt: str, payload: dict[str, Any], url: str) -> tuple[str, dict[str, Any]]:
    """(target URL, JSON body) for an HTTP format; `json` is the generic payload unchanged."""
    if fmt == "json":
        return url, payload
    n = note(payload)
    if fmt == "slack":
        return url, slack(n)
    if fmt == "discord":
        return url, discord(n)
    if fmt == "ntfy":
        root, topic = ntfy_target(url)
        return root, ntfy(n, topic)
    raise ValueError(f"no HTTP rendering for format {fmt!r}")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _cut_bytes(text: str, limit: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode("utf-8", "ignore") + "…"


def _fit(joined: str, limit: int, more: int, listed: int) -> str:
    """Digest lines cut at a line boundary to `limit`, with a count of what was left out."""
    lines = joined.split("\n")
    kept: list[str] = []
    for line in lines:
        if sum(len(k) + 1 for k in kept) + len(line) > limit:
            break
        kept.append(line)
    left = more + listed - len(kept)
    return "\n".join(kept) + (f"\n…and {left} more" if left else "")


def check_sinks(webhooks: tuple[WebhookConfig, ...], config: str | None = None) -> None:
    """Refuse sinks that could never deliver (see `_problem`), naming the key's file:line in
    `config` (the file the sinks were read from) when given, else the sink."""
    for n, hook in enumerate(webhooks):
        if problem := _problem(hook):
            where = located(config, ("webhooks", n, "url")) if config else f"webhooks \"{hook.name}\""
            raise DeliveryError(f"{where}: {problem}")


def _problem(hook: WebhookConfig) -> str | None:
    """Why this sink could never deliver, or None: an Apprise URL Apprise does not understand."""
    if hook.format != "apprise":
        return None
    import apprise

    if not apprise.Apprise().add(hook.url):
        return f"Apprise does not understand the URL \"{hook.url}\" (see the Apprise wiki for URL forms)"
    return None


def sink_warnings(webhooks: tuple[WebhookConfig, ...]) -> list[str]:
    """What in the sinks is allowed but likely a mistake: two sinks posting to one URL deliver
    every alert both take twice to the same place."""
    first: dict[str, WebhookConfig] = {}
    out = []
    for hook in webhooks:
        if (other := first.setdefault(hook.url, hook)) is not hook:
            out.append(f"webhooks \"{hook.name}\" posts to the same URL as \"{other.name}\": an alert both take arrives there twice (give one `seeds` or `min_score` apart, or drop one)")
    return out
