"""A feed in UTF-16 is read by its byte-order mark, whatever its Content-Type or declaration say."""

from __future__ import annotations

import codecs

import pytest

from monitor.ingest.parse import parse_feed

FEED = """{decl}<rss version="2.0"><channel><title>Wiadomości</title>
<item><title>Zahawi zwolniony: Sunak „działał zdecydowanie”</title><link>https://example.pl/a</link>
<guid>a</guid><description>Przewodniczący Partii Konserwatywnej odszedł.</description></item>
</channel></rss>"""


@pytest.mark.parametrize("decl", ["", '<?xml version="1.0"?>\n', '<?xml version="1.0" encoding="utf-16"?>\n', "<?xml version='1.0' encoding='UTF-8'?>\n"])
@pytest.mark.parametrize(("mark", "codec"), [(codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")])
@pytest.mark.parametrize("content_type", ["application/rss+xml", "application/rss+xml; charset=utf-8", "text/xml; charset=utf-16"])
def test_a_utf16_feed_is_read_by_its_mark(decl: str, mark: bytes, codec: str, content_type: str) -> None:
    body = mark + FEED.format(decl=decl).encode(codec)
    parsed = parse_feed(body, {"Content-Type": content_type}, "https://example.pl/rss", "")
    [item] = parsed.items
    assert item.title == "Zahawi zwolniony: Sunak „działał zdecydowanie”"
    assert item.summary == "Przewodniczący Partii Konserwatywnej odszedł." and parsed.title == "Wiadomości"
