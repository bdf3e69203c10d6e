"""OPML subscription lists -> feeds to add (stdlib expat; entity declarations are refused).

Refusing every <!ENTITY> declaration is what defusedxml does: it closes both
entity-expansion bombs and external entities, and real OPML exports never declare one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NoReturn
from xml.parsers import expat

from monitor.errors import ConfigError


@dataclass(frozen=True)
class OpmlFeed:
    """One <outline xmlUrl=...>: the feed URL, its title and language, and where it was."""

    url: str
    name: str
    lang: str | None
    line: int


def parse_opml(data: bytes, source: str) -> list[OpmlFeed]:
    """Every outline with an xmlUrl, in document order, nested folders flattened."""
    parser = expat.ParserCreate()
    feeds: list[OpmlFeed] = []
    root: list[str] = []

    def refuse(*_args: Any) -> NoReturn:
        raise ConfigError(f"{source}:{parser.CurrentLineNumber}: OPML declares an XML entity; refused (entities can expand without bound)")

    def start(name: str, attrs: dict[str, str]) -> None:
        if not root:
            root.append(name)
            if name.lower() != "opml":
                raise ConfigError(f"{source}:{parser.CurrentLineNumber}: not an OPML document (root element <{name}>)")
        if name == "outline" and attrs.get("xmlUrl", "").strip():
            title = (attrs.get("title") or attrs.get("text") or "").strip()
            feeds.append(OpmlFeed(attrs["xmlUrl"].strip(), title, (attrs.get("language") or "").strip() or None, parser.CurrentLineNumber))

    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.StartElementHandler = start
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise ConfigError(f"{source}:{exc.lineno}: not well-formed XML: {expat.errors.messages[exc.code]}") from None
    if not root:
        raise ConfigError(f"{source}: empty document")
    return feeds
