"""Refusals that must cost nothing: a second `run` on a state in use, and a seed too large to be an article."""

from __future__ import annotations

import fcntl
import os
import shutil
import time
from pathlib import Path

from tests.conftest import SEEDS, seedwatch, write_config


def test_a_second_run_is_refused_before_it_forks_or_touches_the_store(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, feeds=[{"url": "https://news.example.org/rss"}])
    state = tmp_path / "state"
    state.mkdir()
    with open(state / "seedwatch.db.lock", "a+") as lock:  # a daemon holds the state: its lock, its pid
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        lock.write(str(os.getpid()))
        lock.flush()
        out = seedwatch("run", "--config", str(cfg), timeout=60)
    assert out.returncode == 3, out.stderr
    assert out.stderr.strip().splitlines() == [f"seedwatch: error: {state / 'seedwatch.db'}: already in use by seedwatch (pid {os.getpid()}); one instance per state file"]
    assert not (state / "seedwatch.db").exists()  # the schema was created (and migrated) before the lock was checked


def test_a_seed_over_256_kib_is_refused_naming_the_file(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    big = seeds / "zz_big.txt"
    big.write_text("NATO urges South Korea to send weapons to Ukraine\n\n" + "Kata-kata panjang tentang senjata. " * 9000)
    cfg = write_config(tmp_path, feeds=[])
    cfg.write_text(cfg.read_text().replace(f'seeds = "{SEEDS}"', f'seeds = "{seeds}"'))
    started = time.monotonic()
    out = seedwatch("check", "--config", str(cfg))
    assert out.returncode == 2, out.stdout
    assert out.stderr.strip() == f"seedwatch: error: {big}: seed is {big.stat().st_size // 1024} KiB, over the 256 KiB limit: a seed is one article; keep its text only"
    assert time.monotonic() - started < 30
