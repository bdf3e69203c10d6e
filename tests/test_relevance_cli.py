"""The relevance commands end to end: `seeds show`, `explain` (text, file, URL via the real fetcher)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import seedwatch, write_config
from tests.servers import FeedServer

SEED = "000_3cec3928e0cca43c"


def test_seeds_show_lists_groups_aliases_and_facts(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, feeds=[], extra=f'[profiles."{SEED}"]\nrequired = ["NATO"]\nadd = {{ "South Korea" = ["Negeri Ginseng"] }}\n')
    r = seedwatch("seeds", "show", SEED, "-c", str(cfg), "--all-aliases", env={"COLUMNS": "250"})
    assert r.returncode == 0, r.stderr
    for text in ("South Korea", "Korsel", "Negeri Ginseng", "required", "weapons", "senjata", "facts", "North Korea"):
        assert text in r.stdout, text


def test_seeds_show_unknown_seed(tmp_path: Path) -> None:
    r = seedwatch("seeds", "show", "nope", "-c", str(write_config(tmp_path, feeds=[])))
    assert r.returncode != 0 and "no seed 'nope'" in r.stderr


def test_explain_text_and_file(tmp_path: Path) -> None:
    cfg = str(write_config(tmp_path, feeds=[]))
    r = seedwatch("explain", "-c", cfg, "--seed", SEED, "--text", "Korut bantah kirim senjata ke Rusia\nPyongyang membantah tuduhan AS.")
    assert r.returncode == 0, r.stderr
    assert "ALERT" in r.stdout and "North Korea" in r.stdout and "'Korut' in title" in r.stdout
    f = tmp_path / "item.txt"
    f.write_text("Harga cabai naik menjelang Lebaran\nPedagang mengeluh.\n", encoding="utf-8")
    r = seedwatch("explain", "-c", cfg, "--seed", SEED, "--file", str(f))
    assert r.returncode == 0 and "no alert" in r.stdout


def test_explain_url_goes_through_the_fetcher(tmp_path: Path, feed_server: FeedServer) -> None:
    page = "<html><body><h1>NATO chief urges South Korea to send weapons to Ukraine</h1><p>Stoltenberg spoke in Seoul.</p></body></html>"
    url = feed_server.set("/article", page, headers={"Content-Type": "text/html"})
    cfg = str(write_config(tmp_path, feeds=[]))
    r = seedwatch("explain", "-c", cfg, "--seed", SEED, "--url", url)
    assert r.returncode == 0, r.stderr
    assert "ALERT" in r.stdout and len(feed_server.hits("/article")) == 1
    r = seedwatch("explain", "-c", cfg, "--seed", SEED, "--url", feed_server.url("/missing"))
    assert r.returncode != 0 and "cannot fetch" in r.stderr
