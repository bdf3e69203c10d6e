"""Add [[feeds]] tables to a config file's text, keeping every comment and line as it was.

Used by `seedwatch feeds add` and `seedwatch import-opml`. The new text is
validated as a whole before it replaces the file (atomically), so a bad edit
never leaves a config the daemon would refuse on its next reload.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from monitor.config import FeedConfig, Settings, validate
from monitor.errors import ConfigError

_HEADER = re.compile(r"^\s*\[")
_FEEDS_HEADER = re.compile(r"^\s*\[\[\s*feeds\s*\]\]")


@dataclass(frozen=True)
class NewFeed:
    """A feed to add; empty name and None lang are left out of the table."""

    url: str
    name: str = ""
    lang: str | None = None


def check_feed(feed: NewFeed) -> str | None:
    """Why the feed is invalid as a [[feeds]] table, or None when it is fine."""
    try:
        FeedConfig(url=feed.url, name=feed.name, lang=feed.lang)
    except ValidationError as exc:
        return str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
    return None


def feed_table(feed: NewFeed) -> str:
    # a JSON string literal is a valid TOML basic string (same escapes)
    lines = ["[[feeds]]", f"url = {json.dumps(feed.url, ensure_ascii=False)}"]
    if feed.name:
        lines.append(f"name = {json.dumps(feed.name, ensure_ascii=False)}")
    if feed.lang:
        lines.append(f"lang = {json.dumps(feed.lang, ensure_ascii=False)}")
    return "\n".join(lines) + "\n"


def add_feeds(text: str, feeds: list[NewFeed]) -> str:
    """`text` with one table per feed after the last [[feeds]] table (or at the end)."""
    lines = text.splitlines(keepends=True)
    starts = [n for n, line in enumerate(lines) if _FEEDS_HEADER.match(line)]
    block = "".join("\n" + feed_table(f) for f in feeds)
    if not starts:
        return text + ("" if not text or text.endswith("\n") else "\n") + block
    end = len(lines)
    for n in range(starts[-1] + 1, len(lines)):
        if _HEADER.match(lines[n]):
            end = n
            break
    # comments and blank lines just before the next table belong to that table
    while end > starts[-1] + 1 and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
        end -= 1
    head = "".join(lines[:end])
    if head and not head.endswith("\n"):
        head += "\n"
    return head + block + "".join(lines[end:])


def append_feeds(path: Path, feeds: list[NewFeed]) -> Settings:
    """Add `feeds` to the config file at `path`; ConfigError (file untouched) if the result is invalid."""
    text = path.read_text(encoding="utf-8")
    new_text = add_feeds(text, feeds)
    try:
        raw = tomllib.loads(new_text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: adding [[feeds]] tables would break the file ({exc}); add them by hand") from None
    settings = validate(raw, new_text, path)
    _write_atomic(path, new_text)
    return settings


def _write_atomic(path: Path, text: str) -> None:
    """Replace the file in one rename, keeping its permission bits."""
    mode = path.stat().st_mode & 0o7777
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
