"""Poll a hostile feed set with `seedwatch once` and print its peak memory and wall time.

Serves, on 127.0.0.1 only: a gzip bomb (1 MiB -> 1 GiB), an endless body, a 1 byte/s
trickle, a silent server, billion laughs, a quadratic entity blowup, an external entity,
bad code points, an HTML error page, a redirect loop, 410, 429 and 500 — among ordinary
feeds. Targets: peak RSS under 200 MB; wall time within fetch.timeout plus a few seconds.

    python bench/bench_hostile.py [--timeout 10] [--good 40]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.feeds import Entry, rss  # noqa: E402
from tests.fetchkit import config_file  # noqa: E402
from tests.servers import FeedServer, endless, gzip_bomb, silence, trickle  # noqa: E402

CHANNEL = '<rss version="2.0"><channel><title>T</title><link>http://example.org/</link><description>d</description>{}</channel></rss>'


def hostile(server: FeedServer) -> list[str]:
    item = "<item><title>{}</title><link>http://news.example.org/{}</link></item>"
    laughs = "".join(f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    server.set("/loop-b", status=302, headers={"Location": "/loop-a"})
    return [
        server.set("/bomb", handler=gzip_bomb),
        server.set("/endless", handler=endless),
        server.set("/trickle", handler=trickle(rss([Entry("slow", "s", "http://news.example.org/slow")]).encode(), every=1.0)),
        server.set("/silence", handler=silence),
        server.set("/laughs", f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY l0 "lol">{laughs}]>' + CHANNEL.format(item.format("&l9;", "l"))),
        server.set("/quadratic", '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "' + "a" * 50_000 + '">]>' + CHANNEL.format(item.format("&a;" * 20_000, "q"))),
        server.set("/xxe", '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + CHANNEL.format(item.format("&x;", "x"))),
        server.set("/codepoints", CHANNEL.format(item.format("a &#xD800; b &#x110000; c", "cp"))),
        server.set("/html", "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>", headers={"Content-Type": "text/html"}),
        server.set("/loop-a", status=302, headers={"Location": "/loop-b"}),
        server.set("/gone", "gone", status=410),
        server.set("/throttled", "slow down", status=429, headers={"Retry-After": "3600"}),
        server.set("/error", "boom", status=500),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=10.0, help="fetch.timeout in seconds (default 10)")
    parser.add_argument("--good", type=int, default=40, help="ordinary feeds served alongside (default 40)")
    args = parser.parse_args()
    server = FeedServer()
    try:
        bad = hostile(server)
        good = [server.set(f"/good/{i}", rss([Entry(f"Ordinary news {i}-{j}", "text", f"http://news.example.org/g{i}-{j}") for j in range(20)])) for i in range(args.good)]
        with tempfile.TemporaryDirectory() as tmp:
            cfg = config_file(
                Path(tmp), [{"url": u} for u in bad + good],
                fetch={"timeout": f"{args.timeout:g}s", "max_body": "10MiB", "concurrency": 8, "per_host": 8},
            )
            started = time.monotonic()
            proc = subprocess.run(
                [sys.executable, "-m", "monitor", "once", "--json", "--config", str(cfg)],
                cwd=ROOT, capture_output=True, text=True, timeout=600, env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
            wall = time.monotonic() - started
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
    finally:
        server.close()
    if proc.returncode != 0:
        print(proc.stderr, file=sys.stderr)
        return 1
    lines = {line["feed"]: line for line in map(json.loads, proc.stdout.splitlines())}
    good_ok = sum(lines[u]["status"] == "ok" for u in good)
    print(f"feeds: {len(bad)} hostile + {len(good)} ordinary; ordinary ok: {good_ok}/{len(good)}")
    for url in bad:
        line = lines[url]
        print(f"  {url.rsplit('/', 1)[1]:<11} {line['status']:<6} {(line['error'] or '')[:110]}")
    print(f"peak memory (max RSS of `seedwatch once`): {peak_mb:.1f} MB (target < 200 MB)")
    print(f"wall time: {wall:.2f} s (fetch.timeout {args.timeout:g} s; target <= timeout + a few s)")
    return 0 if good_ok == len(good) else 1


if __name__ == "__main__":
    sys.exit(main())
