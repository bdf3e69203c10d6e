"""Configuration: the TOML file -> validated, frozen settings.

Every error names the file, the line when it can be found, the key path and the reason, e.g.
`config/seedwatch.toml:14: feeds[3].interval: "10 minutes" is not a duration like "10m"`.
Relative paths in the file are resolved against the folder that holds it; `${VAR}` and
`${VAR:-default}` read the environment. Modules: `values` (value syntax), `schema` (the
models), `load` (finding, reading, error locations), `edit` (adding feeds, comments kept).

May import: monitor core (types, errors) and libraries.
"""

from monitor.config.load import (
    DEFAULT_CONFIG_PATHS,
    find_config,
    key_path,
    load_settings,
    located,
    validate,
)
from monitor.config.schema import (
    FeedConfig,
    FetchSection,
    MonitorSection,
    ProfileOverride,
    ServiceSection,
    Settings,
    StoriesSection,
    WebhookConfig,
)
from monitor.config.values import (
    cron_trigger,
    interpolate,
    parse_duration,
    parse_listen,
    parse_quiet_hours,
    parse_size,
    zone,
)

__all__ = [
    "DEFAULT_CONFIG_PATHS", "FeedConfig", "FetchSection", "MonitorSection", "ProfileOverride", "ServiceSection", "Settings", "StoriesSection",
    "WebhookConfig", "cron_trigger", "find_config", "interpolate", "key_path", "load_settings", "located", "parse_duration", "parse_listen",
    "parse_quiet_hours", "parse_size", "validate", "zone",
]
