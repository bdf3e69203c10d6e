"""Poll-cycle benchmark: `seedwatch once` against rss2email and newsboat on the same loopback
feeds, cold (fresh state, every feed 200) and warm (every feed 304), plus the feedparser floor,
a warm cycle inside a running process, and import-time memory.

    /work/venv/bin/python bench/poll_cycle.py            # 300 feeds x 30 items, 5 rounds
    /work/venv/bin/python bench/poll_cycle.py --quick    # 100 feeds, 1 round

Each tool runs from a fresh state in every round; the order of the tools rotates between
rounds so background noise falls on each in turn; the table reports medians.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import measure  # noqa: E402
from feedserver import ServerProcess  # noqa: E402
from measure import seedwatch_config  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
INSTALL = {"rss2email": "apt-get install -y rss2email   (Debian/Ubuntu; provides `r2e`)", "newsboat": "apt-get install -y newsboat"}


class Tool:
    """One program under test: `prepare` makes a fresh state, `command` polls once."""

    name = ""

    def prepare(self, tmp: Path, urls: list[str]) -> None:
        raise NotImplementedError

    def command(self) -> list[str]:
        raise NotImplementedError

    def env(self) -> dict[str, str]:
        return {**os.environ, "HOME": str(self.tmp)}

    def check(self, run: measure.Run, warm: bool) -> str | None:
        """A short problem description when the run did not do the work."""
        return f"exit {run.returncode}: {run.stderr.strip()[-300:]}" if run.returncode else None


class Seedwatch(Tool):
    name = "seedwatch once"

    def __init__(self, concurrency: int, semantic: bool) -> None:
        self.concurrency, self.semantic = concurrency, semantic

    def prepare(self, tmp: Path, urls: list[str]) -> None:
        self.tmp, self.count = tmp, len(urls)
        self.config = seedwatch_config(tmp, urls, self.concurrency, semantic=self.semantic)

    def command(self) -> list[str]:
        return [PYTHON, "-m", "monitor", "once", "--config", str(self.config)]

    def env(self) -> dict[str, str]:
        return {**super().env(), "PYTHONPATH": str(ROOT)}

    def check(self, run: measure.Run, warm: bool) -> str | None:
        want = f"{self.count} not modified" if warm else f"{self.count} ok"
        if run.returncode or want not in run.stdout:
            return f"expected '{want}', got: {run.stdout.strip()[-200:]} {run.stderr.strip()[-300:]}"
        return None


class Rss2email(Tool):
    name = "rss2email"

    def prepare(self, tmp: Path, urls: list[str]) -> None:
        self.tmp = tmp
        self.cfg, self.data = tmp / "rss2email.cfg", tmp / "rss2email.json"
        out = measure.run(["r2e", "-c", str(self.cfg), "-d", str(self.data), "new", "bench@example.invalid"], env=self.env())
        if out.returncode:
            raise RuntimeError(f"r2e new failed: {out.stderr}")
        with self.cfg.open("a") as handle:
            handle.writelines(f"\n[feed.f{i}]\nurl = {u}\n" for i, u in enumerate(urls))
        self.data.write_text(json.dumps({"version": 2, "feeds": [{"name": f"f{i}", "etag": None, "modified": None, "seen": {}} for i in range(len(urls))]}))

    def command(self) -> list[str]:
        return ["r2e", "-c", str(self.cfg), "-d", str(self.data), "run", "--no-send"]


class Newsboat(Tool):
    name = "newsboat"

    def prepare(self, tmp: Path, urls: list[str]) -> None:
        self.tmp = tmp
        (tmp / "urls").write_text("".join(u + "\n" for u in urls))
        (tmp / "config").write_text("reload-threads 8\n")

    def command(self) -> list[str]:
        t = self.tmp
        return ["newsboat", "-u", str(t / "urls"), "-c", str(t / "cache.db"), "-C", str(t / "config"), "-x", "reload"]


def missing_tools(names: list[str]) -> list[str]:
    binaries = {"rss2email": "r2e", "newsboat": "newsboat"}
    return [n for n in names if n in binaries and shutil.which(binaries[n]) is None]


def cycle(tool: Tool, urls: list[str], base: Path) -> dict[str, measure.Run]:
    tmp = Path(tempfile.mkdtemp(prefix=tool.name.split()[0] + "-", dir=base))
    tool.prepare(tmp, urls)
    out = {}
    for phase in ("cold", "warm"):
        run = measure.run(tool.command(), env=tool.env(), cwd=ROOT, timeout=1500)  # a cold cycle with the model takes minutes
        problem = tool.check(run, phase == "warm")
        if problem:
            raise RuntimeError(f"{tool.name} {phase}: {problem}")
        out[phase] = run
    shutil.rmtree(tmp, ignore_errors=True)
    return out


def parse_floor_child(feeds: int, items: int) -> None:
    """feedparser alone, with our options, over the same documents; prints CPU seconds."""
    import io

    import feedparser
    from feedserver import Feeds

    docs = [body for body, _, _ in Feeds(feeds, items).docs]
    headers = {"content-type": "application/rss+xml; charset=utf-8"}
    started, wall = time.process_time(), time.perf_counter()
    entries = sum(len(feedparser.parse(io.BytesIO(d), response_headers=headers, sanitize_html=False, resolve_relative_uris=False).entries) for d in docs)
    print(json.dumps({"cpu": time.process_time() - started, "wall": time.perf_counter() - wall, "entries": entries}))


def inprocess_child(config: str, cycles: int) -> None:
    """A cold then `cycles` warm poll_all() inside one running App, as the daemon holds it."""
    sys.path.insert(0, str(ROOT))
    from monitor.service.app import App, read

    app = App.open(*read(config))
    try:
        timings = []
        for _ in range(cycles + 1):
            started, cpu = time.perf_counter(), time.process_time()
            reports = list(app.poll_all())
            timings.append({"wall": time.perf_counter() - started, "cpu": time.process_time() - cpu, "statuses": sorted({r.status for r in reports})})
        print(json.dumps(timings))
    finally:
        app.close()


IMPORT_PROBE = """
import json, sys, time
def rss():
    return float(open("/proc/self/status").read().split("VmRSS:")[1].split()[0]) / 1024
