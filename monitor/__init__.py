"""Seedwatch: watch news feeds for developments related to seed articles."""

__version__ = "0.1.0"
USER_AGENT = f"Seedwatch/{__version__} (+https://github.com/seedwatch/seedwatch)"
