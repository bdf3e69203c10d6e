"""Seed articles from a folder: every .txt/.md file, with an optional front-matter header.

A header is a block between two `---` lines at the top with `key: value` lines
(title, lang; date and url are accepted as notes for the reader and not used). Without one,
the first non-empty line is the title.
The seed id is the file's stem, stable across renames of its content.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from monitor.errors import ConfigError
from monitor.types import Seed

SEED_SUFFIXES = (".txt", ".md")
# A seed is one article (the bundled one is 2.5 KB; a very long article 50 KB); a 20 MiB file
# cost 14 s and 605 MB at every start and reload
MAX_SEED_BYTES = 256 * 1024
_HEADER_KEYS = {"title", "lang", "date", "url"}


def load_seeds(folder: Path) -> list[Seed]:
    """All seeds in `folder`, sorted by id; ConfigError if there is none or one is unreadable."""
    if not folder.is_dir():
        raise ConfigError(f"{folder}: seeds folder does not exist")
    seeds = [load_seed(p) for p in seed_files(folder)]
    if not seeds:
        raise ConfigError(f"{folder}: no seed files (*.txt, *.md)")
    return seeds


def seed_files(folder: Path) -> list[Path]:
    """The seed files in `folder` (none when it is no folder), sorted by name, so by id."""
    return sorted(p for p in folder.iterdir() if p.suffix in SEED_SUFFIXES and p.is_file()) if folder.is_dir() else []


def load_seed(path: Path) -> Seed:
    try:
        size = path.stat().st_size
        if size > MAX_SEED_BYTES:
            raise ConfigError(f"{path}: seed is {size // 1024} KiB, over the {MAX_SEED_BYTES // 1024} KiB limit: a seed is one article; keep its text only")
        raw = _decode(path.read_bytes(), path)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read seed: {exc.strerror or exc}") from None
    header, body = _split_header(raw, path)
    lines = [line.strip() for line in body.splitlines() if line.strip()]
    if not lines:
        raise ConfigError(f"{path}: seed has no text")
    title = header.get("title") or lines[0]
    return Seed(
        id=path.stem,
        title=title,
        text=body.strip(),
        lang=header.get("lang"),
        path=str(path),
    )


def _decode(data: bytes, path: Path) -> str:
    """A seed's text: UTF-8, or what its byte-order mark says (editors on Windows save UTF-16
    with one, and UTF-8 with a mark of its own). A seed is never guessed at: without a mark,
    UTF-16's NUL bytes would read as a string of odd one-letter "words"."""
    for bom, codec in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(codec)
            except UnicodeDecodeError as exc:
                raise ConfigError(f"{path}: seed starts with a {codec.upper()} byte-order mark but is not {codec.upper()} text (byte {exc.start + len(bom)})") from None
    if b"\x00" in data:
        raise ConfigError(f"{path}: seed holds NUL bytes (UTF-16 without a byte-order mark?); save it as UTF-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}:{line}: seed is not UTF-8 text (byte {exc.start}); save it as UTF-8") from None


def _split_header(raw: str, path: Path) -> tuple[dict[str, str], str]:
    if not raw.startswith("---\n"):
        return {}, raw
    end = raw.find("\n---", 4)
    if end < 0:
        raise ConfigError(f"{path}:1: front-matter header opened with --- is never closed")
    header: dict[str, str] = {}
    for n, line in enumerate(raw[4:end].splitlines(), start=2):
        if not line.strip():
            continue
        key, sep, value = line.partition(":")
        key = key.strip().lower()
        if not sep or key not in _HEADER_KEYS:
            raise ConfigError(f"{path}:{n}: header line must be one of {sorted(_HEADER_KEYS)} as `key: value`")
        header[key] = value.strip()
    return header, raw[end + 4 :].lstrip("\n")