rows, last, clock = [["python", rss(), 0.0]], rss(), time.perf_counter()
for module in sys.argv[1:]:
    try:
        __import__(module)
    except ImportError:
        continue
    now, t = rss(), time.perf_counter()
    rows.append([module, now - last, (t - clock) * 1000])
    last, clock = now, t
rows.append(["total", rss(), sum(r[2] for r in rows)])
print(json.dumps(rows))
"""
IMPORT_ORDER = ("pydantic", "sqlalchemy", "sqlalchemy.dialects.postgresql", "httpx", "feedparser", "bs4", "lxml.etree", "wordfreq", "babel", "apscheduler.schedulers.background", "standardwebhooks", "monitor.cli", "monitor.service.app", "monitor.service.daemon")


def child_json(args: list[str], env: dict[str, str] | None = None) -> object:
    run = measure.run([PYTHON, str(Path(__file__).resolve()), *args], env=env, cwd=ROOT, timeout=600)
    if run.returncode:
        raise RuntimeError(f"{args[0]} failed: {run.stderr[-500:]}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-semantic", action="store_true", help="monitor.semantic = false (the model costs seconds per start and ~0.1 s per item)")
    parser.add_argument("--feeds", type=int, default=300)
    parser.add_argument("--items", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=8, help="seedwatch fetch.concurrency (newsboat runs 8 reload threads)")
    parser.add_argument("--tools", default="seedwatch,rss2email,newsboat", help="comma list of seedwatch, rss2email, newsboat")
    parser.add_argument("--inproc-cycles", type=int, default=5, help="warm poll_all() cycles inside one running process")
    parser.add_argument("--quick", action="store_true", help="100 feeds, 1 round, 2 in-process cycles")
    parser.add_argument("--parse-floor-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--inproc-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.parse_floor_child:
        parse_floor_child(args.feeds, args.items)
        return 0
    if args.inproc_child:
        inprocess_child(args.inproc_child, args.inproc_cycles)
        return 0
    if args.quick:
        args.feeds, args.rounds, args.inproc_cycles = min(args.feeds, 100), 1, 2

    names = [n.strip() for n in args.tools.split(",") if n.strip()]
    for name in missing_tools(names):
        print(f"note: {name} is not installed, skipped; install it with: {INSTALL[name]}", file=sys.stderr)
        names.remove(name)
    tools: list[Tool] = [{"seedwatch": lambda: Seedwatch(args.concurrency, not args.no_semantic), "rss2email": Rss2email, "newsboat": Newsboat}[n]() for n in names]

    base = Path(tempfile.mkdtemp(prefix="seedwatch-bench-"))
    results: dict[str, dict[str, list[measure.Run]]] = {t.name: {"cold": [], "warm": []} for t in tools}
    floor: list[dict] = []
    print(f"{args.feeds} feeds x {args.items} items on 127.0.0.1, {args.rounds} round(s), {os.cpu_count()} CPUs; {_machine()}", flush=True)
    try:
        with ServerProcess(args.feeds, args.items) as server:
            urls = server.feed_urls()
            for rnd in range(args.rounds):
                order = tools[rnd % len(tools) :] + tools[: rnd % len(tools)] if tools else []
                for tool in order:
                    runs = cycle(tool, urls, base)
                    for phase, run in runs.items():
                        results[tool.name][phase].append(run)
                    print(f"round {rnd + 1} {tool.name:15} cold {runs['cold'].wall:6.2f} s  warm {runs['warm'].wall:6.2f} s  peak {runs['cold'].maxrss:5.1f} MB", flush=True)
                floor.append(child_json(["--parse-floor-child", "--feeds", str(args.feeds), "--items", str(args.items)]))
            inproc = None
            if any(isinstance(t, Seedwatch) for t in tools):
                tmp = Path(tempfile.mkdtemp(dir=base))
                config = seedwatch_config(tmp, urls, args.concurrency, semantic=not args.no_semantic)
                inproc = child_json(["--inproc-child", str(config), "--inproc-cycles", str(args.inproc_cycles)], env={**os.environ, "PYTHONPATH": str(ROOT)})
        probe = measure.run([PYTHON, "-c", IMPORT_PROBE, *IMPORT_ORDER], env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT)
        imports = json.loads(probe.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(base, ignore_errors=True)
    report(results, floor, inproc, imports)
    return 0


def _machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")), "unknown CPU")
    load = os.getloadavg()[0]
    return f"{model}, Python {sys.version.split()[0]}, load average {load:.1f}"


def report(results: dict[str, dict[str, list[measure.Run]]], floor: list[dict], inproc: list[dict] | None, imports: list) -> None:
    m = measure.median
    rows = []
    for name, phases in results.items():
        cold, warm = phases["cold"], phases["warm"]
        rows.append([
            name,
            f"{m([r.wall for r in cold]):.2f}", f"{m([r.cpu for r in cold]):.2f}",
            f"{m([r.wall for r in warm]):.2f}", f"{m([r.cpu for r in warm]):.2f}",
            f"{m([r.maxrss for r in cold]):.1f}", f"{m([r.tree_rss for r in cold]):.1f}", f"{m([r.tree_pss for r in cold]):.1f}",
        ])
    floor_cpu = m([f["cpu"] for f in floor])
    rows.append(["feedparser alone (1 core)", "", f"{floor_cpu:.2f}", "", "", "", "", ""])
    rows.append(["  floor split over 2 cores", f"{floor_cpu / 2:.2f}", "", "", "", "", "", ""])
    print()
    print(measure.table(rows, ["tool (median)", "cold wall s", "cold CPU s", "warm wall s", "warm CPU s", "peak RSS MB", "tree RSS MB", "tree PSS MB"]))
    print("peak RSS = ru_maxrss from wait4 (largest single process of the tree); tree RSS/PSS = peak sum over live processes, sampled at 20 Hz")
    ours = results.get("seedwatch once")
    if ours:
        sw_cold, sw_warm = m([r.wall for r in ours["cold"]]), m([r.wall for r in ours["warm"]])
        print()
        for name, phases in results.items():
            if name == "seedwatch once":
                continue
            cold, warm = m([r.wall for r in phases["cold"]]), m([r.wall for r in phases["warm"]])
            print(f"{name}: cold {cold / sw_cold:.2f}x seedwatch's time, warm {warm / sw_warm:.2f}x")
        print(f"seedwatch cold wall / 2-core parse floor: {sw_cold / (floor_cpu / 2):.2f}x")
    if inproc:
        cold, warm = inproc[0], inproc[1:]
        print(f"\ninside one running process: cold poll_all {cold['wall']:.2f} s wall / {cold['cpu']:.2f} s CPU (main process); "
              f"warm poll_all median {m([w['wall'] for w in warm]):.3f} s wall / {m([w['cpu'] for w in warm]):.3f} s CPU over {len(warm)} cycles, statuses {warm[-1]['statuses'] if warm else []}")
    print("\nimport cost (MB of RSS / ms added by each import, in this order; a fresh interpreter):")
    print("  " + ", ".join(f"{name} {mb:.1f} MB/{ms:.0f} ms" for name, mb, ms in imports))


if __name__ == "__main__":
    sys.exit(main())
