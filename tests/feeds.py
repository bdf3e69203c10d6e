"""Feed documents written by us for tests: RSS 2.0, Atom and RDF builders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import format_datetime
from xml.sax.saxutils import escape


@dataclass(frozen=True)
class Entry:
    title: str
    summary: str = ""
    link: str | None = None
    guid: str | None = None
    published: datetime | None = None


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def rss(entries: list[Entry], title: str = "Test feed", extra_channel: str = "") -> str:
    out = []
    for e in entries:
        parts = [f"<title>{escape(e.title)}</title>"]
        if e.link:
            parts.append(f"<link>{escape(e.link)}</link>")
        if e.guid:
            parts.append(f'<guid isPermaLink="false">{escape(e.guid)}</guid>')
        if e.summary:
            parts.append(f"<description>{escape(e.summary)}</description>")
        parts.append(f"<pubDate>{format_datetime(e.published or _now())}</pubDate>")
        out.append("<item>" + "".join(parts) + "</item>")
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>http://example.org/</link><description>t</description>{extra_channel}"
        + "".join(out)
        + "</channel></rss>"
    )


def atom(entries: list[Entry], title: str = "Test atom") -> str:
    out = []
    for i, e in enumerate(entries):
        when = (e.published or _now()).isoformat()
        link = f'<link href="{escape(e.link)}"/>' if e.link else ""
        out.append(
            f"<entry><title>{escape(e.title)}</title>{link}<id>{escape(e.guid or f'urn:test:{i}')}</id>"
            f"<updated>{when}</updated><summary type=\"html\">{escape(e.summary)}</summary></entry>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{escape(title)}</title><id>urn:test</id><updated>{_now().isoformat()}</updated>" + "".join(out) + "</feed>"
    )


def rdf(entries: list[Entry], title: str = "Test rdf") -> str:
    out = []
    for e in entries:
        out.append(
            f'<item rdf:about="{escape(e.link or "")}"><title>{escape(e.title)}</title><link>{escape(e.link or "")}</link>'
            f"<description>{escape(e.summary)}</description><dc:date>{(e.published or _now()).isoformat()}</dc:date></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f'<channel rdf:about="http://example.org/"><title>{escape(title)}</title><link>http://example.org/</link><description>t</description></channel>'
        + "".join(out)
        + "</rdf:RDF>"
    )


# A related development in the seed's own language and in English.
RELATED_ID = Entry(
    "NATO desak Korsel kirim senjata ke Ukraina",
    "Sekjen NATO Stoltenberg di Seoul meminta Korea Selatan mengirim senjata dan amunisi untuk Ukraina melawan invasi Rusia.",
    "http://news.example.org/nato-korsel-senjata",
)
UNRELATED = [
    Entry("Harga cabai naik menjelang Lebaran", "Pedagang di pasar mengeluhkan kenaikan harga.", "http://news.example.org/cabai"),
    Entry("Local bakery wins pastry award", "The shop on Main Street won the regional prize.", "http://news.example.org/bakery"),
]
# Another story of the bundled seed (score 0.9), sharing no headline word with RELATED_ID.
KORUT = Entry("Korut bantah kirim senjata ke Rusia", "Pyongyang membantah tuduhan AS.", "http://news.example.org/korut-bantah")
# A second seed that can alert (on TANKS), and that neither RELATED_ID nor KORUT touches (nor it them).
TANKS_SEED = "Japan sends tanks to Poland\nJapan will send tanks to Poland, the Japanese defence ministry said in Tokyo on Monday. Poland thanked Japan for the tanks.\n"
TANKS = Entry("Japan ships tanks to Poland", "The first Japanese tanks arrived in Poland.", "http://news.example.org/tanks")
