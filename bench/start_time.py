"""Start-up cost of light commands: wall time of N fresh processes, and what they import.

    .venv/bin/python bench/start_time.py [--runs 10]

Runs `seedwatch --version`, `seedwatch check -c config/seedwatch.toml` and
`seedwatch status -c config/seedwatch.toml` (state in a temporary STATE_DIRECTORY) as
`python -m monitor`, each `--runs` times after one warm-up run, and prints the median and
minimum wall time, plus the heavy modules each one loaded (from `python -X importtime`).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = str(ROOT / "config" / "seedwatch.toml")
COMMANDS = {
    "--version": ["--version"],
    "check": ["check", "-c", CONFIG],
    "status": ["status", "-c", CONFIG],
}
# Modules worth naming when a light command loads them.
HEAVY = ("monitor.commands", "monitor.service.daemon", "apscheduler", "monitor.relevance", "monitor.ingest.fetch", "httpx", "sqlalchemy", "feedparser", "rich", "wordfreq", "babel")


def run(args: list[str], env: dict[str, str], importtime: bool = False) -> subprocess.CompletedProcess[str]:
    flags = ["-X", "importtime"] if importtime else []
    return subprocess.run([sys.executable, *flags, "-m", "monitor", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False)


def imported(stderr: str) -> set[str]:
    """Module names from -X importtime lines ("import time: self | cumulative | name")."""
    out = set()
    for line in stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            if name != "imported package":
                out.add(name)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as state:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "STATE_DIRECTORY": state, "COLUMNS": "120"}
        print(f"{'command':<12} {'median s':>9} {'min s':>7}  modules  heavy modules loaded")
        for name, argv in COMMANDS.items():
            first = run(argv, env)
            if first.returncode != 0:
                print(f"{name}: exit {first.returncode}: {first.stderr.strip()[:300]}")
                return 1
            times = []
            for _ in range(args.runs):
                start = time.perf_counter()
                run(argv, env)
                times.append(time.perf_counter() - start)
            mods = imported(run(argv, env, importtime=True).stderr)
            heavy = sorted({h for h in HEAVY if any(m == h or m.startswith(h + ".") for m in mods)})
            print(f"{name:<12} {statistics.median(times):>9.3f} {min(times):>7.3f}  {len(mods):>7}  {', '.join(heavy) or '-'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
