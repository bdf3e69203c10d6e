"""Errors a user can act on.

SeedwatchError
 ├── ConfigError      the config file or a seed is wrong: file, key path and reason
 ├── StoreError       the state database cannot be opened or is locked by another instance
 └── DeliveryError    a webhook sink is misconfigured (bad secret, unknown format)

Expected trouble at run time (a feed is down, a receiver answers 500) is not an
exception: it travels as a value (FetchFailed, a delivery attempt result).
"""


class SeedwatchError(Exception):
    """Root of every error Seedwatch reports to a person."""

    exit_code = 1


class ConfigError(SeedwatchError):
    """Invalid configuration or seed; the message names file, key path and reason."""

    exit_code = 2


class StoreError(SeedwatchError):
    """The state store cannot be used."""

    exit_code = 3


class LeaseLost(StoreError):
    """Another instance holds the feed this run was polling (our lease lapsed): the run's writes are dropped."""


class DeliveryError(SeedwatchError):
    """A sink cannot be used as configured."""

    exit_code = 2
