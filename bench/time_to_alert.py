"""Time to alert: an item related to the seed appears in one served feed -> the webhook receiver
gets its alert from `seedwatch run`. Prints p50/p95/max against the poll interval.

    /work/venv/bin/python bench/time_to_alert.py            # 300 feeds, 5 s interval, 20 samples
    /work/venv/bin/python bench/time_to_alert.py --quick    # 50 feeds, 6 samples

Items appear at random moments, so the wait for the next poll of that feed is uniform over
the interval (plus its jitter): p95 lands near interval + work + delivery. The config sets
`delivery_interval = "1s"` (the default is 10 s, which adds up to 10 s to every alert).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import measure  # noqa: E402
from feedserver import ServerProcess  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.feeds import RELATED_ID  # noqa: E402
from tests.servers import WebhookReceiver  # noqa: E402


def add_item(server: ServerProcess, feed: int, item: dict[str, str]) -> None:
    request = urllib.request.Request(server.url(f"/_control/add?feed={feed}"), data=json.dumps(item).encode(), method="POST")
    with urllib.request.urlopen(request, timeout=5) as resp:
        resp.read()


def requests_served(server: ServerProcess) -> int:
    with urllib.request.urlopen(server.url("/_control/stats"), timeout=5) as resp:
        return int(json.loads(resp.read())["requests"])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-semantic", action="store_true", help="monitor.semantic = false (the model costs seconds per start and ~0.1 s per item)")
    parser.add_argument("--feeds", type=int, default=300)
    parser.add_argument("--items", type=int, default=30)
    parser.add_argument("--interval", type=float, default=5.0, help="poll interval, seconds")
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="50 feeds, 6 samples")
    args = parser.parse_args()
    if args.quick:
        args.feeds, args.samples = min(args.feeds, 50), 6

    rng = random.Random(5)
    base = Path(tempfile.mkdtemp(prefix="seedwatch-tta-"))
    receiver = WebhookReceiver()
    latencies: list[float] = []
    missed = 0
    try:
        with ServerProcess(args.feeds, args.items) as server:
            # every sample is the same related text under a new link: story folding would (rightly) hold
            # all but the first back as one story, so it is off here; this measures fetch -> alert -> webhook
            config = measure.seedwatch_config(base, server.feed_urls(), interval=f"{args.interval:g}s", webhook=receiver.url("/hook"), max_age="14d", stories=False, semantic=not args.no_semantic)
            log = (base / "daemon.log").open("w")
            daemon = subprocess.Popen([sys.executable, "-m", "monitor", "run", "--config", str(config)], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONPATH": str(ROOT)})
            try:
                # steady state first: the cold cycle is done and the second has begun
                deadline = time.monotonic() + 120
                while requests_served(server) < args.feeds * 2 and time.monotonic() < deadline and daemon.poll() is None:
                    time.sleep(0.2)
                if daemon.poll() is not None or requests_served(server) < args.feeds * 2:
                    print(f"daemon did not reach its second cycle (exit {daemon.poll()}); see its log", file=sys.stderr)
                    return 1
                for n in range(args.samples):
                    time.sleep(rng.uniform(0, args.interval))  # a random phase against the poll schedule
                    url = f"http://news.example.org/tta/{n}-{rng.getrandbits(32):08x}"
                    item = {"title": f"{RELATED_ID.title} ({n})", "summary": RELATED_ID.summary, "url": url, "published": datetime.now(timezone.utc).date().isoformat()}
                    before = len(receiver.posts("/hook"))
                    injected = time.time()
                    add_item(server, rng.randrange(args.feeds), item)
                    got = None
                    wait_until = time.monotonic() + args.interval * 2 + 15  # bounded: a miss is reported, not waited for
                    while got is None and time.monotonic() < wait_until:
                        for post in receiver.posts("/hook")[before:]:
                            if json.loads(post.body)["item"]["url"] == url:
                                got = post.at
                        time.sleep(0.02)
                    if got is None:
                        missed += 1
                        print(f"sample {n + 1}: no alert within {args.interval * 2 + 15:g} s", flush=True)
                    else:
                        latencies.append(got - injected)
                        print(f"sample {n + 1}: {got - injected:5.2f} s", flush=True)
            finally:
                daemon.send_signal(signal.SIGTERM)
                try:
                    daemon.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    daemon.kill()
                    daemon.wait(timeout=5)
                log.close()
    finally:
        receiver.close()
        shutil.rmtree(base, ignore_errors=True)
    if not latencies:
        print("no alert arrived", file=sys.stderr)
        return 1
    p95 = percentile(latencies, 0.95)
    print()
    print(measure.table(
        [[f"{args.feeds}", f"{args.interval:g}", str(len(latencies)), str(missed), f"{statistics.median(latencies):.2f}", f"{p95:.2f}", f"{max(latencies):.2f}", f"{args.interval + 2:g}"]],
        ["feeds", "interval s", "samples", "missed", "p50 s", "p95 s", "max s", "target p95 <= s"],
    ))
    return 0 if missed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
