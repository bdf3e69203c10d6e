"""Soak: `seedwatch run` over many poll cycles of loopback feeds at a short interval; prints the
daemon's RSS and open file descriptors after the first cycle and at the end.

    /work/venv/bin/python bench/soak.py            # 300 feeds, 100 cycles at 2 s (about 4-5 min)
    /work/venv/bin/python bench/soak.py --quick    # 100 feeds, 10 cycles

Between cycles the server prepends a fresh corpus item to a few feeds (--churn), so the daemon
keeps fetching 200s, parsing, storing and scoring, not only answering 304s.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import measure  # noqa: E402
from feedserver import ServerProcess  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.servers import WebhookReceiver  # noqa: E402


def stats(server: ServerProcess) -> dict[str, int]:
    with urllib.request.urlopen(server.url("/_control/stats"), timeout=5) as resp:
        return json.loads(resp.read())


def churn(server: ServerProcess, count: int) -> None:
    request = urllib.request.Request(server.url(f"/_control/churn?feeds={count}"), data=b"", method="POST")
    with urllib.request.urlopen(request, timeout=5) as resp:
        resp.read()


def sample(pid: int) -> dict[str, float]:
    rss, fds = measure.proc_status(pid)
    tree_rss, tree_pss, procs = measure.tree_memory(pid)
    return {"rss": rss, "fds": fds, "tree_rss": tree_rss / 1024, "tree_pss": tree_pss / 1024, "procs": procs}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-semantic", action="store_true", help="monitor.semantic = false (the model costs seconds per start and ~0.1 s per item)")
    parser.add_argument("--feeds", type=int, default=300)
    parser.add_argument("--items", type=int, default=30)
    parser.add_argument("--cycles", type=int, default=100)
    parser.add_argument("--interval", type=float, default=2.0, help="poll interval, seconds")
    parser.add_argument("--churn", type=int, default=10, help="feeds given a new item once per interval")
    parser.add_argument("--quick", action="store_true", help="100 feeds, 10 cycles")
    args = parser.parse_args()
    if args.quick:
        args.feeds, args.cycles = min(args.feeds, 100), 10

    base = Path(tempfile.mkdtemp(prefix="seedwatch-soak-"))
    receiver = WebhookReceiver()
    samples: list[tuple[int, dict[str, float]]] = []
    try:
        with ServerProcess(args.feeds, args.items) as server:
            config = measure.seedwatch_config(base, server.feed_urls(), interval=f"{args.interval:g}s", webhook=receiver.url("/hook"), semantic=not args.no_semantic)
            log = (base / "daemon.log").open("w")
            daemon = subprocess.Popen([sys.executable, "-m", "monitor", "run", "--config", str(config)], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONPATH": str(ROOT)})
            stop = threading.Event()

            def churner() -> None:
                while not stop.wait(args.interval):
                    churn(server, args.churn)

            # a cycle takes about interval x (1 + jitter/2) plus the work; allow three times that
            deadline = time.monotonic() + args.cycles * args.interval * 3 + 60
            started = time.monotonic()
            threading.Thread(target=churner, daemon=True).start()
            next_mark, last_print = 1, 0
            while time.monotonic() < deadline and daemon.poll() is None:
                cycles = stats(server)["requests"] // args.feeds
                if cycles >= next_mark:
                    samples.append((cycles, sample(daemon.pid)))
                    next_mark = min(cycles + max(1, args.cycles // 10), args.cycles) if cycles < args.cycles else args.cycles + 1
                    if cycles != last_print:
                        s = samples[-1][1]
                        print(f"cycle {cycles:4}: RSS {s['rss']:6.1f} MB, fds {s['fds']:3}, tree RSS {s['tree_rss']:6.1f} MB / PSS {s['tree_pss']:6.1f} MB ({s['procs']} processes)", flush=True)
                        last_print = cycles
                if cycles >= args.cycles:
                    break
                time.sleep(0.2)
            elapsed = time.monotonic() - started
            stop.set()
            final = stats(server)
            if daemon.poll() is None:
                daemon.send_signal(signal.SIGTERM)
            try:
                code = daemon.wait(timeout=20)
            except subprocess.TimeoutExpired:
                daemon.kill()
                code = daemon.wait(timeout=5)
            log.close()
    finally:
        receiver.close()
    errors = [line for line in (base / "daemon.log").read_text().splitlines() if " ERROR " in line or "Traceback" in line or "status=error" in line]
    shutil.rmtree(base, ignore_errors=True)
    if len(samples) < 2:
        print(f"soak did not complete: {len(samples)} samples, daemon exit {daemon.returncode}", file=sys.stderr)
        return 1
    (first_cycle, first), (last_cycle, last) = samples[0], samples[-1]
    print()
    rows = [
        ["daemon RSS MB", f"{first['rss']:.1f}", f"{last['rss']:.1f}", f"{last['rss'] - first['rss']:+.1f}"],
        ["open fds", str(first["fds"]), str(last["fds"]), f"{last['fds'] - first['fds']:+d}"],
        ["tree RSS MB (all processes)", f"{first['tree_rss']:.1f}", f"{last['tree_rss']:.1f}", f"{last['tree_rss'] - first['tree_rss']:+.1f}"],
        ["tree PSS MB (all processes)", f"{first['tree_pss']:.1f}", f"{last['tree_pss']:.1f}", f"{last['tree_pss'] - first['tree_pss']:+.1f}"],
    ]
    print(measure.table(rows, [f"{args.feeds} feeds, {args.interval:g} s interval", f"after cycle {first_cycle}", f"after cycle {last_cycle}", "growth"]))
    print(f"{final['requests']} requests ({final['200']} x 200, {final['304']} x 304) in {elapsed:.0f} s; "
          f"{len(receiver.posts())} webhook posts; daemon exit {code} on SIGTERM; {len(errors)} error lines in the log")
    for line in errors[:5]:
        print("  " + line[:200])
    return 0 if last_cycle >= args.cycles and code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
