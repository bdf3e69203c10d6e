"""TOML config -> validated, frozen settings.

Every error names the file, the line when it can be found, the key path and the
reason, e.g. `config/seedwatch.toml:14: feeds[3].interval: "10 minutes" is not a
duration like "10m"`. Relative paths in the file are resolved against the folder
that holds the config file; `${VAR}` and `${VAR:-default}` read the environment.
"""

from __future__ import annotations

import base64
import binascii
import importlib.util
import os
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from monitor.digest import Policy, cron_trigger, parse_quiet_hours, zone
from monitor.errors import ConfigError

DEFAULT_CONFIG_PATHS = ("config/seedwatch.toml", "/etc/seedwatch/seedwatch.toml")
_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)d)?(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?$")
_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*(B|KB|KiB|MB|MiB|GB|GiB)?$")
_SIZE_UNITS = {None: 1, "B": 1, "KB": 1000, "KiB": 1024, "MB": 10**6, "MiB": 2**20, "GB": 10**9, "GiB": 2**30}
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def parse_duration(value: Any) -> float:
    """"90s", "10m", "1h30m", "2d" or a number of seconds -> seconds."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration like \"10m\"")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError(f"{value!r} is negative")
        return float(value)
    m = _DURATION.match(value.strip()) if isinstance(value, str) and value.strip() else None
    if not m or not any(m.groups()):
        raise ValueError(f"\"{value}\" is not a duration like \"10m\"")
    d, h, mi, s = (float(g) if g else 0.0 for g in m.groups())
    return d * 86400 + h * 3600 + mi * 60 + s


def parse_size(value: Any) -> int:
    """"10MiB", "512KB" or a number of bytes -> bytes."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    m = _SIZE.match(str(value).strip()) if isinstance(value, str) else None
    if not m:
        raise ValueError(f"\"{value}\" is not a size like \"10MiB\"")
    return int(float(m.group(1)) * _SIZE_UNITS[m.group(2)])


def interpolate(value: str) -> str:
    """Replace ${VAR} and ${VAR:-default} from the environment."""

    def sub(m: re.Match[str]) -> str:
        name, default = m.group(1), m.group(2)
        if name in os.environ and os.environ[name] != "":
            return os.environ[name]
        if default is not None:
            return default
        raise ValueError(f"environment variable {name} is not set")

    return _ENV.sub(sub, value)


Duration = Annotated[float, BeforeValidator(parse_duration)]
Size = Annotated[int, BeforeValidator(parse_size)]
EnvStr = Annotated[str, BeforeValidator(lambda v: interpolate(v) if isinstance(v, str) else v)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MonitorSection(_Model):
    state: EnvStr = "${STATE_DIRECTORY:-../state}/seedwatch.db"
    seeds: EnvStr = "../seeds"
    poll_interval: Duration = 900.0
    threshold: float = Field(0.5, ge=0.0, le=1.0)
    allow_private_networks: bool = False
    allow_hosts: tuple[str, ...] = ()
    max_age: Duration = 14 * 86400.0
    delivery_interval: Duration = 10.0
    log_format: Literal["text", "json"] = "text"


class FetchSection(_Model):
    timeout: Duration = 30.0
    max_body: Size = 10 * 2**20
    max_redirects: int = Field(5, ge=0, le=20)
    concurrency: int = Field(8, ge=1, le=256)
    per_host: int = Field(2, ge=1, le=64)
    max_interval: Duration = 86400.0
    backoff_cap: Duration = 6 * 3600.0
    jitter: float = Field(0.1, ge=0.0, le=1.0)
    failing_after: Duration = 86400.0  # failing this long raises one feed-health notice
    silent_factor: float = Field(10.0, ge=0.0)  # silent for this many learnt cadences: a notice too (0: off)
    adaptive: bool = False  # poll at half the learnt cadence, within [min_interval, max_interval]
    min_interval: Duration = 300.0


class ServiceSection(_Model):
    """The optional health/metrics listener; off unless `listen` is set."""

    listen: str = ""

    @field_validator("listen")
    @classmethod
    def _address(cls, v: str) -> str:
        if v:
            parse_listen(v)
        return v

    @property
    def address(self) -> tuple[str, int] | None:
        return parse_listen(self.listen) if self.listen else None


def parse_listen(value: str) -> tuple[str, int]:
    """"127.0.0.1:9187", "[::1]:9187" or a bare port (on 127.0.0.1) -> (host, port)."""
    m = re.match(r"^(?:(\[[0-9A-Fa-f:.]+\]|[^:\[\]]+):)?(\d{1,5})$", value.strip())
    if not m or int(m.group(2)) > 65535:
        raise ValueError(f"\"{value}\" is not an address like \"127.0.0.1:9187\"")
    return (m.group(1) or "127.0.0.1").strip("[]"), int(m.group(2))


class StoriesSection(_Model):
    enabled: bool = True  # false: every matching item alerts on its own, no story folding
    window: Duration = 72 * 3600.0
    similarity: float = Field(0.25, gt=0.0, le=1.0)
    update_delta: float = Field(0.15, ge=0.0, le=1.0)
    score_tolerance: float = Field(0.15, ge=0.0, le=1.0)


class FeedConfig(_Model):
    url: EnvStr
    name: str = ""
    lang: str | None = None
    interval: Duration | None = None
    enabled: bool = True

    @field_validator("url")
    @classmethod
    def _http_only(cls, v: str) -> str:
        if not re.match(r"^https?://[^/\s]+", v):
            raise ValueError(f"\"{v}\" is not an http(s) URL")
        return v


class WebhookConfig(_Model):
    """One sink: where alerts go, in which wire format, and how much noise it accepts."""

    name: str
    format: Literal["json", "slack", "discord", "ntfy", "apprise"] = "json"
    url: EnvStr  # after `format`: an apprise sink takes any Apprise URL, the others http(s)
    secret: EnvStr | None = None
    min_score: float = Field(0.0, ge=0.0, le=1.0)
    seeds: tuple[str, ...] | None = None
    budget_per_hour: int | None = Field(None, ge=1)
    quiet_hours: str | None = None
    timezone: str = "UTC"
    digest: str | None = None

    @field_validator("format")
    @classmethod
    def _apprise_installed(cls, v: str) -> str:
        if v == "apprise" and importlib.util.find_spec("apprise") is None:
            raise ValueError("\"apprise\" needs the optional extra: pip install 'seedwatch[apprise]'")
        return v

    @field_validator("url")
    @classmethod
    def _url_for_format(cls, v: str, info: ValidationInfo) -> str:
        fmt = info.data.get("format", "json")
        if fmt == "apprise":
            if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", v):
                raise ValueError(f"\"{v}\" is not an Apprise URL like \"mailto://user:pass@example.org\"")
            return v
        if not re.match(r"^https?://[^/\s]+", v):
            raise ValueError(f"\"{v}\" is not an http(s) URL")
        if fmt == "ntfy" and not re.match(r"^https?://[^/\s]+/[^/?#\s]+", v):
            raise ValueError(f"\"{v}\" names no topic; use the topic URL, e.g. \"https://ntfy.sh/mytopic\"")
        return v

    @field_validator("secret")
    @classmethod
    def _secret_form(cls, v: str | None) -> str | None:
        if v is None:
            return v
        try:  # receivers decode leniently; we refuse a typo rather than sign with a different key
            body = v.removeprefix("whsec_").rstrip("=")
            key = base64.b64decode(body + "=" * (-len(body) % 4), validate=True) if v.startswith("whsec_") else b""
        except binascii.Error:
            key = b""
        if len(key) < 16:
            raise ValueError(
                "secret must be whsec_ and at least 16 bytes of base64 (see README: webhooks); make one with "
                "python3 -c 'import base64,os; print(\"whsec_\" + base64.b64encode(os.urandom(24)).decode())'"
            )
        return v

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_form(cls, v: str | None) -> str | None:
        if v is not None:
            parse_quiet_hours(v)
        return v

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        zone(v)
        return v

    @field_validator("digest")
    @classmethod
    def _cron_form(cls, v: str | None) -> str | None:
        if v is not None:
            cron_trigger(v, zone("UTC"))
        return v

    def policy(self) -> Policy:
        """The noise-control settings as a value for monitor.digest."""
        quiet = parse_quiet_hours(self.quiet_hours) if self.quiet_hours else None
        return Policy(self.budget_per_hour, quiet, zone(self.timezone), self.digest)


class ProfileOverride(_Model):
    """Per-seed tuning of its topic profile: `[profiles."<seed id>"]` (see README: Relevance)."""

    threshold: float | None = Field(None, ge=0.0, le=1.0)
    add: dict[str, tuple[str, ...]] = {}
    remove: tuple[str, ...] = ()
    weights: dict[str, Annotated[float, Field(ge=0.0, le=1.0)]] = {}
    required: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


class Settings(_Model):
    """The whole validated config; paths already resolved."""

    monitor: MonitorSection = MonitorSection()
    fetch: FetchSection = FetchSection()
    service: ServiceSection = ServiceSection()
    stories: StoriesSection = StoriesSection()
    feeds: tuple[FeedConfig, ...] = ()
    webhooks: tuple[WebhookConfig, ...] = ()
    profiles: dict[str, ProfileOverride] = {}
    path: str = ""

    @model_validator(mode="after")
    def _unique_names(self) -> "Settings":
        seen: set[str] = set()
        for i, hook in enumerate(self.webhooks):
            if hook.name in seen:
                raise ValueError(f"webhooks[{i}].name: \"{hook.name}\" is used twice")
            seen.add(hook.name)
        return self

    @property
    def state_url(self) -> str:
        """SQLAlchemy URL for the store (a bare path means SQLite)."""
        state = self.monitor.state
        if "://" in state:
            return state
        return f"sqlite:///{self.resolve(state)}"

    @property
    def seeds_dir(self) -> Path:
        return self.resolve(self.monitor.seeds)

    def resolve(self, p: str) -> Path:
        path = Path(p).expanduser()
        return path if path.is_absolute() else (Path(self.path).parent / path).resolve()

    def feed_interval(self, feed: FeedConfig) -> float:
        return feed.interval if feed.interval is not None else self.monitor.poll_interval


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
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
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
        where = _line_of(text, loc)
        prefix = f"{path}:{where}" if where else f"{path}"
        raise ConfigError(f"{prefix}: {key_path(loc)}: {message}") from None


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
