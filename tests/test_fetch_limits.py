"""Hostile servers on 127.0.0.1: gzip bomb, endless body, trickle, silence; none may hold up the others."""

from __future__ import annotations

import gzip
import json
import tracemalloc
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.config import FetchSection
from monitor.ingest.fetch import Fetcher
from monitor.ingest.netguard import Guard
from monitor.types import Fetched, FetchFailed
from tests.conftest import seedwatch
from tests.feeds import UNRELATED, Entry, rss
from tests.fetchkit import config_file, fetch_once
from tests.servers import (
    FeedServer,
    endless,
    gzip_bomb,
    gzip_bomb_body,
    silence,
    trickle,
)

BODY = rss(UNRELATED).encode()


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    f = Fetcher(FetchSection(timeout=2.0, max_body=2**20), Guard(allow_private=True))
    yield f
    f.close()



def test_gzip_and_deflate_bodies_are_inflated(feed_server: FeedServer, fetcher: Fetcher) -> None:
    gz = feed_server.set("/gz", gzip.compress(BODY), headers={"Content-Encoding": "gzip"})
    raw = zlib.compressobj(6, zlib.DEFLATED, -15)
    deflate = feed_server.set("/deflate", raw.compress(BODY) + raw.flush(), headers={"Content-Encoding": "deflate"})
    wrapped = feed_server.set("/zlib", zlib.compress(BODY), headers={"Content-Encoding": "deflate"})
    for url in (gz, deflate, wrapped):
        result = fetch_once(fetcher, url)
        assert isinstance(result, Fetched) and result.body == BODY, url


def test_gzip_bomb_stops_at_the_cap_in_bounded_memory(feed_server: FeedServer, fetcher: Fetcher) -> None:
    body = gzip_bomb_body()
    assert len(body) < 1.1 * 2**20  # about 1 MiB on the wire that inflates to 1 GiB
    url = feed_server.set("/bomb", handler=gzip_bomb)
    tracemalloc.start()
    try:
        result = fetch_once(fetcher, url)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert isinstance(result, FetchFailed) and result.kind == "too_large"
    assert "1048576" in result.message
    assert peak < 16 * 2**20  # the 1 MiB cap plus one chunk, not 1 GiB


def test_unknown_content_encoding_is_a_clear_error(feed_server: FeedServer, fetcher: Fetcher) -> None:
    url = feed_server.set("/br", b"\x00\x01", headers={"Content-Encoding": "br"})
    result = fetch_once(fetcher, url)
    assert isinstance(result, FetchFailed) and result.kind == "encoding" and "'br'" in result.message


def test_endless_body_without_length_stops_at_the_cap(feed_server: FeedServer, fetcher: Fetcher) -> None:
    url = feed_server.set("/endless", handler=endless)
    result = fetch_once(fetcher, url)
    assert isinstance(result, FetchFailed) and result.kind == "too_large"


def test_declared_length_over_the_cap_is_refused_before_reading(feed_server: FeedServer, fetcher: Fetcher) -> None:
    url = feed_server.set("/big", b"x" * (2**20 + 1))
    result = fetch_once(fetcher, url)
    assert isinstance(result, FetchFailed) and result.kind == "too_large"


def test_one_byte_per_second_trickle_hits_the_total_deadline(feed_server: FeedServer, fetcher: Fetcher) -> None:
    url = feed_server.set("/trickle", handler=trickle(BODY, every=1.0))
    result = fetch_once(fetcher, url)
    assert isinstance(result, FetchFailed) and result.kind == "timeout"
    assert "within 2 s" in result.message


def test_accept_then_silence_times_out(feed_server: FeedServer, fetcher: Fetcher) -> None:
    url = feed_server.set("/silent", handler=silence)
    result = fetch_once(fetcher, url)
    assert isinstance(result, FetchFailed) and result.kind == "timeout"


def test_one_hostile_feed_among_many_delays_no_other(tmp_path: Path, feed_server: FeedServer) -> None:
    hostile = [
        feed_server.set("/h/silent", handler=silence),
        feed_server.set("/h/trickle", handler=trickle(BODY, every=1.0)),
        feed_server.set("/h/bomb", handler=gzip_bomb),
        feed_server.set("/h/endless", handler=endless),
    ]
    good = [feed_server.set(f"/g/{i}", rss([Entry(f"Good news {i}", "fine", f"http://news.example.org/good-{i}")])) for i in range(8)]
    # one host, so the per-host limit is what keeps the good feeds moving while hostile ones hang
    cfg = config_file(tmp_path, [{"url": u} for u in hostile + good], fetch={"timeout": "2s", "max_body": "1MiB", "concurrency": 4, "per_host": 4})
    out = seedwatch("once", "--json", "--config", str(cfg))
    assert out.returncode == 0, out.stderr
    lines = {line["feed"]: line for line in map(json.loads, out.stdout.splitlines())}
    assert [lines[u]["status"] for u in good] == ["ok"] * 8
    assert all(lines[u]["new"] == 1 for u in good)
    errors = {u.rsplit("/", 1)[1]: lines[u]["error"] for u in hostile}
    assert "within 2 s" in errors["silent"] and "within 2 s" in errors["trickle"]
    assert "larger than 1048576" in errors["bomb"] and "larger than 1048576" in errors["endless"]
