"""Run a command and measure it: wall time, CPU (user+sys of the child and the children it
waited for, from wait4), peak RSS (ru_maxrss: the largest single process of that tree), and
the peak summed RSS / PSS of the whole live process tree, sampled from /proc at 20 Hz."""

from __future__ import annotations

import os
import statistics
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Run:
    """One measured child run; memory in MB."""

    wall: float
    cpu: float
    maxrss: float  # ru_maxrss of the tree: its largest single process
    tree_rss: float  # peak of the summed RSS of every live process in the tree (shared pages counted per process)
    tree_pss: float  # peak of the summed PSS: shared pages divided among the sharers (what the tree really costs)
    returncode: int
    stdout: str
    stderr: str


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return out


def _memory(pid: int) -> tuple[float, float]:
    """(RSS, PSS) in kB of one process, 0 when it is gone."""
    try:
        rss = pss = 0.0
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Rss:"):
                rss = float(line.split()[1])
            elif line.startswith("Pss:"):
                pss = float(line.split()[1])
        return rss, pss
    except OSError:
        return 0.0, 0.0


def tree_memory(pid: int) -> tuple[float, float, int]:
    """Summed (RSS, PSS) kB and process count of `pid` and its descendants."""
    todo, rss, pss, count = [pid], 0.0, 0.0, 0
    for _ in range(1000):  # bounded walk
        if not todo:
            break
        p = todo.pop()
        r, s = _memory(p)
        rss, pss, count = rss + r, pss + s, count + (r > 0)
        todo += _children(p)
    return rss, pss, count


def run(cmd: list[str], env: dict[str, str] | None = None, cwd: str | Path | None = None, timeout: float = 300) -> Run:
    """Run `cmd` to completion (killed after `timeout`) and measure it."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = [0.0, 0.0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            rss, pss, _ = tree_memory(proc.pid)
            peak[0], peak[1] = max(peak[0], rss), max(peak[1], pss)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    # read stdout and stderr concurrently so a chatty child never blocks on a full pipe
    results: dict[int, str] = {}
    readers = [threading.Thread(target=lambda i=i, s=s: results.__setitem__(i, s.read()), daemon=True) for i, s in enumerate((proc.stdout, proc.stderr))]
    for reader in readers:
        reader.start()
    killer = threading.Timer(timeout, proc.kill)
    killer.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    killer.cancel()
    done.set()
    sampler.join()
    for reader in readers:
        reader.join(timeout=5)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, peak[0] / 1024, peak[1] / 1024, proc.returncode, results.get(0, ""), results.get(1, ""))


ROOT = Path(__file__).resolve().parent.parent


def seedwatch_config(tmp: Path, urls: list[str], concurrency: int = 8, interval: str = "1h", webhook: str | None = None, max_age: str = "0s", stories: bool = True, semantic: bool = True) -> Path:
    """A config for the bench feeds: fresh SQLite state in `tmp`, the repo's seeds, loopback allowed."""
    feeds = "".join(f'[[feeds]]\nurl = "{u}"\nname = "f{i}"\n' for i, u in enumerate(urls))
    hook = f'[[webhooks]]\nname = "bench"\nurl = "{webhook}"\n' if webhook else ""
    path = tmp / "seedwatch.toml"
    path.write_text(
        f'[monitor]\nstate = "{tmp / "state" / "seedwatch.db"}"\nseeds = "{ROOT / "seeds"}"\n'
        f'allow_private_networks = true\npoll_interval = "{interval}"\nmax_age = "{max_age}"\ndelivery_interval = "1s"\nsemantic = {str(semantic).lower()}\n'
        # every bench feed is on 127.0.0.1: lift the per-host cap to the global one, as newsboat's 8 threads are
        f"[fetch]\nconcurrency = {concurrency}\nper_host = {concurrency}\n[stories]\nenabled = {str(stories).lower()}\n" + feeds + hook
    )
    return path


def proc_status(pid: int) -> tuple[float, int]:
    """(RSS in MB, open file descriptors) of one live process."""
    status = Path(f"/proc/{pid}/status").read_text()
    rss = float(status.split("VmRSS:")[1].split()[0]) / 1024
    return rss, len(list(Path(f"/proc/{pid}/fd").iterdir()))


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def table(rows: list[list[str]], header: list[str]) -> str:
    """A plain aligned text table (Markdown-compatible)."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = lambda r: "| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |"  # noqa: E731
    return "\n".join([line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, rows)])
