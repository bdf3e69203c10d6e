"""A loopback feed server for the benchmarks, run as its own process so it never shares a GIL
with the program being measured.

Serves N pre-built RSS documents at /feed/<i>.xml with ETag and Last-Modified (304 on a match),
built from ../shared/corpus/*.jsonl items when present, else generated. Control endpoints:
POST /_control/add?feed=i (JSON {"title","summary","link"}: prepend an item, new validators),
POST /_control/churn?feeds=k (prepend a corpus item to k feeds), POST /_control/slow?feeds=k&seconds=s
(the first k feeds answer s seconds late; feeds=0 ends it), GET /_control/stats (requests,
200s, 304s, and GETs by feed index).

    python bench/feedserver.py --feeds 300 --items 30   # prints "port <n>" then serves
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import random
import subprocess
import sys
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
_WORDS = "market minister election storm vaccine league court budget energy river summit strike bank museum satellite harvest".split()


def corpus_items(limit: int, corpus: Path = CORPUS) -> list[dict[str, str]]:
    """Up to `limit` items from the shared corpus (title, summary, url, published), interleaving
    its files so every feed mixes languages; generated text when the corpus is absent."""
    files = sorted(corpus.glob("*.jsonl")) if corpus.is_dir() else []
    streams = [_read(f) for f in files]
    out: list[dict[str, str]] = []
    for batch in itertools.zip_longest(*streams):
        out += [item for item in batch if item]
        if len(out) >= limit:
            return out[:limit]
    rng = random.Random(7)
    while len(out) < limit:  # corpus absent or short: deterministic generated items
        i = len(out)
        words = " ".join(rng.choice(_WORDS) for _ in range(40))
        out.append({"title": f"Item {i}: {words[:60]}", "summary": words, "url": f"http://news.example.org/a/{i}", "published": "2025-06-01"})
    return out


def _read(path: Path):
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            try:
                item = json.loads(line)
            except ValueError:
                continue
            if item.get("title") and item.get("url"):
                yield item


def rss_document(index: int, items: list[dict[str, str]]) -> bytes:
    """One RSS 2.0 feed; guids are stable per item so re-serving it creates no new items."""
    parts = []
    for item in items:
        guid = hashlib.sha1(item["url"].encode()).hexdigest()[:16]
        parts.append(
            f"<item><title>{escape(item['title'])}</title><link>{escape(item['url'])}</link>"
            f'<guid isPermaLink="false">bench-{guid}</guid><description>{escape(item.get("summary") or "")}</description>'
            f"<pubDate>{_rfc822(item.get('published'))}</pubDate></item>"
        )
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>Bench feed {index}</title>'
        f"<link>http://bench.example.org/{index}</link><description>benchmark feed {index}</description>"
        + "".join(parts)
        + "</channel></rss>"
    ).encode()


def _rfc822(published: str | None) -> str:
    # corpus dates are ISO days; RFC 822 is what RSS readers expect
    try:
        from datetime import datetime, timezone

        day = datetime.fromisoformat((published or "2025-06-01")[:10]).replace(tzinfo=timezone.utc)
    except ValueError:
        return formatdate(0, usegmt=True)
    return formatdate(day.timestamp(), usegmt=True)


class Feeds:
    """The served documents and their validators; updated under a lock by control requests."""

    def __init__(self, feeds: int, per_feed: int, corpus: Path = CORPUS) -> None:
        pool = corpus_items(feeds * per_feed + 5000, corpus)
        self.items = [pool[i * per_feed : (i + 1) * per_feed] for i in range(feeds)]
        self.spare = iter(pool[feeds * per_feed :])
        self.lock = threading.Lock()
        self.version = [0] * feeds
        self.docs = [self._build(i) for i in range(feeds)]
        self.slow: dict[int, float] = {}  # feed index -> seconds its answers wait (POST /_control/slow)
        self.stats: dict[str, Any] = {"requests": 0, "200": 0, "304": 0, "by_feed": [0] * feeds}  # by_feed: GETs of each feed

    def _build(self, i: int) -> tuple[bytes, str, str]:
        body = rss_document(i, self.items[i])
        etag = f'"{i}-{self.version[i]}-{hashlib.sha1(body).hexdigest()[:8]}"'
        return body, etag, formatdate(1_700_000_000 + self.version[i], usegmt=True)

    def add(self, i: int, item: dict[str, str]) -> None:
        with self.lock:
            self.items[i] = [item, *self.items[i][:-1]]
            self.version[i] += 1
            self.docs[i] = self._build(i)

    def churn(self, count: int, rng: random.Random) -> int:
        changed = 0
        for i in rng.sample(range(len(self.docs)), min(count, len(self.docs))):
            item = next(self.spare, None)
            if item is None:
                break
            self.add(i, item)
            changed += 1
        return changed


def make_server(feeds: Feeds, port: int = 0) -> ThreadingHTTPServer:
    rng = random.Random(11)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # headers and body go out in separate writes: without TCP_NODELAY, Nagle plus the
        # client's delayed ACK stalls every keep-alive response by ~40 ms
        disable_nagle_algorithm = True

        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            path = urlsplit(self.path).path
            if path == "/_control/stats":
                self._send(200, json.dumps(feeds.stats).encode(), {"Content-Type": "application/json"})
                return
            try:
                index = int(path.removeprefix("/feed/").removesuffix(".xml"))
                body, etag, modified = feeds.docs[index]
            except (ValueError, IndexError):
                self._send(404, b"not found", {"Content-Type": "text/plain"})
                return
            if index in feeds.slow:
                time.sleep(feeds.slow[index])
            inm, ims = self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since")
            fresh = inm == etag if inm else ims == modified
            with feeds.lock:
                feeds.stats["requests"] += 1
                feeds.stats["304" if fresh else "200"] += 1
                feeds.stats["by_feed"][index] += 1
            headers = {"ETag": etag, "Last-Modified": modified}
            if fresh:
                self._send(304, b"", headers)
            else:
                self._send(200, body, {"Content-Type": "application/rss+xml; charset=utf-8", **headers})

        def do_POST(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if parts.path == "/_control/add":
                feeds.add(int(query["feed"]), json.loads(body))
                self._send(200, b"{}", {"Content-Type": "application/json"})
            elif parts.path == "/_control/churn":
                changed = feeds.churn(int(query.get("feeds", "10")), rng)
                self._send(200, json.dumps({"changed": changed}).encode(), {"Content-Type": "application/json"})
            elif parts.path == "/_control/slow":
                feeds.slow = {i: float(query.get("seconds", "1")) for i in range(int(query.get("feeds", "0")))}
                self._send(200, b"{}", {"Content-Type": "application/json"})
            else:
                self._send(404, b"not found", {"Content-Type": "text/plain"})

        def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body:
                self.wfile.write(body)

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        allow_reuse_address = True
        request_queue_size = 512  # newsboat and rss2email open many connections at once

    return Server(("127.0.0.1", port), Handler)


class ServerProcess:
    """Starts this module as a child process on a free loopback port; `close()` stops it."""

    def __init__(self, feeds: int, per_feed: int) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--feeds", str(feeds), "--items", str(per_feed)],
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line.startswith("port "):
            self.proc.kill()
            raise RuntimeError(f"feed server did not start: {line!r}")
        self.port = int(line.split()[1])
        self.count = feeds

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def feed_urls(self) -> list[str]:
        return [self.url(f"/feed/{i}.xml") for i in range(self.count)]

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)

    def __enter__(self) -> "ServerProcess":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feeds", type=int, default=300)
    parser.add_argument("--items", type=int, default=30)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    server = make_server(Feeds(args.feeds, args.items), args.port)
    parent = os.getppid()

    def watch_parent() -> None:  # a killed benchmark must not leave its server behind
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch_parent, daemon=True).start()
    print(f"port {server.server_address[1]}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
