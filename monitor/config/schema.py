"""The config schema: pydantic models, frozen once validated; unknown keys are errors."""

from __future__ import annotations

import base64
import binascii
import importlib.util
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from monitor.config.values import (
    cron_trigger,
    duration_at_least,
    interpolate,
    parse_duration,
    parse_listen,
    parse_quiet_hours,
    parse_size,
    sqlite_path,
    store_problem,
    zone,
)
from monitor.urls import BadUrl, Url, parse_url

Duration = Annotated[float, BeforeValidator(parse_duration)]
# Minimums where zero or a few milliseconds would be absurd ("0s" polled a feed ~466 times a second)
PollInterval = Annotated[float, BeforeValidator(duration_at_least(1.0, "a feed is polled at most once a second"))]
Tick = Annotated[float, BeforeValidator(duration_at_least(1.0, "at most once a second"))]
Deadline = Annotated[float, BeforeValidator(duration_at_least(1.0, "no fetch completes in less"))]
Window = Annotated[float, BeforeValidator(duration_at_least(60.0, "copies of a story arrive over minutes to hours"))]
Size = Annotated[int, BeforeValidator(parse_size)]
EnvStr = Annotated[str, BeforeValidator(lambda v: interpolate(v) if isinstance(v, str) else v)]


class _Model(BaseModel):
    # nan and inf pass every bound (nan compares false): a float key is a finite number
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class MonitorSection(_Model):
    state: EnvStr = "${STATE_DIRECTORY:-../state}/seedwatch.db"
    seeds: EnvStr = "../seeds"
    poll_interval: PollInterval = 900.0
    threshold: float = Field(0.5, ge=0.0, le=1.0)
    related_threshold: float = Field(0.3, ge=0.0, le=1.0)  # the related-development band, for digests
    semantic: bool = True  # the multilingual semantic signal (a worker process with the model)
    allow_private_networks: bool = False
    allow_hosts: tuple[str, ...] = ()
    max_age: Duration = 14 * 86400.0
    delivery_interval: Tick = 10.0
    log_format: Literal["text", "json"] = "text"


class FetchSection(_Model):
    timeout: Deadline = 30.0
    max_body: Size = Field(10 * 2**20, ge=1024)
    max_redirects: int = Field(5, ge=0, le=20)
    concurrency: int = Field(8, ge=1, le=256)
    per_host: int = Field(2, ge=1, le=64)
    max_interval: PollInterval = 86400.0
    backoff_cap: PollInterval = 6 * 3600.0
    jitter: float = Field(0.1, ge=0.0, le=1.0)
    failing_after: Duration = 86400.0  # failing this long raises one feed-health notice
    silent_factor: float = Field(10.0, ge=0.0)  # silent for this many learnt cadences: a notice too (0: off)
    adaptive: bool = False  # poll at half the learnt cadence, within [min_interval, max_interval]
    min_interval: PollInterval = 300.0


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


class StoriesSection(_Model):
    enabled: bool = True  # false: every matching item alerts on its own, no story folding
    window: Window = 72 * 3600.0
    similarity: float = Field(0.5, gt=0.0, le=1.0)
    # read so that older configs load; they decide nothing since stories are made of events
    update_delta: float = Field(0.15, ge=0.0, le=1.0)
    score_tolerance: float = Field(0.15, ge=0.0, le=1.0)


class FeedConfig(_Model):
    url: EnvStr
    name: str = ""
    lang: str | None = None
    interval: PollInterval | None = None
    enabled: bool = True
    timezone: str | None = None  # IANA zone of the feed's dates that name none (default UTC)

    @field_validator("url")
    @classmethod
    def _http_only(cls, v: str) -> str:
        if isinstance(url := parse_url(v), BadUrl):
            raise ValueError(str(url))
        return v

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str | None) -> str | None:
        if v is not None:
            zone(v)
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
    related: bool = False  # related developments (monitor.related_threshold) in this sink's digests

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
        if isinstance(url := parse_url(v), BadUrl):
            raise ValueError(str(url))
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



class ProfileOverride(_Model):
    """Per-seed tuning of its topic profile: `[profiles."<seed id>"]` (see README: Relevance)."""

    threshold: float | None = Field(None, ge=0.0, le=1.0)
    add: dict[str, tuple[str, ...]] = {}
    remove: tuple[str, ...] = ()
    weights: dict[str, Annotated[float, Field(ge=0.0, le=1.0)]] = {}
    required: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    related_threshold: float | None = Field(None, ge=0.0, le=1.0)
    keep: tuple[str, ...] = ()  # regular expressions on title/summary: alert only when one matches
    block: tuple[str, ...] = ()  # regular expressions on title/summary: never alert when one matches
    must_mention: tuple[str, ...] = ()  # names: alert only when the item names one of them

    @field_validator("keep", "block")
    @classmethod
    def _patterns(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in v:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"/{pattern}/ is not a regular expression: {exc}") from None
        return v


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
            if hook.related and not hook.digest:
                raise ValueError(f"webhooks[{i}].related: related developments are sent in digests; give this sink a `digest` schedule too")
        return self

    @model_validator(mode="after")
    def _unique_feeds(self) -> "Settings":
        """One table per feed: a second one would be fetched again in every cycle. Spellings of one
        address (case of the host, a default port) count as the same URL."""
        first: dict[str, int] = {}
        for i, feed in enumerate(self.feeds):
            url = parse_url(feed.url)
            key = url.key if isinstance(url, Url) else feed.url
            if key in first:
                raise ValueError(f"feeds[{i}].url: \"{feed.url}\" is a duplicate of feeds[{first[key]}] (each feed is listed once)")
            first[key] = i
        return self

    @model_validator(mode="after")
    def _store(self) -> "Settings":
        """A store address Seedwatch can open: refused here, with the key, not at the first write."""
        problem = store_problem(self.monitor.state)
        path = sqlite_path(self.monitor.state)
        file = self.resolve(path) if path is not None and self.path else None
        if problem is None and file is not None and file.is_dir():
            problem = f"\"{file}\" is a folder; give the SQLite file in it, e.g. \"{Path(path) / 'seedwatch.db'}\""
        if problem:
            raise ValueError(f"monitor.state: {problem}")
        return self

    @property
    def state_url(self) -> str:
        """SQLAlchemy URL for the store (a bare path means SQLite); a relative SQLite file is
        beside the config, whichever folder the command runs in."""
        path = sqlite_path(self.monitor.state)
        if path is None:
            return self.monitor.state
        query = self.monitor.state.partition("?")[2] if "://" in self.monitor.state else ""
        return f"sqlite:///{self.resolve(path)}" + (f"?{query}" if query else "")

    @property
    def seeds_dir(self) -> Path:
        return self.resolve(self.monitor.seeds)

    def resolve(self, p: str) -> Path:
        path = Path(p).expanduser()
        return path if path.is_absolute() else (Path(self.path).parent / path).resolve()

    def feed_interval(self, feed: FeedConfig) -> float:
        return feed.interval if feed.interval is not None else self.monitor.poll_interval


