"""Finding and reading the config file: TOML -> Settings, errors with file:line: key path: reason."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from monitor.config.schema import Settings
from monitor.errors import ConfigError

DEFAULT_CONFIG_PATHS = ("config/seedwatch.toml", "/etc/seedwatch/seedwatch.toml")


def find_config(explicit: str | None) -> Path:
    """The config to use: --config, $SEEDWATCH_CONFIG, ./config/seedwatch.toml, /etc."""
    if explicit:
        return Path(explicit)
    if os.environ.get("SEEDWATCH_CONFIG"):
        return Path(os.environ["SEEDWATCH_CONFIG"])
    for candidate in DEFAULT_CONFIG_PATHS:
        if Path(candidate).exists():
            return Path(candidate)
    raise ConfigError("no config file: pass --config PATH or set SEEDWATCH_CONFIG")


def load_settings(path: str | Path) -> Settings:
    """Read, interpolate and validate a config file; raise ConfigError with file:line: key: reason."""
    path = Path(path)
    try:
        data = path.read_bytes()
        text = data.decode("utf-8-sig")  # an editor's byte-order mark is no TOML error at line 1
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}:{line}: not UTF-8 text ({exc.reason} at byte {exc.start}); save the config as UTF-8") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    return validate(raw, text, path)


def validate(raw: dict[str, Any], text: str, path: Path) -> Settings:
    """Validate a parsed TOML document; `text` is only used to find line numbers."""
    try:
        return Settings.model_validate({**raw, "path": str(path)})
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        message = str(err["msg"]).removeprefix("Value error, ")
        if loc == () and ": " in message:  # model-level check that names its own key path
            key, _, message = message.partition(": ")
            loc = _loc_from_path(key)
        if err["type"] == "extra_forbidden":
            message = "unknown key (check the spelling; see the config reference in README.md)"
        elif err["type"] == "missing":
            message = "required key is missing"
        elif "input" in err and err["type"] not in ("value_error",) and not isinstance(err["input"], dict):
            message = f"{err['input']!r}: {message}"
        raise ConfigError(f"{_at(path, text, loc)}: {message}") from None


def located(path: str | Path, loc: tuple[Any, ...]) -> str:
    """`file:line: key.path` for a key of a config file already validated, for checks that need
    more than the file (such as whether a seed id names a seed file); the line when it is found."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        text = ""
    return _at(path, text, loc)


def _at(path: str | Path, text: str, loc: tuple[Any, ...]) -> str:
    """`file:line: key.path`, the line of the key in `text` when it can be found."""
    where = _line_of(text, loc)
    return f"{path}:{where}: {key_path(loc)}" if where else f"{path}: {key_path(loc)}"


def key_path(loc: tuple[Any, ...]) -> str:
    """('feeds', 3, 'interval') -> 'feeds[3].interval'."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _loc_from_path(key: str) -> tuple[Any, ...]:
    parts: list[Any] = []
    for name, index in re.findall(r"([A-Za-z_]+)(?:\[(\d+)\])?", key):
        parts.append(name)
        if index:
            parts.append(int(index))
    return tuple(parts)


def _line_of(text: str, loc: tuple[Any, ...]) -> int | None:
    """Best-effort line number of a key path in the TOML text (1-based)."""
    if not loc:
        return None
    if loc[0] == "profiles" and len(loc) >= 2:
        return _line_of_profile(text, str(loc[1]), [str(p) for p in loc[2:]])
    section, rest = str(loc[0]), list(loc[1:])
    index = rest.pop(0) if rest and isinstance(rest[0], int) else None
    key = str(rest[0]) if rest else None
    lines = text.splitlines()
    header = re.compile(rf"^\s*\[\[\s*{re.escape(section)}\s*\]\]" if index is not None else rf"^\s*\[\s*{re.escape(section)}\s*\]")
    start, count = None, -1
    for n, line in enumerate(lines):
        if header.match(line):
            count += 1
            if index is None or count == index:
                start = n
                break
    if start is None:
        for n, line in enumerate(lines):  # a top-level key such as `feeds = ...`
            if re.match(rf"^\s*{re.escape(section)}\s*=", line):
                return n + 1
        return None
    if key is None:
        return start + 1
    for n in range(start + 1, len(lines)):
        if re.match(r"^\s*\[", lines[n]):
            break
        if re.match(rf"^\s*{re.escape(key)}\s*=", lines[n]):
            return n + 1
    return start + 1


def _line_of_profile(text: str, seed: str, rest: list[str]) -> int | None:
    """Line of a key inside `[profiles."<seed>"]` (or its sub-tables such as `.add`)."""
    lines = text.splitlines()
    header = re.compile(rf"""^\s*\[\s*profiles\s*\.\s*(?:"{re.escape(seed)}"|'{re.escape(seed)}'|{re.escape(seed)})\s*(\.\s*(\w+)\s*)?\]""")
    found = None
    for n, line in enumerate(lines):
        m = header.match(line)
        if not m:
            continue
        found = found or n + 1
        sub = m.group(2)
        keys = rest[1:] if sub and rest and rest[0] == sub else (rest if not sub else None)
        if keys is None:
            continue
        if not keys:
            return n + 1
        for k in range(n + 1, len(lines)):
            if re.match(r"^\s*\[", lines[k]):
                break
            if re.match(rf"""^\s*["']?{re.escape(keys[0])}["']?\s*=""", lines[k]):
                return k + 1
    return found
